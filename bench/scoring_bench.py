"""Scoring benchmark: a full scoring run on two Celery workers against a hand-written CTAS reference.

    python bench/scoring_bench.py [--creators 1000000] [--videos 20000000] [--database bench_scoring]
                                  [--workers 2] [--skip-load] [--redis redis://127.0.0.1:6379/2]

Generates the data in-database with ``generate_series`` (in a database of its own, created if needed and
migrated), then in the same process measures:

1. the reference: one hand-written ``CREATE UNLOGGED TABLE ... AS SELECT`` computing the same per-creator raw
   metrics and the six percentiles, under ``work_mem = 256MB``, no JIT, sequential scans (see LIMITS.md);
2. a full scoring run: ``scoring_run_request`` with N real ``celery worker`` processes (prefork, concurrency 1
   each): prepare, chunks, ranking, category impacts, medians and publish, from request to published.

Prints both, the ratio (target: within 2x) and creators/s. It is not a test: numbers go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import ensure_database, indexes_dropped, log

COUNTRIES = ("US", "GB", "DE", "FR", "ES", "IT", "IN", "BR", "MX", "CA", "AU", "JP", "KR", "ID", "PH", "TR", "PL",
             "NL", "SE", "AE")
AS_OF = "2024-06-30"
# Its own queue: the benchmark may share the Redis database with test runs without taking their tasks.
BENCH_QUEUE = "bench_scoring"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=1_000_000)
    parser.add_argument("--videos", type=int, default=20_000_000)
    parser.add_argument("--collaborations", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365, help="videos are spread over this many days")
    parser.add_argument("--database", default="bench_scoring")
    parser.add_argument("--server", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/2"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=None, help="SCORING_CHUNK_SIZE (default: the setting)")
    parser.add_argument("--skip-load", action="store_true", help="reuse the data already in the database")
    return parser.parse_args()


def timed(cursor, sql: str, label: str | None = None) -> float:
    t0 = time.monotonic()
    cursor.execute(sql)
    seconds = time.monotonic() - t0
    if label:
        log(f"{label}: {seconds:.1f} s")
    return seconds


def load(args: argparse.Namespace) -> None:
    """Generate categories, creators, videos and collaborations with generate_series (indexes rebuilt after)."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SET work_mem = '256MB'")
        c.execute("SET maintenance_work_mem = '1GB'")
        timed(c, "TRUNCATE scoring_categoryimpact, scoring_scorecard, scoring_scoringchunk, scoring_scoringrun, "
                 "creators_collaboration, creators_video, creators_creator_categories, creators_creator, "
                 "creators_category RESTART IDENTITY CASCADE")
        # Drop the video/collaboration indexes and constraints for the load; rebuilt afterwards (faster).
        with indexes_dropped(c, ("creators_video", "creators_collaboration")):
            _generate(c, args)
        timed(c, "VACUUM ANALYZE creators_creator", None)
        timed(c, "VACUUM ANALYZE creators_video", "vacuum analyze")
        timed(c, "VACUUM ANALYZE creators_collaboration", None)


