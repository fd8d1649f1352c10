"""``python manage.py recompute_scores [--as-of YYYY-MM-DD] [--window-days 90] [--wait]``."""

from __future__ import annotations

import sys
import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from scoring.choices import RunStatus
from scoring.models import ScoringRun
from scoring.services import NothingToScore, scoring_run_request


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of must be YYYY-MM-DD, not {value!r}") from exc


class Command(BaseCommand):
    help = "Start a scoring run (or join the active one); with --wait, wait until it published."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", type=_date, default=None, help="As-of date (default: newest video's date).")
        parser.add_argument("--window-days", type=int, default=None, help="Window in days (default 90).")
        parser.add_argument("--wait", action="store_true", help="Wait for the run; exit 0 only when it published.")
        parser.add_argument("--timeout", type=float, default=None, help="With --wait: give up after this many s.")
        parser.add_argument("--poll", type=float, default=1.0, help="With --wait: seconds between checks.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["window_days"] is not None and options["window_days"] < 1:
            raise CommandError("--window-days must be at least 1")
        try:
            run = scoring_run_request(
                triggered_by="cli", as_of=options["as_of"], window_days=options["window_days"]
            )
        except NothingToScore as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"scoring run {run.pk} as of {run.as_of}, window {run.window_days} days: {run.status}")
        if not options["wait"]:
            return
        deadline = None if options["timeout"] is None else time.monotonic() + options["timeout"]
        last = None
        while True:
            run.refresh_from_db()
            state = (run.status, run.progress, run.chunks_done)
            if state != last:
                sys.stderr.write(
                    f"run {run.pk}: {run.status} {run.progress}% (chunks {run.chunks_done}/{run.chunks_total})\n"
                )
                last = state
            if run.status == RunStatus.SUCCEEDED:
                run = ScoringRun.objects.get(pk=run.pk)
                self.stdout.write(
                    f"published run {run.pk}: {run.creators_count} creators, {run.videos_count} videos in the "
                    f"window, {run.timings.get('total_s', 0):.1f} s"
                )
                return
            if run.status == RunStatus.FAILED:
                raise CommandError(f"scoring run {run.pk} failed: {run.error}")
            if deadline is not None and time.monotonic() > deadline:
                raise CommandError(f"scoring run {run.pk} did not finish in time ({run.status} {run.progress}%)")
            time.sleep(options["poll"])
