"""Celery tasks of the raw-data app: thin wrappers around ``creators.services``."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from creators import services


@shared_task(acks_late=True, ignore_result=False)
def import_job_run(job_id: int) -> str | None:
    """Run an uploaded import. Idempotent (a redelivered task finds the job finished and does nothing); a
    failure marks the job ``failed`` with its reason rather than retrying a file that would fail again."""
    job = services.import_job_run(job_id=job_id)
    return None if job is None else job.status


# The name predates the move from ``config.maintenance``; kept so that the beat schedule and queued messages still
# find the task. Idempotent (safe to redeliver), retried when the database blips.
@shared_task(
    name="config.maintenance.import_jobs_reap_stale",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def import_jobs_reap_stale_task() -> list[int]:
    return services.import_jobs_reap_stale()
