"""Keyset ("seek") pagination for the creator list: deep pages cost what the first page costs.

``OFFSET 500000`` makes PostgreSQL produce and throw away half a million rows (105 ms with an index, LIMITS.md);
seeking to "the rows after (score, id) of the last row shown" reads only the page (0.45 ms). The cursor in the URL
carries the sort-key values of the row a page starts after (or before, going back), never an offset.

Nulls sort last in either direction, as people expect of "no score yet". Rather than one ``... OR col IS NULL``
predicate that no index can serve, every page is read as at most two index-friendly segments: the rows with a
value for the first sort key, then (only when the page is not full yet) the rows without one. Within a segment the
null placement is irrelevant, so each segment is ordered with the database's plain ``ASC``/``DESC`` and can walk a
plain composite index such as ``(overall DESC, creator_id DESC)``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, OrderBy, Q, QuerySet

DEFAULT_UNIQUE_KEYS = frozenset({"pk", "id", "handle"})


@dataclass(frozen=True)
class SortKey:
    """One column of the ordering: a field or annotation name usable in ``filter()`` and ``order_by()``."""

    name: str
    descending: bool
    nullable: bool = True

    def ordering(self, *, reverse: bool = False, plain: bool = False) -> OrderBy:
        """``ORDER BY`` for this key; nulls last going forward, unless ``plain`` leaves them to the database."""
        descending = self.descending != reverse
        if plain or not self.nullable:
            return F(self.name).desc() if descending else F(self.name).asc()
        if descending:
            return F(self.name).desc(nulls_last=not reverse, nulls_first=reverse)
        return F(self.name).asc(nulls_last=not reverse, nulls_first=reverse)

    def lookup(self, *, reverse: bool = False, inclusive: bool = False) -> str:
        """The comparison that means "after this value" in the sort order (or "before" with ``reverse``)."""
        smaller = self.descending != reverse
        return ("lte" if inclusive else "lt") if smaller else ("gte" if inclusive else "gt")


@dataclass(frozen=True)
class KeysetPage:
    """One page of rows with opaque cursors to its neighbours (``None`` at either end)."""

    rows: list[Any]
    next_cursor: str | None
    previous_cursor: str | None
    page_size: int

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None


def sort_keys_for(queryset: QuerySet, *, unique_keys: frozenset[str] = DEFAULT_UNIQUE_KEYS) -> tuple[SortKey, ...]:
    """Read the queryset's ordering as sort keys, adding the primary key when it does not end on a unique key.

    Keyset pagination needs a total order: two rows with the same sort values would otherwise be skipped or shown
    twice at a page boundary.
    """
    model = queryset.model
    keys: list[SortKey] = []
    for item in queryset.query.order_by or model._meta.ordering or ("pk",):
        if isinstance(item, str):
            descending, name = item.startswith("-"), item.lstrip("-")
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            descending, name = item.descending, item.expression.name
        else:
            raise ValueError(f"Keyset pagination needs orderings by name, got {item!r}")
        keys.append(SortKey(name=name, descending=descending, nullable=_is_nullable(model, queryset, name)))
    if keys[-1].name not in unique_keys:
        keys.append(SortKey(name="pk", descending=keys[-1].descending, nullable=False))
    return tuple(keys)


def _is_nullable(model: Any, queryset: QuerySet, name: str) -> bool:
    if name in queryset.query.annotations or "__" in name:
        return True
    if name == "pk":
        return False
    try:
        return bool(model._meta.get_field(name).null)
    except FieldDoesNotExist:
        return True


def encode_cursor(values: Sequence[Any], *, backwards: bool) -> str:
    payload = json.dumps({"v": [_jsonable(value) for value in values], "b": backwards}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, length: int) -> tuple[list[Any], bool] | None:
    """The values and direction of a cursor, or ``None`` for anything malformed (the caller shows page one)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        values, backwards = payload["v"], payload["b"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if not isinstance(values, list) or len(values) != length or not isinstance(backwards, bool):
        return None
    if not all(value is None or isinstance(value, str | int | float) for value in values):
        return None
    return values, backwards


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal | date | datetime):
        return str(value)
    return value


