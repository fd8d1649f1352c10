"""A run's aggregates over an access scope: the overall score's distribution and the category medians.

They are the same for every reader of the run with the same grants, so they are computed once and stored with the
run (``RunAggregate``): by the run itself, before it publishes, for every partner's current grants
(``run_aggregates_precompute``), and otherwise by the first reader of a scope (a grant made since, a new revision
of the run), for every web process. Readers (``run_aggregates``) take them from the cache framework or from that
row: a page after a publication runs no aggregate over the scorecards.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, QuerySet, Value
from django.db.models.functions import Floor, Least

from partners.models import AccessGrant
from partners.visibility import scorecard_q
from scoring.choices import INDEX_NAMES
from scoring.models import RunAggregate, Scorecard, ScoringRun
from scoring.selectors import RUN_CACHE_SECONDS, run_cache_key

HISTOGRAM_BINS = 20
# The indices whose medians the scorecard's radar draws: "overall" and the six.
MEDIAN_INDICES: tuple[str, ...] = ("overall", *INDEX_NAMES)


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``: the median, interpolated, nulls ignored."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


@dataclass(frozen=True)
class Scope:
    """What an access sees of a run: the union of its current grants' categories and explicit creators (the two
    attributes ``partners.visibility.scorecard_q`` reads)."""

    category_ids: frozenset[int]
    creator_ids: frozenset[int]

    @classmethod
    def of(cls, access: Any) -> Scope:
        return cls(frozenset(access.category_ids), frozenset(access.creator_ids))

    @property
    def key(self) -> str:
        return hashlib.sha256(repr((sorted(self.category_ids), sorted(self.creator_ids))).encode()).hexdigest()


@dataclass(frozen=True)
class Aggregates:
    """``histogram``: ``(low, high, count)`` per bin; ``category_medians``: ``{category id: {index: median}}``."""

    histogram: list[tuple[float, float, int]]
    category_medians: dict[int, dict[str, float | None]]


def _scorecards(run: ScoringRun, scope: Scope) -> QuerySet[Scorecard]:
    return Scorecard.objects.filter(scorecard_q(scope), run=run)


def _histogram(cards: QuerySet[Scorecard]) -> list[int]:
    width = 100.0 / HISTOGRAM_BINS
    bucket = Least(Floor(F("overall") / Value(width)), Value(float(HISTOGRAM_BINS - 1)), output_field=FloatField())
    rows = (
        cards.filter(overall__isnull=False).annotate(bucket=bucket).values("bucket").annotate(n=Count("pk")).order_by()
    )
    counts = {int(row["bucket"]): row["n"] for row in rows}
    return [counts.get(number, 0) for number in range(HISTOGRAM_BINS)]


def _category_medians(cards: QuerySet[Scorecard]) -> dict[str, dict[str, float | None]]:
    """Median of each index over the scope's creators, per primary category (one grouped statement on
    PostgreSQL; SQLite, small and embedded, has no percentile: the values are read)."""
    category = "creator__primary_category_id"
    if connection.vendor == "postgresql":
        rows = cards.values(category).annotate(**{name: Median(F(name)) for name in MEDIAN_INDICES}).order_by()
        return {str(row[category]): {name: row[name] for name in MEDIAN_INDICES} for row in rows}
    columns: dict[int, dict[str, list[float]]] = defaultdict(lambda: {name: [] for name in MEDIAN_INDICES})
    for category_id, *values in cards.values_list(category, *MEDIAN_INDICES):
        for name, value in zip(MEDIAN_INDICES, values, strict=True):
            if value is not None:
                columns[category_id][name].append(value)
    return {
        str(category_id): {name: (statistics.median(v) if v else None) for name, v in values.items()}
        for category_id, values in columns.items()
    }


def run_aggregate_store(run: ScoringRun, scope: Scope) -> RunAggregate:
    """Compute the run's aggregates over ``scope`` at the run's current revision and store them (a concurrent
    writer of the same row wins silently: both computed the same values)."""
    cards = _scorecards(run, scope)
    row = RunAggregate(
        run=run,
        revision=run.revision,
        scope=scope.key,
        histogram=_histogram(cards),
        category_medians=_category_medians(cards),
    )
    RunAggregate.objects.bulk_create([row], ignore_conflicts=True)
    return row


def partner_scopes() -> set[Scope]:
    """The scope of every partner's current grants (what ``partners.access`` gives its users), distinct."""
    current = AccessGrant.objects.current()
    categories: dict[int, set[int]] = defaultdict(set)
    creators: dict[int, set[int]] = defaultdict(set)
    partners = set(current.values_list("partner_id", flat=True))
    category_links = AccessGrant.categories.through.objects.filter(accessgrant__in=current)
    for partner_id, category_id in category_links.values_list("accessgrant__partner_id", "category_id"):
        categories[partner_id].add(category_id)
    creator_links = AccessGrant.creators.through.objects.filter(accessgrant__in=current)
    for partner_id, creator_id in creator_links.values_list("accessgrant__partner_id", "creator_id"):
        creators[partner_id].add(creator_id)
    return {Scope(frozenset(categories[p]), frozenset(creators[p])) for p in partners}


def run_aggregates_precompute(run: ScoringRun, scopes: Iterable[Scope] | None = None) -> int:
    """Store the run's aggregates for ``scopes`` (default: every partner's current grants) that it does not hold
    yet at its revision; the scoring run calls it before it publishes. Returns the number computed."""
    wanted = {scope.key: scope for scope in (partner_scopes() if scopes is None else scopes)}
    held = set(
        RunAggregate.objects.filter(run=run, revision=run.revision, scope__in=wanted).values_list("scope", flat=True)
    )
    for key in wanted.keys() - held:
        run_aggregate_store(run, wanted[key])
    return len(wanted.keys() - held)


def run_aggregates(run: ScoringRun, access: Any) -> Aggregates:
    """The run's aggregates over what ``access`` sees: from the cache framework (keyed on the run's revision and
    the scope), else the stored row, else computed once and stored (``run_aggregate_store``)."""
    scope = Scope.of(access)
    key = run_cache_key(run, "aggregates", scope.key)
    found: Aggregates | None = cache.get(key)
    if found is None:
        row = RunAggregate.objects.filter(run=run, revision=run.revision, scope=scope.key).first()
        if row is None:
            row = run_aggregate_store(run, scope)
        width = 100.0 / HISTOGRAM_BINS
        found = Aggregates(
            histogram=[(n * width, (n + 1) * width, count) for n, count in enumerate(row.histogram)],
            category_medians={int(category): medians for category, medians in row.category_medians.items()},
        )
        cache.set(key, found, RUN_CACHE_SECONDS)
    return found
