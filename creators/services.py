"""Writes to the raw data: the import entry point that the command, the demo seeder and the API call."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import ngettext

from config.celery import task_named
from config.queue import QueueUnavailable, queue_check
from creators.choices import ImportJobStatus
from creators.importers import IMPORT_KINDS, ImportReport, RowError, run_import
from creators.models import ImportJob
from scoring import services as scoring_services

__all__ = [
    "IMPORT_KINDS",
    "ImportReport",
    "RowError",
    "import_file",
    "import_job_create",
    "import_job_progress",
    "import_job_run",
    "import_jobs_reap_stale",
    "on_import_committed",
]

logger = logging.getLogger(__name__)


def import_file(
    *,
    kind: str,
    path: Path,
    dry_run: bool = False,
    progress: Callable[[int, int | None], None] | None = None,
    queue_scoring: bool = True,
    requested_by: object | None = None,
) -> ImportReport:
    """Import one CSV file of ``kind`` (one of ``IMPORT_KINDS``) and report what happened.

    The whole file is validated first; any problem rejects the whole file with every error in
    ``report.errors`` and nothing written. A valid file is applied in one transaction as an upsert on the
    kind's key. After a real import that changed something, a scoring run is queued once the transaction has
    committed (``queue_scoring=False`` skips it, e.g. when the caller scores once after several imports).
    """
    report = run_import(kind=kind, path=Path(path), dry_run=dry_run, progress=progress)
    if report.ok and not dry_run and report.changed and queue_scoring:
        # on_commit: an import inside an outer transaction that is later rolled back must queue nothing.
        transaction.on_commit(lambda: on_import_committed(report=report, requested_by=requested_by))
    return report


def on_import_committed(*, report: ImportReport, requested_by: object | None = None) -> None:
    """Queue a scoring run for data that an import has just committed."""
    logger.info("import %s committed (%s); requesting a scoring run", report.kind, report.summary())
    try:
        scoring_services.scoring_run_request(triggered_by=f"import:{report.kind}", requested_by=requested_by)
    except scoring_services.NothingToScore:
        # E.g. a creators file imported before its videos: the run follows the videos' import.
        logger.info("import %s committed; no video yet, so no scoring run", report.kind,
                    extra={"event": "import.scoring_nothing_to_score"})
    except QueueUnavailable:
        # The import itself needs only the database and is committed; its scores follow with the next run.
        logger.warning(
            "import %s committed, but the task queue is unavailable: no scoring run queued; the nightly run (or "
            "recompute_scores once the queue is back) scores the new data",
            report.kind,
            extra={"event": "import.scoring_deferred"},
        )


# --- import jobs (uploaded files run by a worker) ---------------------------------------------------------------
# A running job's rows validated so far are written at most this often (to the shared cache: see _job_progress).
PROGRESS_WRITE_SECONDS = 0.5


def _progress_key(job_id: int) -> str:
    return f"import-job-progress:{job_id}"


def import_job_progress(job: ImportJob) -> int:
    """The rows ``job`` has validated so far: while it runs, what its worker last put in the shared cache (the
    job's row only gets it at the end); otherwise the job's own ``progress``."""
    if job.status != ImportJobStatus.RUNNING:
        return job.progress
    return int(cache.get(_progress_key(job.pk), job.progress))


def import_job_create(*, kind: str, file: File, requested_by: Any = None, dry_run: bool = False) -> ImportJob:
    """Store an uploaded file as a pending job and queue ``import_job_run`` once the job is committed."""
    if kind not in IMPORT_KINDS:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {', '.join(IMPORT_KINDS)}")
    # Redis down: refuse before the upload is stored, rather than keep a job that no worker will ever run.
    queue_check()
    job = ImportJob(kind=kind, dry_run=dry_run, requested_by=requested_by)
    job.file.save(Path(file.name or "upload.csv").name, file, save=False)
    job.save()
    transaction.on_commit(lambda: task_named("creators.tasks.import_job_run").delay(job.pk))
    return job


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a pending job's import and record the outcome on the job. Idempotent.

    A job that already finished is left alone (a redelivered task does nothing). A job found ``running`` was
    interrupted (its worker died: the import's transaction was rolled back) and runs again from the start, which
    is safe because an import is all or nothing. Any failure marks the job ``failed`` with the reason.
    """
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:  # deleted before a worker got to it
            logger.warning("import job %s no longer exists", job_id)
            return None
        if job.status in (ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED):
            return job
        job.status = ImportJobStatus.RUNNING
        job.started_at = timezone.now()
        job.progress = 0
        job.save(update_fields=["status", "started_at", "progress"])
    # A redelivered job starts again from the first row: the count of an interrupted attempt goes.
    cache.delete(_progress_key(job.pk))
    try:
        report = import_file(
            kind=job.kind,
            path=Path(job.file.path),
            dry_run=job.dry_run,
            progress=_job_progress(job_id=job.pk),
            requested_by=job.requested_by,
        )
    except Exception as exc:
        logger.exception("import job %s failed", job.pk)
        _job_finish(job, status=ImportJobStatus.FAILED, error=f"the import could not run: {exc}")
        return job
    job.rows, job.created, job.updated, job.unchanged = report.rows, report.created, report.updated, report.unchanged
    job.progress = report.rows
    job.error_count = report.error_count
    job.errors = [{"line": e.line, "column": e.column, "message": e.message} for e in report.errors]
    job.extra = report.extra
    if report.ok:
        _job_finish(job, status=ImportJobStatus.SUCCEEDED, error="")
    else:
        _job_finish(
            job, status=ImportJobStatus.FAILED,
            error=ngettext(
                "the file was rejected with %(count)s error; nothing was written",
                "the file was rejected with %(count)s errors; nothing was written",
                report.error_count,
            ) % {"count": f"{report.error_count:,}"},
        )
    return job


def _job_finish(job: ImportJob, *, status: str, error: str) -> None:
    job.status = status
    job.error = error
    job.finished_at = timezone.now()
    job.save()
    cache.delete(_progress_key(job.pk))


def _job_progress(*, job_id: int) -> Callable[[int, int | None], None]:
    """A progress callback that records the rows validated so far, at most every ``PROGRESS_WRITE_SECONDS``.

    The import runs inside its own transaction, where nothing it writes is seen before the commit: the count goes
    to the shared cache instead (Redis; state shared between the worker and every web process), which
    ``import_job_progress`` reads while the job runs. An unreachable cache only leaves the bar still.
    """
    key = _progress_key(job_id)
    state = {"last": 0.0}

    def record(done: int, total: int | None) -> None:
        now = time.monotonic()
        if total is None and now - state["last"] < PROGRESS_WRITE_SECONDS:
            return
        state["last"] = now
        cache.set(key, done, settings.IMPORT_STALE_SECONDS)

    return record


def import_jobs_reap_stale(*, stale_seconds: int | None = None) -> list[int]:
    """Fail import jobs that no worker finished in time, so that none stays ``pending``/``running`` for ever.

    A job whose worker died is normally redelivered (late acknowledgement) within the broker's visibility
    timeout and runs again from the start; the threshold (``IMPORT_STALE_SECONDS``) is above that plus the task
    time limit, so only a job that was truly lost (its message gone with a Redis that lost its data) is failed.
    """
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
