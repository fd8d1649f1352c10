"""Import benchmark (issue 2): ``import_data videos`` against a bare ``COPY`` of the same file.

Generates a ``videos`` CSV of N rows (default 1,000,000, every column filled as real exports fill them) plus
its creators, imports the creators and a tenth of the videos file (to show memory stays flat in file size), then
runs rounds (``--rounds``, default 3) on the same PostgreSQL database, each of:

1. a bare ``COPY ... FROM STDIN (FORMAT csv, HEADER)`` of the videos file into an unindexed table with the same
   columns and types (the reference: the fastest way PostgreSQL can ingest the file);
2. ``python manage.py import_data videos`` of the same file into the emptied videos table, in a subprocess (so
   its peak RSS is its own; the time is the command's, start-up included);
3. the same import again (every row unchanged).

Prints each round, then the medians: rows/s, the ratio import/COPY (target: within 3.5x, issue 15) and the peak RSS. The
machine's speed drifts by tens of percent within minutes, which is why each round has its own reference and the
ratio reported is the median of the rounds' ratios.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_imports python bench/import_bench.py [--rows N] [--rounds R]

The database named in DATABASE_URL is created when missing, migrated, and its raw-data tables are emptied: use a
database of its own, never a real one.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_imports"
CATEGORIES = ("beauty", "fashion", "electronics", "food", "home", "fitness", "gaming", "travel", "pets", "baby")
TAGS = ("fyp", "foryou", "viral", "trend", "howto", "review", "funny", "tips", "ad", "tiktokshop")


class Round(NamedTuple):
    """One round's seconds: the bare COPY, the import into empty videos, the re-import; and the imports' RSS."""

    copy: float
    new: float
    again: float
    rss: int


def generate(folder: Path, *, rows: int, seed: int = 1) -> tuple[Path, Path, int]:
    """Write creators.csv (one creator per 20 videos) and videos.csv; deterministic by seed."""
    rng = random.Random(seed)
    creators = max(1, rows // 20)
    creators_path, videos_path = folder / "creators.csv", folder / "videos.csv"
    with creators_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "handle", "primary_category", "display_name", "country", "categories",
                         "followers"])
        for number in range(creators):
            primary = CATEGORIES[number % len(CATEGORIES)]
            writer.writerow([f"bc{number}", f"bench_{number}", primary, f"Bench Creator {number}", "US",
                             f"{primary};{CATEGORIES[(number + 3) % len(CATEGORIES)]}", rng.randint(100, 10**7)])
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with videos_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "creator", "posted_at", "views", "likes", "comments", "shares",
                         "is_sponsored", "is_shoppable", "product_category", "orders", "gmv", "duration_s",
                         "hashtags"])
        for number in range(rows):
            views = int(rng.lognormvariate(8, 2))
            shoppable = rng.random() < 0.2
            posted = start + timedelta(seconds=rng.randrange(300 * 86400))
            writer.writerow([
                f"bv{number:09d}", f"bc{rng.randrange(creators)}", posted.strftime("%Y-%m-%dT%H:%M:%SZ"), views,
                views // 12, views // 200, views // 300, "true" if rng.random() < 0.1 else "false",
                "true" if shoppable else "false", rng.choice(CATEGORIES) if shoppable else "",
                views // 500 if shoppable else "", f"{views / 25:.2f}" if shoppable else "", rng.randint(5, 180),
                ";".join(rng.sample(TAGS, k=3)),
            ])
    return creators_path, videos_path, creators


def run_import(kind: str, path: Path, env: dict[str, str]) -> tuple[float, int, str]:
    """Run ``import_data`` in a subprocess; return (seconds, its own peak RSS in MiB, its summary line)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "manage.py", "import_data", kind, str(path), "--no-scoring", "-v", "2"],
            cwd=ROOT, env=env, stdout=out, stderr=err,
        )
        # wait4 gives this child's own resource usage (RUSAGE_CHILDREN would be the maximum of all children).
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"import_data {kind} failed:\n{err.read()[-3000:]}")
        return elapsed, usage.ru_maxrss // 1024, " / ".join(out.read().split("\n"))


