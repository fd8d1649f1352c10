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
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from scoring import services

logger = logging.getLogger(__name__)

# Errors worth retrying: the database restarted, a connection dropped, a lock timed out, a deadlock was broken.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
# SQLite raises OperationalError for programming errors too ("no such column"); only these are transient there.
_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "disk i/o error", "unable to open")
RETRY_BASE_SECONDS = 2
RETRY_MAX_SECONDS = 120


def is_transient(exc: BaseException) -> bool:
    """Whether a database error may go away by itself (and the task should be retried)."""
    if not isinstance(exc, TRANSIENT_ERRORS):
        return False
    cause = exc.__cause__
    if cause is not None and type(cause).__module__.startswith("sqlite3"):
        message = str(cause).lower()
        return any(fragment in message for fragment in _SQLITE_TRANSIENT)
    return True


class ScoringRunTask(Task):
    """Base of the tasks that work on one run (its id is the first argument)."""

    acks_late = True
    max_retries = 5
    time_limit = settings.CELERY_TASK_TIME_LIMIT
    soft_time_limit = settings.CELERY_TASK_SOFT_TIME_LIMIT

    def call(self, fn: Any, *, run_id: int, **kwargs: Any) -> Any:
        """Call a service for a run: retry transient database errors with exponential backoff; on any other
        error (or when retries are exhausted) mark the run failed with the reason, then re-raise.

        Failing the run here rather than only in ``on_failure`` also covers eager mode, where Celery propagates
        the exception without calling ``on_failure``.
        """
        try:
            return fn(run_id=run_id, **kwargs)
        except Exception as exc:
            if is_transient(exc) and not self.request.is_eager and self.request.retries < self.max_retries:
                countdown = min(RETRY_BASE_SECONDS * 2**self.request.retries, RETRY_MAX_SECONDS)
                logger.warning("%s: transient error, retry %s in %s s: %r", self.name, self.request.retries + 1,
                               countdown, exc)
                raise self.retry(exc=exc, countdown=countdown) from exc
            self._fail_run(run_id, exc)
            raise

    def _fail_run(self, run_id: int, exc: BaseException) -> None:
        if not connection.in_atomic_block:
            # After a lost connection, start from a fresh one. Never inside a transaction (eager mode under an
            # import's transaction, tests): that would close the caller's connection.
            close_old_connections()
        try:
            services.scoring_run_fail(run_id=run_id, reason=f"{self.name.rsplit('.', 1)[-1]}: {exc!r}")
        except Exception:
            # The database itself may be what failed; the stale-run reaper will fail the run later.
            logger.exception("could not mark scoring run %s failed", run_id)

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        # A safety net for failures outside ``call`` (e.g. a time limit); failing a failed run is a no-op.
        run_id = kwargs.get("run_id", args[0] if args else None)
        if run_id is not None:
            self._fail_run(run_id, exc)


@shared_task(base=ScoringRunTask, bind=True)
def scoring_run_start(self: ScoringRunTask, run_id: int) -> int:
    """Prepare the run and fan its chunks out to the workers, with the final step as the chord's body."""
    numbers = self.call(services.scoring_run_prepare, run_id=run_id)
    if numbers is None:
        return 0
    final = scoring_run_finalize.si(run_id)
    if not numbers:
        final.apply_async()
        return 0
    chord(group(scoring_chunk_compute.si(run_id, n) for n in numbers))(final)
    return len(numbers)


@shared_task(base=ScoringRunTask, bind=True)
def scoring_chunk_compute(self: ScoringRunTask, run_id: int, number: int) -> int:
    return self.call(services.scoring_chunk_compute, run_id=run_id, number=number)


@shared_task(base=ScoringRunTask, bind=True)
def scoring_run_finalize(self: ScoringRunTask, run_id: int) -> int:
    """After the chunks: the scorecards and the category impacts on two workers at once; the last publishes."""
    group(scoring_run_scorecards.si(run_id), scoring_run_impacts.si(run_id)).apply_async()
    return 2


@shared_task(base=ScoringRunTask, bind=True)
def scoring_run_scorecards(self: ScoringRunTask, run_id: int) -> bool:
    return _published(self.call(services.scoring_run_scorecards, run_id=run_id), run_id)


@shared_task(base=ScoringRunTask, bind=True)
def scoring_run_impacts(self: ScoringRunTask, run_id: int) -> bool:
    return _published(self.call(services.scoring_run_impacts, run_id=run_id), run_id)


def _published(published: bool, run_id: int) -> bool:
    """After the final stage that published the run: prune the runs beyond the history kept, queue its digest."""
    if published:
        services.scoring_runs_prune()
        services.scoring_run_published_hooks(run_id=run_id)
    return published


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def scoring_runs_reap_stale() -> list[int]:
    return services.scoring_runs_reap_stale()


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def scoring_run_nightly() -> int | None:
    """The nightly run (celery beat): as of the newest video, default window; none before any video."""
    try:
        return services.scoring_run_request(triggered_by="beat").pk
    except services.NothingToScore as exc:
        logger.info("nightly scoring run not started: %s", exc)
        return None
