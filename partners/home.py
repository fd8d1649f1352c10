"""Reads of a partner's home page: what changed between the last two published runs, among what it may see.

The selection of movers and new creators is the run's (``scoring.movers``, once per run and access scope); this
module only re-reads those creators through the access door (``creators.selectors.creator_list``: the published
run's scorecards the access may see, with the visible fields only) and keeps the indices of ``visible_fields``. So
a creator or a field outside the grant never shows, whatever the stored selection holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from creators.filtersets import CreatorFilterSet
from creators.selectors import creator_list
from partners.access import Access
from partners.models import ShortlistEntry
from scoring.catalogue import FIELDS_BY_NAME
from scoring.models import Scorecard, ScoringRun
from scoring.movers import DOWN, UP, change_field, run_movers

# Movers shown per index and direction, new creators shown, shortlist changes shown.
MOVERS_SHOWN = 5
NEW_SHOWN = 8
ACTIVITY_SHOWN = 8


@dataclass(frozen=True)
class MoverRow:
    """One creator on the home page: its profile, and for a mover the index's value and change (points)."""

    handle: str
    display_name: str
    followers: int | None = None
    value: float | None = None
    change: float | None = None


@dataclass(frozen=True)
class IndexMovers:
    """The biggest moves of one visible index, with the list ordered by that change (``None`` when the list cannot
    be ordered by it)."""

    index: str
    label: str
    up: list[MoverRow]
    down: list[MoverRow]
    up_url: str | None
    down_url: str | None


@dataclass(frozen=True)
class HomeChanges:
    """What the home page shows of a run's changes. ``compared_as_of`` is ``None`` when the run has no compared run
    (the first run of its window): then nothing has moved and nothing is new."""

    compared_as_of: date | None
    indices: list[IndexMovers] = field(default_factory=list)
    new: list[MoverRow] = field(default_factory=list)
    new_count: int = 0

    @property
    def handles(self) -> set[str]:
        """Every creator shown (the audit event's row count)."""
        rows = [*self.new, *(row for item in self.indices for row in (*item.up, *item.down))]
        return {row.handle for row in rows}


def _list_url(**params: str) -> str:
    return f"{reverse('creators:list')}?{urlencode(params)}"


def home_changes(*, access: Access, run: ScoringRun) -> HomeChanges:
    """The movers of each index ``access`` may see (overall first) and the creators new to its view, in the
    published ``run`` against its compared run: two reads at most (the stored selection, cached per process, and
    one list query for the few creators it names)."""
    selection = run_movers(run, access)
    if selection.compared_as_of is None:
        return HomeChanges(compared_as_of=None)
    indices = access.visible_indices
    changes = [change_field(index) for index in indices]
    # The list's own queryset: the visible creators of the published run, the visible fields. Its ``values`` are
    # narrowed to the few the page shows (each change belongs to its index's tier: only visible indices are read).
    found = {
        row["creator_id"]: row
        for row in creator_list(access=access, run=run)
        .filter(creator_id__in=sorted(selection.ids()))
        .values("creator_id", "handle", "display_name", "followers", *indices, *changes)
    }
    orderings = CreatorFilterSet(None, queryset=Scorecard.objects.none(), access=access).allowed_orderings

    def movers(index: str, direction: str) -> list[MoverRow]:
        rows = []
        for creator_id in selection.movers.get(index, {}).get(direction, []):
            row = found.get(creator_id)
            change = row.get(change_field(index)) if row else None
            # The stored selection is re-checked: visible now, and moved in this direction.
            if row is None or change is None or (change > 0) != (direction == UP) or change == 0:
                continue
            rows.append(MoverRow(row["handle"], row["display_name"], row["followers"], row[index], change))
        return rows[:MOVERS_SHOWN]

    def ordered(index: str, direction: str) -> str | None:
        key = change_field(index)
        if key not in orderings:
            return None
        return _list_url(ordering=f"-{key}" if direction == UP else key)

    items = [
        IndexMovers(
            index=index,
            label=FIELDS_BY_NAME[index].label,
            up=movers(index, UP),
            down=movers(index, DOWN),
            up_url=ordered(index, UP),
            down_url=ordered(index, DOWN),
        )
        for index in indices
    ]
    new = [
        MoverRow(row["handle"], row["display_name"], row["followers"])
        for creator_id in selection.new_creators
        if (row := found.get(creator_id)) is not None
    ][:NEW_SHOWN]
    return HomeChanges(
        compared_as_of=selection.compared_as_of,
        indices=items,
        new=new,
        new_count=selection.new_count,
    )


def shortlist_activity(*, access: Access, limit: int = ACTIVITY_SHOWN) -> list[Any]:
    """The partner's latest shortlist additions (newest first), of creators it can still see."""
    return list(
        ShortlistEntry.objects.visible_to(access)
        .select_related("shortlist", "creator", "added_by")
        .only(
            "added_at", "note", "shortlist__name", "shortlist__id", "creator__handle", "creator__display_name",
            "added_by__username",
        )
        .order_by("-added_at", "-pk")[:limit]
    )
