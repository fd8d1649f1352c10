"""Celery tasks of the partners app: the audit trail's nightly retention (beat schedule)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from partners.audit import audit_retention_prune


# The name predates the move from ``config.maintenance``; kept so that the beat schedule and queued messages still
# find the task. Idempotent (safe to redeliver), retried when the database blips.
@shared_task(
    name="config.maintenance.audit_prune",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def audit_prune_task() -> int:
    return audit_retention_prune()
