"""Similar-creators benchmark (issue 20 item 1): the query behind the scorecard's "Similar creators" block at
1,000,000 creators, by method, on many different creators.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_similar flock /tmp/bench.lock \
        .venv/bin/python bench/similar_bench.py [--creators 1000000] [--targets 300]

The data is ``bench/dashboard_bench.py``'s (its generator and its analyst, granted every category with both
tiers, so every index is compared on). For ``--targets`` creators drawn at random (seeded), it times:

- ``exact``: every visible creator sharing a category ranked in SQL on the seven visible indices (the
  reference: what an exact nearest-neighbour search costs without a spatial index);
- ``bounded, table``: ``creators.similar.similar_creators`` (the product's code: 100 candidates on each side of
  the creator's overall, ranked exactly in Python, then the matches' list rows) with the covering index dropped,
  so the seeks read ``scorecard_run_overall`` and a table page per candidate;
- ``bounded, covering``: the same with ``scorecard_similar`` (scoring migration 0012), index-only.

With ``--scorecard-against DIR`` (a checkout of the code before similar creators, e.g. ``git archive <commit> |
tar -x -C DIR`` with ``.venv`` linked) it instead loads ``bench/dashboard_bench.py``'s scorecard URL served by
both trees side by side (gunicorn, 2 sync workers each, the same database), in alternating wrk slices, and prints
the p99 ratio of this code to that one (target: within 1.2x).

Each phase alternates the reference with the method per creator, so the ratio is measured under the same load;
random creators keep the pages cold, as a scorecard opened after another would. It also reports how many of the
exact top six the bounded method finds (its recall) and the mean distance of both lists.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import ensure_database, log

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_similar"
COVERING = "scorecard_similar"


def exact(cursor, run_id: int, target: dict, dims: tuple[str, ...], scope: list[int], limit: int) -> list[int]:
    """The exact nearest ``limit`` over every visible creator sharing a category (same distance as the product:
    RMS of the gaps, 50 for a missing value)."""
    from scoring.similarity import MISSING_GAP

    terms = " + ".join(f"power(coalesce(abs({d} - %s), {MISSING_GAP}), 2)" for d in dims)
    cursor.execute(
        f"SELECT creator_id FROM scoring_scorecard WHERE run_id = %s AND category_ids && %s::integer[] "
        f"AND category_ids && %s::integer[] AND creator_id <> %s "
        f"ORDER BY sqrt(({terms}) / {len(dims)}), creator_id LIMIT %s",
        [run_id, target["category_ids"], scope, target["creator_id"], *(target[d] for d in dims), limit],
    )
    return [row[0] for row in cursor.fetchall()]


def scorecard_load(args: argparse.Namespace, cookie: str, database_url: str) -> int:
    """The dashboard bench's scorecard page, this code against ``--scorecard-against``, alternating slices."""
    from django.contrib.auth import get_user_model

    from bench.common import merge_slices, wrk_slice
    from bench.dashboard_bench import USERNAME, check_page, serve, stop
    from creators.selectors import creator_list
    from partners.access import access_for_user

    access = access_for_user(get_user_model().objects.get(username=USERNAME))
    first = creator_list(access=access).filter(creator__primary_category__slug="cat03").first()
    assert first is not None
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    trees = {"before (without similar creators)": args.scorecard_against.resolve(), "this code": ROOT}
    servers, urls = {}, {}
    try:
        for offset, (name, root) in enumerate(trees.items()):
            servers[name] = serve("config.settings.base", args.port + offset, env, root=root)
            urls[name] = f"http://127.0.0.1:{args.port + offset}/creators/{first['handle']}/"
            check_page(urls[name], cookie)
        for url in urls.values():  # warm-up, unmeasured
            wrk_slice(url, headers={"Cookie": cookie}, duration=3, connections=args.connections)
        slices: dict[str, list] = {name: [] for name in trees}
        per_slice = max(1, args.duration // args.rounds)
        for round_ in range(args.rounds):
            log(f"round {round_ + 1} of {args.rounds}")
            for name, url in urls.items():
                slices[name].append(wrk_slice(url, headers={"Cookie": cookie}, duration=per_slice,
                                              connections=args.connections))
    finally:
        for server in servers.values():
            stop(server)
    loads = {name: merge_slices(name, parts) for name, parts in slices.items()}
    before = loads["before (without similar creators)"]
    print(f"scorecard /creators/{first['handle']}/, {args.creators:,} creators, gunicorn 2 sync workers per tree, "
          f"wrk -c{args.connections}, {args.rounds} alternating slices of {per_slice} s, load average "
          f"{os.getloadavg()[0]:.1f} at the end.\n")
    print("| code | req/s | p50 ms | p99 ms | p99 vs before | non-2xx |\n| --- | --- | --- | --- | --- | --- |")
    for name, load in loads.items():
        print(f"| {name} | {load.requests_per_second:,.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} | "
              f"{load.p99_ms / before.p99_ms:.2f}x | {load.non_2xx} |")
    return 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=1_000_000)
    parser.add_argument("--targets", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--scorecard-against", type=Path, help="time the scorecard page against this code tree")
    parser.add_argument("--duration", type=int, default=30, help="seconds of load per tree (--scorecard-against)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8775)
    parser.add_argument("--per-side", default="100,400", help="candidate set sizes to time (the first is the "
                        "product's), comma-separated")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith("postgres"):
        print("the similar benchmark needs PostgreSQL (DATABASE_URL)", file=sys.stderr)
        return 2
    ensure_database(database_url)
    os.environ.update({"DATABASE_URL": database_url, "DEBUG": "0"})
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from bench.dashboard_bench import USERNAME, bench_user, prepare
    from creators.models import Creator
    from creators.similar import SIMILAR_LIMIT, similar_creators
    from scoring import similarity
    from scoring.models import Scorecard
    from scoring.selectors import published_run

    prepare(args.creators, regenerate=False)
    cookie = bench_user()
    if args.scorecard_against:
        return scorecard_load(args, cookie, database_url)
    from partners.access import access_for_user

    access = access_for_user(get_user_model().objects.get(username=USERNAME))
    run = published_run()
    assert run is not None
    dims_all = access.visible_indices
    scope = sorted(access.category_ids)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [COVERING])
        found = cursor.fetchone()
    assert found, "run the migrations: scoring 0012 makes the covering index"
    covering_sql = found[0]
    rng = random.Random(args.seed)
    ids = rng.sample(range(1, args.creators + 1), args.targets)
    creators = {c.pk: c for c in Creator.objects.filter(external_id__in=[f"b{i}" for i in ids])}
    targets = list(
        Scorecard.objects.filter(run=run, creator_id__in=list(creators), overall__isnull=False).values(
            "creator_id", "category_ids", *dims_all
        )
    )
    rng.shuffle(targets)
    log(f"{len(targets)} target creators with an overall score")

    results: dict[str, dict[str, list[float]]] = {}
    import creators.similar as similar_module

    per_sides = [int(n) for n in args.per_side.split(",")]
    phases = [("bounded, table", per_sides[0])] + [(f"bounded, covering, {n} a side", n) for n in per_sides]
    quality: dict[str, tuple[float, float, float]] = {}
    for phase, per_side in phases:
        similar_module.CANDIDATES_PER_SIDE = per_side
        recall: list[float] = []
        gaps: dict[str, list[float]] = {"exact": [], "bounded": []}
        with connection.cursor() as cursor:
            if phase == "bounded, table":
                cursor.execute(f'DROP INDEX IF EXISTS "{COVERING}"')
            elif per_side == per_sides[0]:
                started = time.perf_counter()
                cursor.execute(covering_sql)
                log(f"covering index built in {time.perf_counter() - started:.1f} s")
                cursor.execute("VACUUM ANALYZE scoring_scorecard")
        times: dict[str, list[float]] = {"exact": [], phase: []}
        for target in targets:
            dims = similarity.dimensions(target, dims_all)
            with connection.cursor() as cursor:
                started = time.perf_counter()
                reference = exact(cursor, run.pk, target, dims, scope, SIMILAR_LIMIT)
                times["exact"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            result = similar_creators(access=access, creator=creators[target["creator_id"]], run=run)
            times[phase].append((time.perf_counter() - started) * 1000)
            if phase != "bounded, table":
                found_ids = [item.row["creator_id"] for item in result.items]
                recall.append(len(set(found_ids) & set(reference)) / max(1, len(reference)))
                gaps["bounded"].append(statistics.mean(item.distance for item in result.items))
                rows = {r["creator_id"]: r for r in Scorecard.objects.filter(run=run, creator_id__in=reference)
                        .values("creator_id", *dims_all)}
                gaps["exact"].append(statistics.mean(similarity.distance(target, rows[i], dims) for i in reference))
        results[phase] = times
        if recall:
            quality[phase] = (statistics.mean(recall), statistics.mean(gaps["bounded"]), statistics.mean(gaps["exact"]))

    lines = [
        f"{args.creators:,} creators, {len(targets)} random creators each (seed {args.seed}), analyst with every "
        f"category and both tiers (7 indices compared), load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| phase | method | p50 ms | p99 ms | mean ms | vs exact (mean) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for phase, times in results.items():
        reference_mean = statistics.mean(times["exact"])
        for method, values in times.items():
            lines.append(
                f"| {phase} | {method} | {percentile(values, 0.5):.1f} | {percentile(values, 0.99):.1f} | "
                f"{statistics.mean(values):.1f} | {statistics.mean(values) / reference_mean:.2f}x |"
            )
    lines += ["", f"| phase | recall of the exact top {SIMILAR_LIMIT} | mean distance listed | exact's |",
              "| --- | --- | --- | --- |"]
    lines += [f"| {phase} | {r:.0%} | {b:.1f} | {e:.1f} |" for phase, (r, b, e) in quality.items()]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
