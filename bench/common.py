"""Plumbing shared by the benchmarks: logging, bench databases, bulk-load index handling and wrk runs.

Each bench stays a self-contained script (``python bench/<name>.py``); what they all do the same way lives here.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


def log(message: str) -> None:
    """One timestamped progress line on stderr (stdout stays for the results)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named by ``url`` (``postgres://.../<name>``) if it does not exist."""
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def indexes_dropped(cursor: Any, tables: tuple[str, ...]) -> Iterator[None]:
    """Drop the secondary indexes and the constraints (but the primary keys) of ``tables`` for a bulk load, and
    re-create them from their own definitions afterwards, even when the load fails.

    Building an index once after the load is far cheaper than maintaining it row by row (``LIMITS.md``). Run it
    inside a transaction with ``SET CONSTRAINTS ALL IMMEDIATE`` first if earlier statements left deferred checks:
    ``ALTER TABLE`` refuses to run with trigger events pending.
    """
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = ANY(%s::regclass[]) AND contype <> 'p'",
        [list(tables)],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT LIKE '%%pkey' "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        [list(tables)],
    )
    index_defs = cursor.fetchall()
    for table, name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT IF EXISTS "{name}"')
    for name, _ in index_defs:
        cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    try:
        yield
    finally:
        started = time.monotonic()
        for table, name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _, definition in index_defs:
            cursor.execute(definition)
        log(f"indexes and constraints rebuilt: {time.monotonic() - started:.1f} s")


@dataclass
class Load:
    """What one wrk run measured."""

    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_SCALE_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _run_wrk(url: str, *, duration: int, connections: int, headers: dict[str, str] | None, timeout_s: int,
             extra: list[str]) -> str:
    """wrk's standard output for one run: 2 threads, ``connections`` keep-alive connections, ``duration`` s."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", f"{timeout_s}s", *extra]
    for header, value in (headers or {}).items():
        command += ["-H", f"{header}: {value}"]
    return subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout


def wrk(name: str, url: str, *, duration: int, connections: int, headers: dict[str, str] | None = None,
        timeout_s: int = 30) -> Load:
    """Load ``url`` with wrk (2 threads, ``connections`` keep-alive connections, ``duration`` seconds)."""
    output = _run_wrk(url, duration=duration, connections=connections, headers=headers, timeout_s=timeout_s,
                      extra=["--latency"])
    latency = {pct: float(value) * _SCALE_MS[unit] for pct, value, unit in _LATENCY.findall(output)}
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if found is None:
        raise RuntimeError(f"no Requests/sec in wrk's output:\n{output}")
    rps = float(found.group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    load = Load(name, rps, latency.get("50", float("nan")), latency.get("99", float("nan")),
                int(bad.group(1)) if bad else 0)
    log(f"{name}: {rps:.0f} req/s, p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms, non-2xx {load.non_2xx}")
    return load


# wrk's done() hook: the run's totals and its latency quantiles at every 0.1% (microseconds), so that runs in
# slices can be merged (``merge_slices``): each quantile stands for a thousandth of its slice's requests. (Debian's
# wrk 4.1 does not expose the raw histogram to Lua.)
_QUANTILE_STEPS = 1000
_QUANTILES_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("TOTAL %d %d %d\\n", summary.requests, summary.duration, summary.errors.status))
  for i = 1, STEPS do
    io.write(string.format("Q %d\\n", latency:percentile(100.0 * (i - 0.5) / STEPS)))
  end
end
""".replace("STEPS", str(_QUANTILE_STEPS))


@dataclass
class Slice:
    """One wrk run of a load measured in slices: requests, seconds, non-2xx and latency quantiles (us)."""

    requests: int
    seconds: float
    non_2xx: int
    quantiles: list[int]


def wrk_slice(url: str, *, duration: int, connections: int, headers: dict[str, str] | None = None,
              timeout_s: int = 10) -> Slice:
    """One wrk run (2 threads, ``connections`` connections) returning its totals and latency quantiles."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_QUANTILES_SCRIPT)
        script.flush()
        output = _run_wrk(url, duration=duration, connections=connections, headers=headers, timeout_s=timeout_s,
                          extra=["-s", script.name])
    quantiles: list[int] = []
    requests = non_2xx = 0
    seconds = 0.0
    for line in output.splitlines():
        parts = line.split()
        if parts[:1] == ["Q"]:
            quantiles.append(int(parts[1]))
        elif parts[:1] == ["TOTAL"]:
            requests, seconds, non_2xx = int(parts[1]), int(parts[2]) / 1e6, int(parts[3])
    return Slice(requests, seconds, non_2xx, quantiles)


def _weighted_percentile_ms(points: list[tuple[int, float]], fraction: float) -> float:
    total = sum(weight for _, weight in points)
    if not total:
        return float("nan")
    seen = 0.0
    for value, weight in sorted(points):
        seen += weight
        if seen >= fraction * total:
            return value / 1000
    return max(points)[0] / 1000


def merge_slices(name: str, slices: list[Slice]) -> Load:
    """One ``Load`` from slices of the same load: total requests over total time, and percentiles of the slices'
    quantiles, each weighted by the share of its slice's requests it stands for."""
    points = [(value, part.requests / len(part.quantiles)) for part in slices for value in part.quantiles]
    seconds = sum(part.seconds for part in slices)
    load = Load(name, sum(part.requests for part in slices) / seconds if seconds else 0.0,
                _weighted_percentile_ms(points, 0.50), _weighted_percentile_ms(points, 0.99),
                sum(part.non_2xx for part in slices))
    log(f"{name}: {load.requests_per_second:.0f} req/s, p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms, "
        f"non-2xx {load.non_2xx} ({len(slices)} slices)")
    return load


def generate_creators(cursor: Any, n: int, *, categories: int, countries: tuple[str, ...],
                      slug_sql: str = "'cat-' || g") -> None:
    """Categories 1..``categories`` (slug from ``slug_sql`` over ``g``) and creators 1..``n`` with a country, a
    primary category and log-spread followers, each linked to its primary category and about a third to a second
    one. Deterministic (``hashint4``), set-based; the caller has emptied the tables."""
    cursor.execute(
        f"INSERT INTO creators_category (id, slug, name) SELECT g, {slug_sql}, 'Category ' || g "
        "FROM generate_series(1, %s) g",
        [categories],
    )
    cursor.execute(
        """
        INSERT INTO creators_creator (id, external_id, handle, display_name, country, primary_category_id,
                                      followers, source, data_updated_at, created_at)
        SELECT g, 'ext-' || g, 'creator_' || g, 'Creator ' || g,
               (%s::text[])[1 + (hashint4(g) & 2147483647) %% %s],
               1 + (hashint4(g * 7) & 2147483647) %% %s, (hashint4(g * 13) & 2147483647) %% 5000000, 'bench',
               now(), now()
        FROM generate_series(1, %s) g
        """,
        [list(countries), len(countries), categories, n],
    )
    cursor.execute(
        "INSERT INTO creators_creator_categories (creator_id, category_id) "
        "SELECT id, primary_category_id FROM creators_creator"
    )
    cursor.execute(
        """
        INSERT INTO creators_creator_categories (creator_id, category_id)
        SELECT id, 1 + (primary_category_id + (hashint4((id * 3)::int) & 2147483647) %% (%s - 1)) %% %s
        FROM creators_creator WHERE (hashint4((id * 5)::int) & 2147483647) %% 3 = 0
        """,
        [categories, categories],
    )
