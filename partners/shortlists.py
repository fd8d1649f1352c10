"""Shortlists that carry a campaign: the reads and writes shared by the pages (``partners.views_shortlists``) and
the API (``partners.api_shortlists``).

Access is applied at read time, every time: a shortlist is looked up through the request's partner, and its
entries show only the creators the partner can see now (``ShortlistEntry.objects.visible_to``). A creator that
leaves the grant stays stored, disappears from the pages, the API and the exports, and comes back with the grant.

Writes take creators that were resolved through the access layer (:func:`creators_resolve`): a handle that is
hidden or unknown refuses the whole request, without saying which handle it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower, TruncDate
from django.utils import timezone

from creators.exports import SHORTLIST_COLUMNS, ExportOptions, Format, creator_export_response
from creators.models import HANDLE_PATTERN, Creator, parse_handles
from creators.selectors import UNSET, creator_list
from partners.access import Access, visible_fields
from partners.choices import EntryStatus
from partners.models import Membership, Shortlist, ShortlistEntry
from scoring.models import ScoringRun
from scoring.selectors import published_run

__all__ = ["parse_handles"]  # re-exported for the views: one rule for reading handles

# Creators one request may add (a list page holds 50; the API's largest page 200).
BULK_ADD_MAX = 200
STATUS_ORDER: tuple[str, ...] = tuple(EntryStatus.values)


class HandlesRefused(Exception):
    """Some handle asked for is not a creator the partner can see (hidden or unknown: the same answer, 404)."""


class TooManyHandles(ValueError):
    """More handles than :data:`BULK_ADD_MAX` in one request (answer 400)."""


def note_clean(value: str) -> str:
    """A note as stored: line breaks as ``\n`` (browsers post a textarea's lines with CRLF), nothing trailing."""
    return value.replace("\r\n", "\n").replace("\r", "\n").rstrip()


def creators_resolve(*, access: Access, handles: Sequence[str]) -> list[Creator]:
    """The visible creators named by ``handles`` (one query), in the order given.

    Raises :class:`HandlesRefused` when any handle is not visible to the partner (hidden or unknown, alike, and
    without saying which), :class:`TooManyHandles` above :data:`BULK_ADD_MAX`.
    """
    if len(handles) > BULK_ADD_MAX:
        raise TooManyHandles(f"Add at most {BULK_ADD_MAX} creators at once.")
    lowered = [handle.lower() for handle in handles]
    if not lowered or not all(re.fullmatch(HANDLE_PATTERN, handle) for handle in lowered):
        raise HandlesRefused
    found = {
        creator.handle.lower(): creator
        for creator in Creator.objects.visible_to(access)
        .alias(handle_lower=Lower("handle"))
        .filter(handle_lower__in=lowered)
        .only("id", "handle")
    }
    if len(found) != len(lowered):
        raise HandlesRefused
    return [found[handle] for handle in lowered]


def shortlist_of(access: Access, pk: Any) -> Shortlist | None:
    """The partner's shortlist ``pk`` (another partner's answers ``None``, exactly like one that does not exist)."""
    if not access.is_partner:
        return None
    return Shortlist.objects.visible_to(access).filter(pk=pk).first()


@dataclass(frozen=True)
class AddResult:
    """What a bulk add did: the handles added and those already on the shortlist (left as they were)."""

    added: list[str]
    already: list[str]


def entries_add(
    *,
    access: Access,
    shortlist: Shortlist,
    creators: Sequence[Creator],
    status: str = EntryStatus.TO_CONTACT,
    note: str = "",
) -> AddResult:
    """Put ``creators`` (resolved by :func:`creators_resolve`) on ``shortlist`` in one statement; creators already
    on it keep their status and note. Remembers the shortlist as the user's last one. A fixed number of queries
    whatever the number of creators."""
    with transaction.atomic():
        present = set(
            ShortlistEntry.objects.filter(shortlist=shortlist, creator_id__in=[c.pk for c in creators]).values_list(
                "creator_id", flat=True
            )
        )
        new = [creator for creator in creators if creator.pk not in present]
        # ignore_conflicts: another user adding the same creator at the same moment is not an error.
        ShortlistEntry.objects.bulk_create(
            [
                ShortlistEntry(shortlist=shortlist, creator=creator, status=status, note=note, added_by=access.user)
                for creator in new
            ],
            ignore_conflicts=True,
        )
        if new:
            Shortlist.objects.filter(pk=shortlist.pk).update(updated_at=timezone.now())
        last_shortlist_remember(access=access, shortlist=shortlist)
    return AddResult(
        added=[creator.handle for creator in new],
        already=[creator.handle for creator in creators if creator.pk in present],
    )


def last_shortlist_remember(*, access: Access, shortlist: Shortlist) -> None:
    """Record ``shortlist`` as the one the user's next "Add to" starts on (one UPDATE, none when unchanged)."""
    user = access.user
    if user is None or access.partner_id is None:
        return
    Membership.objects.filter(user_id=user.pk, partner_id=access.partner_id).exclude(
        last_shortlist_id=shortlist.pk
    ).update(last_shortlist=shortlist)


def last_shortlist_id(access: Access) -> int | None:
    """The id of the user's last shortlist, if it is still one of the partner's (``None`` otherwise). Costs no
    query for the session user, whose membership came with it (``partners.backends.MemberBackend``)."""
    user = access.user
    try:
        membership = user.membership if user is not None else None
    except Membership.DoesNotExist:
        return None
    if membership is None or membership.partner_id != access.partner_id:
        return None
    return membership.last_shortlist_id


def entries(access: Access, shortlist: Shortlist) -> QuerySet:
    """The shortlist's entries whose creator the partner can see now."""
    return ShortlistEntry.objects.visible_to(access).filter(shortlist=shortlist)


def entry_of(access: Access, shortlist: Shortlist, handle: str) -> ShortlistEntry | None:
    """The visible entry of ``handle`` on ``shortlist`` (with its creator), else ``None``."""
    return (
        entries(access, shortlist)
        .alias(handle_lower=Lower("creator__handle"))
        .filter(handle_lower=handle.strip().lstrip("@").lower())
        .select_related("creator", "added_by")
        .first()
    )


def entry_update(*, entry: ShortlistEntry, status: str | None = None, note: str | None = None) -> list[str]:
    """Set the entry's status and/or note; the names of the fields that changed (nothing saved when none did)."""
    changed = []
    if status is not None and status != entry.status:
        entry.status = status
        changed.append("status")
    if note is not None and note != entry.note:
        entry.note = note
        changed.append("note")
    if changed:
        entry.save(update_fields=changed)
    return changed


def status_counts(access: Access, shortlist: Shortlist) -> dict[str, int]:
    """Visible entries per status, every status present (one aggregate query)."""
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for row in entries(access, shortlist).order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts


def sizes(access: Access, shortlists: QuerySet) -> QuerySet:
    """``shortlists`` with ``size``: the number of entries whose creator the partner can see now."""
    visible = Creator.objects.visible_to(access).values("pk")
    return shortlists.annotate(size=Count("entries", filter=Q(entries__creator_id__in=visible)))


def export_queryset(access: Access, shortlist: Shortlist) -> QuerySet:
    """The shortlist's visible creators as ``creator_list`` rows (the list export's columns) with each entry's
    status, note, who added it and when: the one queryset of the CSV and XLSX exports, pages and API alike."""
    entry = ShortlistEntry.objects.filter(shortlist=shortlist, creator_id=OuterRef("creator_id")).order_by()
    return (
        creator_list(access=access)
        .filter(creator_id__in=shortlist.entries.values("creator_id"))
        .annotate(
            shortlist_status=Subquery(entry.values("status")),
            shortlist_note=Subquery(entry.values("note")),
            shortlist_added_by=Subquery(entry.values("added_by__username")),
            shortlist_added_on=Subquery(entry.annotate(day=TruncDate("added_at")).values("day")),
        )
        .order_by("handle", "creator_id")
    )


# Sort keys of the shortlist page besides the visible score columns; "added" (newest first) is the default.
PROFILE_SORT_KEYS: tuple[str, ...] = ("handle", "followers", "status", "added")


def export_response(
    *, access: Access, shortlist: Shortlist, request: Any, fmt: Format, options: ExportOptions, api: bool
) -> Any:
    """The shortlist's CSV or XLSX (``export_queryset``, the visible fields, its entries' columns), audited and
    under the export quota like the list's exports: the one export of the page and the API."""
    run = published_run()
    filters: dict[str, Any] = {"shortlist": shortlist.pk, "name": shortlist.name}
    if api:
        filters["api"] = True
    return creator_export_response(
        access=access,
        queryset=export_queryset(access, shortlist),
        fields=visible_fields(access),
        filename=f"shortlist-{shortlist.pk}",
        request=request,
        filters=filters,
        fmt=fmt,
        options=options,
        as_of=run.as_of if run is not None else None,
        extra=SHORTLIST_COLUMNS,
    )


def sort_keys(score_names: Iterable[str]) -> list[str]:
    """What the shortlist page may sort by: the profile keys and the visible score columns (no hidden field)."""
    return [*PROFILE_SORT_KEYS, *score_names]


@dataclass(frozen=True)
class Item:
    """A row of the shortlist page: the entry (with creator and who added it) and the creator's ``creator_list``
    row (visible fields only; ``None`` while the creator has no scorecard in the published run)."""

    entry: ShortlistEntry
    row: dict[str, Any] | None

    @property
    def handle(self) -> str:
        return self.entry.creator.handle

    @property
    def followers(self) -> int | None:
        return self.row["followers"] if self.row else self.entry.creator.followers

    @property
    def note_rows(self) -> int:
        """Lines the note's box opens with, so that the whole note shows (browsers without ``field-sizing``)."""
        lines = self.entry.note.split("\n")
        return min(20, max(2, sum(1 + len(line) // 40 for line in lines)))

    def sort_value(self, key: str) -> Any:
        if key == "handle":
            return self.handle.lower()
        if key == "followers":
            return self.followers
        if key == "status":
            return STATUS_ORDER.index(self.entry.status) if self.entry.status in STATUS_ORDER else None
        if key == "added":
            return (self.entry.added_at, self.entry.pk)
        return self.row.get(key) if self.row else None


def items(
    *, access: Access, shortlist: Shortlist, status: str | None = None, ordering: str = "",
    run: ScoringRun | None | Any = UNSET,
) -> list[Item]:
    """The shortlist's visible entries (of ``status`` when given) with their creators' rows, sorted by ``ordering``
    (a key of :func:`sort_keys`, ``-`` first for descending; default newest first; empty values last): two
    queries whatever the size (and the published run's, unless ``run`` is given)."""
    queryset = entries(access, shortlist).select_related("creator", "added_by").order_by("-added_at", "-pk")
    if status:
        queryset = queryset.filter(status=status)
    found = list(queryset)
    rows = {
        row["creator_id"]: row
        for row in creator_list(access=access, run=run).filter(creator_id__in=[entry.creator_id for entry in found])
    }
    listed = [Item(entry=entry, row=rows.get(entry.creator_id)) for entry in found]
    key = ordering.lstrip("-") or "added"
    descending = ordering.startswith("-") or not ordering
    present = [item for item in listed if item.sort_value(key) is not None]
    missing = [item for item in listed if item.sort_value(key) is None]
    present.sort(key=lambda item: item.sort_value(key), reverse=descending)
    return present + missing


@dataclass(frozen=True)
class Picker:
    """What an "Add to" control offers: the partner's shortlists (``{"id", "name"}``, by name) and the user's last
    one (``last_id``, ``last``), which it starts on."""

    shortlists: list[dict[str, Any]]
    last_id: int | None

    @property
    def last(self) -> dict[str, Any] | None:
        return next((item for item in self.shortlists if item["id"] == self.last_id), None)


def picker(access: Access) -> Picker:
    """The "Add to" choices of the list, compare page and scorecard (one query)."""
    lists = list(Shortlist.objects.visible_to(access).order_by("name").values("id", "name"))
    last = last_shortlist_id(access)
    return Picker(shortlists=lists, last_id=last if any(item["id"] == last for item in lists) else None)
