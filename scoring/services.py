"""Scoring runs: request, prepare, compute chunks, finalize and publish, fail, reap and prune.

The maths is in ``scoring.indices`` (SQL generated from ``scoring.definitions``); this module runs it against
the database in the right transactions. Celery tasks (``scoring.tasks``) only call these functions.

Life of a run: ``scoring_run_request`` creates it ``pending`` (at most one active run: a partial unique
constraint, so a concurrent request joins the active run) and enqueues the start task on commit;
``scoring_run_prepare`` makes it ``running`` and splits the creators into chunks; ``scoring_chunk_compute``
writes one staging table pair per chunk; ``scoring_run_finalize`` ranks the whole population, writes the
scorecards and category impacts and publishes the run, all in one transaction. Any failure before that commit
leaves the published run as it was.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from config.queue import queue_check
from creators.models import Category, Video
from scoring import indices
from scoring.choices import RunStatus
from scoring.models import ScoringChunk, ScoringRun

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
        return cursor.rowcount


def _drop_stage_tables(run_id: int) -> None:
    prefix = indices.stage_prefix(run_id)
    with connection.cursor() as cursor:
        names = [name for name in connection.introspection.table_names(cursor) if name.startswith(prefix)]
        for name in names:
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(name)}")


def default_as_of() -> date:
    """The date (UTC) of the newest imported video; today when there is none."""
    newest = Video.objects.aggregate(newest=Max("posted_at"))["newest"]
    if newest is None:
        return timezone.now().date()
    return newest.astimezone(UTC).date()


# --- request ------------------------------------------------------------------------------------------------
def scoring_run_request(
    *,
    triggered_by: str,
    requested_by: Any = None,
    as_of: date | None = None,
    window_days: int | None = None,
) -> ScoringRun:
    """Start a scoring run, or join the active one.

    The run is enqueued when the surrounding transaction commits (nothing is sent for a rolled-back import).
    With eager Celery (the embedded set-up) the whole run executes in that commit hook; outside a transaction
    that is before this function returns, and the returned run is then refreshed.
    """
    # Redis down: refuse before writing anything, rather than leave a run that no worker will ever take.
    queue_check()
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
    from scoring import tasks  # the tasks module imports this one

    try:
        tasks.scoring_run_start.delay(run_id)
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
    params = {
        "dialect": dialect, "window": window, "run_id": run_id, "number": number,
        "first_id": chunk.first_creator_id, "last_id": chunk.last_creator_id,
    }
    t0 = time.monotonic()
    with transaction.atomic():
        _tune_transaction(sequential=True)
        for table in (indices.chunk_creator_table(run_id, number), indices.chunk_category_table(run_id, number)):
            _execute(f"DROP TABLE IF EXISTS {table}")
        _execute(indices.chunk_category_sql(**params))
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


# --- finalize and publish -----------------------------------------------------------------------------------
@dataclass
class _Stopwatch:
    timings: dict[str, float]
    last: float

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.timings[name] = round(now - self.last, 3)
        self.last = now


def scoring_run_finalize(*, run_id: int) -> bool:
    """Rank the whole population, write scorecards and impacts, and publish the run, in one transaction.

    Returns False (and changes nothing) when the run is no longer running, e.g. failed by the reaper.
    """
    t_start = time.monotonic()
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.RUNNING:
            logger.info("finalize of run %s skipped: run is %s", run_id, run.status)
            return False
        chunks = list(run.chunks.order_by("number"))
        missing = [c.number for c in chunks if not c.is_done]
        if missing:
            raise RuntimeError(f"chunks not computed: {missing}")
        timings = dict(run.timings)
        if run.started_at:
            timings["chunks_wall_s"] = round((timezone.now() - run.started_at).total_seconds(), 3)
        timings["chunks_sum_s"] = round(sum(c.seconds or 0.0 for c in chunks), 3)
        watch = _Stopwatch(timings, time.monotonic())
        _tune_transaction(sequential=False)
        if connection.vendor == indices.POSTGRESQL:
            # Joining the ranks back to the metrics: a hash join, not a merge join that sorts 1M wide rows.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_mergejoin = off")
        dialect = _dialect()
        # A run with no creator still publishes (empty): the staging union needs one table, even empty.
        numbers = [c.number for c in chunks]
        if not numbers:
            params = {"dialect": dialect, "window": indices.Window(run.as_of, run.window_days), "run_id": run_id,
                      "number": 0, "first_id": 0, "last_id": -1}
            _execute(indices.chunk_category_sql(**params))
            _execute(indices.chunk_creator_sql(**params))
            numbers = [0]
        creator_tables = [indices.chunk_creator_table(run_id, n) for n in numbers]
        category_tables = [indices.chunk_category_table(run_id, n) for n in numbers]

        _execute(f"DROP TABLE IF EXISTS {indices.scored_table(run_id)}")
        _execute(indices.scored_sql(dialect=dialect, run_id=run_id, creator_tables=creator_tables))
        watch.lap("rank_s")
        _execute(indices.impacts_insert_sql(run_id=run_id, category_tables=category_tables))
        watch.lap("impacts_s")
        medians, videos = _medians(run_id=run_id)
        watch.lap("medians_s")
        # Last before publishing, under the access-sync lock: a creator change committed from here on waits for
        # the publication and then rewrites the copies on this run; one committed before is read by the insert.
        access_sync_lock()
        scorecards = _execute(indices.scorecards_insert_sql(dialect=dialect, run_id=run_id))
        watch.lap("scorecards_s")

        ScoringRun.objects.filter(is_published=True).exclude(pk=run_id).update(is_published=False)
        now = timezone.now()
        run.status = RunStatus.SUCCEEDED
        run.is_active = False
        run.is_published = True
        run.progress = 100
        run.progress_at = now
        run.finished_at = now
        run.published_at = now
        run.creators_count = scorecards
        run.videos_count = videos
        run.medians = medians
        run.error = ""
        _drop_stage_tables(run_id)
        watch.lap("publish_s")
        timings["finalize_s"] = round(time.monotonic() - t_start, 3)
        if run.started_at:
            timings["total_s"] = round((now - run.started_at).total_seconds() + timings.get("prepare_s", 0), 3)
        run.timings = timings
        run.save()
        t_commit = time.monotonic()
    # Recorded after the fact: the commit itself (index and constraint work at commit) is part of publishing.
    timings["commit_s"] = round(time.monotonic() - t_commit, 3)
    ScoringRun.objects.filter(pk=run_id).update(timings=timings)
    logger.info("scoring run %s published: %s scorecards, timings %s", run_id, scorecards, timings)
    return True


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


def scorecards_access_sync(*, creators_sql: str, params: Sequence[Any] = ()) -> int:
    """Rewrite the copied creator columns (``indices.ACCESS_COLUMNS``) of the published run's scorecards.

    ``creators_sql`` is a query that returns the ids of the creators whose categories or country may have changed
    (e.g. ``SELECT creator_id FROM <import staging table>``), with its ``params``. Call it inside the transaction
    that changed them, after the change, so that a partner never sees a creator outside its grant, even before
    the next scoring run. One set-based ``UPDATE ... FROM``; bumps the run's ``revision`` (which the cached
    per-run aggregates key on) when a row changed. Returns the number of scorecards rewritten.
    """
    access_sync_lock()
    run_id = ScoringRun.objects.filter(is_published=True).values_list("id", flat=True).first()
    if run_id is None:
        return 0
    access = indices.creator_access_sql(dialect=_dialect(), creator="cr")
    assignments = ", ".join(f"{name} = {access[name]}" for name in indices.ACCESS_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE scoring_scorecard SET {assignments} FROM creators_creator cr "
            f"WHERE cr.id = scoring_scorecard.creator_id AND scoring_scorecard.run_id = %s "
            f"AND scoring_scorecard.creator_id IN ({creators_sql})",
            [run_id, *params],
        )
        updated = cursor.rowcount
    if updated:
        published_run_touch(run_id=run_id)
    return updated


def published_run_touch(*, run_id: int | None = None) -> None:
    """Bump the published run's ``revision``: its visible rows changed (access sync, a creator forgotten)."""
    runs = ScoringRun.objects.filter(pk=run_id) if run_id is not None else ScoringRun.objects.filter(is_published=True)
    runs.update(revision=F("revision") + 1)


