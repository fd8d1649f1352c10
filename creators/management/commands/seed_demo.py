"""``python manage.py seed_demo [--creators N] [--seed S] [--weeks 12] [--if-empty]``: realistic demo data with a past.

Writes the generated rows to CSV files and loads them through the real importers (the same path as production
data), creates the demo partners and their users, and scores it the way production does, week by week: the
creators first, then for each of the last ``--weeks`` weeks (oldest first) the videos posted up to that week's
as-of date and the invitations as they stood then (``creators.demo.collaboration_as_of``), followed by a scoring
run as of that date through the normal path (``scoring_run_request``). Trends, movers and history then show a
real past on every scorecard; the last run, as of the newest video's date, is the published one.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Iterable
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from creators import demo
from creators.models import Category, Creator

# How long to wait for one weekly run when Celery workers compute it (with eager tasks it is done on return).
RUN_TIMEOUT_S = 900

_CREATOR_COLUMNS = ("external_id", "handle", "display_name", "country", "primary_category", "categories", "followers")
_VIDEO_COLUMNS = (
    "external_id", "creator", "posted_at", "views", "likes", "comments", "shares", "is_sponsored", "is_shoppable",
    "product_category", "orders", "gmv", "duration_s", "hashtags",
)
_COLLABORATION_COLUMNS = (
    "external_id", "creator", "brand", "category", "invited_at", "status", "responded_at", "due_at", "delivered_at",
)


def _write_csv(path: Path, columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _write_weekly(
    folder: Path, kind: str, columns: tuple[str, ...], dates: list[date], rows: Iterable[tuple[int, dict[str, Any]]]
) -> list[tuple[Path, int]]:
    """One CSV per week from ``(week, row)`` pairs (streamed: the rows are never all in memory)."""
    paths = [folder / f"{kind}-{k:02d}.csv" for k in range(len(dates))]
    counts = [0] * len(dates)
    with ExitStack() as stack:
        writers = []
        for path in paths:
            writer = csv.DictWriter(stack.enter_context(path.open("w", newline="", encoding="utf-8")), columns)
            writer.writeheader()
            writers.append(writer)
        for week, row in rows:
            writers[week].writerow(row)
            counts[week] += 1
    return list(zip(paths, counts, strict=True))


def _video_weeks(rows: Iterable[dict[str, Any]], moments: list[datetime]) -> Iterable[tuple[int, dict[str, Any]]]:
    """Each video in the first week whose as-of moment it precedes (all before the first one in week 0)."""
    for row in rows:
        posted_at = datetime.fromisoformat(str(row["posted_at"]))
        yield next(k for k, moment in enumerate(moments) if posted_at < moment), row


def _collaboration_weeks(
    rows: Iterable[dict[str, Any]], moments: list[datetime], data_end: datetime
) -> Iterable[tuple[int, dict[str, Any]]]:
    """Each invitation in every week where it is new or changed (answered, delivered...) since the week before."""
    for row in rows:
        previous = None
        for k, moment in enumerate(moments):
            snapshot = demo.collaboration_as_of(row, moment=moment, data_end=data_end)
            if snapshot is not None and snapshot != previous:
                yield k, snapshot
            previous = snapshot


class Command(BaseCommand):
    help = "Load synthetic, realistic demo data (creators, videos, collaborations, partners) and score it weekly."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--creators", type=int, default=2000, help="number of creators (default 2,000)")
        parser.add_argument("--seed", type=int, default=7, help="random seed: the same seed gives the same data")
        parser.add_argument("--days", type=int, default=180, help="days of activity ending yesterday (default 180)")
        parser.add_argument("--weeks", type=int, default=12, help="weekly scoring runs, the last as of yesterday")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the database already holds creators"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["creators"] < 1:
            raise CommandError("--creators must be at least 1")
        if options["weeks"] < 1:
            raise CommandError("--weeks must be at least 1")
        if options["if_empty"] and Creator.objects.exists():
            self.stdout.write("Creators already present: demo data not loaded.")
            return

        # Activity ends at the start of today (UTC), so the data set is the same all day for a given seed; the
        # last weekly run is as of yesterday, the date of the newest video (the default as-of date).
        end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start = end - timedelta(days=options["days"])
        dates = demo.weekly_as_of_dates(last=(end - timedelta(days=1)).date(), weeks=options["weeks"])
        moments = [demo.end_of_day(day) for day in dates]
        Category.objects.bulk_create(
            [Category(slug=slug, name=name) for slug, name, _ in demo.DEMO_CATEGORIES], ignore_conflicts=True
        )
        creators = demo.demo_creators(count=options["creators"], seed=options["seed"])
        seed = options["seed"]
        with tempfile.TemporaryDirectory(prefix="seed-demo-") as tmp:
            folder = Path(tmp)
            path = folder / "creators.csv"
            _write_csv(path, _CREATOR_COLUMNS, demo.creator_rows(creators))
            self._import("creators", path)
            videos = _write_weekly(folder, "videos", _VIDEO_COLUMNS, dates, _video_weeks(
                demo.video_rows(creators, seed=seed, start=start, end=end), moments))
            collaborations = _write_weekly(folder, "collaborations", _COLLABORATION_COLUMNS, dates,
                                           _collaboration_weeks(demo.collaboration_rows(
                                               creators, seed=seed, start=start, end=end), moments, end))
            self._seed_partners()
            for week, as_of in enumerate(dates):
                for kind, (path, count) in (("videos", videos[week]), ("collaborations", collaborations[week])):
                    if count:
                        self._import(kind, path)
                if week == len(dates) - 1:
                    self._seed_follows()  # before the last run: its digest shows their moves on /notifications/
                self._score(as_of)
        self._seed_saved_searches()

    def _import(self, kind: str, path: Path) -> None:
        from creators.services import import_file

        report = import_file(kind=kind, path=path, queue_scoring=False)
        if not report.ok:
            errors = "\n".join(str(error) for error in report.errors[:20])
            raise CommandError(f"demo {kind} did not import:\n{errors}")
        self.stdout.write(
            f"{path.stem}: {report.created:,} created, {report.updated:,} updated, {report.unchanged:,} unchanged"
        )

    def _seed_partners(self) -> None:
        from partners.demo import demo_partners_seed

        logins = demo_partners_seed()
        self.stdout.write("Demo logins (partner, username, role, password):")
        for partner, username, role, password in logins:
            self.stdout.write(f"  {partner:<20} {username:<16} {role:<8} {password}")

    def _seed_follows(self) -> None:
        from partners.demo import demo_follows_seed

        self.stdout.write(f"Follows (each demo user, its partner's biggest movers): {demo_follows_seed()}")

    def _seed_saved_searches(self) -> None:
        from partners.demo import demo_saved_searches_seed

        for name in demo_saved_searches_seed():
            self.stdout.write(f"Saved search (shared): {name}")

    def _score(self, as_of: date) -> None:
        """A scoring run as of ``as_of`` through the normal path, waited for: the next week's data must not be
        loaded while it computes (with eager tasks it has finished when the request returns)."""
        from scoring.choices import RunStatus
        from scoring.models import ScoringRun
        from scoring.services import NothingToScore, scoring_run_request

        try:
            run = scoring_run_request(triggered_by="seed_demo", as_of=as_of)
        except NothingToScore:  # more weeks asked for than the data has (--weeks beyond --days)
            self.stdout.write(f"No video up to {as_of}: no scoring run for that week.")
            return
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while True:
            run = ScoringRun.objects.get(pk=run.pk)
            if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if run.status != RunStatus.SUCCEEDED:
            raise CommandError(f"scoring run {run.pk} as of {as_of} did not publish: {run.status} {run.error}")
        self.stdout.write(f"Scoring run {run.pk} as of {as_of}: {run.status}")
