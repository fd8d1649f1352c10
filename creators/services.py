"""Writes to the raw data: the import entry point that the command, the demo seeder and the API call."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from django.db import transaction

from creators.importers import IMPORT_KINDS, ImportReport, RowError, run_import

__all__ = ["IMPORT_KINDS", "ImportReport", "RowError", "import_file", "on_import_committed"]

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
    """Queue a scoring run for data that an import has just committed.

    Until the scoring engine provides ``scoring.services.scoring_run_request`` this only logs.
    """
    try:
        from scoring.services import scoring_run_request
    except ImportError:
        logger.warning("import %s committed, but no scoring engine is installed: no scoring run queued", report.kind)
        return

    logger.info("import %s committed (%s); requesting a scoring run", report.kind, report.summary())
    scoring_run_request(triggered_by=f"import:{report.kind}", requested_by=requested_by)
