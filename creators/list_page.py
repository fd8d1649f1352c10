"""What the creator list page shows, as data: the table's header cells and rows, the filter panel's inputs.

The templates (``creators/includes/creator_table.html``, ``creators/includes/filter_panel.html``) turn these into
HTML. Rows are built from the visible score columns only (``presenters.index_columns(access)``): a row carries the
profile and the values of those columns, nothing else, so a hidden field never reaches the template's context.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from creators.presenters import Column
from scoring.choices import NullReason
from scoring.definitions import NULL_REASON_TEXT, null_reason

# The title of a "no signal" cell (the sentence the scorecard shows).
NO_SIGNAL_TEXT = NULL_REASON_TEXT[NullReason.NO_SIGNAL]

# Profile columns of the creator table, in display order (sortable; categories follow them, unsortable).
PROFILE_COLUMNS: tuple[Column, ...] = (
    Column("handle", "Creator", numeric=False),
    Column("country", "Country", numeric=False),
    Column("followers", "Followers"),
)
# Category tags shown in a row; more are summed up as "+N".
ROW_CATEGORY_TAGS = 3


@dataclass(frozen=True)
class HeaderCell:
    """A sortable column head: the ``ordering`` a click on it asks for, and its ``aria-sort`` state (or None)."""

    column: Column
    ordering: str
    aria_sort: str | None


@dataclass(frozen=True)
class ScoreCell:
    """One visible score of a row (``value`` None: insufficient data, or no signal in the run's data)."""

    name: str
    value: float | None
    no_signal: bool = False

    @property
    def no_signal_text(self) -> str:
        return NO_SIGNAL_TEXT


@dataclass(frozen=True)
class CreatorRow:
    """A row of the creator table: the profile and the visible scores, in column order."""

    handle: str
    display_name: str
    country: str
    followers: int | None
    categories: tuple[str, ...]
    more_categories: int
    scores: tuple[ScoreCell, ...]


@dataclass(frozen=True)
class RangeFilter:
    """A min/max pair of the filter panel, with the values of the request (as sent, or empty)."""

    name: str
    label: str
    min_value: str
    max_value: str


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True)
class SelectField:
    """A ``<select>`` of the filter panel (``includes/select.html``): name, id and the options after the empty
    one (``empty_selected``: nothing chosen)."""

    name: str
    options: tuple[Option, ...]
    empty_selected: bool


def header_cells(columns: Iterable[Column], ordering: Sequence[str]) -> list[HeaderCell]:
    """For each sortable column: the ordering a click asks for (the reverse of the current one; otherwise numbers
    largest first and names alphabetically) and its ``aria-sort`` state."""
    first = ordering[0] if ordering else ""
    cells = []
    for column in columns:
        if first == f"-{column.name}":
            cells.append(HeaderCell(column, column.name, "descending"))
        elif first == column.name:
            cells.append(HeaderCell(column, f"-{column.name}", "ascending"))
        else:
            cells.append(HeaderCell(column, f"-{column.name}" if column.numeric else column.name, None))
    return cells


def _cell(row: Mapping[str, Any], name: str) -> ScoreCell:
    value = row.get(name)
    # The row carries each visible index's raw score, which tells no signal from insufficient data.
    reason = null_reason(value=value, raw=row.get(f"{name}_raw"))
    return ScoreCell(name, value, no_signal=reason == NullReason.NO_SIGNAL)


def creator_rows(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column]) -> list[CreatorRow]:
    """The table's rows: of each list row, the profile and the values of ``columns`` (the visible scores, each
    with its raw score when the row has it)."""
    names = [column.name for column in columns]
    table = []
    for row in rows:
        categories = tuple(row.get("categories") or ())
        table.append(
            CreatorRow(
                handle=row["handle"],
                display_name=row.get("display_name") or "",
                country=row.get("country") or "",
                followers=row.get("followers"),
                categories=categories[:ROW_CATEGORY_TAGS],
                more_categories=max(0, len(categories) - ROW_CATEGORY_TAGS),
                scores=tuple(_cell(row, name) for name in names),
            )
        )
    return table


def range_filters(params: Mapping[str, Any], columns: Iterable[Column]) -> list[RangeFilter]:
    """The min/max inputs of each column, with the request's values (what a bound form field shows)."""
    return [
        RangeFilter(
            name=column.name,
            label=column.label,
            min_value=_as_sent(params.get(f"{column.name}_min")),
            max_value=_as_sent(params.get(f"{column.name}_max")),
        )
        for column in columns
    ]


def _as_sent(value: Any) -> str:
    return "" if value is None else str(value)


def select_field(name: str, choices: Iterable[tuple[Any, Any]], current: Any) -> SelectField:
    """A select over ``choices`` (``(value, label)``, without the empty one) with ``current`` selected.

    Data for ``includes/select.html`` rather than the form field's widget: a ``ModelChoiceField`` widget reads
    its queryset again for each select, and the list page's two category selects share the one list the filter
    set has read (``CreatorFilterSet.visible_categories``).
    """
    selected = "" if current in (None, "") else str(current)
    options = tuple(Option(str(value), str(label), str(value) == selected) for value, label in choices)
    return SelectField(name=name, options=options, empty_selected=not selected)
