"""Reads of scoring results. They return everything; callers filter fields through the access layer.

``published_run`` is what partners read; ``scorecard_detail`` gives one creator's scorecard with the "why"
(raw metrics, reference group and its median), category impacts and history, in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, FloatField, QuerySet, Value
from django.db.models.functions import Cast, Floor, Least

from scoring.catalogue import SCORECARD_FIELDS
from scoring.choices import INDEX_NAMES, RunStatus
from scoring.definitions import FOLLOWER_TIERS, INDICES
from scoring.models import CategoryImpact, Scorecard, ScoringRun

# The values of a scorecard a partner may be shown (tier permitting): its indices and metrics, and the profile
# values it holds as of the run.
_DETAIL_FIELDS: tuple[str, ...] = (*SCORECARD_FIELDS, "country", "followers")


# The run's large JSON columns: not read by the per-request lookup (``medians`` comes from the cache when asked for).
_RUN_DEFERRED = ("medians", "timings", "error")
# How long a published run's medians stay cached. The entry holds the run's identity and revision, checked on
# every read, so it is never stale; this only bounds the memory.
RUN_CACHE_SECONDS = 3600
_PUBLISHED_MEDIANS_KEY = "scoring:published-run-medians"


def run_cache_key(run: ScoringRun, *parts: Any) -> str:
    """A cache key for something the same for every reader of ``run``: its id, publication time (ids are reused by
    test databases) and ``revision`` (bumped when the access copies of its scorecards are rewritten)."""
    published_at = run.published_at.isoformat() if run.published_at else None
    return ":".join(map(str, ("scoring:run", run.pk, published_at, run.revision, *parts)))


def published_run(*, with_medians: bool = False) -> ScoringRun | None:
    """The run partners see, or ``None`` before the first run has published: the one reader of "published".

    One indexed read of the run's small columns (at most one run is published, a partial unique constraint).
    ``with_medians`` fills ``medians`` too (the scorecard's "why this score" and its reference lines read them):
    from the cache framework, where the last reader left them with the run's key (``run_cache_key``: id,
    publication, revision), when that key is still the published run's; read with the row on a cold cache, by a
    second query once after a publication or a new revision. Without it ``medians`` is deferred.
    """
    runs = ScoringRun.objects.filter(is_published=True)
    if not with_medians:
        return runs.defer(*_RUN_DEFERRED).first()
    cached = cache.get(_PUBLISHED_MEDIANS_KEY)
    if cached is None:
        run = runs.defer("timings", "error").first()
        if run is not None:
            cache.set(_PUBLISHED_MEDIANS_KEY, (run_cache_key(run), run.medians), RUN_CACHE_SECONDS)
        return run
    run = runs.defer(*_RUN_DEFERRED).first()
    if run is None:
        return None
    key, medians = cached
    if key != run_cache_key(run):
        medians = ScoringRun.objects.filter(pk=run.pk).values_list("medians", flat=True).first() or {}
        cache.set(_PUBLISHED_MEDIANS_KEY, (run_cache_key(run), medians), RUN_CACHE_SECONDS)
    run.medians = medians
    return run


def latest_run() -> ScoringRun | None:
    return ScoringRun.objects.order_by("-pk").first()


@dataclass(frozen=True)
class ScorecardDetail:
    """One creator's scorecard in a run, with everything needed to explain it.

    ``values``: scorecard values keyed by catalogue field name. ``references``: per index, the reference group
    (``key``, ``label``, ``n``), its median raw score and the creator's raw score and metrics. ``category_impacts``:
    dicts with ``category``, ``name``, ``impact``, ``impact_views``, ``impact_gmv``, ``impact_videos`` and the
    category's median impact, highest impact first. ``history``: ``{run_id, as_of, <index>: value}`` over the kept
    succeeded runs up to this one, one per as-of date (the latest run of that date), oldest first.
    """

    creator_id: int
    run_id: int
    as_of: Any
    values: dict[str, Any]
    references: dict[str, dict[str, Any]]
    category_impacts: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    population_medians: dict[str, float | None] = field(default_factory=dict)


def _reference(run: ScoringRun, index: str, scorecard: Scorecard) -> dict[str, Any]:
    groups = (run.medians or {}).get("groups", {}).get(index, {})
    key = "all"
    if index == "effectiveness":
        tier_key = f"tier:{scorecard.follower_tier}"
        tier_group = groups.get(tier_key)
        if tier_group is not None and not tier_group.get("fallback"):
            key = tier_key
    group = groups.get(key) or {}
    spec = next(s for s in INDICES if s.name == index)
    label = group.get("label") or spec.reference_group
    return {
        "key": key,
        "label": label,
        "n": group.get("n", 0),
        "median": group.get("median"),
        "raw": getattr(scorecard, f"{index}_raw"),
        "metrics": {name: getattr(scorecard, name) for name in spec.metrics if hasattr(scorecard, name)},
    }


def scorecard_detail(
    *, creator_id: int, run: ScoringRun, impact_categories: QuerySet[Any] | None = None
) -> ScorecardDetail:
    """The scorecard of a creator in a run (3 queries). Raises ``Scorecard.DoesNotExist`` when it has none.

    ``impact_categories`` (a ``Category`` queryset), when given, keeps only the impacts in those categories, as a
    condition of the impacts' own query (a caller showing a partner only its categories saves a query).
    """
    scorecard = Scorecard.objects.get(run=run, creator_id=creator_id)
    values = {name: getattr(scorecard, name) for name in _DETAIL_FIELDS}
    references = {index: _reference(run, index, scorecard) for index in INDEX_NAMES}
    category_medians = (run.medians or {}).get("categories", {})
    impact_rows = CategoryImpact.objects.filter(run=run, creator_id=creator_id)
    if impact_categories is not None:
        impact_rows = impact_rows.filter(category__in=impact_categories)
    impacts = [
        {
            "category": row["category__slug"],
            "name": row["category__name"],
            "impact": row["impact"],
            "impact_views": row["views"],
            "impact_gmv": row["gmv"],
            "impact_videos": row["videos"],
            "median_impact": (category_medians.get(row["category__slug"]) or {}).get("impact"),
        }
        for row in impact_rows.order_by("-impact", "category__slug")
        .values("category__slug", "category__name", "impact", "views", "gmv", "videos")
    ]
    # One point per as-of date: a later run of the same date (e.g. after an import of corrected data) replaces the
    # earlier one, which said the same date with older data. At most SCORING_RUNS_KEPT rows: deduplicated here.
    by_date: dict[Any, dict[str, Any]] = {}
    for row in (
        Scorecard.objects.filter(creator_id=creator_id, run__status=RunStatus.SUCCEEDED, run_id__lte=run.pk)
        .order_by("run__as_of", "run_id")
        .values("run_id", "run__as_of", *INDEX_NAMES, "overall")
    ):
        as_of = row.pop("run__as_of")
        by_date[as_of] = {"run_id": row.pop("run_id"), "as_of": as_of, **row}
    history = list(by_date.values())
    population = {name: (v or {}).get("median") for name, v in (run.medians or {}).get("indices", {}).items()}
    return ScorecardDetail(
        creator_id=creator_id,
        run_id=run.pk,
        as_of=run.as_of,
        values=values,
        references=references,
        category_impacts=impacts,
        history=history,
        population_medians=population,
    )


@dataclass(frozen=True)
class HistogramBin:
    low: float
    high: float
    count: int


def overall_distribution(
    *, run: ScoringRun, creators: QuerySet[Any] | None = None, bins: int = 20
) -> list[HistogramBin]:
    """Histogram of the overall score in a run (equal bins over 0-100; 100 falls in the last bin).

    Pass ``creators`` (e.g. ``Creator.objects.visible_to(access)``) so that a partner's chart counts only the
    creators it may see. Computed in the database: one grouped query, whatever the number of creators.
    """
    width = 100.0 / bins
    qs = Scorecard.objects.filter(run=run, overall__isnull=False)
    if creators is not None:
        qs = qs.filter(creator__in=creators.values("pk"))
    rows = (
        qs.annotate(
            bucket=Least(
                Floor(Cast(F("overall"), FloatField()) / Value(width)),
                Value(float(bins - 1)),
                output_field=FloatField(),
            )
        )
        .values("bucket")
        .annotate(n=Count("pk"))
        .values_list("bucket", "n")
    )
    counts = {int(bucket): n for bucket, n in rows}
    return [HistogramBin(low=i * width, high=(i + 1) * width, count=counts.get(i, 0)) for i in range(bins)]


def follower_tier_label(number: int) -> str:
    return FOLLOWER_TIERS[number].label
