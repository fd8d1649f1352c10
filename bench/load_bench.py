"""Load benchmark: partner reads at concurrency 32 against gunicorn while a scoring run and an import run.

    python bench/load_bench.py [--creators 1000000] [--videos 5000000] [--database bench_load]
                               [--concurrency 32] [--duration 60] [--tail 15] [--web-workers 2] [--workers 2]
                               [--import-rows 200000] [--skip-load] [--redis URL]

1. In a database of its own (created and migrated when missing): categories, creators, videos in the window and
   collaborations, generated in-database with ``generate_series``; one scoring run published by real workers.
2. A partner analyst who sees every category and every tier; a session (HTML) and a token (API) for it.
3. gunicorn (``deploy/gunicorn.conf.py``, DEBUG off, collected static files) and Celery workers
   (``deploy/worker.sh``) on this machine.
4. ``--concurrency`` client threads, round-robin over the list page, a scorecard and the API list (keep-alive
   connections). A few seconds in, a scoring run (``recompute_scores --wait``) and an import of ``--import-rows``
   videos (``import_data``) start and run under the load. The readers go on for ``--duration`` seconds at least,
   and until both have finished plus ``--tail`` seconds, so that they read the old run, the switch and the new one.
   The API throttle is raised for the bench's one user (it stands for a partner's many readers).
5. Reported: requests, errors (any status but 200, any failed connection), throughput, p50/p95/p99 per endpoint;
   whether the run and the import finished; and the consistency check: every API page a reader received holds
   the scores of exactly one run (never a mix of the old and the new run).

It is not a test: the numbers go to docs/performance.md (section "Load"). Client and server share the machine's
cores, so absolute figures are pessimistic; errors and consistency are what must hold.
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import ensure_database, indexes_dropped, log

VENV_BIN = Path(sys.executable).parent

PASSWORD = "load-bench-password-1234"
PARTNER = "Load Bench Partner"
USERNAME = "loadbench"
CATEGORIES = 20
COUNTRIES = ("US", "GB", "DE", "FR", "ES", "IT", "IN", "BR", "MX", "CA", "AU", "JP", "KR", "ID", "PH", "TR", "PL",
             "NL", "SE", "AE")
# A page from the middle of the distribution, where a new run moves the scores (the top of a category barely
# moves, and a page the same in both runs proves nothing).
CONSISTENCY_QUERY = {"category": "cat-1", "overall_max": "50", "ordering": "-overall", "page_size": "50"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=1_000_000)
    parser.add_argument("--videos", type=int, default=5_000_000, help="videos, all inside the 90-day window")
    parser.add_argument("--collaborations", type=int, default=500_000)
    parser.add_argument("--database", default="bench_load")
    parser.add_argument("--server", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS"),
        help="broker URL (default: a private redis-server on a free port, so no other queue is touched)",
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load at least")
    parser.add_argument("--tail", type=float, default=15.0,
                        help="seconds of load after the scoring run and the import have finished")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--import-rows", type=int, default=200_000)
    parser.add_argument("--skip-load", action="store_true", help="reuse the data and the published run")
    return parser.parse_args()


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "manage.py", *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def generate(args: argparse.Namespace) -> None:
    """Creators, videos (all in the window ending today) and collaborations, from generate_series."""
    from django.db import connection, transaction

    n, v, k = args.creators, args.videos, args.collaborations
    countries = "ARRAY[" + ",".join(f"'{x}'" for x in COUNTRIES) + "]"
    # One transaction: a failure half-way must not leave the tables without the indexes and constraints dropped
    # below for the load (DDL is transactional in PostgreSQL).
    with transaction.atomic(), connection.cursor() as c:
        # Foreign keys checked as each statement ends: ALTER TABLE refuses to run with deferred checks pending.
        c.execute("SET CONSTRAINTS ALL IMMEDIATE")
        c.execute("SET work_mem = '256MB'")
        c.execute("SET maintenance_work_mem = '1GB'")
        c.execute(
            "TRUNCATE scoring_categoryimpact, scoring_scorecard, scoring_scoringchunk, scoring_scoringrun, "
            "creators_collaboration, creators_video, creators_creator_categories, creators_creator, "
            "creators_category RESTART IDENTITY CASCADE"
        )
        c.execute(
            "INSERT INTO creators_category (slug, name) SELECT 'cat-' || g, 'Category ' || g "
            f"FROM generate_series(1, {CATEGORIES}) g"
        )
        t0 = time.monotonic()
        c.execute(f"""
            INSERT INTO creators_creator (id, external_id, handle, display_name, country, primary_category_id,
                                          followers, source, data_updated_at, created_at)
            SELECT g, 'c' || g, 'creator' || g, 'Creator ' || g, ({countries})[1 + g % 20], 1 + (g * 7) % 20,
                   FLOOR(EXP(random() * LN(50000000)))::bigint, 'bench', now(), now()
            FROM generate_series(1, {n}) g
        """)
        c.execute("SELECT setval(pg_get_serial_sequence('creators_creator', 'id'), %s)", [n])
        c.execute("INSERT INTO creators_creator_categories (creator_id, category_id) "
                  "SELECT id, primary_category_id FROM creators_creator")
        log(f"{n:,} creators: {time.monotonic() - t0:.1f} s")
        # Constraints (foreign keys checked row by row) and indexes of the big tables are rebuilt after the load.
        with indexes_dropped(c, ("creators_video", "creators_collaboration")):
            t0 = time.monotonic()
            c.execute(f"""
                INSERT INTO creators_video (external_id, creator_id, posted_at, views, likes, comments, shares,
                                            is_sponsored, is_shoppable, product_category_id, orders, gmv, duration_s,
                                            hashtags)
                SELECT 'v' || g, 1 + (g * 2654435761) % {n}, now() - (r1 * 89 * INTERVAL '1 day'),
                       views, (views * r2 * 0.2)::bigint, (views * r2 * 0.01)::bigint, (views * r2 * 0.005)::bigint,
                       r3 < 0.05, r3 > 0.9, CASE WHEN r4 < 0.3 THEN 1 + g % 20 END,
                       CASE WHEN r4 < 0.05 THEN (r2 * 40)::bigint END,
                       CASE WHEN r4 < 0.05 THEN ROUND((r2 * 900)::numeric, 2) END, 15 + g % 45, ''
                FROM (SELECT g, random() r1, random() r2, random() r3, random() r4,
                             (random() * random() * 200000)::bigint AS views
                      FROM generate_series(1, {v}) g) s
            """)
            log(f"{v:,} videos: {time.monotonic() - t0:.1f} s")
            statuses = "ARRAY['pending','accepted','declined','expired','completed','cancelled']"
            c.execute(f"""
                INSERT INTO creators_collaboration (external_id, creator_id, brand, category_id, invited_at,
                                                    responded_at, status, due_at, delivered_at)
                SELECT 'k' || g, 1 + (g::bigint * 40503) % {n}, 'Brand ' || g % 500, 1 + g % 20, invited,
                       CASE WHEN status <> 'pending' THEN invited + r2 * INTERVAL '200 hours' END, status,
                       CASE WHEN status IN ('accepted', 'completed') THEN invited + INTERVAL '14 days' END,
                       CASE WHEN status = 'completed' THEN invited + r2 * INTERVAL '20 days' END
                FROM (SELECT g, now() - (random() * 89 * INTERVAL '1 day') AS invited, random() AS r2,
                             ({statuses})[1 + FLOOR(random() * 6)::int] AS status
                      FROM generate_series(1, {k}) g) s
            """)
    with connection.cursor() as c:  # VACUUM cannot run inside a transaction
        for table in ("creators_creator", "creators_creator_categories", "creators_video", "creators_collaboration"):
            c.execute(f"VACUUM ANALYZE {table}")


def import_file_for_bench(path: Path, *, rows: int, creators: int) -> None:
    """A videos CSV of rows for existing creators, posted today: the import that runs under the load.

    The view counts differ from one bench run to the next (and are large), so that the new scoring run's scores
    differ from the published run's and the consistency check can tell the two runs apart.
    """
    now = datetime.now(UTC)
    rng = random.Random(time.time_ns())
    with path.open("w", encoding="utf-8") as out:
        out.write("external_id,creator,posted_at,views,likes,comments,shares\n")
        for i in range(rows):
            posted = (now - timedelta(minutes=i % 1440)).strftime("%Y-%m-%dT%H:%M:%SZ")
            views = rng.randrange(1_000, 2_000_000)
            out.write(f"load-{i},c{1 + (i * 7919) % creators},{posted},{views},{views // 20},{i % 40},{i % 9}\n")


def partner_session_and_token(base_env: dict[str, str]) -> tuple[str, str | None]:
    """A session key for the analyst (HTML pages) and an API token, created directly in the bench database."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    user = get_user_model().objects.get(username=USERNAME)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    token = None
    try:
        from rest_framework.authtoken.models import Token

        token = Token.objects.get_or_create(user=user)[0].key
    except Exception as exc:  # the API's token model may differ; the session works for the API as well
        log(f"no DRF token ({exc!r}); the API is driven with the session")
    assert session.session_key is not None  # create() has saved it
    return session.session_key, token


