"""``python manage.py import_data KIND PATH [--dry-run]``: import one CSV file (DESIGN sections 4 and 7)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import ngettext

from creators.services import IMPORT_KINDS, import_file

ERRORS_SHOWN = 100


class Command(BaseCommand):
    help = (
        "Import a CSV file of one kind. The whole file is validated first: on any error nothing is written, the "
        "errors are listed and the command exits with status 1. Re-importing a file changes nothing."
    )

    # No system checks before an import: they load the whole URL configuration (every view, DRF, the schema
    # generator), about a third of the command's start-up, and validate nothing an import uses. CI and deploys
    # run ``manage.py check``.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=IMPORT_KINDS, help="the file's format (see docs/import-formats.md)")
        parser.add_argument("path", type=Path, help="the CSV file (UTF-8)")
        parser.add_argument("--dry-run", action="store_true", help="validate and count, but write nothing")
        parser.add_argument(
            "--no-scoring", action="store_true", help="do not queue a scoring run after a successful import"
        )

    def handle(self, *args, **options) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        started = time.monotonic()
        report = import_file(
            kind=options["kind"],
            path=path,
            dry_run=options["dry_run"],
            progress=self._progress,
            queue_scoring=not options["no_scoring"],
        )
        elapsed = time.monotonic() - started
        if not report.ok:
            for error in report.errors[:ERRORS_SHOWN]:
                self.stderr.write(str(error))
            more = report.error_count - min(len(report.errors), ERRORS_SHOWN)
            if more > 0:
                self.stderr.write(f"... and {more:,} more {_errors(more)}")
            count = report.error_count
            self.stderr.write(f"{path}: rejected, {count:,} {_errors(count)}; nothing was written.")
            sys.exit(1)
        self.stdout.write(f"{report.summary()} in {elapsed:.1f} s")
        if options["verbosity"] >= 2:
            phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.timings.items())
            self.stdout.write(f"phases: {phases}")

    def _progress(self, done: int, total: int | None) -> None:
        # Progress goes to stderr so that stdout carries only the result.
        if total is None:
            self.stderr.write(f"  validated {done:,} rows...")
        elif self.stderr.isatty():
            self.stderr.write(f"  {done:,} rows done")


def _errors(count: int) -> str:
    return ngettext("error", "errors", count)
