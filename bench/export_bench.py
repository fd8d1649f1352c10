"""Export benchmark: the CSV and the XLSX of the same visible set, time and peak memory, at N scored creators.

    flock /tmp/bench.lock env DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_exports \
        .venv/bin/python bench/export_bench.py --creators 100000

Generates N creators with one published run in its own database (``bench.dashboard_bench.generate``: all in
SQL), then, for an analyst granted everything (both tiers: 37 columns), writes each export to a file in a fresh
process of its own, ``--rounds`` times alternated (CSV, XLSX, CSV, ...): the CSV through ``csv_chunks`` (the
COPY pass-through on PostgreSQL), the XLSX through ``write_xlsx`` (XlsxWriter, constant-memory mode). Each
process reports its wall time and its peak resident memory (``ru_maxrss``), less the peak of a process that only
set Django up and built the queryset (the baseline), so the figures are what the export itself adds.
Prints a Markdown table; the median round of each. Drop the database afterwards (``--drop``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import ensure_database, log  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_exports"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()


def _queryset():
    from django.contrib.auth import get_user_model

    from bench.dashboard_bench import USERNAME
    from creators.selectors import creator_list
    from partners.access import access_for_user, visible_fields

    access = access_for_user(get_user_model().objects.get(username=USERNAME))
    return creator_list(access=access).order_by("-overall", "-creator_id"), visible_fields(access)


def one(fmt: str) -> dict:
    """Run one export (or only the set-up, ``fmt == "none"``) in this process; its time, size and peak RSS."""
    _setup()
    from creators import exports

    queryset, fields = _queryset()
    columns = exports.export_columns(queryset=queryset, fields=fields, as_of=None, scorecard_url=("http://x/", "/"))
    rows = queryset.order_by().count()
    rss_before = _rss_mb()
    # ru_maxrss is the peak of the whole process (Django's set-up peaks higher than an export): sample the
    # resident memory every 5 ms while the export runs instead.
    peak = [rss_before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    with tempfile.TemporaryFile() as target:
        if fmt == "csv":
            for chunk in exports.csv_chunks(
                queryset=queryset, columns=columns, options=exports.ExportOptions(bom=True)
            ):
                target.write(chunk)
        elif fmt == "xlsx":
            exports.write_xlsx(target, queryset=queryset, columns=columns)
        size = target.tell()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    peak[0] = max(peak[0], _rss_mb())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "format": fmt,
        "rows": rows,
        "columns": len(columns),
        "seconds": seconds,
        "bytes": size,
        "peak_mb": peak_kb / 1024,
        "growth_mb": peak[0] - rss_before,
    }


def _rss_mb() -> float:
    """This process's resident memory now (``VmRSS``), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_child(fmt: str, env: dict[str, str]) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--one", fmt], env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", choices=["none", "csv", "xlsx"], help=argparse.SUPPRESS)
    parser.add_argument("--drop", action="store_true", help="drop the bench database at the end")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return 0
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    ensure_database(database_url)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-not-secret-" + "x" * 40),
    }
    env.pop("REDIS_URL", None)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DEBUG", "ALLOWED_HOSTS", "SECRET_KEY")})
    _setup()
    from bench.dashboard_bench import bench_user, prepare

    prepare(args.creators, regenerate=False)
    bench_user()
    results: dict[str, list[dict]] = {"none": [], "csv": [], "xlsx": []}
    for round_number in range(args.rounds):
        for fmt in ("none", "csv", "xlsx") if round_number % 2 == 0 else ("none", "xlsx", "csv"):
            log(f"round {round_number + 1}: {fmt}")
            results[fmt].append(run_child(fmt, env))
    base = statistics.median(r["peak_mb"] for r in results["none"])
    lines = [
        f"| export ({results['csv'][0]['rows']:,} rows, {results['csv'][0]['columns']} columns) | seconds (median of "
        f"{args.rounds}) | file MB | peak RSS growth during the export, MB | process peak RSS over "
        f"a process that only set up ({base:.0f} MB) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for fmt, name in (
        ("csv", "CSV (`csv_chunks`, COPY on PostgreSQL)"),
        ("xlsx", "XLSX (`write_xlsx`, constant memory)"),
    ):
        seconds = statistics.median(r["seconds"] for r in results[fmt])
        peak = statistics.median(r["peak_mb"] for r in results[fmt]) - base
        growth = statistics.median(r["growth_mb"] for r in results[fmt])
        lines.append(f"| {name} | {seconds:.2f} | {results[fmt][0]['bytes'] / 1e6:.1f} | {growth:.1f} | {peak:.1f} |")
    print("\n".join(lines))
    if args.drop:
        import psycopg
        from django.db import connections

        connections.close_all()
        server, name = database_url.rsplit("/", 1)
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        log(f"dropped {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
