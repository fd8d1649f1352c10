"""What the changes and growth figures (issue 19 part 4) add to a scoring run, statement by statement.

    python bench/changes_bench.py [--database bench_growth_scoring] [--pairs 3]

Runs on a database that ``bench/scoring_bench.py`` filled and scored at least twice (two runs with scorecards), with
the run's own settings (``work_mem = 256MB``, no JIT, sequential scans for the chunk statement), and times, in
alternated pairs inside rolled-back transactions:

1. the chunk's previous-window aggregate (``indices.chunk_creator_sql``'s extra subquery: videos and views of the
   window before, per creator of the chunk) against the chunk's own first statement (``chunk_category_sql``), for
   the first chunk of 500,000 creators;
2. writing the newest run's scorecards again with the join on the compared run's rows that the insert now makes
   (``CREATE TABLE AS`` of the same columns with the change expressions) against the same statement without it.

Prints the medians and the extra seconds per run (chunks x 1. + 2.). It is not a test: numbers go to
docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="bench_growth_scoring")
    parser.add_argument("--server", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--chunk-size", type=int, default=500_000)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"{args.server}/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.db import connection, transaction

    from scoring import indices
    from scoring.models import ScoringRun

    runs = list(ScoringRun.objects.filter(status="succeeded").exclude(scorecards=None).order_by("-pk")[:2])
    if len(runs) < 2:
        sys.exit("needs two scored runs: run bench/scoring_bench.py twice on this database first")
    new, old = runs
    dialect = indices.Dialect(indices.POSTGRESQL)
    window = indices.Window(new.as_of if isinstance(new.as_of, date) else date.fromisoformat(new.as_of),
                            new.window_days)
    previous = window.previous
    lo, hi = 1, args.chunk_size
    previous_sql = (
        "CREATE TEMP TABLE bench_previous AS "
        "SELECT creator_id, COUNT(*) AS videos, CAST(SUM(views) AS BIGINT) AS views FROM creators_video "
        f"WHERE creator_id BETWEEN {lo} AND {hi} AND posted_at >= {dialect.ts(previous.start)} "
        f"AND posted_at < {dialect.ts(previous.end)} GROUP BY creator_id"
    )
    chunk_sql = indices.chunk_category_sql(
        dialect=dialect, window=window, run_id=0, number=0, first_id=lo, last_id=hi
    ).replace("CREATE UNLOGGED TABLE", "CREATE TEMP TABLE")
    columns = ", ".join(f"s.{name}" for name in indices.SCORECARD_COLUMNS if name != "creator_id")
    changes = indices.change_columns_sql(compared="p")
    plain_sql = f"CREATE TEMP TABLE bench_cards AS SELECT s.creator_id, {columns} FROM scoring_scorecard s " \
                f"WHERE s.run_id = {new.pk}"
    joined_sql = (
        f"CREATE TEMP TABLE bench_cards AS SELECT s.creator_id, {columns}, "
        + ", ".join(f"{expr} AS {name}" for name, expr in changes.items())
        + f" FROM scoring_scorecard s LEFT JOIN scoring_scorecard p ON p.run_id = {old.pk} "
        f"AND p.creator_id = s.creator_id WHERE s.run_id = {new.pk}"
    )

    def timed(sql: str, *, sequential: bool) -> float:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL enable_mergejoin = off")
                if sequential:
                    cursor.execute("SET LOCAL enable_indexscan = off")
                    cursor.execute("SET LOCAL enable_bitmapscan = off")
                started = time.monotonic()
                cursor.execute(sql)
                seconds = time.monotonic() - started
                raise _Rollback(seconds)
        except _Rollback as done:
            return done.seconds

    results: dict[str, list[float]] = {"chunk": [], "previous": [], "plain": [], "joined": []}
    for pair in range(args.pairs):
        results["chunk"].append(timed(chunk_sql, sequential=True))
        results["previous"].append(timed(previous_sql, sequential=True))
        results["joined"].append(timed(joined_sql, sequential=False))
        results["plain"].append(timed(plain_sql, sequential=False))
        log(f"pair {pair + 1}: " + ", ".join(f"{name} {values[-1]:.2f} s" for name, values in results.items()))
    median = {name: statistics.median(values) for name, values in results.items()}
    chunks = max(1, -(-new.creators_count // args.chunk_size))
    extra = chunks * median["previous"] + (median["joined"] - median["plain"])
    print(f"runs {old.pk} -> {new.pk}, {new.creators_count:,} creators, {chunks} chunks, load {os.getloadavg()[0]:.1f}")
    print(f"chunk's category pass: {median['chunk']:.2f} s; previous-window aggregate: {median['previous']:.2f} s "
          f"({median['previous'] / median['chunk']:.0%} of it)")
    print(f"scorecards without the join: {median['plain']:.2f} s; with it: {median['joined']:.2f} s "
          f"(+{median['joined'] - median['plain']:.2f} s)")
    print(f"extra per run: about {extra:.1f} s (the run itself: {new.timings.get('total_s', 0):.0f} s)")


class _Rollback(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds


if __name__ == "__main__":
    main()
