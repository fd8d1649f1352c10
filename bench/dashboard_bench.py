"""Dashboard benchmark: 1,000,000 scored creators in PostgreSQL, the real pages under gunicorn, wrk load.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dashboard .venv/bin/python bench/dashboard_bench.py

What it does (issue 5, "What must be shown"):
1. generates N creators (20 categories, 20 countries), their category links, two scoring runs of the same window a
   week apart (the published one with a scorecard and a category impact per creator and its changes against the
   earlier one filled, one creator in 50 new; the earlier one with the published values minus those changes),
   directly in SQL (``generate_series``), in its own database; then selects the movers as the run does before it
   publishes (timed);
2. serves the product with gunicorn (2 sync workers, DEBUG off) and loads for ``--duration`` seconds each, at
   ``--connections`` concurrent connections (wrk): the list with a category + index filter, the list at a deep
   page (a keyset cursor at the middle of the million), a scorecard and the home page (movers, new creators,
   shortlist activity), as a logged-in analyst, and prints the home page's p99 over the list's (target <= 1.5x);
3. in the same run, loads the ceiling (``bench/ceiling_settings.py``: the same filtered page query through
   ``.values()`` into a ``JsonResponse``, no middleware, no session) and prints each page's ratio to it;
4. times the CSV export of the whole visible set through the product against ``psql -c "COPY (SELECT ...)
   TO STDOUT"`` of the same columns.
Targets (issue 15): the list >= 40% of the ceiling's req/s; every page's p99 within 1.5x of the ceiling's own p99
in the same slices; export within 1.5x of psql's COPY. The served product uses Redis as its shared cache, as in
production (``--redis``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import ensure_database, log, merge_slices, wrk_slice

VENV_BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_dashboard"
USERNAME = "bench-analyst"
CEILING = "ceiling (.values() + JsonResponse)"
HOME = "home page (movers, new creators, shortlist activity)"
LIST = "list, category + index filter"
CATEGORIES = 20
# One creator in NEW_EVERY has no scorecard in the previous run; the others' indices moved by up to MAX_CHANGE.
NEW_EVERY = 50
MAX_CHANGE = 10
# The scorecard columns the previous run copies from the published one (run first), and the indices it shifts.
SCORECARD_COLUMNS = (
    "run_id, creator_id, confidence, collaboration_confidence, follower_tier, followers, videos, views, engagements, "
    "engagement_rate, sponsored_share, shoppable_share, gmv, orders, gpm, active_weeks, gap_cv, invitations, "
    "accepted, responded, due, on_time, median_response_h, country, category_ids"
)
INDEX_COLUMNS = "collaboration, care, volume, effectiveness, sales, consistency, overall"
SIX_INDICES = INDEX_COLUMNS.split(", ")[:-1]
COUNTRIES = ("US", "GB", "DE", "FR", "ES", "IT", "BR", "MX", "IN", "ID", "JP", "KR", "CA", "AU", "NL", "SE", "PL",
             "TR", "AE", "ZA")


NOTES = """Notes:
- The export has every visible column (38 for an analyst with both tiers; LIMITS.md's reference has 11). Most of
  the bare COPY's time is the per-creator category-slug subquery of `creator_list`. The product's stream stays at
  about 1x of that COPY: the formula neutralisation is a `CASE` in SQL and the bytes go from PostgreSQL to the client
  in 256 KB chunks without being parsed.
- A 1M-row export keeps one sync worker busy for the whole stream: gunicorn's `--timeout` must exceed it (the bench
  uses 300 s).
- The list reads visibility, category and country from the scorecard's own copies (migration scoring 0005) and
  walks the index `(run, overall DESC NULLS LAST, creator DESC)` (scoring 0004). Deep pages seek with a keyset
  cursor (no OFFSET), so position 500,000 costs what page one costs.
