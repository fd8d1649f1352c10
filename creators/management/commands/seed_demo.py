"""``python manage.py seed_demo [--creators N] [--seed S] [--if-empty]``: realistic demo data, end to end.

Writes the generated rows to CSV files and loads them through the real importers (the same path as production
data), creates the demo partners and their users, runs scoring and prints the logins.
"""

from __future__ import annotations

import csv
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from creators import demo
from creators.models import Category, Creator

_CREATOR_COLUMNS = ("external_id", "handle", "display_name", "country", "primary_category", "categories", "followers")
_VIDEO_COLUMNS = (
    "external_id", "creator", "posted_at", "views", "likes", "comments", "shares", "is_sponsored", "is_shoppable",
    "product_category", "orders", "gmv", "duration_s", "hashtags",
)
_COLLABORATION_COLUMNS = (
    "external_id", "creator", "brand", "category", "invited_at", "status", "responded_at", "due_at", "delivered_at",
)


def _write_csv(path: Path, columns: tuple[str, ...], rows) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


class Command(BaseCommand):
    help = "Load synthetic, realistic demo data (creators, videos, collaborations, partners) and score it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--creators", type=int, default=2000, help="number of creators (default 2,000)")
        parser.add_argument("--seed", type=int, default=7, help="random seed: the same seed gives the same data")
        parser.add_argument("--days", type=int, default=180, help="days of activity ending yesterday (default 180)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the database already holds creators"
        )

    def handle(self, *args, **options) -> None:
        from creators.services import import_file

        if options["creators"] < 1:
            raise CommandError("--creators must be at least 1")
        if options["if_empty"] and Creator.objects.exists():
            self.stdout.write("Creators already present: demo data not loaded.")
            return

        # Activity ends at the start of today (UTC), so the data set is the same all day for a given seed.
        end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start = end - timedelta(days=options["days"])
        Category.objects.bulk_create(
            [Category(slug=slug, name=name) for slug, name, _ in demo.DEMO_CATEGORIES], ignore_conflicts=True
        )
        creators = demo.demo_creators(count=options["creators"], seed=options["seed"])
        with tempfile.TemporaryDirectory(prefix="seed-demo-") as tmp:
            folder = Path(tmp)
            files = (
                ("creators", _CREATOR_COLUMNS, demo.creator_rows(creators)),
                ("videos", _VIDEO_COLUMNS, demo.video_rows(creators, seed=options["seed"], start=start, end=end)),
                (
                    "collaborations",
                    _COLLABORATION_COLUMNS,
                    demo.collaboration_rows(creators, seed=options["seed"], start=start, end=end),
                ),
            )
            for kind, columns, rows in files:
                path = folder / f"{kind}.csv"
                written = _write_csv(path, columns, rows)
                self.stderr.write(f"Importing {written:,} {kind}...")
                report = import_file(kind=kind, path=path, queue_scoring=False)
                if not report.ok:
                    errors = "\n".join(str(error) for error in report.errors[:20])
                    raise CommandError(f"demo {kind} did not import:\n{errors}")
                self.stdout.write(
                    f"{kind}: {report.created:,} created, {report.updated:,} updated, {report.unchanged:,} unchanged"
                )
        self._seed_partners()
        self._score()

    def _seed_partners(self) -> None:
        try:
            from partners.demo import demo_partners_seed
        except ImportError:  # partners app not built yet
            self.stdout.write("No partners module yet: no demo partners created.")
            return
        logins = demo_partners_seed()
        self.stdout.write("Demo logins (partner, username, role, password):")
        for partner, username, role, password in logins:
            self.stdout.write(f"  {partner:<20} {username:<16} {role:<8} {password}")

    def _score(self) -> None:
        try:
            from scoring.services import scoring_run_request
        except ImportError:  # scoring engine not built yet
            self.stdout.write("No scoring engine yet: scores not computed.")
            return
        run = scoring_run_request(triggered_by="seed_demo")
        run.refresh_from_db()
        self.stdout.write(f"Scoring run {run.pk}: {run.status}")
