"""Enumerations of the scoring engine."""

from __future__ import annotations

from django.db import models


class RunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Confidence(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


# The six indices that make up the overall score, in display order.
INDEX_NAMES = ("collaboration", "care", "volume", "effectiveness", "sales", "consistency")
