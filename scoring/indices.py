"""The index maths as SQL, generated from ``scoring.definitions``.

Everything here is a pure function from (dialect, run parameters) to SQL text: no connection, no Celery, no
request. The statements are set-based (aggregates and window functions over whole tables) and run on both
PostgreSQL and SQLite; the few spellings that differ between the two are isolated in ``Dialect``.

A run computes in three stages, each a ``CREATE TABLE ... AS SELECT`` (on PostgreSQL an UNLOGGED table, which,
unlike ``INSERT ... SELECT``, may use parallel workers):

1. per chunk of creator ids, ``chunk_category_sql``: one pass over the window's videos sorted by creator and
   time, giving per (creator, category) sums, gap sums and active-week counts;
2. per chunk, ``chunk_creator_sql``: every creator of the chunk (zero rows for those without videos) with its
   raw metrics, collaborations and median response time;
3. once, ``scored_sql``: the pooled rates, smoothing, raw scores, percentiles within the reference groups,
   overall and confidence, over the union of the chunk tables; ``scorecards_insert_sql`` writes the run's
   scorecards from it;
4. once, at the same time as 3 (another worker), ``impacts_sql``: the category impacts over the union of the
   chunks' category tables; ``impacts_insert_sql`` writes the run's rows from it.

Literal values (ids, dates, numbers) are formatted into the SQL by this module from typed Python values only,
never from user input, so that one statement can repeat them without a parameter per use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from creators.choices import ACCEPTED_STATUSES
from scoring import definitions as d
from scoring.catalogue import change_field

POSTGRESQL = "postgresql"
SQLITE = "sqlite"

DOUBLE = "DOUBLE PRECISION"


@dataclass(frozen=True)
class Window:
    """The run's window: as-of date ``T`` and ``W`` days, ``T-(W-1) .. T`` inclusive by UTC date."""

    as_of: date
    days: int

    @property
    def first_day(self) -> date:
        return self.as_of - timedelta(days=self.days - 1)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """Exclusive upper bound: midnight after the as-of date."""
        return datetime.combine(self.as_of + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def previous(self) -> Window:
        """The window of the same length that ends the day before this one starts (the growth figures' base)."""
        return Window(self.first_day - timedelta(days=1), self.days)


@dataclass(frozen=True)
class Dialect:
    """The spellings that differ between PostgreSQL and SQLite."""

    vendor: str

    @property
    def create_table(self) -> str:
        # Staging tables are rebuilt by any retry and dropped after the run: no need to WAL-log them.
        return "CREATE UNLOGGED TABLE" if self.vendor == POSTGRESQL else "CREATE TABLE"

    def ts(self, value: datetime) -> str:
        """A UTC timestamp literal comparable with a DateTimeField column."""
        value = value.astimezone(UTC)
        if self.vendor == POSTGRESQL:
            return f"TIMESTAMPTZ '{value:%Y-%m-%d %H:%M:%S}+00'"
        # Django stores aware datetimes on SQLite as naive UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]'.
        return f"'{value:%Y-%m-%d %H:%M:%S}'"

    def epoch(self, column: str) -> str:
        """Whole seconds since 1970 as an integer (DESIGN 5: times are whole seconds since the epoch).

        Integers on both backends, so that a gap between two videos is the same exact number on PostgreSQL and
        SQLite whatever the order of the rows (SQLite's ``julianday`` is a float that errs by up to 1e-8 h).
        """
        if self.vendor == POSTGRESQL:
            # date_part returns float8 directly (exact for whole seconds); EXTRACT returns numeric, much slower over
            # millions of rows. FLOOR drops a fraction of a second the same way SQLite's '%s' does for times >= 1970.
            return f"CAST(FLOOR(date_part('epoch', {column})) AS BIGINT)"
        return f"CAST(strftime('%s', {column}) AS INTEGER)"

    def hours_between(self, start: str, end: str) -> str:
        """Hours from ``start`` to ``end``, from whole seconds since the epoch (exact and the same on both)."""
        return f"(CAST({self.epoch(end)} - {self.epoch(start)} AS {DOUBLE}) / 3600.0)"

    def cents(self, column: str) -> str:
        """A money column (a decimal with two places) as integer cents: summed exactly and fast (LIMITS: a
        ``sum(numeric)`` over millions of rows is slow; a bigint sum is exact)."""
        return f"CAST(ROUND({column} * 100) AS BIGINT)"

    def week_number(self, column: str, window: Window) -> str:
        """Week k (0 = the 7 days ending at T) of a timestamp, exact at midnight boundaries."""
        last = window.days - 1
        if self.vendor == POSTGRESQL:
            # Integer division of non-negative integers (the window starts at the first day's midnight, and a
            # video is before the end): an exact floor, in bigint rather than numeric arithmetic.
            start_epoch = int(window.start.timestamp())
            day = f"(({self.epoch(column)} - {start_epoch}) / 86400)"
            return f"CAST(({last} - {day}) / 7 AS INTEGER)"
        # julianday of a date is exact (x.5), so the day difference is an exact integer.
        day = f"CAST(julianday(date({column})) - julianday('{window.first_day:%Y-%m-%d}') AS INTEGER)"
        return f"(({last} - {day}) / 7)"

    def sqrt(self, expr: str) -> str:
        return f"SQRT({expr})"


def _money(cents: str) -> str:
    """Integer cents back to an amount for a decimal column, once, where a run writes its rows: on PostgreSQL
    ``bigint / 100.0`` is an exact numeric division (``100.0`` is a numeric literal), SQLite stores a double."""
    return f"({cents} / 100.0)"


def _f(value: float) -> str:
    """A float literal that is read back as a double on both backends."""
    return repr(float(value))


def _statuses(statuses: tuple[str, ...]) -> str:
    return ", ".join(f"'{str(s)}'" for s in statuses)


# --- table names --------------------------------------------------------------------------------------------
def stage_prefix(run_id: int) -> str:
    """Prefix of every staging table of a run (the trailing underscore keeps run 1 apart from run 12)."""
    return f"scoring_tmp_{int(run_id)}_"


def chunk_category_table(run_id: int, number: int) -> str:
    return f"{stage_prefix(run_id)}c{int(number)}"


def chunk_creator_table(run_id: int, number: int) -> str:
    return f"{stage_prefix(run_id)}s{int(number)}"


def scored_table(run_id: int) -> str:
    return f"{stage_prefix(run_id)}scored"


# --- stage 1 and 2: per chunk -------------------------------------------------------------------------------
CATEGORY_COLUMNS = (
    "creator_id", "category_id", "videos", "views", "engagements", "sponsored", "shoppable", "gmv_cents", "orders",
    "gmv_views", "gmv_videos", "active_weeks", "gap_n", "gap_sum", "gap_sumsq",
)


def chunk_category_sql(*, dialect: Dialect, window: Window, run_id: int, number: int, first_id: int,
                       last_id: int) -> str:
    """Per (creator, category) sums over the window's videos of creators ``first_id .. last_id``.

    One sorted pass per creator gives the gaps between consecutive videos (``LAG``) and the first video of each
    week; their sums add up across a creator's categories, so the per-creator metrics are exact sums of these
    rows. A video's category is its product category, else its creator's primary category.

    Every sum is an integer, so it is exact and the same in any order of the rows and on either backend (DESIGN 5:
    ties are ties): GMV in cents, gaps in whole seconds (with their squares, from which ``scored_sql`` derives
    the coefficient of variation; a gap is at most the window, so the sums stay far inside a bigint).
    """
    return f"""
{dialect.create_table} {chunk_category_table(run_id, number)} AS
SELECT creator_id, category_id,
       COUNT(*) AS videos,
       CAST(SUM(views) AS BIGINT) AS views,
       CAST(SUM(engagements) AS BIGINT) AS engagements,
       CAST(SUM(sponsored) AS BIGINT) AS sponsored,
       CAST(SUM(shoppable) AS BIGINT) AS shoppable,
       CAST(SUM(gmv_cents) AS BIGINT) AS gmv_cents,
       CAST(SUM(orders) AS BIGINT) AS orders,
       CAST(SUM(gmv_views) AS BIGINT) AS gmv_views,
       COUNT(gmv_cents) AS gmv_videos,
       CAST(SUM(new_week) AS BIGINT) AS active_weeks,
       COUNT(gap) AS gap_n,
       CAST(SUM(gap) AS BIGINT) AS gap_sum,
       CAST(SUM(gap * gap) AS BIGINT) AS gap_sumsq
FROM (
    SELECT w.creator_id, w.category_id, w.views, w.engagements, w.sponsored, w.shoppable, w.gmv_cents, w.orders,
           w.gmv_views,
           w.epoch - LAG(w.epoch) OVER s AS gap,
           CASE WHEN w.week < {d.WEEKS} AND COALESCE(LAG(w.week) OVER s, -1) <> w.week THEN 1 ELSE 0 END
               AS new_week
    FROM (
        SELECT v.id, v.creator_id, v.posted_at,
               COALESCE(v.product_category_id, cr.primary_category_id) AS category_id,
               {dialect.epoch("v.posted_at")} AS epoch,
               {dialect.week_number("v.posted_at", window)} AS week,
               v.views AS views,
               {_VIDEO_ENGAGEMENTS} AS engagements,
               CASE WHEN v.is_sponsored THEN 1 ELSE 0 END AS sponsored,
               CASE WHEN v.is_shoppable THEN 1 ELSE 0 END AS shoppable,
               {dialect.cents("v.gmv")} AS gmv_cents,
               CASE WHEN v.gmv IS NOT NULL THEN v.orders END AS orders,
               CASE WHEN v.gmv IS NOT NULL THEN v.views END AS gmv_views
        FROM creators_video v
        JOIN creators_creator cr ON cr.id = v.creator_id
        WHERE v.creator_id BETWEEN {int(first_id)} AND {int(last_id)}
          AND v.posted_at >= {dialect.ts(window.start)} AND v.posted_at < {dialect.ts(window.end)}
    ) w
    WINDOW s AS (PARTITION BY w.creator_id ORDER BY w.posted_at, w.id)
) x
GROUP BY creator_id, category_id
"""


CREATOR_COLUMNS = (
    "creator_id", "followers", "videos", "views", "engagements", "sponsored", "shoppable", "gmv_cents", "orders",
    "gmv_views", "gmv_videos", "active_weeks", "gap_n", "gap_sum", "gap_sumsq", "invitations", "accepted",
    "responded", "due", "on_time", "median_response_h", "videos_previous", "views_previous",
)


def chunk_creator_sql(*, dialect: Dialect, window: Window, run_id: int, number: int, first_id: int,
                      last_id: int) -> str:
    """Every creator of the chunk with its raw sums (zeros without videos) and collaboration counts, and its videos
    and views in the previous window of the same length (the growth figures)."""
    ok = _statuses(ACCEPTED_STATUSES)
    lo, hi = int(first_id), int(last_id)
    previous = window.previous
    in_window = (
        f"invited_at >= {dialect.ts(window.start)} AND invited_at < {dialect.ts(window.end)} "
        f"AND creator_id BETWEEN {lo} AND {hi}"
    )
    return f"""
{dialect.create_table} {chunk_creator_table(run_id, number)} AS
SELECT cr.id AS creator_id,
       cr.followers AS followers,
       COALESCE(a.videos, 0) AS videos,
       COALESCE(a.views, 0) AS views,
       COALESCE(a.engagements, 0) AS engagements,
       COALESCE(a.sponsored, 0) AS sponsored,
       COALESCE(a.shoppable, 0) AS shoppable,
       a.gmv_cents AS gmv_cents,
       a.orders AS orders,
       COALESCE(a.gmv_views, 0) AS gmv_views,
       COALESCE(a.gmv_videos, 0) AS gmv_videos,
       COALESCE(a.active_weeks, 0) AS active_weeks,
       COALESCE(a.gap_n, 0) AS gap_n,
       a.gap_sum AS gap_sum,
       a.gap_sumsq AS gap_sumsq,
       COALESCE(c.invitations, 0) AS invitations,
       COALESCE(c.accepted, 0) AS accepted,
       COALESCE(c.responded, 0) AS responded,
       COALESCE(c.due, 0) AS due,
       COALESCE(c.on_time, 0) AS on_time,
       m.median_response_h AS median_response_h,
       COALESCE(p.videos, 0) AS videos_previous,
       COALESCE(p.views, 0) AS views_previous
FROM creators_creator cr
LEFT JOIN (
    SELECT creator_id, CAST(SUM(videos) AS BIGINT) AS videos, CAST(SUM(views) AS BIGINT) AS views,
           CAST(SUM(engagements) AS BIGINT) AS engagements, CAST(SUM(sponsored) AS BIGINT) AS sponsored,
           CAST(SUM(shoppable) AS BIGINT) AS shoppable, CAST(SUM(gmv_cents) AS BIGINT) AS gmv_cents,
           CAST(SUM(orders) AS BIGINT) AS orders,
           CAST(SUM(gmv_views) AS BIGINT) AS gmv_views, CAST(SUM(gmv_videos) AS BIGINT) AS gmv_videos,
           CAST(SUM(active_weeks) AS BIGINT) AS active_weeks, CAST(SUM(gap_n) AS BIGINT) AS gap_n,
           CAST(SUM(gap_sum) AS BIGINT) AS gap_sum, CAST(SUM(gap_sumsq) AS BIGINT) AS gap_sumsq
    FROM {chunk_category_table(run_id, number)}
    GROUP BY creator_id
) a ON a.creator_id = cr.id
LEFT JOIN (
    SELECT creator_id,
           COUNT(*) AS invitations,
           SUM(CASE WHEN status IN ({ok}) THEN 1 ELSE 0 END) AS accepted,
           SUM(CASE WHEN responded_at IS NOT NULL THEN 1 ELSE 0 END) AS responded,
           SUM(CASE WHEN status IN ({ok}) AND due_at IS NOT NULL THEN 1 ELSE 0 END) AS due,
           SUM(CASE WHEN status IN ({ok}) AND due_at IS NOT NULL AND delivered_at IS NOT NULL
                         AND delivered_at <= due_at THEN 1 ELSE 0 END) AS on_time
    FROM creators_collaboration
    WHERE {in_window}
    GROUP BY creator_id
) c ON c.creator_id = cr.id
LEFT JOIN (
    SELECT creator_id, AVG(h) AS median_response_h
    FROM (
        SELECT creator_id, h,
               ROW_NUMBER() OVER (PARTITION BY creator_id ORDER BY h) AS rn,
               COUNT(*) OVER (PARTITION BY creator_id) AS cnt
        FROM (
            SELECT creator_id, {dialect.hours_between("invited_at", "responded_at")} AS h
            FROM creators_collaboration
            WHERE {in_window} AND responded_at IS NOT NULL
        ) r
    ) q
    WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2)
    GROUP BY creator_id
) m ON m.creator_id = cr.id
LEFT JOIN (
    SELECT creator_id, COUNT(*) AS videos, CAST(SUM(views) AS BIGINT) AS views
    FROM creators_video
    WHERE creator_id BETWEEN {lo} AND {hi}
      AND posted_at >= {dialect.ts(previous.start)} AND posted_at < {dialect.ts(previous.end)}
    GROUP BY creator_id
) p ON p.creator_id = cr.id
WHERE cr.id BETWEEN {lo} AND {hi}
"""


# --- stage 3: the whole population --------------------------------------------------------------------------
def _union(tables: list[str], columns: tuple[str, ...]) -> str:
    cols = ", ".join(columns)
    return "\nUNION ALL\n".join(f"SELECT {cols} FROM {table}" for table in tables)


# A video's engagements (``definitions.ENGAGEMENT_COUNTS``) over the alias ``v`` of the videos table.
_VIDEO_ENGAGEMENTS = " + ".join(f"v.{count}" for count in d.ENGAGEMENT_COUNTS)


def _ratio(num: str, den: str) -> str:
    return f"(CAST({num} AS {DOUBLE}) / {den})"


def _tier_case(column: str) -> str:
    parts = []
    for tier in d.FOLLOWER_TIERS:
        if tier.high is None:
            parts.append(f"ELSE {tier.number}")
        else:
            parts.append(f"WHEN {column} < {tier.high} THEN {tier.number}")
    return f"CASE WHEN {column} IS NULL THEN 0 " + " ".join(parts) + " END"


def _responsiveness(column: str) -> str:
    fast, slow = _f(d.RESPONSE_FAST_H), _f(d.RESPONSE_SLOW_H)
    return (
        f"CASE WHEN {column} IS NULL THEN {_f(d.RESPONSE_NONE)} WHEN {column} <= {fast} THEN 1.0 "
        f"WHEN {column} >= {slow} THEN 0.0 ELSE ({slow} - {column}) / ({slow} - {fast}) END"
    )


def _smoothed(x: str, n: str, pooled: str) -> str:
    k = d.SMOOTHING_K
    return f"(({x} + {k} * {pooled}) / ({n} + {k}.0))"


# Raw score column of each index, and the window its percentile is taken over.
RAW = {name: f"raw_{name}" for name in d.OVERALL_WEIGHTS}


def _index_from_rank(raw: str, rank: str, size: str) -> str:
    """100 × percent_rank among the creators of the group that have a raw score; a group of one scores 50.

    ``rank`` is ``RANK()`` in the raw score's order with nulls last, so among the creators that have the score it
    is their rank within the group; ``(rank - 1) / (size - 1)`` in doubles is exactly what ``PERCENT_RANK()``
    computes over the non-null rows (DESIGN 5: values below / (n - 1)). ``RANK()`` streams, whereas
    ``PERCENT_RANK()`` makes the window spool its whole partition (here the population) to learn its size.
    """
    return (
        f"CASE WHEN {raw} IS NULL THEN NULL WHEN {size} = 1 THEN {_f(d.GROUP_OF_ONE_PCT)} "
        f"ELSE 100.0 * (CAST({rank} - 1 AS {DOUBLE}) / CAST({size} - 1 AS {DOUBLE})) END"
    )


def _signal(index: str, *, n: str, low: str, high: str) -> str:
    """``index``, or null when its reference group has no signal (DESIGN 5): two or more creators of the group
    have a raw score and all of those scores are equal. Their ranks would all be 0 and read as "the lowest"
    (every creator "refuses to sell" in a source without shop links), where the data says nothing.

    The raw score is kept: an index that is null while its raw score is not is exactly a no-signal index
    (``definitions.null_reason``), so every reader can tell it from insufficient data.
    """
    return f"CASE WHEN {n} >= {d.NO_SIGNAL_MIN_GROUP} AND {low} = {high} THEN NULL ELSE {index} END"


def gap_cv_sql(*, dialect: Dialect, n: str, total: str, squares: str) -> str:
    """The coefficient of variation (population std / mean) of ``n`` gaps from their exact integer sum and sum of
    squares: ``sqrt(n·Σg² − (Σg)²) / Σg`` (the unit cancels, so seconds give what hours would).

    Null when there is no gap or every gap is zero (DESIGN 5). The integer sums do not depend on the order of the
    videos, so neither does the result: the same gaps in another order give the same ``gap_cv``. With gaps of at
    most the window, ``(Σg)²`` is below 2**53 and all-equal gaps give exactly 0; clamped at 0 all the same.
    """
    spread = f"(CAST({n} AS {DOUBLE}) * {squares} - CAST({total} AS {DOUBLE}) * {total})"
    return (
        f"CASE WHEN {n} > 0 AND {total} > 0 THEN "
        f"{dialect.sqrt(f'CASE WHEN {spread} > 0 THEN {spread} ELSE 0.0 END')} / {total} END"
    )


# Indices ranked among all creators that have the raw score (effectiveness is ranked per follower tier).
POPULATION_RANKED = tuple(name for name in RAW if name != "effectiveness")


def scored_sql(*, dialect: Dialect, run_id: int, creator_tables: list[str]) -> str:
    """Raw scores, percentiles, overall and confidence of every creator, as one staging table.

    The percentile windows run over a narrow projection (id, tier, raw scores) that each window sorts, and only
    count ranks (``RANK``, ``ROW_NUMBER``: streaming, no spooled partition); group sizes come from one aggregate
    pass. Per index the table also keeps the row number in the order of the raw score, from
    which the reference-group medians are read without another sort.
    """
    cw = d.COLLABORATION_WEIGHTS
    sw = d.CONSISTENCY_WEIGHTS
    m = d.MIN_VIDEOS
    gap_cv = gap_cv_sql(dialect=dialect, n="gap_n", total="gap_sum", squares="gap_sumsq")
    overall_num = " + ".join(f"COALESCE({w!r} * {name}, 0)" for name, w in d.OVERALL_WEIGHTS.items())
    overall_den = " + ".join(f"CASE WHEN {name} IS NULL THEN 0 ELSE {w!r} END" for name, w in d.OVERALL_WEIGHTS.items())
    overall_n = " + ".join(f"CASE WHEN {name} IS NULL THEN 0 ELSE 1 END" for name in d.OVERALL_WEIGHTS)
    tiers = [t.number for t in d.FOLLOWER_TIERS]

    counts = [f"COUNT({RAW[name]}) AS n_{name}" for name in POPULATION_RANKED]
    counts += ["COUNT(raw_effectiveness) AS n_eff_pop"]
    counts += [
        f"SUM(CASE WHEN raw_effectiveness IS NOT NULL AND follower_tier = {t} THEN 1 ELSE 0 END) AS n_eff_t{t}"
        for t in tiers
    ]
    # The lowest and highest raw score of each reference group, for the no-signal rule (``_signal``).
    for name in POPULATION_RANKED:
        counts += [f"MIN({RAW[name]}) AS lo_{name}", f"MAX({RAW[name]}) AS hi_{name}"]
    counts += ["MIN(raw_effectiveness) AS lo_eff_pop", "MAX(raw_effectiveness) AS hi_eff_pop"]
    for t in tiers:
        tier_raw = f"CASE WHEN follower_tier = {t} THEN raw_effectiveness END"
        counts += [f"MIN({tier_raw}) AS lo_eff_t{t}", f"MAX({tier_raw}) AS hi_eff_t{t}"]
    # Declared first, so that PostgreSQL evaluates it last: the ranks come out in creator order, and so (the
    # hash join keeps the order of its probe side) do the ranked table and the scorecards inserted from it. The
    # scorecard indexes led by (run, creator) and (creator, run) are then filled in key order instead of at
    # random, which matters once the table holds the history of many runs. Only speed depends on this order. (The
    # column is kept in the ranked table: a window whose result nobody reads is dropped by the planner.)
    ranks, windows = ["ROW_NUMBER() OVER w_creator AS creator_order"], ["w_creator AS (ORDER BY creator_id)"]
    for name in POPULATION_RANKED:
        # Nulls last (explicit: SQLite sorts them first): the creators with a score come first, in its order.
        windows.append(f"w_{name} AS (ORDER BY {RAW[name]} NULLS LAST)")
        ranks += [f"RANK() OVER w_{name} AS rk_{name}", f"ROW_NUMBER() OVER w_{name} AS rn_{name}"]
    windows.append("w_eff_tier AS (PARTITION BY follower_tier ORDER BY raw_effectiveness NULLS LAST)")
    windows.append("w_eff_pop AS (ORDER BY raw_effectiveness NULLS LAST)")
    ranks += [
        "RANK() OVER w_eff_tier AS rk_eff_tier", "ROW_NUMBER() OVER w_eff_tier AS rn_eff_tier",
        "RANK() OVER w_eff_pop AS rk_eff_pop", "ROW_NUMBER() OVER w_eff_pop AS rn_eff_pop",
    ]
    def by_tier(prefix: str) -> str:
        return "CASE r.follower_tier " + " ".join(f"WHEN {t} THEN c.{prefix}_eff_t{t}" for t in tiers) + " END"

    n_eff_tier = by_tier("n")
    indices = []
    for name in POPULATION_RANKED:
        expr = _index_from_rank(f"r.{RAW[name]}", f"k.rk_{name}", f"c.n_{name}")
        if name == "volume":
            # A creator without videos scores 0 whatever the size of the run.
            expr = f"CASE WHEN r.videos = 0 THEN 0.0 ELSE {expr} END"
        expr = _signal(expr, n=f"c.n_{name}", low=f"c.lo_{name}", high=f"c.hi_{name}")
        indices += [f"{expr} AS {name}", f"k.rn_{name}", f"c.n_{name}"]
    eff_tier = _signal(
        _index_from_rank("r.raw_effectiveness", "k.rk_eff_tier", n_eff_tier),
        n=n_eff_tier, low=by_tier("lo"), high=by_tier("hi"),
    )
    eff_pop = _signal(
        _index_from_rank("r.raw_effectiveness", "k.rk_eff_pop", "c.n_eff_pop"),
        n="c.n_eff_pop", low="c.lo_eff_pop", high="c.hi_eff_pop",
    )
    indices += [
        f"CASE WHEN {n_eff_tier} >= {d.TIER_MIN_GROUP} THEN {eff_tier} ELSE {eff_pop} END AS effectiveness",
        f"CASE WHEN {n_eff_tier} >= {d.TIER_MIN_GROUP} THEN 1 ELSE 0 END AS eff_by_tier",
        "k.rn_eff_tier", "k.rn_eff_pop", "k.creator_order", "c.n_eff_pop", f"{n_eff_tier} AS n_eff_tier",
    ]
    nl = ",\n           "
    return f"""
{dialect.create_table} {scored_table(run_id)} AS
WITH s AS (
{_union(creator_tables, CREATOR_COLUMNS)}
),
pool AS (
    SELECT COALESCE({_ratio("SUM(accepted)", "NULLIF(SUM(invitations), 0)")}, 0.0) AS m_acceptance,
           COALESCE({_ratio("SUM(on_time)", "NULLIF(SUM(due), 0)")}, 0.0) AS m_on_time,
           COALESCE({_ratio("SUM(sponsored)", "NULLIF(SUM(videos), 0)")}, 0.0) AS m_sponsored,
           COALESCE({_ratio("SUM(shoppable)", "NULLIF(SUM(videos), 0)")}, 0.0) AS m_shoppable
    FROM s
),
d AS (
    SELECT s.*, pool.m_acceptance, pool.m_on_time, pool.m_sponsored, pool.m_shoppable,
           {_tier_case("s.followers")} AS follower_tier,
           CASE WHEN views > 0 THEN {_ratio("engagements", "views")} END AS engagement_rate,
           CASE WHEN videos > 0 THEN {_ratio("sponsored", "videos")} END AS sponsored_share,
           CASE WHEN videos > 0 THEN {_ratio("shoppable", "videos")} END AS shoppable_share,
           -- GMV per 1,000 views = cents * 10 / views: the exact sum of cents, converted once.
           CASE WHEN gmv_videos > 0 AND gmv_views > 0 THEN {_ratio("gmv_cents * 10", "gmv_views")} END AS gpm,
           {gap_cv} AS gap_cv,
           {_smoothed("accepted", "invitations", "pool.m_acceptance")} AS acceptance_s,
           {_smoothed("on_time", "due", "pool.m_on_time")} AS on_time_s,
           {_smoothed("sponsored", "videos", "pool.m_sponsored")} AS sponsored_share_s,
           {_smoothed("shoppable", "videos", "pool.m_shoppable")} AS shoppable_share_s,
           {_responsiveness("median_response_h")} AS responsiveness
    FROM s CROSS JOIN pool
),
r AS (
    SELECT d.*,
           CASE WHEN invitations > 0 OR videos >= {m} THEN
                {cw["acceptance_s"]!r} * acceptance_s + {cw["on_time_s"]!r} * on_time_s
                + {cw["responsiveness"]!r} * responsiveness + {cw["sponsored_share_s"]!r} * sponsored_share_s
           END AS raw_collaboration,
           CASE WHEN videos >= {m} THEN shoppable_share_s END AS raw_care,
           {_ratio("videos", f"{d.WEEKS}.0")} AS raw_volume,
           CASE WHEN videos >= {m} AND views > 0 THEN engagement_rate END AS raw_effectiveness,
           gpm AS raw_sales,
           CASE WHEN videos >= {m} THEN
                {sw["active_weeks"]!r} * active_weeks / {d.WEEKS}.0
                + {sw["regularity"]!r} * (CASE WHEN gap_cv IS NULL OR gap_cv >= 1 THEN 0.0 ELSE 1.0 - gap_cv END)
           END AS raw_consistency
    FROM d
),
c AS (
    SELECT {nl.join(counts)}
    FROM r
),
k AS (
    SELECT creator_id,
           {nl.join(ranks)}
    FROM (SELECT creator_id, follower_tier, {", ".join(RAW.values())} FROM r) narrow
    WINDOW {nl.join(windows)}
),
e AS (
    SELECT r.*,
           {nl.join(indices)}
    FROM r JOIN k ON k.creator_id = r.creator_id CROSS JOIN c
)
SELECT e.*,
       CASE WHEN {overall_n} >= {d.OVERALL_MIN_INDICES} THEN ({overall_num}) / ({overall_den}) END AS overall,
       CASE WHEN videos >= {d.CONFIDENCE_HIGH_VIDEOS} THEN 'high'
            WHEN videos >= {d.CONFIDENCE_MEDIUM_VIDEOS} THEN 'medium' ELSE 'low' END AS confidence,
       CASE WHEN videos >= {d.CONFIDENCE_HIGH_VIDEOS} AND invitations >= {d.CONFIDENCE_HIGH_INVITATIONS} THEN 'high'
            WHEN videos >= {d.CONFIDENCE_MEDIUM_VIDEOS} THEN 'medium' ELSE 'low' END AS collaboration_confidence
FROM e
"""


SCORECARD_COLUMNS = (
    "creator_id", "collaboration", "care", "volume", "effectiveness", "sales", "consistency", "overall",
    "confidence", "collaboration_confidence", "follower_tier", "followers", "videos", "views", "engagements",
    "engagement_rate", "sponsored_share", "shoppable_share", "gmv", "orders", "gpm", "active_weeks", "gap_cv",
    "invitations", "accepted", "responded", "due", "on_time", "median_response_h",
)


# Columns of the creator copied onto its scorecard, read by the partner list's visibility and filters (see
# ``creator_access_sql``).
ACCESS_COLUMNS = ("country", "category_ids")


LINK_TABLE = "creators_creator_categories"


def _category_aggregates(dialect: Dialect) -> dict[str, tuple[str, str]]:
    """Per copied category column: its aggregate over a creator's link rows ``l``, and its value for none.

    ``category_ids``: the ids as the link table holds them (the primary one included: the importers and the
    admin keep it linked), sorted.
    """
    if dialect.vendor == POSTGRESQL:
        return {
            "category_ids": ("array_agg(l.category_id::integer ORDER BY l.category_id)", "'{}'::integer[]"),
        }
    return {
        # SQLite keeps the order of an ordered subquery in json_group_array (its documented behaviour).
        "category_ids": ("json_group_array(l.category_id)", "'[]'"),
    }


def creator_access_sql(*, dialect: Dialect, creator: str) -> dict[str, str]:
    """SQL of the ``ACCESS_COLUMNS`` of a scorecard, per creator row aliased ``creator`` (correlated subqueries).

    ``category_ids`` is exactly what ``partners.visibility.creator_q`` tests, so
    that both definitions of "visible" agree; ``category_ids`` is an ``integer[]`` on PostgreSQL, the JSON text
    of the list on SQLite (the storage of ``scoring.fields.IntegerIdsField``).
    ``scoring.services.scorecards_access_sync`` rewrites them with this when creators change; the scoring run's
    insert computes the same aggregates for the whole population at once (``creator_access_join_sql``).
    """
    columns = {"country": f"{creator}.country"}
    for name, (aggregate, empty) in _category_aggregates(dialect).items():
        rows = f"{LINK_TABLE} l WHERE l.creator_id = {creator}.id"
        if dialect.vendor != POSTGRESQL:
            rows = f"(SELECT l.category_id FROM {rows} ORDER BY 1) l"
        columns[name] = f"COALESCE((SELECT {aggregate} FROM {rows}), {empty})"
    return columns


def creator_access_join_sql(*, dialect: Dialect, creator: str) -> tuple[str, dict[str, str]]:
    """``creator_access_sql`` for a whole population: a join clause, and the ``ACCESS_COLUMNS`` read from it.

    On PostgreSQL one grouped pass over the link table joined by hash, instead of a correlated subquery per
    creator and column (1M creators: about 2.6 s against 3.8 s). Same
    aggregates, so the same values. SQLite keeps the correlated form (no join clause).
    """
    if dialect.vendor != POSTGRESQL:
        return "", creator_access_sql(dialect=dialect, creator=creator)
    aggregates = _category_aggregates(dialect)
    selected = ", ".join(f"{aggregate} AS {name}" for name, (aggregate, _) in aggregates.items())
    join = (
        f"LEFT JOIN (SELECT l.creator_id, {selected} FROM {LINK_TABLE} l GROUP BY l.creator_id) acc "
        f"ON acc.creator_id = {creator}.id"
    )
    columns = {"country": f"{creator}.country"}
    columns |= {name: f"COALESCE(acc.{name}, {empty})" for name, (_, empty) in aggregates.items()}
    return join, columns


# The indices whose change against the compared run each scorecard stores as ``<index>_change``.
CHANGE_INDICES = ("overall", *d.OVERALL_WEIGHTS)


def change_columns_sql(*, compared: str | None) -> dict[str, str]:
    """The change columns of a scorecard (``<index>_change``, ``is_new``, ``followers_previous``) as SQL over the
    ranked row ``s`` and the compared run's scorecard ``compared`` (LEFT JOINed: null when the creator has none).

    A change is this run's index minus the compared run's, in points; SQL's null arithmetic makes it null when
    either is null or the creator has no scorecard there. ``is_new``: no scorecard there. Without a compared run
    (``compared`` None) every change is null and no creator is new.
    """
    if compared is None:
        columns = {change_field(name): "NULL" for name in CHANGE_INDICES}
        return columns | {"is_new": "(1 = 0)", "followers_previous": "NULL"}
    columns = {change_field(name): f"s.{name} - {compared}.{name}" for name in CHANGE_INDICES}
    return columns | {"is_new": f"({compared}.creator_id IS NULL)", "followers_previous": f"{compared}.followers"}


def scorecards_insert_sql(*, dialect: Dialect, run_id: int, compared_run_id: int | None = None) -> str:
    """The run's scorecards from the ranked table, with the creators' access copies and, in the same statement,
    the changes against the compared run (one join on its (run, creator) rows: written once with the row, instead
    of an ``UPDATE`` that would write every new row a second time)."""
    cols = ", ".join(SCORECARD_COLUMNS)
    # GMV stays in exact cents through the ranking; it becomes an amount here, at the write.
    sources = ", ".join(_money("s.gmv_cents") if name == "gmv" else f"s.{name}" for name in SCORECARD_COLUMNS)
    raw_targets = ", ".join(f"{name}_raw" for name in RAW)
    raw_sources = ", ".join(f"s.{column}" for column in RAW.values())
    join, access = creator_access_join_sql(dialect=dialect, creator="cr")
    access_targets = ", ".join(ACCESS_COLUMNS)
    access_sources = ", ".join(access[name] for name in ACCESS_COLUMNS)
    changes = change_columns_sql(compared=None if compared_run_id is None else "p")
    if compared_run_id is not None:
        join += (
            f" LEFT JOIN scoring_scorecard p ON p.run_id = {int(compared_run_id)} AND p.creator_id = s.creator_id"
        )
    growth = ("videos_previous", "views_previous")
    targets = ", ".join((*changes, *growth))
    change_sources = ", ".join((*changes.values(), *(f"s.{name}" for name in growth)))
    return (
        f"INSERT INTO scoring_scorecard (run_id, {cols}, {raw_targets}, {access_targets}, {targets}) "
        f"SELECT {int(run_id)}, {sources}, {raw_sources}, {access_sources}, {change_sources} "
        f"FROM {scored_table(run_id)} s JOIN creators_creator cr ON cr.id = s.creator_id {join}"
    )


def impacts_table(run_id: int) -> str:
    return f"{stage_prefix(run_id)}impacts"


IMPACT_COLUMNS = ("creator_id", "category_id", "impact", "views", "gmv", "videos")


def impacts_sql(*, dialect: Dialect, run_id: int, category_tables: list[str]) -> str:
    """Category impact of every (creator, category) with a video in the window, as a narrow staging table.

    Each (creator, category) lives in exactly one chunk table (chunks are disjoint ranges of creators), so the
    union needs no regrouping. GMV in c counts unknown GMV as 0 for the percentile, but is stored as null; it is
    ranked in exact integer cents, so equal GMV is a tie.
    Ranked in a ``CREATE TABLE ... AS`` (parallel-capable on PostgreSQL, unlike ``INSERT ... SELECT``); the
    run's rows are then copied in creator order by ``impacts_insert_sql`` and the category medians read here.
    """
    wv, wg = _f(d.IMPACT_WEIGHTS["views"]), _f(d.IMPACT_WEIGHTS["gmv"])
    one = _f(d.GROUP_OF_ONE_PCT)
    return f"""
{dialect.create_table} {impacts_table(run_id)} AS
SELECT creator_id, category_id,
       CASE WHEN has_gmv = 1 THEN {wv} * pct_views + {wg} * pct_gmv ELSE pct_views END AS impact,
       views, gmv_cents, videos
FROM (
    SELECT c.creator_id, c.category_id, c.views, c.gmv_cents, c.videos,
           CASE WHEN COUNT(*) OVER cat = 1 THEN {one} ELSE 100.0 * PERCENT_RANK() OVER cat_views END AS pct_views,
           CASE WHEN COUNT(*) OVER cat = 1 THEN {one} ELSE 100.0 * PERCENT_RANK() OVER cat_gmv END AS pct_gmv,
           MAX(CASE WHEN c.gmv_cents IS NOT NULL THEN 1 ELSE 0 END) OVER cat AS has_gmv
    FROM ({_union(category_tables, ("creator_id", "category_id", "views", "gmv_cents", "videos"))}) c
    WINDOW cat AS (PARTITION BY c.category_id),
           cat_views AS (cat ORDER BY c.views),
           cat_gmv AS (cat ORDER BY COALESCE(c.gmv_cents, 0))
) x
"""


def impacts_insert_sql(*, run_id: int) -> str:
    """The run's category impacts from the staging table, in the order of the unique (run, creator, category)
    index, so that every index entry is appended at the right edge instead of scattered through the index."""
    cols = ", ".join(IMPACT_COLUMNS)
    sources = ", ".join(_money("gmv_cents") if name == "gmv" else name for name in IMPACT_COLUMNS)
    return (
        f"INSERT INTO scoring_categoryimpact (run_id, {cols}) "
        f"SELECT {int(run_id)}, {sources} FROM {impacts_table(run_id)} ORDER BY creator_id, category_id"
    )


# --- medians of the reference groups ------------------------------------------------------------------------
def _middle(value: str, rn: str, n: str, result: str | None = None) -> str:
    """Mean of ``result`` (default ``value``) over the one or two middle rows of ``value``'s order."""
    return (
        f"AVG(CASE WHEN {value} IS NOT NULL AND {rn} IN (({n} + 1) / 2, ({n} + 2) / 2) "
        f"THEN {result or value} END)"
    )


def population_medians_sql(*, run_id: int) -> str:
    """One row, in one scan of the ranked table: per population-ranked index its group size, median raw score and
    median index (``POPULATION_RANKED`` order), then effectiveness over all creators (size, median raw score),
    then the pooled rates and the run's video count.

    The row numbers were taken in the order of the raw score inside each group, so the median is the mean of
    the one or two middle rows; an index ranked over the whole group has its median at the same rows. A size is
    null when no creator has the score.
    """
    cols = []
    for name in POPULATION_RANKED:
        raw, rn, n = RAW[name], f"rn_{name}", f"n_{name}"
        cols += [
            f"MAX(CASE WHEN {raw} IS NOT NULL THEN {n} END)",
            _middle(raw, rn, n),
            _middle(raw, rn, n, result=name),
        ]
    cols += [
        "MAX(CASE WHEN raw_effectiveness IS NOT NULL THEN n_eff_pop END)",
        _middle("raw_effectiveness", "rn_eff_pop", "n_eff_pop"),
        "MAX(m_acceptance)", "MAX(m_on_time)", "MAX(m_sponsored)", "MAX(m_shoppable)", "SUM(videos)",
    ]
    return "SELECT " + ",\n       ".join(cols) + f"\nFROM {scored_table(run_id)}"


def tier_medians_sql(*, run_id: int) -> str:
    """Per follower tier: creators with an effectiveness score and their median engagement rate."""
    return (
        "SELECT follower_tier, MAX(n_eff_tier), AVG(raw_effectiveness) "
        f"FROM {scored_table(run_id)} "
        "WHERE raw_effectiveness IS NOT NULL AND rn_eff_tier IN ((n_eff_tier + 1) / 2, (n_eff_tier + 2) / 2) "
        "GROUP BY follower_tier"
    )


def index_medians_sql(*, run_id: int) -> str:
    """Population median of effectiveness (ranked per tier) and of overall: the radar's reference line.

    The other indices get theirs from ``group_medians_sql`` without another sort.
    """
    table = scored_table(run_id)
    parts = []
    for name in ("effectiveness", "overall"):
        parts.append(
            f"SELECT '{name}' AS idx, MAX(cnt) AS n, AVG(v) AS median FROM ("
            f"SELECT {name} AS v, ROW_NUMBER() OVER (ORDER BY {name}) AS rn, COUNT(*) OVER () AS cnt "
            f"FROM {table} WHERE {name} IS NOT NULL) q WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2)"
        )
    return "\nUNION ALL\n".join(parts)


def category_medians_sql(*, run_id: int) -> str:
    """Per category: creators with a video in it and the median impact (the radar's reference), one sort of the
    narrow staging table."""
    return f"""
SELECT i.category_id, MAX(i.cnt) AS n, AVG(i.impact) AS impact
FROM (
    SELECT category_id, impact,
           ROW_NUMBER() OVER (PARTITION BY category_id ORDER BY impact) AS rn,
           COUNT(*) OVER (PARTITION BY category_id) AS cnt
    FROM {impacts_table(run_id)}
) i
WHERE i.rn IN ((i.cnt + 1) / 2, (i.cnt + 2) / 2)
GROUP BY i.category_id
"""
