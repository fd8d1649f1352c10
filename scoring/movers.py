"""What changed in a run over an access scope: its top movers and the creators new to the scope.

The home page of a partner shows, for the overall score and each index it may see, the creators whose value moved
most since the compared run (``ScoringRun.compared_run``: the previous published run with the same window), up and
down, and the creators it sees now that it did not see in the compared run. Selecting them reads every scorecard of
the scope (a million at most), which is the same work for every reader with the same grants: it is done once per
run and scope and stored (``RunMovers``), as the run's aggregates are (``scoring.aggregates``): by the run before it
publishes, for every partner's current grants, and otherwise by the first reader of a new scope.

Only creator ids are stored, for every index whatever the tiers of the scope's partners: the reader re-reads the
values it shows through the access door (``creators.selectors.creator_list``, ``visible_fields``), so a creator or
an index outside the reader's grant never shows, even when the grant changed after the ids were selected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, QuerySet

from partners.visibility import scorecard_q
from scoring.aggregates import Scope, partner_scopes
from scoring.catalogue import FILTERABLE_INDICES
from scoring.models import RunMovers, Scorecard, ScoringRun
from scoring.selectors import RUN_CACHE_SECONDS, run_cache_key

# The values whose movers are kept: the overall score and the six indices (each ``<index>_change`` on a scorecard).
MOVER_INDICES: tuple[str, ...] = FILTERABLE_INDICES
# Creators kept per index and direction, and new creators kept. More than a page shows, so that the few a reader
# may no longer see (a creator whose categories changed since) leave enough to show.
MOVERS_KEPT = 10
UP, DOWN = "up", "down"


def change_field(index: str) -> str:
    """The scorecard column of an index's change against the compared run (points)."""
    return f"{index}_change"


@dataclass(frozen=True)
class Movers:
    """``movers``: ``{index: {"up": [creator id, ...], "down": [...]}}``, biggest move first; ``new_creators``: ids,
    most followed first, of ``new_count`` creators new to the scope; ``compared_as_of``: the as-of date of the
    compared run, ``None`` when the run has none (nothing then moved and nothing is new)."""

    movers: dict[str, dict[str, list[int]]]
    new_creators: list[int]
    new_count: int
    compared_as_of: date | None

    def ids(self) -> set[int]:
        """Every creator id held, movers and new creators."""
        found = set(self.new_creators)
        for directions in self.movers.values():
            for ids in directions.values():
                found.update(ids)
        return found


def _top(cards: QuerySet[Scorecard], index: str, direction: str) -> list[int]:
    """The ids of the scope's creators whose ``index`` moved most in ``direction`` (ties: the later creator id, as
    the list orders its ties)."""
    change = change_field(index)
    if direction == UP:
        chosen = cards.filter(**{f"{change}__gt": 0}).order_by(F(change).desc(), "-creator_id")
    else:
        chosen = cards.filter(**{f"{change}__lt": 0}).order_by(F(change).asc(), "-creator_id")
    return list(chosen.values_list("creator_id", flat=True)[:MOVERS_KEPT])


def run_movers_store(run: ScoringRun, scope: Scope) -> RunMovers:
    """Select the run's movers and new creators over ``scope`` at the run's current revision and store them (a
    concurrent writer of the same row wins silently: both selected the same ids).

    One top-N statement per index and direction, and for the new creators an anti-join on the compared run's
    scorecards of the same scope: a creator is new to the scope when the compared run has no scorecard of it that
    the scope covers (a new creator, or one whose categories entered the scope). Nothing when there is no compared
    run.
    """
    cards = Scorecard.objects.filter(scorecard_q(scope), run=run)
    movers: dict[str, dict[str, list[int]]] = {}
    new_creators: list[int] = []
    new_count = 0
    if run.compared_run_id is not None:
        movers = {index: {UP: _top(cards, index, UP), DOWN: _top(cards, index, DOWN)} for index in MOVER_INDICES}
        before = Scorecard.objects.filter(
            scorecard_q(scope), run_id=run.compared_run_id, creator_id=OuterRef("creator_id")
        )
        new = cards.filter(~Exists(before))
        new_count = new.count()
        if new_count:
            newest = new.order_by(F("followers").desc(nulls_last=True), "-creator_id")
            new_creators = list(newest.values_list("creator_id", flat=True)[:MOVERS_KEPT])
    row = RunMovers(
        run=run, revision=run.revision, scope=scope.key, movers=movers, new_creators=new_creators, new_count=new_count
    )
    RunMovers.objects.bulk_create([row], ignore_conflicts=True)
    return row


def run_movers_precompute(run: ScoringRun, scopes: Iterable[Scope] | None = None) -> int:
    """Store the run's movers for ``scopes`` (default: every partner's current grants) that it does not hold yet at
    its revision; the scoring run calls it before it publishes. Returns the number computed."""
    wanted = {scope.key: scope for scope in (partner_scopes() if scopes is None else scopes)}
    held = set(
        RunMovers.objects.filter(run=run, revision=run.revision, scope__in=wanted).values_list("scope", flat=True)
    )
    for key in wanted.keys() - held:
        run_movers_store(run, wanted[key])
    return len(wanted.keys() - held)


def run_movers(run: ScoringRun, access: Any) -> Movers:
    """The run's movers over what ``access`` sees (its scope; tiers are the reader's to apply): from the cache
    framework (keyed on the run's revision and the scope), else the stored row, else selected once and stored."""
    scope = Scope.of(access)
    key = run_cache_key(run, "movers", scope.key)
    found: Movers | None = cache.get(key)
    if found is None:
        row = RunMovers.objects.filter(run=run, revision=run.revision, scope=scope.key).first()
        if row is None:
            row = run_movers_store(run, scope)
        compared_as_of = None
        if run.compared_run_id is not None:
            compared_as_of = ScoringRun.objects.filter(pk=run.compared_run_id).values_list("as_of", flat=True).first()
        found = Movers(
            movers={index: {UP: list(d.get(UP, [])), DOWN: list(d.get(DOWN, []))} for index, d in row.movers.items()},
            new_creators=list(row.new_creators),
            new_count=row.new_count,
            compared_as_of=compared_as_of,
        )
        cache.set(key, found, RUN_CACHE_SECONDS)
    return found
