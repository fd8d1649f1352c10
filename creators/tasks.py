"""Celery tasks of the raw-data app: thin wrappers around ``creators.services``."""

from __future__ import annotations

from celery import shared_task

from creators import services


@shared_task(acks_late=True, ignore_result=False)
def import_job_run(job_id: int) -> str | None:
    """Run an uploaded import. Idempotent (a redelivered task finds the job finished and does nothing); a
    failure marks the job ``failed`` with its reason rather than retrying a file that would fail again."""
    job = services.import_job_run(job_id=job_id)
    return None if job is None else job.status
