"""Periodic maintenance tasks that belong to no single app: data retention and stale import jobs.

Imported by ``config.celery`` so that every worker registers them; scheduled by beat (``CELERY_BEAT_SCHEDULE``).
Scoring runs have their own retention (``SCORING_RUNS_KEPT``, pruned after each published run).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)


# The housekeeping tasks of the beat schedule: idempotent (safe to redeliver), retried when the database blips.
_MAINTENANCE_TASK = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 3,
}


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


@shared_task(name="config.maintenance.audit_prune", **_MAINTENANCE_TASK)
def audit_prune_task() -> int:
    return audit_retention_prune()


def import_jobs_reap_stale(*, stale_seconds: int | None = None) -> list[int]:
    """Fail import jobs that no worker finished in time, so that none stays ``pending``/``running`` for ever.

    A job whose worker died is normally redelivered (late acknowledgement) within the broker's visibility
    timeout and runs again from the start; the threshold (``IMPORT_STALE_SECONDS``) is above that plus the task
    time limit, so only a job that was truly lost (its message gone with a Redis that lost its data) is failed.
    """
    from creators.choices import ImportJobStatus
    from creators.models import ImportJob

    seconds = settings.IMPORT_STALE_SECONDS if stale_seconds is None else stale_seconds
    cutoff = timezone.now() - timedelta(seconds=seconds)
    stale = ImportJob.objects.filter(
        Q(status=ImportJobStatus.RUNNING, started_at__lt=cutoff)
        | Q(status=ImportJobStatus.PENDING, created_at__lt=cutoff)
    )
    reaped = list(stale.values_list("pk", flat=True))
    if reaped:
        ImportJob.objects.filter(pk__in=reaped, status__in=(ImportJobStatus.RUNNING, ImportJobStatus.PENDING)).update(
            status=ImportJobStatus.FAILED,
            finished_at=timezone.now(),
            error=f"no worker finished this import within {seconds} s (worker or queue lost); upload the file again",
        )
        logger.warning("stale import jobs failed: %s", reaped, extra={"event": "import.reaped", "jobs": reaped})
    return reaped


@shared_task(name="config.maintenance.import_jobs_reap_stale", **_MAINTENANCE_TASK)
def import_jobs_reap_stale_task() -> list[int]:
    return import_jobs_reap_stale()