def bare_copy(url: str, path: Path) -> float:
    """COPY the file as it is into an unindexed table of the same columns and types; return seconds."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy_videos")
        conn.execute(
            """
            CREATE TABLE bench_copy_videos (
                external_id varchar(64), creator varchar(64), posted_at timestamptz, views bigint, likes bigint,
                comments bigint, shares bigint, is_sponsored boolean, is_shoppable boolean,
                product_category varchar(80), orders bigint, gmv numeric(16, 2), duration_s integer, hashtags text)
            """
        )
        started = time.perf_counter()
        with conn.cursor() as cursor, path.open("rb") as handle:
            with cursor.copy("COPY bench_copy_videos FROM STDIN (FORMAT csv, HEADER true)") as copy:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy_videos")
    return elapsed


def prepare_database(url: str, env: dict[str, str]) -> None:
    import psycopg
    from psycopg import sql

    target = psycopg.conninfo.conninfo_to_dict(url)
    name = str(target.pop("dbname"))
    with psycopg.connect(psycopg.conninfo.make_conninfo("", **target, dbname="postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "TRUNCATE creators_video, creators_collaboration, creators_creator_categories, creators_creator CASCADE"
        )
        for slug in CATEGORIES:
            conn.execute(
                "INSERT INTO creators_category (slug, name) VALUES (%s, %s) ON CONFLICT (slug) DO NOTHING",
                [slug, slug.title()],
            )
        conn.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="video rows (default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of (bare COPY, import, re-import); medians are reported (default 3)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        raise SystemExit("the benchmark needs PostgreSQL: set DATABASE_URL to a database of its own")
    # The imports run with --no-scoring: what is timed is the import, not a scoring run after it.
    env = {**os.environ, "DATABASE_URL": url, "CELERY_TASK_ALWAYS_EAGER": "1", "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    prepare_database(url, env)

    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        creators_path, videos_path, creators = generate(folder, rows=args.rows)
        small_path = folder / "videos-tenth.csv"
        with videos_path.open(encoding="utf-8") as source, small_path.open("w", encoding="utf-8") as small:
            for number, line in enumerate(source):
                if number > args.rows // 10:
                    break
                small.write(line)
        size_mb = videos_path.stat().st_size / 1e6
        print(f"generated {args.rows:,} videos ({size_mb:,.0f} MB) and {creators:,} creators "
              f"in {time.perf_counter() - started:.1f} s")

        seconds, rss, summary = run_import("creators", creators_path, env)
        print(f"creators import: {seconds:.1f} s, {creators / seconds:,.0f} rows/s, peak RSS {rss} MiB  [{summary}]")

        import psycopg

        small_s, small_rss, _ = run_import("videos", small_path, env)
        rounds: list[Round] = []
        for number in range(1, args.rounds + 1):
            # Each round: the reference, then the import into empty videos, then the same file again.
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("TRUNCATE creators_video")
                conn.execute("VACUUM ANALYZE creators_video")
            copy_s = bare_copy(url, videos_path)
            import_s, import_rss, summary = run_import("videos", videos_path, env)
            again_s, again_rss, again_summary = run_import("videos", videos_path, env)
            rounds.append(Round(copy_s, import_s, again_s, max(import_rss, again_rss)))
            print(f"round {number}: bare COPY {copy_s:5.2f} s | import (new) {import_s:5.2f} s = "
                  f"{import_s / copy_s:.2f}x  [{summary}] | re-import {again_s:5.2f} s = {again_s / copy_s:.2f}x  "
                  f"[{again_summary}]", flush=True)

    rows = args.rows
    copy_s = statistics.median(r.copy for r in rounds)
    import_s = statistics.median(r.new for r in rounds)
    again_s = statistics.median(r.again for r in rounds)
    print(f"medians of {len(rounds)} rounds:")
    print(f"bare COPY (unindexed table):  {copy_s:7.2f} s  {rows / copy_s:>10,.0f} rows/s")
    print(f"import_data videos (new):     {import_s:7.2f} s  {rows / import_s:>10,.0f} rows/s")
    print(f"import_data videos (re-run):  {again_s:7.2f} s  {rows / again_s:>10,.0f} rows/s")
    print(f"peak RSS: whole file {max(r.rss for r in rounds)} MiB, a tenth of it {small_rss} MiB "
          f"(memory flat in file size; the tenth took {small_s:.1f} s)")
    ratios = sorted(r.new / r.copy for r in rounds)
    again = sorted(r.again / r.copy for r in rounds)
    print(f"ratio import / COPY: median {statistics.median(ratios):.2f}x (target <= 3.5x; rounds: "
          f"{', '.join(f'{x:.2f}' for x in ratios)}); re-import / COPY: median {statistics.median(again):.2f}x")


if __name__ == "__main__":
    main()