- The per-run aggregates (score distribution, category medians, capped list count, country choices) are cached per
  grant and published run; a published run never changes."""


def generate(n: int) -> None:
    """N creators with categories, one published run of scorecards and impacts, all in SQL."""
    from django.db import connection

    from scoring.indices import POSTGRESQL, Dialect, creator_access_sql

    # The creator's country and category ids copied onto its scorecard, by the scoring run's own SQL.
    access = creator_access_sql(dialect=Dialect(POSTGRESQL), creator="cr")

    statements = [
        "SELECT setseed(0.42)",
        f"""INSERT INTO creators_category (slug, name)
            SELECT 'cat' || lpad(i::text, 2, '0'), 'Category ' || i FROM generate_series(1, {CATEGORIES}) i
            ON CONFLICT (slug) DO NOTHING""",
        f"""INSERT INTO creators_creator (external_id, handle, display_name, country, primary_category_id, followers,
                                         source, data_updated_at, created_at)
            SELECT 'b' || i, 'creator' || i, 'Creator ' || i,
                   (ARRAY{list(COUNTRIES)!r})[1 + (i * 31) % {len(COUNTRIES)}],
                   c.ids[1 + (i * 7919) % {CATEGORIES}],
                   (exp(random() * 16))::bigint, 'bench', now(), now()
            FROM generate_series(1::bigint, {n}) i,
                 (SELECT array_agg(id ORDER BY slug) AS ids FROM creators_category WHERE slug LIKE 'cat%') c""",
        f"""INSERT INTO creators_creator_categories (creator_id, category_id)
            SELECT id, primary_category_id FROM creators_creator WHERE source = 'bench'
            UNION ALL
            SELECT cr.id, c.ids[1 + ((cr.id * 104729) % {CATEGORIES})]
            FROM creators_creator cr,
                 (SELECT array_agg(id ORDER BY slug) AS ids FROM creators_category WHERE slug LIKE 'cat%') c
            WHERE cr.source = 'bench' AND cr.id % 3 = 0
              AND c.ids[1 + ((cr.id * 104729) % {CATEGORIES})] <> cr.primary_category_id""",
        f"""CREATE TEMP TABLE bench_scores AS
           SELECT id AS creator_id, followers,
                  random() * 100 AS collaboration, random() * 100 AS care, random() * 100 AS volume,
                  random() * 100 AS effectiveness,
                  CASE WHEN random() < 0.3 THEN NULL ELSE random() * 100 END AS sales,
                  random() * 100 AS consistency, (random() * 40)::int AS videos,
                  {access["country"]} AS country, {access["category_ids"]} AS category_ids,
                  -- Against the previous run: one creator in NEW_EVERY is new, the others moved by up to
                  -- +-MAX_CHANGE points on each index (the overall's change is the weighted sum of theirs).
                  (id % {NEW_EVERY} = 0) AS is_new,
                  {", ".join(f"(random() - 0.5) * {2 * MAX_CHANGE} AS d_{index}" for index in SIX_INDICES)}
           FROM creators_creator cr WHERE source = 'bench'""",
        """INSERT INTO scoring_scorecard (run_id, creator_id, collaboration, care, volume, effectiveness, sales,
                                         consistency, overall, confidence, collaboration_confidence, follower_tier,
                                         followers, videos, views, engagements, engagement_rate, sponsored_share,
                                         shoppable_share, gmv, orders, gpm, active_weeks, gap_cv, invitations,
                                         accepted, responded, due, on_time, median_response_h, country,
                                         category_ids, is_new, collaboration_change, care_change, volume_change,
                                         effectiveness_change, sales_change, consistency_change, overall_change)
           SELECT r.id, s.creator_id, s.collaboration, s.care, s.volume, s.effectiveness, s.sales, s.consistency,
                  CASE WHEN s.videos < 3 THEN NULL ELSE
                    (0.20 * s.collaboration + 0.15 * s.care + 0.10 * s.volume + 0.20 * s.effectiveness
                     + 0.20 * coalesce(s.sales, 0) + 0.15 * s.consistency)
                    / (0.80 + CASE WHEN s.sales IS NULL THEN 0 ELSE 0.20 END) END,
                  CASE WHEN s.videos >= 12 THEN 'high' WHEN s.videos >= 6 THEN 'medium' ELSE 'low' END, 'low',
                  LEAST(4, GREATEST(0, floor(log(greatest(s.followers, 1))) - 3))::int, s.followers, s.videos,
                  s.videos * 10000, s.videos * 800, 0.08, 0.2, 0.3,
                  CASE WHEN s.sales IS NULL THEN NULL ELSE (s.videos * 123.45)::numeric(18, 2) END,
                  CASE WHEN s.sales IS NULL THEN NULL ELSE s.videos * 3 END,
                  CASE WHEN s.sales IS NULL THEN NULL ELSE 12.3 END,
                  LEAST(13, s.videos), 0.5, 4, 2, 3, 2, 1, 30, s.country, s.category_ids, s.is_new,
                  CASE WHEN s.is_new THEN NULL ELSE s.d_collaboration END,
                  CASE WHEN s.is_new THEN NULL ELSE s.d_care END,
                  CASE WHEN s.is_new THEN NULL ELSE s.d_volume END,
                  CASE WHEN s.is_new THEN NULL ELSE s.d_effectiveness END,
                  CASE WHEN s.is_new OR s.sales IS NULL THEN NULL ELSE s.d_sales END,
                  CASE WHEN s.is_new THEN NULL ELSE s.d_consistency END,
                  CASE WHEN s.is_new OR s.videos < 3 THEN NULL ELSE
                    (0.20 * s.d_collaboration + 0.15 * s.d_care + 0.10 * s.d_volume + 0.20 * s.d_effectiveness
                     + 0.20 * coalesce(s.d_sales, 0) * (s.sales IS NOT NULL)::int + 0.15 * s.d_consistency)
                    / (0.80 + CASE WHEN s.sales IS NULL THEN 0 ELSE 0.20 END) END
           FROM bench_scores s, (SELECT id FROM scoring_scoringrun WHERE is_published) r""",
        # The previous run (same window, a week earlier): every creator but the new ones, each value the published
        # one minus its change, so that the published run's change columns are exactly this run's differences.
        f"""INSERT INTO scoring_scorecard ({SCORECARD_COLUMNS}, is_new, {INDEX_COLUMNS})
           SELECT p.id, {", ".join(f"sc.{c}" for c in SCORECARD_COLUMNS.split(", ")[1:])}, false,
                  {", ".join(f"sc.{c} - coalesce(sc.{c}_change, 0)" for c in INDEX_COLUMNS.split(", "))}
           FROM scoring_scorecard sc, (SELECT id FROM scoring_scoringrun WHERE NOT is_published) p
           WHERE sc.run_id = (SELECT id FROM scoring_scoringrun WHERE is_published) AND NOT sc.is_new""",
        """INSERT INTO scoring_categoryimpact (run_id, creator_id, category_id, impact, views, gmv, videos)
           SELECT sc.run_id, sc.creator_id, cr.primary_category_id, random() * 100, sc.views, sc.gmv, sc.videos
           FROM scoring_scorecard sc JOIN creators_creator cr ON cr.id = sc.creator_id""",
        "UPDATE scoring_scoringrun SET creators_count = (SELECT count(*) FROM scoring_scorecard) WHERE is_published",
    ]
    from django.utils import timezone

    from scoring.choices import RunStatus
    from scoring.models import ScoringRun

    now = timezone.now()
    # Through the ORM, so that the model's defaults apply to whatever columns the run has. Two runs of the same
    # window a week apart: the published one is compared with the earlier one (the home page's movers).
    week = timedelta(days=7)
    previous = ScoringRun.objects.create(
        as_of=now.date() - week, status=RunStatus.SUCCEEDED, is_published=False, progress=100, triggered_by="bench",
        started_at=now - week, finished_at=now - week, published_at=now - week,
    )
    ScoringRun.objects.create(
        as_of=now.date(), status=RunStatus.SUCCEEDED, is_published=True, progress=100, triggered_by="bench",
        started_at=now, finished_at=now, published_at=now, compared_run=previous,
    )
    with connection.cursor() as cursor:
        for sql in statements:
            started = time.perf_counter()
            cursor.execute(sql)
            log(f"  {sql.split()[0]} {sql.split()[2] if len(sql.split()) > 2 else ''}: "
                f"{time.perf_counter() - started:.1f} s")


def prepare(n: int, *, regenerate: bool) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    # DEBUG is off, as in production: the manifest storage needs collected static files.
    call_command("collectstatic", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM scoring_scorecard "
            "WHERE run_id IN (SELECT id FROM scoring_scoringrun WHERE is_published)"
        )
        have = cursor.fetchone()[0]
        # Data of an older bench (one run, no changes) is rebuilt.
        cursor.execute("SELECT count(*) FROM scoring_scoringrun WHERE is_published AND compared_run_id IS NOT NULL")
        compared = cursor.fetchone()[0]
    if have != n or not compared or regenerate:
        log(f"generating {n:,} creators (had {have:,})")
        with connection.cursor() as cursor:
            # The bench database is the benchmark's own: start from empty tables.
            cursor.execute(
                "TRUNCATE scoring_categoryimpact, scoring_scorecard, scoring_scoringrun, creators_creator_categories,"
                " creators_creator, partners_auditevent CASCADE"
            )
        generate(n)
    with connection.cursor() as cursor:
        started = time.perf_counter()
        # The list's indexes come with the migrations (scoring 0004, 0005); statistics for the new rows, and the
        # visibility map a live database's autovacuum keeps (index-only scans read the heap without it).
        cursor.execute("VACUUM (ANALYZE)")
        log(f"vacuum, analyze: {time.perf_counter() - started:.1f} s")


def bench_user() -> str:
    """An analyst of a partner granted every bench category with both tiers; returns a session cookie."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from creators.models import Category
    from partners.backends import MEMBER_BACKEND
    from partners.choices import Role
    from partners.services import partner_grant_upsert, partner_user_upsert

    slugs = list(Category.objects.filter(slug__startswith="cat").values_list("slug", flat=True))
    partner_grant_upsert(name="Bench Brands", category_slugs=slugs, creator_handles=[], performance=True,
                         commercial=True)
    result = partner_user_upsert(partner_name="Bench Brands", username=USERNAME, role=Role.ANALYST,
                                 password="bench-password-not-secret-123")
    user = result.user if hasattr(result, "user") else None
    if user is None:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(username=USERNAME)
    shortlist_fill(user)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # What a login through the form records (the first backend that authenticates).
    session[BACKEND_SESSION_KEY] = MEMBER_BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.set_expiry(24 * 3600)
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def shortlist_fill(user) -> None:
    """A shortlist of the bench partner with 20 creators (the home page's shortlist activity), once."""
    from partners.models import Shortlist, ShortlistEntry
    from scoring.models import Scorecard

    shortlist, _ = Shortlist.objects.get_or_create(partner=user.membership.partner, name="Bench picks",
                                                   defaults={"created_by": user})
    if not shortlist.entries.exists():
        ids = Scorecard.objects.filter(run__is_published=True).order_by("creator_id").values_list("creator_id",
                                                                                                  flat=True)[:20]
        ShortlistEntry.objects.bulk_create(
            ShortlistEntry(shortlist=shortlist, creator_id=creator_id, added_by=user) for creator_id in ids
        )


def movers_precompute() -> float:
    """What the scoring run does before it publishes: the movers of every partner's grants (``scoring.movers``);
    returns the seconds it took (one scope here, the bench partner's: every creator)."""
    from scoring.models import RunMovers, ScoringRun
    from scoring.movers import run_movers_precompute

    run = ScoringRun.objects.get(is_published=True)
    RunMovers.objects.filter(run=run).delete()
    started = time.perf_counter()
    run_movers_precompute(run)
    return time.perf_counter() - started


def deep_cursor(position: int) -> str:
    """The keyset cursor of the default list order at ``position`` (what "Next" links carry deep in the list)."""
    from django.db import connection

    from creators.pagination import encode_cursor

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT overall, creator_id FROM scoring_scorecard WHERE run_id = (SELECT id FROM scoring_scoringrun "
            "WHERE is_published) ORDER BY overall DESC NULLS LAST, creator_id DESC OFFSET %s LIMIT 1",
            [position],
        )
        overall, creator_id = cursor.fetchone()
    return encode_cursor([overall, creator_id], backwards=False)


def serve(
    settings_module: str, port: int, env: dict[str, str], root: Path = ROOT, probe: str = "/accounts/login/"
) -> subprocess.Popen:
    """gunicorn (2 sync workers) serving the code tree ``root`` (this one by default; another for an A/B of two
    commits) with ``settings_module``, once it answers ``probe`` (a path its URLconf has)."""
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "config.wsgi", "--workers", "2", "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         # A sync worker is busy for the whole export stream; the default 30 s timeout would kill a 1M-row export.
         "--timeout", "300"],
        cwd=root, env={**env, "DJANGO_SETTINGS_MODULE": settings_module}, start_new_session=True,
    )
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=1)
            return process
        except urllib.error.HTTPError:
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not start in {root}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def check_page(url: str, cookie: str) -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
        if b"creator" not in body:
            raise RuntimeError(f"unexpected page at {url}")
        return response.status