def _generate(c, args: argparse.Namespace) -> None:
    """The data itself: every row from generate_series, in the database."""
    n, v, k = args.creators, args.videos, args.collaborations
    c.execute("INSERT INTO creators_category (slug, name) "
              "SELECT 'cat-' || g, 'Category ' || g FROM generate_series(1, 20) g")
    c.execute("SELECT MIN(id) FROM creators_category")
    cat0 = c.fetchone()[0]
    countries = "ARRAY[" + ",".join(f"'{x}'" for x in COUNTRIES) + "]"
    timed(c, f"""
        INSERT INTO creators_creator (id, external_id, handle, display_name, country, primary_category_id,
                                      followers, source, data_updated_at, created_at)
        SELECT g, 'c' || g, 'creator' || g, 'Creator ' || g, ({countries})[1 + g % 20], {cat0} + (g * 7) % 20,
               CASE WHEN g % 50 = 0 THEN NULL ELSE FLOOR(EXP(random() * LN(50000000)))::bigint END,
               'bench', now(), now()
        FROM generate_series(1, {n}) g
    """, f"{n:,} creators")
    c.execute("SELECT setval(pg_get_serial_sequence('creators_creator', 'id'), %s)", [n])
    timed(c, """
        INSERT INTO creators_creator_categories (creator_id, category_id)
        SELECT id, primary_category_id FROM creators_creator
    """, "creator categories")
    # Videos spread over `days` days before the as-of date; creators scattered (not clustered) in the heap.
    timed(c, f"""
        INSERT INTO creators_video (external_id, creator_id, posted_at, views, likes, comments, shares,
                                    is_sponsored, is_shoppable, product_category_id, orders, gmv, duration_s,
                                    hashtags)
        SELECT 'v' || g, 1 + (g * 2654435761) % {n},
               TIMESTAMPTZ '{AS_OF} 23:59:59+00' - (r1 * {args.days} * INTERVAL '1 day'),
               views, (views * r2 * 0.2)::bigint, (views * r2 * 0.01)::bigint, (views * r2 * 0.005)::bigint,
               r3 < 0.05, r3 > 0.9,
               CASE WHEN r4 < 0.3 THEN {cat0} + g % 20 END,
               CASE WHEN r4 < 0.05 THEN (r2 * 40)::bigint END,
               CASE WHEN r4 < 0.05 THEN ROUND((r2 * 900)::numeric, 2) END,
               15 + g % 45, ''
        FROM (
            SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
                   (random() * random() * 200000)::bigint AS views
            FROM generate_series(1, {v}) g
        ) s
    """, f"{v:,} videos")
    statuses = "ARRAY['pending','accepted','declined','expired','completed','cancelled']"
    timed(c, f"""
        INSERT INTO creators_collaboration (external_id, creator_id, brand, category_id, invited_at,
                                            responded_at, status, due_at, delivered_at)
        SELECT 'k' || g, 1 + (g::bigint * 40503) % {n}, 'Brand ' || g % 500, {cat0} + g % 20, invited,
               CASE WHEN status <> 'pending' THEN invited + r2 * INTERVAL '200 hours' END, status,
               CASE WHEN status IN ('accepted', 'completed') THEN invited + INTERVAL '14 days' END,
               CASE WHEN status = 'completed' THEN invited + r2 * INTERVAL '20 days' END
        FROM (
            SELECT g, TIMESTAMPTZ '{AS_OF} 23:59:59+00' - (random() * {args.days} * INTERVAL '1 day') AS invited,
                   random() AS r2, ({statuses})[1 + FLOOR(random() * 6)::int] AS status
            FROM generate_series(1, {k}) g
        ) s
    """, f"{k:,} collaborations")


