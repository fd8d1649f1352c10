"""Scoring runs: request, prepare, compute chunks, finalize and publish, fail, reap and prune.

The maths is in ``scoring.indices`` (SQL generated from ``scoring.definitions``); this module runs it against
the database in the right transactions. Celery tasks (``scoring.tasks``) only call these functions.

Life of a run: ``scoring_run_request`` creates it ``pending`` (at most one active run: a partial unique
constraint, so a concurrent request joins the active run) and enqueues the start task on commit;
``scoring_run_prepare`` makes it ``running`` and splits the creators into chunks; ``scoring_chunk_compute``
writes one staging table pair per chunk; then two stages run at the same time on two workers, each in one
transaction: ``scoring_run_scorecards`` ranks the whole population and writes the scorecards and reference
medians, ``scoring_run_impacts`` ranks and writes the category impacts; the one that finishes last calls
``scoring_run_publish``, which switches the published run in one short transaction. Partners read only the
published run, so the rows of a run are invisible until that switch; any failure before it leaves the published
run as it was (and ``scoring_run_fail`` deletes the failed run's rows).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from config.celery import task_named
from config.queue import queue_check
from creators.models import Category, Video
from scoring import aggregates, indices, movers
from scoring.choices import RunStatus
from scoring.definitions import FOLLOWER_TIERS, TIER_MIN_GROUP
from scoring.models import CategoryImpact, Scorecard, ScoringChunk, ScoringRun

logger = logging.getLogger(__name__)

ACTIVE_STATUSES = (RunStatus.PENDING, RunStatus.RUNNING)
# Progress (0-100) reached when preparation is done and when every chunk is done; the final step takes the rest.
PROGRESS_PREPARED = 2
PROGRESS_CHUNKS_DONE = 80


def _dialect() -> indices.Dialect:
    vendor = connection.vendor
    if vendor not in (indices.POSTGRESQL, indices.SQLITE):
        raise NotImplementedError(f"scoring runs support PostgreSQL and SQLite, not {vendor}")
    return indices.Dialect(vendor)


def _tune_transaction(*, sequential: bool) -> None:
    """PostgreSQL settings for one heavy scoring transaction (see docs/performance.md and LIMITS)."""
    if connection.vendor != indices.POSTGRESQL:
        return
    with connection.cursor() as cursor:
        # Sorts and hash aggregates of a whole population spill to disk with the default 4 MB.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # JIT compilation costs seconds on these one-off queries and saves nothing.
        cursor.execute("SET LOCAL jit = off")
        if sequential:
            # A chunk reads a large share of the window: a sequential scan beats random heap reads by index.
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")


def _execute(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rowcount: int = cursor.rowcount
        return rowcount


def _analyze(table: str) -> None:
    """Refresh the planner's statistics of ``table`` after a run wrote a million rows into it (PostgreSQL).

    Without it the partner pages right after the publication are planned with statistics that do not know the
    new run (estimates of a few rows for ``run_id = <new>``): nested loops over the whole run, seconds per page,
    until autovacuum gets round to the table. ANALYZE reads a fixed-size sample (about a second) and sees the
    rows this transaction wrote.
    """
    if connection.vendor == indices.POSTGRESQL:
        _execute(f"ANALYZE {table}")


def _drop_stage_tables(run_id: int) -> None:
    prefix = indices.stage_prefix(run_id)
    with connection.cursor() as cursor:
        names = [name for name in connection.introspection.table_names(cursor) if name.startswith(prefix)]
        for name in names:
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(name)}")


class NothingToScore(Exception):
    """No video has been imported: a scoring run would score nothing, so none is started (DESIGN 5)."""

    def __init__(self) -> None:
        super().__init__(
            "No video has been imported yet, so there is nothing to score: no scoring run was started. Import "
            "videos first (python manage.py import_data videos FILE); a run then starts by itself."
        )


def default_as_of() -> date:
    """The date (UTC) of the newest imported video, never today's date by default.

    Raises ``NothingToScore`` when there is no video at all: a run as of today over no data would draw every
    trend down to zero at a date the data never reached.
    """
    newest = Video.objects.aggregate(newest=Max("posted_at"))["newest"]
    if newest is None:
        raise NothingToScore
    day: date = newest.astimezone(UTC).date()
    return day


# --- request ------------------------------------------------------------------------------------------------
def scoring_run_request(
    *,
    triggered_by: str,
    requested_by: Any = None,
    as_of: date | None = None,
    window_days: int | None = None,
) -> ScoringRun:
    """Start a scoring run, or join the active one.

    Raises ``NothingToScore`` (and starts nothing) when no video has been imported: the callers (import hook,
    beat, command, API, admin) show its message instead. The default ``as_of`` is the newest video's date.
    The run is enqueued when the surrounding transaction commits (nothing is sent for a rolled-back import).
    With eager Celery (the embedded set-up) the whole run executes in that commit hook; outside a transaction
    that is before this function returns, and the returned run is then refreshed.
    """
    # Redis down: refuse before writing anything, rather than leave a run that no worker will ever take.
    queue_check()
    if not Video.objects.exists():
        raise NothingToScore
    scoring_runs_reap_stale()
    for _ in range(3):
        active = ScoringRun.objects.filter(is_active=True).first()
        if active is not None:
            logger.info("scoring run %s requested by %s joins active run", active.pk, triggered_by)
            return active
        try:
            with transaction.atomic():
                run = ScoringRun.objects.create(
                    as_of=as_of or default_as_of(),
                    window_days=window_days or settings.SCORING_WINDOW_DAYS,
                    status=RunStatus.PENDING,
                    is_active=True,
                    triggered_by=triggered_by[:80],
                    requested_by=requested_by if getattr(requested_by, "pk", None) else None,
                    progress_at=timezone.now(),
                )
        except IntegrityError:
            # Another request created the active run between our look-up and our insert: join it.
            continue
        transaction.on_commit(partial(_enqueue, run.pk))
        if not connection.in_atomic_block:
            run.refresh_from_db()
        return run
    raise RuntimeError("could not create or find the active scoring run")


def _enqueue(run_id: int) -> None:
    try:
        task_named("scoring.tasks.scoring_run_start").delay(run_id)
    except Exception as exc:
        # Eager mode: the run already failed and recorded why. With a broker: it could not be reached.
        logger.exception("scoring run %s did not complete", run_id)
        scoring_run_fail(run_id=run_id, reason=f"could not run: {exc!r}")


# --- prepare ------------------------------------------------------------------------------------------------
def scoring_run_prepare(*, run_id: int) -> list[int] | None:
    """Mark the run running and split the creators into chunks; their numbers, or None if already started."""
    t0 = time.monotonic()
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.PENDING:
            return None
        _drop_stage_tables(run_id)
        size = max(1, int(settings.SCORING_CHUNK_SIZE))
        with connection.cursor() as cursor:
            # Equal-sized ranges of creator ids, whatever the gaps in the ids.
            cursor.execute(
                "SELECT k, MIN(id), MAX(id), COUNT(*) FROM ("
                f"SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / {size} AS k FROM creators_creator"
                ") q GROUP BY k ORDER BY k"
            )
            ranges = cursor.fetchall()
        ScoringChunk.objects.bulk_create(
            ScoringChunk(run=run, number=int(k), first_creator_id=lo, last_creator_id=hi, creators_count=n)
            for k, lo, hi, n in ranges
        )
        if not ranges:
            # No creator: the run still publishes (empty), and the final stages' unions need one (empty) chunk.
            dialect = _dialect()
            params: dict[str, Any] = {
                "dialect": dialect, "window": indices.Window(run.as_of, run.window_days), "run_id": run_id,
                "number": 0, "first_id": 0, "last_id": -1,
            }
            _execute(indices.chunk_category_sql(**params))
            _execute(indices.chunk_creator_sql(**params))
        now = timezone.now()
        run.status = RunStatus.RUNNING
        run.started_at = now
        run.progress_at = now
        run.progress = PROGRESS_PREPARED
        run.chunks_total = len(ranges)
        run.chunks_done = 0
        run.creators_count = sum(int(n) for *_, n in ranges)
        run.timings = {"prepare_s": round(time.monotonic() - t0, 3)}
        run.save()
    return [int(k) for k, *_ in ranges]


# --- chunks -------------------------------------------------------------------------------------------------
def scoring_chunk_compute(*, run_id: int, number: int) -> int:
    """Compute the raw metrics of one chunk of creators into its staging tables; the number of creators.

    Idempotent: a redelivered or retried chunk rebuilds its tables, and is counted done only once.
    """
    run = ScoringRun.objects.get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        logger.info("chunk %s of run %s skipped: run is %s", number, run_id, run.status)
        return 0
    chunk = ScoringChunk.objects.get(run_id=run_id, number=number)
    if chunk.is_done:
        return chunk.creators_count
    ScoringChunk.objects.filter(pk=chunk.pk).update(attempts=F("attempts") + 1)
    dialect = _dialect()
    window = indices.Window(run.as_of, run.window_days)
    params: dict[str, Any] = {
        "dialect": dialect, "window": window, "run_id": run_id, "number": number,
        "first_id": chunk.first_creator_id, "last_id": chunk.last_creator_id,
    }
    t0 = time.monotonic()
    with transaction.atomic():
        _tune_transaction(sequential=True)
        for table in (indices.chunk_creator_table(run_id, number), indices.chunk_category_table(run_id, number)):
            _execute(f"DROP TABLE IF EXISTS {table}")
        _execute(indices.chunk_category_sql(**params))
        if connection.vendor == indices.POSTGRESQL:
            # Summing the chunk's category rows per creator: one backend's hash aggregate beats the parallel plan
            # (partial aggregates, then a sort and a merge of 500,000 groups), measured at 2.7 s against 3.1-3.3 s.
            _execute("SET LOCAL max_parallel_workers_per_gather = 0")
        _execute(indices.chunk_creator_sql(**params))
        now = timezone.now()
        marked = ScoringChunk.objects.filter(pk=chunk.pk, is_done=False).update(
            is_done=True, seconds=round(time.monotonic() - t0, 3), finished_at=now
        )
        if marked:
            run_row = ScoringRun.objects.select_for_update().get(pk=run_id)
            done = run_row.chunks_done + 1
            total = max(run_row.chunks_total, 1)
            ScoringRun.objects.filter(pk=run_id).update(
                chunks_done=done,
                progress=PROGRESS_PREPARED + (PROGRESS_CHUNKS_DONE - PROGRESS_PREPARED) * done // total,
                progress_at=now,
            )
    return chunk.creators_count


# --- finalize: scorecards and category impacts (in parallel), then publish ------------------------------------
@dataclass
class _Stopwatch:
    timings: dict[str, float]
    last: float

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.timings[name] = round(now - self.last, 3)
        self.last = now


# Each final stage records its timing in the run's ``timings`` in the transaction that writes its rows: the key is
# also the mark that the stage is done (a redelivered stage finds it and does nothing; publishing needs them all).
SCORECARDS_DONE = "scorecards_s"
IMPACTS_DONE = "impacts_s"
FINAL_STAGES = (SCORECARDS_DONE, IMPACTS_DONE)


def _final_numbers(run: ScoringRun) -> list[int]:
    """The chunk numbers of the run; a run without creators has one empty chunk 0 (made by ``prepare``)."""
    return list(run.chunks.order_by("number").values_list("number", flat=True)) or [0]


def _running_run(run_id: int) -> ScoringRun | None:
    """The run if it is still running (else None); raises when a chunk is not computed."""
    run = ScoringRun.objects.get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        logger.info("final stage of run %s skipped: run is %s", run_id, run.status)
        return None
    missing = list(run.chunks.filter(is_done=False).order_by("number").values_list("number", flat=True))
    if missing:
        raise RuntimeError(f"chunks not computed: {missing}")
    return run


def _stage_commit(run_id: int, stage: str, timings: dict[str, float], medians: dict[str, Any] | None = None,
                  **fields: Any) -> bool | None:
    """Record a finished final stage on the run, under its row lock, in the stage's transaction.

    Returns None when the run stopped running meanwhile (failed by another stage or the reaper): the caller then
    rolls its rows back. Otherwise whether every final stage is now done: the stages run at the same time and the
    lock orders their commits, so exactly one of them, the last, sees that and publishes the run.
    """
    run = ScoringRun.objects.select_for_update().get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        return None
    merged = {**run.timings, **timings}
    done = all(key in merged for key in FINAL_STAGES)
    ScoringRun.objects.filter(pk=run_id).update(
        timings=merged, medians={**run.medians, **(medians or {})}, progress_at=timezone.now(),
        progress=min(99, run.progress + 5), **fields,
    )
    logger.info("scoring run %s: %s done, %s", run_id, stage, timings)
    return done


class _StageAbandoned(Exception):
    """Rolls a final stage back when its run stopped running while it worked."""


def _final_stage(
    run_id: int, stage: str, work: Callable[[ScoringRun, dict[str, float]], tuple[dict[str, Any], dict[str, Any]]]
) -> bool | None:
    """Run one final stage in one transaction: ``work(run, timings)`` does the work and returns the medians and
    run fields to record. Returns None when the stage did nothing (done before, or the run stopped running),
    else whether the run is now complete (the caller publishes it)."""
    run = _running_run(run_id)
    if run is None or stage in run.timings:
        return None
    timings: dict[str, float] = {}
    try:
        with transaction.atomic():
            _tune_transaction(sequential=False)
            medians, fields = work(run, timings)
            done = _stage_commit(run_id, stage, timings, medians, **fields)
            if done is None:
                raise _StageAbandoned
    except _StageAbandoned:
        logger.info("%s of run %s rolled back: the run stopped running", stage, run_id)
        return None
    return done


def scoring_run_scorecards(*, run_id: int) -> bool:
    """Rank the whole population, write the run's scorecards and record its reference medians; True when this
    published the run.

    One transaction: the ranked staging table is written and then read by the insert and the medians. The rows
    stay invisible to partners until the run is published (readers read the published run only); a failed run's
    rows are deleted by ``scoring_run_fail``.
    """

    def work(run: ScoringRun, timings: dict[str, float]) -> tuple[dict[str, Any], dict[str, Any]]:
        if run.started_at:
            timings["chunks_wall_s"] = round((timezone.now() - run.started_at).total_seconds(), 3)
        seconds = run.chunks.exclude(seconds=None).values_list("seconds", flat=True)
        timings["chunks_sum_s"] = round(sum(s or 0.0 for s in seconds), 3)
        watch = _Stopwatch(timings, time.monotonic())
        if connection.vendor == indices.POSTGRESQL:
            with connection.cursor() as cursor:
                # Joining the ranks back to the metrics: a hash join, not a merge join that sorts 1M wide rows.
                cursor.execute("SET LOCAL enable_mergejoin = off")
        creator_tables = [indices.chunk_creator_table(run_id, n) for n in _final_numbers(run)]
        _execute(f"DROP TABLE IF EXISTS {indices.scored_table(run_id)}")
        _execute(indices.scored_sql(dialect=_dialect(), run_id=run_id, creator_tables=creator_tables))
        watch.lap("rank_s")
        # A redelivered stage whose first attempt died before committing left nothing; this is for safety.
        _execute(f"DELETE FROM scoring_scorecard WHERE run_id = {int(run_id)}")
        # Under the access-sync lock until this stage commits: a creator change (import, admin) either commits
        # before the insert reads the creators' categories and country, or waits and then rewrites the copies on
        # this run too (``scorecards_access_sync`` covers the active run as well as the published one).
        access_sync_lock()
        compared = compared_run_for(run)
        written = _execute(
            indices.scorecards_insert_sql(dialect=_dialect(), run_id=run_id, compared_run_id=compared)
        )
        _analyze("scoring_scorecard")
        watch.lap(SCORECARDS_DONE)
        medians, videos = _score_medians(run_id=run_id)
        watch.lap("medians_s")
        return medians, {"creators_count": written, "videos_count": videos, "compared_run_id": compared}

    return bool(_final_stage(run_id, SCORECARDS_DONE, work)) and scoring_run_publish(run_id=run_id)


def compared_run_for(run: ScoringRun) -> int | None:
    """The id of the run that ``run``'s changes are measured against: the last run published before it with the
    same window (DESIGN 7: "the previous published run with the same window"), whether or not it is still the
    published one; None when there is none. A run of another window length is never compared: its indices rank a
    different period.
    """
    previous = (
        ScoringRun.objects.filter(window_days=run.window_days, published_at__isnull=False)
        .exclude(pk=run.pk)
        .order_by("-published_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return int(previous) if previous is not None else None


def scoring_run_impacts(*, run_id: int) -> bool:
    """Rank every creator's impact in each category, write the run's rows and the category medians; True when
    this published the run.

    Runs at the same time as ``scoring_run_scorecards`` (it reads only the chunks' category tables); one
    transaction.
    """

    def work(run: ScoringRun, timings: dict[str, float]) -> tuple[dict[str, Any], dict[str, Any]]:
        watch = _Stopwatch(timings, time.monotonic())
        category_tables = [indices.chunk_category_table(run_id, n) for n in _final_numbers(run)]
        _execute(f"DROP TABLE IF EXISTS {indices.impacts_table(run_id)}")
        _execute(indices.impacts_sql(dialect=_dialect(), run_id=run_id, category_tables=category_tables))
        watch.lap("impacts_rank_s")
        _execute(f"DELETE FROM scoring_categoryimpact WHERE run_id = {int(run_id)}")
        _execute(indices.impacts_insert_sql(run_id=run_id))
        _analyze("scoring_categoryimpact")
        watch.lap(IMPACTS_DONE)
        slugs = dict(Category.objects.values_list("pk", "slug"))
        categories = {
            slugs.get(cat_id, str(cat_id)): {"n": int(n), "impact": _num(impact)}
            for cat_id, n, impact in _fetch(indices.category_medians_sql(run_id=run_id))
        }
        watch.lap("category_medians_s")
        return {"categories": categories}, {}

    return bool(_final_stage(run_id, IMPACTS_DONE, work)) and scoring_run_publish(run_id=run_id)


def scoring_run_publish(*, run_id: int) -> bool:
    """Publish the run in one short transaction: one switch of the published flag, staging tables dropped.

    Returns False (and changes nothing) when the run is no longer running, e.g. failed by the reaper.

    First, outside that transaction, the run's aggregates for every partner's current grants (the distribution and
    category medians the scorecard pages show) and its movers (the home page's, ``scoring.movers``), so that no page
    computes them after the publication.
    """
    t_aggregates = time.monotonic()
    unpublished = ScoringRun.objects.get(pk=run_id)
    aggregates.run_aggregates_precompute(unpublished)
    aggregates_s = round(time.monotonic() - t_aggregates, 3)
    t_movers = time.monotonic()
    movers.run_movers_precompute(unpublished)
    movers_s = round(time.monotonic() - t_movers, 3)
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.RUNNING:
            logger.info("publish of run %s skipped: run is %s", run_id, run.status)
            return False
        missing = [key for key in FINAL_STAGES if key not in run.timings]
        if missing:
            raise RuntimeError(f"run {run_id}: final stages not done: {missing}")
        timings = {**run.timings, "aggregates_s": aggregates_s, "movers_s": movers_s}
        watch = _Stopwatch(timings, time.monotonic())
        ScoringRun.objects.filter(is_published=True).exclude(pk=run_id).update(is_published=False)
        now = timezone.now()
        run.status = RunStatus.SUCCEEDED
        run.is_active = False
        run.is_published = True
        run.progress = 100
        run.progress_at = now
        run.finished_at = now
        run.published_at = now
        run.error = ""
        _drop_stage_tables(run_id)
        watch.lap("publish_s")
        if run.started_at:
            elapsed = (now - run.started_at).total_seconds()
            if "chunks_wall_s" in timings:
                timings["finalize_s"] = round(elapsed - timings["chunks_wall_s"], 3)
            timings["total_s"] = round(elapsed + timings.get("prepare_s", 0), 3)
        run.timings = timings
        run.save()
        t_commit = time.monotonic()
    timings["commit_s"] = round(time.monotonic() - t_commit, 3)
    ScoringRun.objects.filter(pk=run_id).update(timings=timings)
    logger.info("scoring run %s published: %s scorecards, timings %s", run_id, run.creators_count, timings)
    return True


# Tasks queued (by name: tasks import services, never the reverse) once a run is published, with its id: the
# alerts digest. The beat schedule runs the digest too, should this message be lost.
AFTER_PUBLISH_TASKS: tuple[str, ...] = ("partners.tasks.digest_run",)


def scoring_run_published_hooks(*, run_id: int) -> None:
    """Queue the work that follows a publication. Never fails the run: it is published, whatever happens here
    (eager mode runs the task in this process and would raise its errors here)."""
    for name in AFTER_PUBLISH_TASKS:
        try:
            task_named(name).delay(run_id)
        except Exception:
            logger.exception("run %s published; could not run %s (the beat schedule will)", run_id, name)


# The PostgreSQL advisory lock (transaction-scoped) that orders a run's publication and the access syncs of
# creator changes; any constant unique to this purpose.
ACCESS_SYNC_LOCK = 0x5C0DE_ACC


def access_sync_lock() -> None:
    """Take the access-sync lock until the end of the current transaction (PostgreSQL; SQLite has one writer).

    Without it, an import committing between a run's scorecard insert (which copied the creators' categories as
    they were) and the run's publication would rewrite the copies of the old published run only, and the new run
    would show a creator to partners whose grant no longer covers it.
    """
    if connection.vendor == indices.POSTGRESQL:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ACCESS_SYNC_LOCK])


def scorecards_access_sync(
    *, creators_sql: str = "", params: Sequence[Any] = (), creator_ids: Sequence[int] = ()
) -> int:
    """Rewrite the copied creator columns (``indices.ACCESS_COLUMNS``) of the published (and active) run's scorecards.

    The only writer of those copies outside the scoring run itself (``partners.visibility`` reads them): the import
    runner, the admin's creator form and any data fix call it explicitly; nothing calls it behind their back, so an
    ``.update()`` or raw SQL that changes a creator's categories or country must call it too.

    ``creators_sql`` is a query that returns the ids of the creators whose categories or country may have changed
    (e.g. ``SELECT creator_id FROM <import staging table>``), with its ``params``; or give the ids themselves as
    ``creator_ids``. Call it inside the transaction
    that changed them, after the change, so that a partner never sees a creator outside its grant, even before
    the next scoring run. One set-based ``UPDATE ... FROM``; bumps the run's ``revision`` (which the cached
    per-run aggregates key on) when a row changed. Returns the number of published scorecards rewritten.
    """
    if creator_ids:
        creators_sql, params = ", ".join(["%s"] * len(creator_ids)), [int(pk) for pk in creator_ids]
    if not creators_sql:
        return 0
    access_sync_lock()
    # The published run, and the active run whose scorecards stage may already have committed its copies (it
    # takes the same lock around its insert, so it either reads this change or is rewritten here).
    runs = dict(
        ScoringRun.objects.filter(Q(is_published=True) | Q(is_active=True)).values_list("id", "is_published")
    )
    if not runs:
        return 0
    access = indices.creator_access_sql(dialect=_dialect(), creator="cr")
    assignments = ", ".join(f"{name} = {access[name]}" for name in indices.ACCESS_COLUMNS)
    published_updated = 0
    with connection.cursor() as cursor:
        for run_id, is_published in runs.items():  # at most two runs
            cursor.execute(
                f"UPDATE scoring_scorecard SET {assignments} FROM creators_creator cr "
                f"WHERE cr.id = scoring_scorecard.creator_id AND scoring_scorecard.run_id = %s "
                f"AND scoring_scorecard.creator_id IN ({creators_sql})",
                [run_id, *params],
            )
            if is_published and cursor.rowcount:
                published_updated = cursor.rowcount
                published_run_touch(run_id=run_id)
    return published_updated


def published_run_touch(*, run_id: int | None = None) -> None:
    """Bump the published run's ``revision``: its visible rows changed (access sync, a creator forgotten)."""
    runs = ScoringRun.objects.filter(pk=run_id) if run_id is not None else ScoringRun.objects.filter(is_published=True)
    runs.update(revision=F("revision") + 1)