def time_export(url: str, cookie: str) -> tuple[float, int]:
    started = time.perf_counter()
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    rows = 0
    with urllib.request.urlopen(request, timeout=600) as response:
        while chunk := response.read(1 << 20):
            rows += chunk.count(b"\n")
    return time.perf_counter() - started, rows - 1


def time_psql_copy(database_url: str, sql: str) -> float:
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run(["psql", database_url, "-c", sql], stdout=sink, check=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=30, help="seconds of load per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--regenerate", action="store_true", help="rebuild the data even if it is there")
    parser.add_argument("--prepare-only", action="store_true", help="generate the data and stop")
    parser.add_argument("--pages", default="list,deep,scorecard,change,home",
                        help="which pages to load, comma-separated (list, deep, scorecard, change, home); the "
                             "ceiling always runs")
    parser.add_argument("--rounds", type=int, default=3, help="slices per load (alternating with the others)")
    parser.add_argument("--no-export", action="store_true", help="skip the export timing (a minute or two)")
    parser.add_argument("--write-docs", action="store_true", help="append the results to docs/performance.md")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/3"),
                        help="the shared cache (sessions, counts, run aggregates) of the served product, as in "
                             "production; flushed first, so use a database of its own; 'none': local memory in "
                             "each worker")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith("postgres"):
        print("the dashboard benchmark needs PostgreSQL (DATABASE_URL)", file=sys.stderr)
        return 2
    ensure_database(database_url)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EXPORT_DAILY_ROW_QUOTA": str(100 * args.creators),
        "LOG_LEVEL": "WARNING",
        "BENCH_USERNAME": USERNAME,
    }
    env.pop("REDIS_URL", None)
    if args.redis != "none":
        import redis

        redis.Redis.from_url(args.redis).flushdb()
        # Any task the pages queue goes to a queue of its own, which no worker of the machine's other work reads.
        env.update(REDIS_URL=args.redis, CELERY_QUEUE="dashboard-bench")
    os.environ.update({k: v for k, v in env.items() if k in {"DATABASE_URL", "DEBUG", "ALLOWED_HOSTS"}})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from creators.exports import copy_sql, export_columns
    from creators.filtersets import CreatorFilterSet
    from creators.selectors import creator_list
    from partners.access import access_for_user, visible_fields

    prepare(args.creators, regenerate=args.regenerate)
    if args.prepare_only:
        return 0
    cookie = bench_user()
    movers_seconds = movers_precompute()
    log(f"movers of the bench partner's scope, as the run computes them before publishing: {movers_seconds:.1f} s")
    from django.contrib.auth import get_user_model

    access = access_for_user(get_user_model().objects.get(username=USERNAME))
    base = f"http://127.0.0.1:{args.port}"
    filters = {"category": "cat03", "volume_min": "50"}
    first = creator_list(access=access).filter(creator__primary_category__slug="cat03").first()
    assert first is not None, "the bench database has no creator in cat03"
    handle = first["handle"]
    pages = {
        LIST: f"{base}/creators/?{urlencode(filters)}",
        "list, deep page (position n/2)": f"{base}/creators/?{urlencode({'cursor': deep_cursor(args.creators // 2)})}",
        "scorecard": f"{base}/creators/{handle}/",
        # Issue 19: the list by the biggest rise of the overall score (the change against the previous run).
        "list, by biggest overall rise": f"{base}/creators/?{urlencode({'ordering': '-overall_change'})}",
        HOME: f"{base}/",
    }
    chosen = {part.strip() for part in args.pages.split(",")}
    keys = ("list", "deep", "scorecard", "change", "home")
    pages = {name: url for (key, (name, url)) in zip(keys, pages.items(), strict=True) if key in chosen}
    ceiling_url = f"{base}/ceiling/?{urlencode(filters)}"

    load_before = os.getloadavg()[0]
    # The product and the ceiling are served side by side and loaded in alternating slices (page A, page B, ...,
    # ceiling, then again): the speed of this shared machine drifts by a third within minutes, and a ratio of
    # two loads taken minutes apart measured the drift as much as the code. Each load gets ``--duration`` seconds
    # in all; its percentiles come from the merged latency histograms of its slices.
    app = serve("config.settings.base", args.port, env)
    ceiling_server = serve("bench.ceiling_settings", args.port + 1, env, probe="/ceiling/")
    ceiling_url = ceiling_url.replace(f":{args.port}/", f":{args.port + 1}/")
    slices: dict[str, list] = {name: [] for name in [*pages, CEILING]}
    try:
        for url in pages.values():
            check_page(url, cookie)
        # A few seconds of each load first, unmeasured, as the API bench does: every gunicorn worker then holds
        # its per-process aggregates (score distribution ~1 s, category medians ~0.7 s at 1M creators), which a
        # worker computes once per published run, not once per benchmark. Steady state is what is measured.
        log("warm-up: 3 s of each load")
        for name, url in [*pages.items(), (CEILING, ceiling_url)]:
            wrk_slice(url, headers={"Cookie": cookie} if name != CEILING else None, duration=3,
                      connections=args.connections)
        slice_seconds = max(1, args.duration // args.rounds)
        for round_ in range(args.rounds):
            log(f"round {round_ + 1} of {args.rounds}: {slice_seconds} s per load")
            for name, url in [*pages.items(), (CEILING, ceiling_url)]:
                headers = {"Cookie": cookie} if name != CEILING else None
                slices[name].append(wrk_slice(url, headers=headers, duration=slice_seconds,
                                              connections=args.connections))
        results = [merge_slices(name, slices[name]) for name in pages]
        ceiling = merge_slices(CEILING, slices[CEILING])
        stop(ceiling_server)
        if not args.no_export:
            log("export: whole visible set through the product")
            export_seconds, export_rows = time_export(f"{base}/creators/export.csv", cookie)
    finally:
        stop(app)
        stop(ceiling_server)

    if not args.no_export:
        queryset = CreatorFilterSet({}, queryset=creator_list(access=access), access=access).qs
        from scoring.models import ScoringRun

        # The product's columns: the visible fields, the as-of date and the scorecard URL (creators.exports).
        as_of = ScoringRun.objects.filter(is_published=True).values_list("as_of", flat=True).first()
        columns = export_columns(
            queryset=queryset, fields=visible_fields(access), as_of=as_of, scorecard_url=(f"{base}/creators/", "/")
        )
        reference_sql = copy_sql(queryset=queryset, columns=columns, neutralised=False)
        log("export reference: psql COPY of the same columns")
        psql_seconds = time_psql_copy(database_url, reference_sql)

    lines = [
        f"{args.creators:,} creators, gunicorn 2 sync workers, wrk -c{args.connections} for {args.duration} s each, "
        f"cache {'Redis' if args.redis != 'none' else 'local memory'}, "
        f"same machine ({os.cpu_count()} cores); load average {load_before:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after the run (other work on the machine shares the cores: compare the ratios, "
        "which are measured in the same run).",
        "",
        "| endpoint | req/s | p50 ms | p99 ms | vs ceiling | non-2xx |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for load in [*results, ceiling]:
        ratio = load.requests_per_second / ceiling.requests_per_second if ceiling.requests_per_second else 0
        lines.append(
            f"| {load.name} | {load.requests_per_second:,.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} | "
            f"{ratio:.0%} | {load.non_2xx} |"
        )
    by_name = {load.name: load for load in results}
    if HOME in by_name and LIST in by_name and by_name[LIST].p99_ms:
        home, listed = by_name[HOME], by_name[LIST]
        lines += [
            "",
            f"Home page p99 / list p99 (same run): {home.p99_ms:.1f} / {listed.p99_ms:.1f} ms = "
            f"**{home.p99_ms / listed.p99_ms:.2f}x** (target <= 1.5x). The movers of the bench partner's scope "
            f"(every creator; two runs, {args.creators:,} scorecards each) took {movers_seconds:.1f} s to select, "
            "once per run, before publishing.",
        ]
    lines += [] if args.no_export else [
        "",
        "| export of the whole visible set | rows | seconds | vs psql COPY |",
        "| --- | --- | --- | --- |",
        f"| `/creators/export.csv` (COPY pass-through, neutralised in SQL) | {export_rows:,} | {export_seconds:.1f} | "
        f"{export_seconds / psql_seconds:.2f}x |",
        f"| `psql -c \"COPY (SELECT ...) TO STDOUT\"`, same columns | {export_rows:,} | {psql_seconds:.1f} | 1x |",
    ]
    report = "\n".join(lines) + "\n\n" + NOTES
    print(report)
    if args.write_docs:
        path = ROOT / "docs" / "performance.md"
        text = path.read_text() if path.exists() else "# Performance\n"
        when = time.strftime("%Y-%m-%d")
        section = f"## Dashboard\n\nMeasured by `bench/dashboard_bench.py` on {when}.\n\n{report}\n"
        if "## Dashboard" in text:
            text = re.sub(r"## Dashboard\n.*?(?=\n## |\Z)", section, text, flags=re.S)
        else:
            text = text.rstrip("\n") + "\n\n" + section
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