REFERENCE_SQL = """
CREATE UNLOGGED TABLE bench_reference AS
WITH v AS (
    SELECT creator_id, views, eng, sponsored, shoppable, gmv, gmv_views,
           (ep - LAG(ep) OVER w) / 3600.0 AS gap,
           CASE WHEN LAG(wk) OVER w IS DISTINCT FROM wk THEN 1 ELSE 0 END AS new_week
    FROM (
        SELECT id, creator_id, posted_at, views, likes + comments + shares AS eng,
               is_sponsored::int AS sponsored, is_shoppable::int AS shoppable, gmv::float8 AS gmv,
               CASE WHEN gmv IS NOT NULL THEN views END AS gmv_views,
               date_part('epoch', posted_at) AS ep,
               FLOOR((89 - FLOOR((date_part('epoch', posted_at) - %(start)s) / 86400)) / 7) AS wk
        FROM creators_video
        WHERE posted_at >= %(start_ts)s AND posted_at < %(end_ts)s
    ) x
    WINDOW w AS (PARTITION BY creator_id ORDER BY posted_at, id)
),
a AS (
    SELECT creator_id, COUNT(*) AS videos, SUM(views)::bigint AS views, SUM(eng)::bigint AS eng,
           SUM(sponsored) AS sponsored, SUM(shoppable) AS shoppable, SUM(gmv) AS gmv,
           SUM(gmv_views)::bigint AS gmv_views, SUM(new_week) AS active_weeks,
           COUNT(gap) AS gap_n, SUM(gap) AS gap_sum, SUM(gap * gap) AS gap_sumsq
    FROM v GROUP BY creator_id
),
k AS (
    SELECT creator_id, COUNT(*) AS invitations,
           COUNT(*) FILTER (WHERE status IN ('accepted', 'completed')) AS accepted,
           COUNT(*) FILTER (WHERE status IN ('accepted', 'completed') AND due_at IS NOT NULL) AS due,
           COUNT(*) FILTER (WHERE status IN ('accepted', 'completed') AND delivered_at <= due_at) AS on_time,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', responded_at - invited_at) / 3600)
               AS median_response_h
    FROM creators_collaboration
    WHERE invited_at >= %(start_ts)s AND invited_at < %(end_ts)s
    GROUP BY creator_id
),
s AS (
    SELECT c.id AS creator_id, c.followers, COALESCE(a.videos, 0) AS videos, COALESCE(a.views, 0) AS views,
           a.eng, a.sponsored, a.shoppable, a.gmv, a.gmv_views, COALESCE(a.active_weeks, 0) AS active_weeks,
           a.gap_n, a.gap_sum, a.gap_sumsq, COALESCE(k.invitations, 0) AS invitations, COALESCE(k.accepted, 0) AS
           accepted, COALESCE(k.due, 0) AS due, COALESCE(k.on_time, 0) AS on_time, k.median_response_h
    FROM creators_creator c LEFT JOIN a ON a.creator_id = c.id LEFT JOIN k ON k.creator_id = c.id
),
m AS (
    SELECT SUM(accepted)::float8 / NULLIF(SUM(invitations), 0) AS acc, SUM(on_time)::float8 / NULLIF(SUM(due), 0) AS
           ot, SUM(sponsored)::float8 / NULLIF(SUM(videos), 0) AS sp, SUM(shoppable)::float8 / NULLIF(SUM(videos), 0)
           AS sh
    FROM s
),
r AS (
    SELECT s.*,
           CASE WHEN invitations > 0 OR videos >= 3 THEN
               0.45 * (accepted + 5 * m.acc) / (invitations + 5) + 0.25 * (on_time + 5 * m.ot) / (due + 5)
               + 0.15 * CASE WHEN median_response_h IS NULL THEN 0.5 WHEN median_response_h <= 24 THEN 1
                             WHEN median_response_h >= 168 THEN 0 ELSE (168 - median_response_h) / 144 END
               + 0.15 * (COALESCE(sponsored, 0) + 5 * m.sp) / (videos + 5) END AS raw_collaboration,
           CASE WHEN videos >= 3 THEN (shoppable + 5 * m.sh) / (videos + 5) END AS raw_care,
           videos / 13.0 AS raw_volume,
           CASE WHEN videos >= 3 AND views > 0 THEN eng::float8 / views END AS raw_effectiveness,
           CASE WHEN gmv_views > 0 THEN gmv * 1000 / gmv_views END AS raw_sales,
           CASE WHEN videos >= 3 THEN 0.6 * active_weeks / 13.0 + 0.4 * GREATEST(0, 1 - SQRT(GREATEST(0,
               gap_sumsq / gap_n - (gap_sum / gap_n) ^ 2)) / NULLIF(gap_sum / gap_n, 0)) END AS raw_consistency,
           CASE WHEN followers IS NULL OR followers < 10000 THEN 0 WHEN followers < 100000 THEN 1
                WHEN followers < 1000000 THEN 2 WHEN followers <= 10000000 THEN 3 ELSE 4 END AS tier
    FROM s CROSS JOIN m
)
SELECT creator_id,
       100 * PERCENT_RANK() OVER (PARTITION BY raw_collaboration IS NULL ORDER BY raw_collaboration) AS collaboration,
       100 * PERCENT_RANK() OVER (PARTITION BY raw_care IS NULL ORDER BY raw_care) AS care,
       100 * PERCENT_RANK() OVER (ORDER BY raw_volume) AS volume,
       100 * PERCENT_RANK() OVER (PARTITION BY raw_effectiveness IS NULL, tier ORDER BY raw_effectiveness)
           AS effectiveness,
       100 * PERCENT_RANK() OVER (PARTITION BY raw_sales IS NULL ORDER BY raw_sales) AS sales,
       100 * PERCENT_RANK() OVER (PARTITION BY raw_consistency IS NULL ORDER BY raw_consistency) AS consistency,
       videos, views, raw_volume, raw_effectiveness
FROM r
"""


