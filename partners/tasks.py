"""Celery tasks of the partners app: the audit trail's nightly retention and the alerts digest (beat schedule,
and queued by the publication of a scoring run). Thin: the rules live in ``partners.audit`` and
``partners.alerts``."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError

from partners import alerts
from partners.audit import audit_retention_prune

# A database blip or a mail server that is down for a while: retried. Each run's digest is idempotent (one digest
# per user and run, each email claimed once), so a retry or a redelivery sends nothing twice.
_DIGEST_RETRY = (OperationalError, InterfaceError, SMTPException, OSError)


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


@shared_task(acks_late=True, autoretry_for=_DIGEST_RETRY, retry_backoff=True, max_retries=6)
def digest_run(run_id: int) -> int:
    """The digest of a run that has just been published: the number of emails sent."""
    return alerts.digest_run(run_id=run_id).emails


@shared_task(acks_late=True, autoretry_for=_DIGEST_RETRY, retry_backoff=True, max_retries=3)
def digest_published_run() -> int | None:
    """Beat: the published run's digest, unless it is done (a lost message, a worker down at publication)."""
    report = alerts.digest_published_run()
    return report.emails if report is not None else None