# --- load -----------------------------------------------------------------------------------------------------
@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    pages: list[tuple[float, list[tuple[str, float | None]]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def client_loop(host: str, port: int, headers: dict[str, dict[str, str]], creators: int, stop: threading.Event,
                results: Results, seed: int) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection(host, port, timeout=60)
    endpoints = ("list", "scorecard", "api")
    turn = seed
    while not stop.is_set():
        kind = endpoints[turn % 3]
        turn += 1
        if kind == "list":
            query = {"category": f"cat-{rng.randint(1, CATEGORIES)}", "ordering": "-overall"}
            path = "/creators/?" + urllib.parse.urlencode(query)
        elif kind == "scorecard":
            path = f"/creators/creator{rng.randint(1, creators)}/"
        else:
            query = CONSISTENCY_QUERY if rng.random() < 0.5 else {
                "country": rng.choice(COUNTRIES), "ordering": "-overall", "page_size": "50"}
            path = "/api/v1/creators/?" + urllib.parse.urlencode(query)
        started = time.monotonic()
        try:
            connection.request("GET", path, headers=headers["api" if kind == "api" else "html"])
            response = connection.getresponse()
            body = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=60)
            with results.lock:
                results.errors[kind].append(repr(exc))
            continue
        elapsed = time.monotonic() - started
        with results.lock:
            results.latencies[kind].append(elapsed)
            if status != 200:
                results.errors[kind].append(f"{status} {path}")
        if kind == "api" and status == 200 and path.endswith(urllib.parse.urlencode(CONSISTENCY_QUERY)):
            rows = json.loads(body).get("results", [])
            page = [(row["handle"], (row.get("scores") or {}).get("overall")) for row in rows]
            with results.lock:
                results.pages.append((started, page))
    connection.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def consistency(pages: list[tuple[float, list[tuple[str, float | None]]]], run_ids: list[int]) -> dict[str, int]:
    """Each page must match one run entirely: every row's overall equals that run's value for the handle."""
    from scoring.models import Scorecard

    handles = {handle for _, page in pages for handle, _ in page}
    values: dict[int, dict[str, float | None]] = {}
    for run_id in run_ids:
        values[run_id] = dict(
            Scorecard.objects.filter(run_id=run_id, creator__handle__in=handles).values_list("creator__handle",
                                                                                            "overall")
        )

    def matches(run_id: int, page: list[tuple[str, float | None]]) -> bool:
        for handle, shown in page:
            stored = values[run_id].get(handle)
            if shown is None or stored is None:
                if shown is not stored:
                    return False
            elif abs(float(shown) - stored) > 0.051:  # shown to one decimal
                return False
        return True

    counts = {"pages": len(pages), "mixed": 0}
    for run_id in run_ids:
        counts[f"run {run_id} only"] = 0
    counts["same in both"] = 0
    for _, page in pages:
        owners = [run_id for run_id in run_ids if matches(run_id, page)]
        if not owners:
            counts["mixed"] += 1
        elif len(owners) > 1:
            counts["same in both"] += 1  # the page did not change between the runs: it proves nothing either way
        else:
            counts[f"run {owners[0]} only"] += 1
    return counts


def main() -> None:
    args = parse_args()
    private_redis = None
    if not args.redis:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            redis_port = sock.getsockname()[1]
        private_redis = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        atexit.register(private_redis.terminate)
        args.redis = f"redis://127.0.0.1:{redis_port}/0"
        time.sleep(0.5)
    database_url = f"{args.server}/{args.database}"
    os.environ.update(DATABASE_URL=database_url, REDIS_URL=args.redis, DJANGO_SETTINGS_MODULE="config.settings.base",
                      DEBUG="0", LOG_LEVEL="WARNING",
                      # One bench user stands for a whole partner's worth of readers: the per-user API throttle
                      # (600/min by default) would answer 429 to it, which is the throttle working, not an error.
                      API_THROTTLE_USER="1000000/min", API_THROTTLE_TOKEN="1000000/min")
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    ensure_database(f"{args.server}/{args.database}")
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")

    import django

    django.setup()
    from scoring.models import ScoringRun

    processes: list[subprocess.Popen] = []
    log_dir = Path(tempfile.mkdtemp(prefix="load-bench-"))

    def start(name: str, command: list[str], extra: dict[str, str] | None = None) -> subprocess.Popen:
        out = (log_dir / f"{name}.log").open("wb")
        process = subprocess.Popen(command, env={**env, **(extra or {})}, cwd=ROOT, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        processes.append(process)
        return process

    try:
        for i in range(args.workers):
            start(f"worker{i}", [str(ROOT / "deploy" / "worker.sh")],
                  {"CELERY_CONCURRENCY": "1", "CELERY_HOSTNAME": f"loadbench{i}@%h"})
        if not args.skip_load:
            generate(args)
            t0 = time.monotonic()
            manage(env, "recompute_scores", "--wait")
            log(f"first scoring run published: {time.monotonic() - t0:.1f} s")
        categories = ",".join(f"cat-{i}" for i in range(1, CATEGORIES + 1))
        manage(env, "partner_create", PARTNER, "--categories", categories, "--tiers", "performance,commercial")
        manage({**env, "PARTNER_USER_PASSWORD": PASSWORD}, "partner_user_add", PARTNER, USERNAME, "--role",
               "analyst")
        session_key, token = partner_session_and_token(env)
        creators = args.creators
        import_path = log_dir / "videos.csv"
        import_file_for_bench(import_path, rows=args.import_rows, creators=creators)

        port = 8700 + os.getpid() % 200
        start("gunicorn", [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                           "config.wsgi"],
              {"GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(args.web_workers),
               "GUNICORN_THREADS": str(args.web_threads)})
        for _ in range(100):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/readyz")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            raise SystemExit(f"gunicorn did not become ready; see {log_dir}")

        published_before = ScoringRun.objects.get(is_published=True).pk
        cookie = {"Cookie": f"sessionid={session_key}"}
        headers = {"html": cookie, "api": {"Authorization": f"Token {token}"} if token else cookie}
        results = Results()
        stop = threading.Event()
        threads = [threading.Thread(target=client_loop, args=("127.0.0.1", port, headers, creators, stop,
                                                                results, seed), daemon=True)
                   for seed in range(args.concurrency)]
        log(f"load: {args.concurrency} clients for {args.duration:.0f} s at least, and until the scoring run and the "
            f"import started at 5 s have finished plus {args.tail:.0f} s")
        load_started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(min(5, args.duration / 4))
        scoring = subprocess.Popen([sys.executable, "manage.py", "recompute_scores", "--wait"], env=env, cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        importing = subprocess.Popen([sys.executable, "manage.py", "import_data", "videos", str(import_path)],
                                     env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Readers go on until the new run is published and read for a while: the consistency check must see
        # pages of both runs, and none mixing them.
        scoring_out, scoring_err = scoring.communicate(timeout=1800)
        import_out, import_err = importing.communicate(timeout=1800)
        log(f"scoring run and import finished at {time.monotonic() - load_started:.0f} s")
        time.sleep(max(args.tail, args.duration - (time.monotonic() - load_started)))
        stop.set()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - load_started
        published_after = ScoringRun.objects.get(is_published=True).pk

        total = sum(len(v) for v in results.latencies.values())
        errors = sum(len(v) for v in results.errors.values())
        print()
        print(f"{'endpoint':<10} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
        for kind in ("list", "scorecard", "api"):
            values = results.latencies[kind]
            print(f"{kind:<10} {len(values):>9} {len(results.errors[kind]):>7} "
                  f"{percentile(values, 0.5) * 1000:>8.1f} {percentile(values, 0.95) * 1000:>8.1f} "
                  f"{percentile(values, 0.99) * 1000:>8.1f}")
        every = [x for values in results.latencies.values() for x in values]
        print(f"{'all':<10} {total:>9} {errors:>7} {percentile(every, 0.5) * 1000:>8.1f} "
              f"{percentile(every, 0.95) * 1000:>8.1f} {percentile(every, 0.99) * 1000:>8.1f}")
        mean_ms = statistics.mean(every) * 1000 if every else float("nan")
        print(f"throughput: {total / wall:.0f} requests/s over {wall:.0f} s; mean {mean_ms:.1f} ms")
        print(f"scoring run under load: exit {scoring.returncode}; {scoring_out.strip().splitlines()[-1:]}")
        print(f"import under load: exit {importing.returncode}; {import_out.strip().splitlines()[-1:]}")
        print(f"published run before {published_before}, after {published_after}")
        check = consistency(results.pages, sorted({published_before, published_after}))
        print(f"consistency of the API pages read: {check} (mixed must be 0)")
        for kind, messages in results.errors.items():
            for message in messages[:5]:
                print(f"  error {kind}: {message}")
        if scoring.returncode or importing.returncode:
            print(scoring_err[-2000:], import_err[-2000:])
        out = ROOT / "bench" / "out"
        out.mkdir(exist_ok=True)
        (out / "load.json").write_text(json.dumps({
            "creators": creators, "concurrency": args.concurrency, "duration_s": wall, "requests": total,
            "errors": errors, "p99_ms": percentile(every, 0.99) * 1000, "consistency": check,
            "per_endpoint": {k: {"requests": len(v), "p50_ms": percentile(v, 0.5) * 1000,
                                 "p99_ms": percentile(v, 0.99) * 1000} for k, v in results.latencies.items()},
        }, indent=2))
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log(f"logs in {log_dir}")


if __name__ == "__main__":
    main()
