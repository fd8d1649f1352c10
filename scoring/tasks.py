"""Celery tasks of the scoring engine: thin wrappers that call ``scoring.services``.

Every task is idempotent and acknowledged late (a task whose worker dies is redelivered), retries only
transient database errors with exponential backoff, and has time limits below the broker's visibility timeout
so that Redis never hands a still-running task to a second worker. A task that fails for good marks its run
``failed`` with the reason; the published run is never touched by a failure.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, chord, group, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections

from scoring import services

logger = logging.getLogger(__name__)

# Errors worth retrying: the database restarted, a connection dropped, a lock timed out, a deadlock was broken.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class ScoringRunTask(Task):
    """Base of the tasks that work on one run (its id is the first argument)."""

    acks_late = True
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 2
    retry_backoff_max = 120
    retry_jitter = True
    max_retries = 5
    time_limit = settings.CELERY_TASK_TIME_LIMIT
    soft_time_limit = settings.CELERY_TASK_SOFT_TIME_LIMIT

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        run_id = kwargs.get("run_id", args[0] if args else None)
        if run_id is None:
            return
        close_old_connections()
        try:
            services.scoring_run_fail(run_id=run_id, reason=f"{self.name.rsplit('.', 1)[-1]}: {exc!r}")
        except Exception:
            # The database itself may be what failed; the stale-run reaper will fail the run later.
            logger.exception("could not mark scoring run %s failed", run_id)


@shared_task(base=ScoringRunTask, bind=True)
def scoring_run_start(self: Task, run_id: int) -> int:
    """Prepare the run and fan its chunks out to the workers, with the final step as the chord's body."""
    numbers = services.scoring_run_prepare(run_id=run_id)
    if numbers is None:
        return 0
    final = scoring_run_finalize.si(run_id)
    if not numbers:
        final.apply_async()
        return 0
    chord(group(scoring_chunk_compute.si(run_id, n) for n in numbers))(final)
    return len(numbers)


@shared_task(base=ScoringRunTask, bind=True)
def scoring_chunk_compute(self: Task, run_id: int, number: int) -> int:
    return services.scoring_chunk_compute(run_id=run_id, number=number)


@shared_task(base=ScoringRunTask, bind=True)
def scoring_run_finalize(self: Task, run_id: int) -> bool:
    published = services.scoring_run_finalize(run_id=run_id)
    if published:
        services.scoring_runs_prune()
    return published


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def scoring_runs_reap_stale() -> list[int]:
    return services.scoring_runs_reap_stale()


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def scoring_run_nightly() -> int:
    """The nightly run (celery beat): as of the newest video, default window."""
    return services.scoring_run_request(triggered_by="beat").pk