def reference(args: argparse.Namespace) -> float:
    from datetime import UTC, date, datetime, timedelta

    from django.db import connection, transaction

    as_of = date.fromisoformat(AS_OF)
    start = datetime.combine(as_of - timedelta(days=89), datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(as_of + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    with connection.cursor() as c:
        c.execute("DROP TABLE IF EXISTS bench_reference")
    t0 = time.monotonic()
    with transaction.atomic(), connection.cursor() as c:
        c.execute("SET LOCAL work_mem = '256MB'")
        c.execute("SET LOCAL jit = off")
        c.execute("SET LOCAL enable_indexscan = off")
        c.execute("SET LOCAL enable_bitmapscan = off")
        c.execute(REFERENCE_SQL, {"start": start.timestamp(), "start_ts": start, "end_ts": end})
    return time.monotonic() - t0


def start_workers(args: argparse.Namespace, database_url: str, log_dir: Path) -> list[subprocess.Popen]:
    celery = Path(sys.executable).parent / "celery"
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": args.redis, "CELERY_TASK_ALWAYS_EAGER": "0",
           "CELERY_QUEUE": BENCH_QUEUE,
           "DJANGO_SETTINGS_MODULE": "config.settings.base", "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    if args.chunk_size:
        env["SCORING_CHUNK_SIZE"] = str(args.chunk_size)
    processes = []
    for i in range(args.workers):
        out = open(log_dir / f"bench-worker{i}.log", "wb")  # kept open for the worker's life
        processes.append(subprocess.Popen(
            [str(celery if celery.exists() else "celery"), "-A", "config", "worker", "--pool=prefork",
             "--concurrency=1", "-n", f"bench{i}-{os.getpid()}@%h", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        ))
    return processes


def main() -> None:
    args = parse_args()
    database_url = f"{args.server}/{args.database}"
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = args.redis
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ["CELERY_QUEUE"] = BENCH_QUEUE
    # Let `finally` stop the workers when the benchmark itself is terminated.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ["DEBUG"] = "0"
    if args.chunk_size:
        os.environ["SCORING_CHUNK_SIZE"] = str(args.chunk_size)
    ensure_database(f"{args.server}/{args.database}")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from config.celery import app as celery_app
    from scoring.models import ScoringRun
    from scoring.services import scoring_run_request

    call_command("migrate", verbosity=0)
    if not args.skip_load:
        log(f"loading {args.creators:,} creators, {args.videos:,} videos into {args.database}")
        load(args)
    with connection.cursor() as c:
        c.execute("SELECT COUNT(*) FROM creators_creator")
        creators = c.fetchone()[0]
        c.execute(
            f"SELECT COUNT(*) FROM creators_video WHERE posted_at >= TIMESTAMPTZ '{AS_OF}+00' - INTERVAL '89 days'"
        )
        in_window = c.fetchone()[0]
    log(f"{creators:,} creators, {in_window:,} videos in the 90-day window")

    ref = reference(args)
    log(f"reference CTAS: {ref:.1f} s")

    celery_app.control.purge()
    workers = start_workers(args, database_url, Path("/tmp"))
    try:
        deadline = time.monotonic() + 60
        while len(celery_app.control.ping(timeout=0.5) or []) < args.workers and time.monotonic() < deadline:
            time.sleep(0.5)
        ScoringRun.objects.filter(is_active=True).update(is_active=False, status="failed", error="bench reset")
        t0 = time.monotonic()
        run = scoring_run_request(triggered_by="bench", as_of=__import__("datetime").date.fromisoformat(AS_OF))
        last = None
        while True:
            run.refresh_from_db()
            if (run.status, run.progress) != last:
                log(f"run {run.pk}: {run.status} {run.progress}% ({run.chunks_done}/{run.chunks_total} chunks)")
                last = (run.status, run.progress)
            if run.status in ("succeeded", "failed"):
                break
            time.sleep(0.5)
        wall = time.monotonic() - t0
    finally:
        for process in workers:
            os.killpg(process.pid, signal.SIGTERM)
        for process in workers:
            process.wait(60)
    if run.status != "succeeded":
        raise SystemExit(f"run failed: {run.error}")

    with connection.cursor() as c:
        c.execute(f"""
            SELECT COUNT(*) FROM scoring_scorecard s JOIN bench_reference r USING (creator_id)
            WHERE s.run_id = {run.pk} AND (s.videos <> r.videos OR s.volume IS DISTINCT FROM r.volume)
        """)
        mismatches = c.fetchone()[0]
    print()
    print(f"creators: {creators:,}   videos in window: {in_window:,}   workers: {args.workers}   "
          f"chunks: {run.chunks_total}")
    print(f"reference CTAS (raw metrics + 6 percentiles): {ref:8.1f} s   {creators / ref:10,.0f} creators/s")
    print(f"full scoring run (request -> published):     {wall:8.1f} s   {creators / wall:10,.0f} creators/s")
    print(f"ratio run / reference: {wall / ref:.2f}x (target <= 2x)")
    print(f"run timings: {run.timings}")
    print(f"volume/videos mismatches against the reference: {mismatches}")


if __name__ == "__main__":
    main()