def _fetch(sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _score_medians(*, run_id: int) -> tuple[dict[str, Any], int]:
    """The run's reference-group medians (for "why this score"), population medians (radar) and pooled rates,
    and its video count, read from the ranked table in three statements."""
    groups: dict[str, dict[str, Any]] = {}
    population: dict[str, dict[str, Any]] = {}
    (row,) = _fetch(indices.population_medians_sql(run_id=run_id))
    values = list(row)
    for name in indices.POPULATION_RANKED:
        n, median, index_median = values[:3]
        del values[:3]
        if n is None:
            groups.setdefault(name, {})
            continue
        groups[name] = {"all": {"label": "all creators", "n": int(n), "median": _num(median)}}
        population[name] = {"n": int(n), "median": _num(index_median)}
    n_eff, median_eff = values[:2]
    del values[:2]
    effectiveness: dict[str, Any] = {}
    for tier_number, n, median in _fetch(indices.tier_medians_sql(run_id=run_id)):
        tier = FOLLOWER_TIERS[int(tier_number)]
        effectiveness[f"tier:{tier.number}"] = {
            "label": f"{tier.label} followers", "n": int(n), "median": _num(median),
            "fallback": int(n) < TIER_MIN_GROUP,
        }
    if n_eff is not None:
        effectiveness["all"] = {"label": "all creators", "n": int(n_eff), "median": _num(median_eff)}
    groups["effectiveness"] = effectiveness
    if "all" in groups.get("sales", {}):
        groups["sales"]["all"]["label"] = "all creators with known GMV"
    for name, n, median in _fetch(indices.index_medians_sql(run_id=run_id)):
        if n is not None:
            population[name] = {"n": int(n), "median": _num(median)}
    pooled = dict(zip(("acceptance", "on_time", "sponsored_share", "shoppable_share"), map(_num, values[:4]),
                      strict=True))
    return {"groups": groups, "indices": population, "pooled": pooled}, int(values[4] or 0)


# --- failure, reaping, pruning ------------------------------------------------------------------------------
def scoring_run_fail(*, run_id: int, reason: str) -> bool:
    """Mark an active run failed with the reason; the published run is untouched. False if it was not active."""
    now = timezone.now()
    updated = ScoringRun.objects.filter(pk=run_id, status__in=ACTIVE_STATUSES).update(
        status=RunStatus.FAILED, is_active=False, error=reason[:10_000], finished_at=now, progress_at=now
    )
    if updated:
        logger.warning("scoring run %s failed: %s", run_id, reason)
        try:
            with transaction.atomic():
                # Rows one final stage committed before the other failed: never visible (the run is not
                # published) and never to be, so not kept either.
                _execute(f"DELETE FROM scoring_scorecard WHERE run_id = {int(run_id)}")
                _execute(f"DELETE FROM scoring_categoryimpact WHERE run_id = {int(run_id)}")
                _drop_stage_tables(run_id)
        except Exception:
            # A chunk may still hold its table; the next reap or prune drops what is left.
            logger.exception("could not drop the staging tables or rows of run %s", run_id)
    return bool(updated)


def scoring_runs_reap_stale(*, stale_seconds: int | None = None) -> list[int]:
    """Fail active runs that showed no progress for longer than ``SCORING_STALE_SECONDS`` (a lost worker)."""
    seconds = settings.SCORING_STALE_SECONDS if stale_seconds is None else stale_seconds
    cutoff = timezone.now() - timedelta(seconds=seconds)
    stale = list(
        ScoringRun.objects.filter(status__in=ACTIVE_STATUSES, progress_at__lt=cutoff).values_list("pk", flat=True)
    )
    reaped = []
    for run_id in stale:
        if scoring_run_fail(run_id=run_id, reason=f"no progress for more than {seconds} s: worker lost or stopped"):
            reaped.append(run_id)
    return reaped


def scoring_runs_prune(*, keep: int | None = None) -> int:
    """Delete all but the newest ``keep`` runs (``SCORING_RUNS_KEPT``); never the published or an active run."""
    keep = settings.SCORING_RUNS_KEPT if keep is None else keep
    kept = set(ScoringRun.objects.order_by("-pk").values_list("pk", flat=True)[: max(keep, 0)])
    doomed = list(
        ScoringRun.objects.exclude(pk__in=kept)
        .filter(is_published=False, is_active=False)
        .values_list("pk", flat=True)
    )
    if not doomed:
        return 0
    with transaction.atomic():
        # Bulk deletes (no per-row signals on these models) before the runs themselves.
        CategoryImpact.objects.filter(run_id__in=doomed).delete()
        Scorecard.objects.filter(run_id__in=doomed).delete()
        ScoringRun.objects.filter(pk__in=doomed).delete()
    for run_id in doomed:
        _drop_stage_tables(run_id)
    return len(doomed)
