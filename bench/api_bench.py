"""API benchmark: the creator list at 1,000,000 creators under gunicorn, beside its ceiling, in the same run.

    python bench/api_bench.py [--creators 1000000] [--duration 30] [--connections 8] [--fresh]

What it does (issue 6, "What must be shown"):
1. in its own PostgreSQL database (``BENCH_DATABASE_URL``, default ``.../bench_api``), generates N creators (20
   categories, 20 countries, a third with a second category) and one published scoring run with a scorecard per
   creator, in SQL with ``generate_series``; a partner whose grant covers 5 categories with every tier, and an
   analyst with an API token. Data is reused when the database already holds N creators;
2. starts gunicorn (2 sync workers, DEBUG off, production-shaped: Redis for the throttle counters when
   ``REDIS_URL`` is set) on ``bench.api_bench_settings``, which serves the product plus one extra URL, the ceiling;
3. loads with wrk (``--connections`` connections, ``--duration`` seconds each), one after the other:
   - the ceiling: a bare Django view (same process and middleware; no authentication, no DRF) that runs the same
     query as the API for the same partner (``creator_list`` + ``CreatorFilterSet``, the partner's ``Access``
     built per request as the product must), counts it, takes the 50-row page as ``.values()`` and returns a
     ``JsonResponse``;
   - ``GET /api/v1/creators/`` with the same filter and ordering, token-authenticated, throttled, audited;
   - the same list at a later page reached through ``next`` links (keyset cursor, count carried), for the record;
4. prints req/s, p50, p99 for each and the API/ceiling throughput ratio.
Targets (issue 6): the list's p99 under 100 ms and at least 60% of the ceiling's throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import ensure_database, generate_creators, log, wrk

VENV_BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_api"
USERNAME = "bench-api-analyst"
CATEGORIES = 20
GRANTED = ("cat-01", "cat-02", "cat-03", "cat-04", "cat-05")
COUNTRIES = ("US", "GB", "DE", "FR", "ES", "IT", "BR", "MX", "IN", "ID", "JP", "KR", "CA", "AU", "NL", "SE", "PL",
             "TR", "PH", "NG")
# The list's filter and ordering: a category, a country and a score range, best first (LIMITS.md's shape).
QUERY = {"category": "cat-02", "country": "US", "overall_min": "40", "ordering": "-overall"}


def generate(n: int) -> None:
    """N creators, their category links and one published run of scorecards, all in SQL (set-based)."""
    from django.db import connection, transaction

    from scoring.indices import POSTGRESQL, Dialect, creator_access_sql
    from scoring.models import ScoringRun

    # The creator's country and category ids copied onto its scorecard, by the scoring run's own SQL.
    ACCESS = creator_access_sql(dialect=Dialect(POSTGRESQL), creator="cr")
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute(
            "TRUNCATE scoring_categoryimpact, scoring_scorecard, scoring_scoringchunk, scoring_scoringrun, "
            "creators_creator_categories, partners_accessgrant_categories, partners_accessgrant_creators, "
            "partners_accessgrant, partners_membership, partners_auditevent, creators_creator, creators_category "
            "CASCADE"
        )
        generate_creators(cur, n, categories=CATEGORIES, countries=COUNTRIES,
                          slug_sql="'cat-' || lpad(g::text, 2, '0')")
        run = ScoringRun.objects.create(
            as_of=time.strftime("%Y-%m-%d"), status="succeeded", is_published=True, progress=100,
            creators_count=n, triggered_by="bench",
        )
        cur.execute("SELECT setseed(0.42)")
        cur.execute(
            f"""
            INSERT INTO scoring_scorecard (run_id, creator_id, collaboration, care, volume, effectiveness, sales,
                consistency, overall, confidence, collaboration_confidence, follower_tier, followers, videos, views,
                engagements, engagement_rate, sponsored_share, shoppable_share, gmv, orders, gpm, active_weeks,
                gap_cv, invitations, accepted, responded, due, on_time, median_response_h, country, category_ids)
            SELECT %s, id, r1 * 100, r2 * 100, r3 * 100, r4 * 100,
                   CASE WHEN r5 < 0.3 THEN NULL ELSE r5 * 100 END, r6 * 100,
                   CASE WHEN r1 < 0.05 THEN NULL ELSE (r1 + r3 + r4 + r6) * 25 END,
                   'medium', 'low', 1, followers, 10, 10000, 900, 0.09, 0.2, 0.4, NULL, NULL, NULL, 9, 0.5,
                   3, 2, 2, 1, 1, 20, country, category_ids
            FROM (SELECT cr.id, cr.followers, random() r1, random() r2, random() r3, random() r4, random() r5,
                         random() r6, {ACCESS["country"]} AS country, {ACCESS["category_ids"]} AS category_ids
                  FROM creators_creator cr) c
            """,
            [run.pk],
        )
    with connection.cursor() as cur:
        for table in ("creators_category", "creators_creator"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    log(f"generated {n:,} creators and scorecards in {time.perf_counter() - t0:.1f} s")


def analyze() -> None:
    """Planner statistics for the freshly generated tables (the list's indexes come with the migrations)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def partner_and_token() -> str:
    """The benchmark partner (5 categories, every tier), its analyst, and the analyst's token."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from creators.models import Category
    from partners.models import AccessGrant, Membership, Partner

    partner, _ = Partner.objects.get_or_create(name="Bench API Partner")
    grant = AccessGrant.objects.filter(partner=partner).first() or AccessGrant.objects.create(
        partner=partner, performance=True, commercial=True
    )
    grant.categories.set(Category.objects.filter(slug__in=GRANTED))
    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    Membership.objects.update_or_create(user=user, defaults={"partner": partner, "role": "analyst"})
    return Token.objects.get_or_create(user=user)[0].key


def start_gunicorn(port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "config.wsgi:application", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    for _ in range(100):
        try:
            # A URL that touches no data: at 1M creators the unfiltered list alone takes seconds.
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/auth/token/", timeout=2).read()
            return process
        except urllib.error.HTTPError:
            return process  # 405 for GET: the server answers
        except Exception:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Token {token}"} if token else {}


def fetch(url: str, token: str | None = None) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creators", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=18741)
    parser.add_argument("--fresh", action="store_true", help="regenerate the data even if it is there")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (Debian: apt-get install wrk)")

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    ensure_database(database_url)
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0",
           "DJANGO_SETTINGS_MODULE": "bench.api_bench_settings", "BENCH_USERNAME": USERNAME,
           "API_THROTTLE_USER": "1000000/min", "API_THROTTLE_TOKEN": "1000000/min",
           "LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE", "LOG_LEVEL")})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from creators.models import Creator

    if args.fresh or Creator.objects.count() != args.creators:
        generate(args.creators)
    analyze()
    token = partner_and_token()

    base = f"http://127.0.0.1:{args.port}"
    server = start_gunicorn(args.port, env)
    try:
        ceiling_url = f"{base}/bench/ceiling/?{urlencode(QUERY)}"
        api_url = f"{base}/api/v1/creators/?{urlencode(QUERY)}"
        # Same rows both ways, or the comparison means nothing.
        ceiling_rows = fetch(ceiling_url)
        api_rows = fetch(api_url, token)
        assert [r["handle"] for r in ceiling_rows["results"]] == [r["handle"] for r in api_rows["results"]]
        assert ceiling_rows["count"] == api_rows["count"]
        log(f"filter {QUERY}: {api_rows['count']:,} rows, pages of {len(api_rows['results'])}")
        # A page further on, reached as clients do: by following `next` (keyset cursor, count carried along).
        deep_next = f"{api_url}&page_size=10"
        for _ in range(3):
            deep_next = fetch(deep_next, token)["next"] or deep_next
        page = re.search(r"[?&]page=(\d+)", deep_next)
        middle = int(page.group(1)) - 1 if page else 0
        for url, who in ((ceiling_url, None), (api_url, token), (deep_next, token)):
            wrk("warm-up", url, duration=3, connections=args.connections, headers=_auth(who))
        ceiling = wrk("ceiling", ceiling_url, duration=args.duration, connections=args.connections)
        api = wrk("api list", api_url, duration=args.duration, connections=args.connections, headers=_auth(token))
        deep = wrk(f"api list, page {middle + 1} (of 10 rows) via next", deep_next, duration=args.duration,
                   connections=args.connections, headers=_auth(token))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    ratio = api.requests_per_second / ceiling.requests_per_second
    print()
    print(f"API list at {args.creators:,} creators, gunicorn 2 sync workers, wrk -c{args.connections} "
          f"{args.duration} s each; filter {urlencode(QUERY)}")
    print(f"| {'endpoint':<44} | {'req/s':>7} | {'p50 ms':>7} | {'p99 ms':>7} |")
    print(f"| {'-' * 44} | {'-' * 7} | {'-' * 7} | {'-' * 7} |")
    for load in (ceiling, api, deep):
        print(f"| {load.name:<44} | {load.requests_per_second:>7.0f} | {load.p50_ms:>7.1f} | {load.p99_ms:>7.1f} |")
    print(f"API / ceiling throughput: {ratio:.0%} (target >= 60%); API p99 {api.p99_ms:.1f} ms (target < 100 ms)")
    if api.non_2xx or ceiling.non_2xx or deep.non_2xx:
        raise SystemExit("some responses were not 2xx: the numbers are not valid")


if __name__ == "__main__":
    main()
