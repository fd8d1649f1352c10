"""Keyset ("seek") pagination for the creator list: deep pages cost what the first page costs.

``OFFSET 500000`` makes PostgreSQL produce and throw away half a million rows (105 ms with an index, LIMITS.md);
seeking to "the rows after (score, id) of the last row shown" reads only the page (0.45 ms). The cursor in the URL
carries the sort-key values of the row a page starts after (or before, going back), never an offset.

Nulls follow the ordering's own placement (by default the lowest value: last when descending, as people expect
of "no score yet"). Rather than one ``... OR col IS NULL`` predicate that no index can serve, every page is read as
at most two segments of constant nullness on the first key (the rows with a value, then, only when the page is not
full yet, the rows without one, or the other way round), each a range of an index such as
``(run, overall DESC NULLS LAST, creator_id DESC)`` walked forwards or backwards with the ordering unchanged.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, OrderBy, Q, QuerySet

DEFAULT_UNIQUE_KEYS = frozenset({"pk", "id", "creator_id", "handle"})


@dataclass(frozen=True)
class SortKey:
    """One column of the ordering: a field or annotation name usable in ``filter()`` and ``order_by()``.

    ``nulls_first`` says where nulls sort in the forward order. A nullable key whose ordering did not say is
    given "nulls are the lowest value" (last when descending, first when ascending) on every database, the
    convention of ``creators.filtersets.order_expressions``.
    """

    name: str
    descending: bool
    nullable: bool = True
    nulls_first: bool | None = None

    @property
    def nulls_lead(self) -> bool:
        return (not self.descending) if self.nulls_first is None else self.nulls_first

    def ordering(self, *, reverse: bool = False) -> OrderBy:
        """``ORDER BY`` for this key; ``reverse`` is the exact mirror, so a database can walk the same index back."""
        descending = self.descending != reverse
        expression = F(self.name)
        if not self.nullable:
            return expression.desc() if descending else expression.asc()
        first = self.nulls_lead != reverse
        if descending:
            return expression.desc(nulls_first=True) if first else expression.desc(nulls_last=True)
        return expression.asc(nulls_first=True) if first else expression.asc(nulls_last=True)

    def lookup(self, *, reverse: bool = False, inclusive: bool = False) -> str:
        """The comparison that means "after this value" in the sort order (or "before" with ``reverse``)."""
        smaller = self.descending != reverse
        return ("lte" if inclusive else "lt") if smaller else ("gte" if inclusive else "gt")

    def nulls_after(self, *, reverse: bool) -> bool:
        """Whether, walking in this direction, the nulls come after the values."""
        return self.nulls_lead == reverse


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
        nulls_first: bool | None = None
        if isinstance(item, str):
            descending, name = item.startswith("-"), item.lstrip("-")
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            # ``F.name`` is public at run time but missing from django-stubs.
            descending, name = item.descending, item.expression.name  # type: ignore[attr-defined]
            if item.nulls_first:
                nulls_first = True
            elif item.nulls_last:
                nulls_first = False
        else:
            raise ValueError(f"Keyset pagination needs orderings by name, got {item!r}")
        nullable = _is_nullable(model, queryset, name)
        keys.append(SortKey(name=name, descending=descending, nullable=nullable, nulls_first=nulls_first))
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
    payload = json.dumps({"v": [jsonable(value) for value in values], "b": backwards}, separators=(",", ":"))
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
    # A hand-made cursor may carry numbers no column holds (beyond a 64-bit integer, or not finite): no page
    # can start there, and SQLite refuses such a parameter outright.
    if not all(_storable(value) for value in values):
        return None
    return values, backwards


def _storable(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return -(2**63) <= value < 2**63


def jsonable(value: Any) -> Any:
    """A sort value as it travels in a cursor: Decimal, date and datetime values as strings (the ORM converts
    them back when filtering)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def row_value(row: Any, name: str) -> Any:
    """The value of the sort key ``name`` in a row (a model instance or a ``.values()`` dict)."""
    if isinstance(row, Mapping):
        return row["id" if name == "pk" and "pk" not in row else name]
    return getattr(row, name)


