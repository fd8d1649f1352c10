"""Enumerations of the raw data."""

from __future__ import annotations

from django.db import models


class CollaborationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# Statuses that count as "accepted" in the collaboration index (DESIGN section 5).
ACCEPTED_STATUSES = (CollaborationStatus.ACCEPTED, CollaborationStatus.COMPLETED)

UNCATEGORIZED_SLUG = "uncategorized"


class ImportJobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
