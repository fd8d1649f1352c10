"""Similar creators (issue 20 item 1): the visible creators closest to one creator on the visible indices.

One selector, ``similar_creators(access=..., creator=..., run=...)``, behind the scorecard's "Similar creators"
block and ``GET /api/v1/creators/<handle>/similar/``. The method (chosen on ``bench/similar_bench.py``'s
measurements at 1,000,000 creators, see docs/performance.md "Similar creators"):

1. the candidates are the published run's scorecards that the partner may see (``partners.visibility.scorecard_q``,
   the list's own condition) and that share a category with the creator (``category_ids`` overlap);
2. a bounded candidate set: the ``CANDIDATES_PER_SIDE`` candidates nearest on the overall index above the
   creator's overall and as many below it, two seeks on the ``(run, overall, creator)`` order, read from the
   covering index ``scorecard_similar`` on PostgreSQL (no table access: scoring migration 0012);
3. those are ranked exactly in Python on every visible index the creator has (``scoring.similarity``).

Only visible indices are read (``Access.visible_indices``), for ranking and for the reason alike: a hidden index
never orders the candidates (that would be an oracle on it). The overall index is itself visible (performance
tier) and stored: nothing hidden is recomputed from it. Without the overall index visible, or for a creator
without an overall score, there is no candidate set and the block says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import F, QuerySet

from creators.models import Creator
from creators.selectors import creator_list
from partners.visibility import scorecard_q
from scoring import similarity
from scoring.aggregates import Scope
from scoring.models import Scorecard, ScoringRun
from scoring.selectors import RUN_CACHE_SECONDS, run_cache_key

if TYPE_CHECKING:
    from partners.access import Access

SIMILAR_LIMIT = 6
# Candidates read on each side of the creator's overall before the exact ranking (see the module docstring).
CANDIDATES_PER_SIDE = 100
# Why a creator has no similar creators (each a sentence shown by the page and given by the API).
NO_OVERALL_ACCESS = "needs_overall"
NO_OVERALL_SCORE = "no_overall"
NO_SCORECARD = "no_scorecard"
NO_CANDIDATES = "no_candidates"
EMPTY_TEXT = {
    NO_OVERALL_ACCESS: "Similar creators are found by the overall index, which your access does not include.",
    NO_OVERALL_SCORE: "This creator has no overall score in this run, so there is nothing to compare it on.",
    NO_SCORECARD: "This creator has no scorecard in the published run yet.",
    NO_CANDIDATES: "No other creator you can see shares a category with this one.",
}


@dataclass(frozen=True)
class SimilarCreator:
    """One similar creator: its list row (profile and visible indices only), the shared categories and why."""

    row: dict[str, Any]
    shared_categories: tuple[str, ...]
    close_on: tuple[str, ...]
    reason: str
    distance: float


@dataclass(frozen=True)
class SimilarResult:
    """The similar creators of one creator, nearest first, or why there are none (``empty``, a key of
    ``EMPTY_TEXT``). ``compared_on`` names the indices the distance was computed over."""

    items: list[SimilarCreator] = field(default_factory=list)
    compared_on: tuple[str, ...] = ()
    empty: str | None = None

    @property
    def empty_text(self) -> str:
        return EMPTY_TEXT.get(self.empty or "", "")


def similar_creators(
    *, access: Access, creator: Creator, run: ScoringRun | None, limit: int = SIMILAR_LIMIT
) -> SimilarResult:
    """The ``limit`` visible creators closest to ``creator`` in ``run`` (see the module docstring).

    The ranking (``_ranked``: the creator's own scorecard, the two candidate seeks, the exact ranking) is the same
    for every reader with the same grant scope and visible indices until the run's ``revision`` changes, so it is
    computed once and kept in the shared cache; the rows shown are then read through ``creator_list`` (the list's
    one door: profile and visible fields only, at read time), which drops a match that has left the grant since.
    Two statements on a warm cache, four on a cold one.
    """
    visible = access.visible_indices
    if "overall" not in visible:
        return SimilarResult(empty=NO_OVERALL_ACCESS)
    if run is None:
        return SimilarResult(empty=NO_SCORECARD)
    cards = Scorecard.objects.filter(scorecard_q(access), run=run)
    # Keyed as the run's other per-scope aggregates are (``Scope``: what ``scorecard_q`` reads of the grants), plus
    # the indices ranked on: two partners share an entry only when they would rank the same candidates.
    key = run_cache_key(
        run, "similar", Scope.of(access).key, ",".join(visible), creator.pk, limit, CANDIDATES_PER_SIDE
    )
    ranked: Ranked | None = cache.get(key)
    if ranked is None:
        target = cards.filter(creator_id=creator.pk).values("category_ids", *visible).first()
        ranked = _ranked(cards=cards, target=target, creator=creator, visible=visible, limit=limit)
        cache.set(key, ranked, RUN_CACHE_SECONDS)
    if ranked.empty:
        return SimilarResult(compared_on=ranked.dims, empty=ranked.empty)
    matches = ranked.matches
    rows = {
        row["creator_id"]: row
        for row in creator_list(access=access, run=run).filter(
            creator_id__in=[creator.pk, *(match.creator_id for match in matches)]
        )
    }
    own_slugs = rows[creator.pk]["categories"] if creator.pk in rows else []
    items = []
    for match in matches:
        row = rows.get(match.creator_id)
        if row is None:  # gone from the grant between the two reads: never shown
            continue
        shared = tuple(slug for slug in row["categories"] if slug in own_slugs)
        items.append(
            SimilarCreator(
                row=row,
                shared_categories=shared,
                close_on=match.close_on,
                reason=similarity.reason(shared_categories=shared, close=match.close_on, is_close=match.is_close),
                distance=match.distance,
            )
        )
    return SimilarResult(items=items, compared_on=ranked.dims)


@dataclass(frozen=True)
class Ranked:
    """What ``similar_creators`` caches per run revision and scope: the matches nearest first (ids, distances and
    reasons, no row) or why there are none."""

    matches: tuple[similarity.Match, ...] = ()
    dims: tuple[str, ...] = ()
    empty: str | None = None


def _ranked(
    *, cards: QuerySet[Scorecard], target: dict[str, Any] | None, creator: Creator, visible: tuple[str, ...],
    limit: int,
) -> Ranked:
    """Rank the bounded candidate set around ``target`` (the creator's visible scorecard values, ``None`` without
    one): the two seeks on the ``(run, overall, creator)`` order, then the exact ranking in Python."""
    if target is None:
        return Ranked(empty=NO_SCORECARD)
    overall = target["overall"]
    if overall is None:
        return Ranked(empty=NO_OVERALL_SCORE)
    dims = similarity.dimensions(target, visible)
    candidates = (
        cards.filter(category_ids__overlap=target["category_ids"])
        .exclude(creator_id=creator.pk)
        .values("creator_id", "category_ids", *visible)
    )
    # The two seeks walk the (run, overall DESC NULLS LAST, creator DESC) order forwards and backwards.
    above = candidates.filter(overall__gte=overall).order_by(
        F("overall").asc(nulls_first=True), F("creator_id").asc()
    )[:CANDIDATES_PER_SIDE]
    below = candidates.filter(overall__lt=overall).order_by(
        F("overall").desc(nulls_last=True), F("creator_id").desc()
    )[:CANDIDATES_PER_SIDE]
    pool = {row["creator_id"]: row for row in [*above, *below]}
    matches = similarity.nearest(target, pool.items(), dims, limit=limit)
    return Ranked(matches=tuple(matches), dims=dims, empty=None if matches else NO_CANDIDATES)