def _row_value(row: Any, name: str) -> Any:
    if isinstance(row, Mapping):
        return row["id" if name == "pk" and "pk" not in row else name]
    return getattr(row, name)


def _beyond(keys: Sequence[SortKey], values: Sequence[Any], *, reverse: bool) -> Q:
    """Rows strictly after (or, with ``reverse``, before) the position ``values`` among rows equal on no key.

    Only used below the first key, whose nulls are handled by splitting the read into segments.
    """
    key, value, rest = keys[0], values[0], keys[1:]
    if not rest:
        return Q(**{f"{key.name}__{key.lookup(reverse=reverse)}": value})
    tail = _beyond(rest, values[1:], reverse=reverse)
    if value is None:
        same = Q(**{f"{key.name}__isnull": True}) & tail
        # Nulls sort last: going forward nothing non-null follows a null; going back, every non-null precedes it.
        return same | Q(**{f"{key.name}__isnull": False}) if reverse else same
    strictly = Q(**{f"{key.name}__{key.lookup(reverse=reverse)}": value})
    if key.nullable and not reverse:
        strictly |= Q(**{f"{key.name}__isnull": True})
    return strictly | (Q(**{key.name: value}) & tail)


def keyset_page(
    queryset: QuerySet, *, page_size: int, cursor: str | None = None, keys: Sequence[SortKey] | None = None
) -> KeysetPage:
    """The page of ``queryset`` (already filtered and ordered) that ``cursor`` points at; page one without it."""
    keys = tuple(keys or sort_keys_for(queryset))
    decoded = decode_cursor(cursor, length=len(keys)) if cursor else None
    values, backwards = decoded if decoded else (None, False)
    first, rest = keys[0], keys[1:]
    want = page_size + 1  # one extra row tells whether there is a further page

    def segment(base: QuerySet, limit: int) -> list[Any]:
        # The first key is constant-nullness within a segment, so it can use the index's plain order.
        order = [first.ordering(reverse=backwards, plain=True)] + [key.ordering(reverse=backwards) for key in rest]
        return list(base.order_by(*order)[:limit])

    has_value = Q(**{f"{first.name}__isnull": False})
    is_null = Q(**{f"{first.name}__isnull": True})
    # Segments in reading order; nulls come last going forward and first going back.
    segments: list[Q] = []
    if values is None:
        segments = [has_value, is_null] if first.nullable else [Q()]
    elif values[0] is None:
        after_in_nulls = is_null & _beyond(rest, values[1:], reverse=backwards) if rest else is_null
        segments = [after_in_nulls, has_value] if backwards else [after_in_nulls]
    else:
        # The inclusive bound on the first key is redundant with the exact predicate, but it is what lets the
        # database start an index range scan at the cursor instead of filtering from the top.
        bound = Q(**{f"{first.name}__{first.lookup(reverse=backwards, inclusive=True)}": values[0]})
        exact = Q(**{f"{first.name}__{first.lookup(reverse=backwards)}": values[0]})
        if rest:
            exact |= Q(**{first.name: values[0]}) & _beyond(rest, values[1:], reverse=backwards)
        segments = [bound & exact]
        if first.nullable and not backwards:
            segments.append(is_null)

    rows: list[Any] = []
    try:
        for condition in segments:
            rows.extend(segment(queryset.filter(condition), want - len(rows)))
            if len(rows) >= want:
                break
    except (ValueError, TypeError, ValidationError):
        # A hand-edited cursor whose values do not fit the columns: show page one rather than an error.
        if values is None:
            raise
        return keyset_page(queryset, page_size=page_size, cursor=None, keys=keys)

    more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()
    next_cursor = previous_cursor = None
    if rows:
        first_values = [_row_value(rows[0], key.name) for key in keys]
        last_values = [_row_value(rows[-1], key.name) for key in keys]
        if (more and not backwards) or (backwards and values is not None):
            next_cursor = encode_cursor(last_values, backwards=False)
        if (more and backwards) or (not backwards and values is not None):
            previous_cursor = encode_cursor(first_values, backwards=True)
    return KeysetPage(rows=rows, next_cursor=next_cursor, previous_cursor=previous_cursor, page_size=page_size)