def _fetch(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _medians(*, run_id: int) -> tuple[dict[str, Any], int]:
    """The run's reference-group medians (for "why this score") and population/category medians (radar)."""
    from scoring.definitions import FOLLOWER_TIERS, TIER_MIN_GROUP

    groups: dict[str, dict[str, Any]] = {}
    population: dict[str, dict[str, Any]] = {}
    for key, sql in indices.group_medians_sql(run_id=run_id).items():
        name, _, part = key.partition(":")
        target = groups.setdefault(name, {})
        for grp, n, median, index_median in _fetch(sql):
            if n is None:
                continue
            if part == "tier":
                tier = FOLLOWER_TIERS[int(grp)]
                target[f"tier:{tier.number}"] = {
                    "label": f"{tier.label} followers", "n": int(n), "median": _num(median),
                    "fallback": int(n) < TIER_MIN_GROUP,
                }
            else:
                target["all"] = {"label": "all creators", "n": int(n), "median": _num(median)}
                if not part:
                    population[name] = {"n": int(n), "median": _num(index_median)}
    if "sales" in groups and "all" in groups["sales"]:
        groups["sales"]["all"]["label"] = "all creators with known GMV"
    for name, n, median in _fetch(indices.index_medians_sql(run_id=run_id)):
        if n is not None:
            population[name] = {"n": int(n), "median": _num(median)}
    slugs = dict(Category.objects.values_list("pk", "slug"))
    categories = {
        slugs.get(cat_id, str(cat_id)): {"n": int(n), "impact": _num(impact)}
        for cat_id, n, impact in _fetch(indices.category_medians_sql(run_id=run_id))
    }
    (pooled_row,) = _fetch(
        f"SELECT MAX(m_acceptance), MAX(m_on_time), MAX(m_sponsored), MAX(m_shoppable), SUM(videos) "
        f"FROM {indices.scored_table(run_id)}"
    )
    pooled = dict(zip(("acceptance", "on_time", "sponsored_share", "shoppable_share"), map(_num, pooled_row[:4]),
                      strict=True))
    return {"groups": groups, "indices": population, "categories": categories, "pooled": pooled}, int(
        pooled_row[4] or 0
    )


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
                _drop_stage_tables(run_id)
        except Exception:
            # A chunk may still hold its table; the next reap or prune drops what is left.
            logger.exception("could not drop the staging tables of run %s", run_id)
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
    from scoring.models import CategoryImpact, Scorecard

    with transaction.atomic():
        # Bulk deletes (no per-row signals on these models) before the runs themselves.
        CategoryImpact.objects.filter(run_id__in=doomed).delete()
        Scorecard.objects.filter(run_id__in=doomed).delete()
        ScoringRun.objects.filter(pk__in=doomed).delete()
    for run_id in doomed:
        _drop_stage_tables(run_id)
    return len(doomed)
