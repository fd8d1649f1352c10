"""Periodic maintenance tasks that belong to no single app: data retention.

Imported by ``config.celery`` so that every worker registers them; scheduled by beat (``CELERY_BEAT_SCHEDULE``).
Scoring runs have their own retention (``SCORING_RUNS_KEPT``, pruned after each published run).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

logger = logging.getLogger(__name__)


def audit_retention_prune(*, retention_days: int | None = None) -> int:
    """Delete audit events older than ``AUDIT_RETENTION_DAYS``; 0 days or less keeps everything."""
    from partners.audit import audit_prune

    days = settings.AUDIT_RETENTION_DAYS if retention_days is None else retention_days
    if days <= 0:
        return 0
    before = timezone.now() - timedelta(days=days)
    deleted = audit_prune(before=before)
    logger.info(
        "audit retention: %s events older than %s days deleted",
        deleted,
        days,
        extra={"event": "audit.pruned", "deleted": deleted, "before": before.isoformat()},
    )
    return deleted


@shared_task(
    name="config.maintenance.audit_prune",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def audit_prune_task() -> int:
    return audit_retention_prune()