def _beyond(keys: Sequence[SortKey], values: Sequence[Any], *, reverse: bool) -> Q:
    """Rows strictly after (or, with ``reverse``, before) the position ``values``, in the keys' order.

    Used below the first key, whose nulls are handled by splitting the read into segments.
    """
    key, value, rest = keys[0], values[0], keys[1:]
    if not rest:
        return Q(**{f"{key.name}__{key.lookup(reverse=reverse)}": value})
    tail = _beyond(rest, values[1:], reverse=reverse)
    nulls_after = key.nulls_after(reverse=reverse)
    if value is None:
        beyond = Q(**{f"{key.name}__isnull": True}) & tail
        return beyond if nulls_after else beyond | Q(**{f"{key.name}__isnull": False})
    strictly = Q(**{f"{key.name}__{key.lookup(reverse=reverse)}": value})
    if key.nullable and nulls_after:
        strictly |= Q(**{f"{key.name}__isnull": True})
    return strictly | (Q(**{key.name: value}) & tail)


def keyset_segments(keys: Sequence[SortKey], values: Sequence[Any] | None, *, reverse: bool = False) -> list[Q]:
    """The rows after the position ``values`` (all rows for ``None``; before it with ``reverse``), as consecutive
    segments of constant nullness on the first key, to be read in order (each ordered by ``SortKey.ordering``)
    until the page is full.

    One ``... OR col IS NULL`` predicate is correct but hides the range from the planner, which then walks the
    index from the start: each segment here is one index range.
    """
    first, rest = keys[0], keys[1:]
    has_value = Q(**{f"{first.name}__isnull": False})
    is_null = Q(**{f"{first.name}__isnull": True})
    nulls_after = first.nulls_after(reverse=reverse)
    if values is None:
        if not first.nullable:
            return [Q()]
        return [has_value, is_null] if nulls_after else [is_null, has_value]
    if values[0] is None:
        in_nulls = is_null & _beyond(rest, values[1:], reverse=reverse) if rest else is_null
        return [in_nulls] if nulls_after else [in_nulls, has_value]
    # The inclusive bound on the first key is redundant with the exact predicate, but it is what lets the
    # database start an index range scan at the cursor instead of filtering from the top.
    bound = Q(**{f"{first.name}__{first.lookup(reverse=reverse, inclusive=True)}": values[0]})
    exact = Q(**{f"{first.name}__{first.lookup(reverse=reverse)}": values[0]})
    if rest:
        exact |= Q(**{first.name: values[0]}) & _beyond(rest, values[1:], reverse=reverse)
    segments = [bound & exact]
    if first.nullable and nulls_after:
        segments.append(is_null)
    return segments


def keyset_page(
    queryset: QuerySet,
    *,
    page_size: int,
    cursor: str | None = None,
    keys: Sequence[SortKey] | None = None,
    offset: int = 0,
) -> KeysetPage:
    """The page of ``queryset`` (already filtered and ordered) that ``cursor`` points at; page one without it.

    ``offset`` (without a cursor) starts the page that many rows in: the HTML list's "go to page N", offered only
    where the count is known and small (``COUNT_CAP``), so that the skipped rows are few. Its cursors are the
    same as a keyset page's, so Next and Previous from there seek again.
    """
    keys = tuple(keys or sort_keys_for(queryset))
    decoded = decode_cursor(cursor, length=len(keys)) if cursor else None
    values, backwards = decoded if decoded else (None, False)
    want = page_size + 1  # one extra row tells whether there is a further page
    order = [key.ordering(reverse=backwards) for key in keys]
    segments = keyset_segments(keys, values, reverse=backwards)
    offset = offset if values is None and offset > 0 else 0

    rows: list[Any] = []
    try:
        if offset:
            # One ordered statement (each key's null placement is in its ordering): an offset cannot be split
            # over the null segments.
            rows = list(queryset.order_by(*order)[offset : offset + want])
        for condition in segments if not offset else ():
            rows.extend(queryset.filter(condition).order_by(*order)[: want - len(rows)])
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
        first_values = [row_value(rows[0], key.name) for key in keys]
        last_values = [row_value(rows[-1], key.name) for key in keys]
        if (more and not backwards) or (backwards and values is not None):
            next_cursor = encode_cursor(last_values, backwards=False)
        if (more and backwards) or (not backwards and (values is not None or offset)):
            previous_cursor = encode_cursor(first_values, backwards=True)
    return KeysetPage(rows=rows, next_cursor=next_cursor, previous_cursor=previous_cursor, page_size=page_size)
