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


class NullReason(models.TextChoices):
    """Why an index is null (DESIGN 5 and 7): too little data for this creator, or no signal in the run's data."""

    INSUFFICIENT_DATA = "insufficient_data", "Insufficient data"
    NO_SIGNAL = "no_signal", "No signal in this run's data"
