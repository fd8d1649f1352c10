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
from scoring.catalogue import CHANGE_FIELDS
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
# The columns a person may show or hide (``?columns=country,followers,overall``): the profile columns after the
# handle (which always shows), the categories, and each visible score column. A display choice of the HTML list
# only: not a filter, so the FilterSet (and the API, which rejects unknown parameters) never sees it.
HTML_ONLY_PARAMS = frozenset({"columns", "page"})
CATEGORIES = "categories"
# Shown unless the person chooses otherwise: every column, but the category tags only beside at most this many
# score columns: with all seven indices and "our score" they do not fit at 1440 px (tests/browser: no horizontal
# scroll at 1440 px with the default set).
CATEGORIES_BY_DEFAULT_MAX_SCORES = 4
# The phone card shows the handle, the followers, the overall score and this many more chosen indices.
CARD_INDICES = 2


@dataclass(frozen=True)
class HeaderCell:
    """A sortable column head: the ``ordering`` a click on it asks for, its ``aria-sort`` state (or None), and
    ``by_change`` ("rise" or "fall") when the list is sorted by the change of this column's index."""

    column: Column
    ordering: str
    aria_sort: str | None
    by_change: str | None = None


@dataclass(frozen=True)
class ScoreCell:
    """One shown score of a row (``value`` None: insufficient data, or no signal in the run's data); ``in_card``:
    one of the few the phone card keeps (with ``label`` before it)."""

    name: str
    value: float | None
    no_signal: bool = False
    label: str = ""
    in_card: bool = False
    # The change against the previous published run in points (None: none to show, or not visible).
    change: float | None = None

    @property
    def no_signal_text(self) -> str:
        return NO_SIGNAL_TEXT


@dataclass(frozen=True)
class ColumnChoice:
    """A checkbox of the column chooser."""

    name: str
    label: str
    shown: bool


@dataclass(frozen=True)
class TableColumns:
    """What the creator table shows: the chosen profile and score columns (visible fields only, table order), the
    names of the scores the phone card keeps, and the chooser's checkboxes."""

    profile: tuple[Column, ...]
    categories: bool
    scores: tuple[Column, ...]
    card: frozenset[str]
    choices: tuple[ColumnChoice, ...]
    chosen: bool  # the request chose them (``columns`` given) rather than the default

    @property
    def show_country(self) -> bool:
        return any(column.name == "country" for column in self.profile)

    @property
    def show_followers(self) -> bool:
        return any(column.name == "followers" for column in self.profile)

    @property
    def shown_names(self) -> list[str]:
        """The chosen columns as ``?columns=`` names (the handle, always shown, is not one)."""
        return [
            *(column.name for column in self.profile if column.name != "handle"),
            *([CATEGORIES] if self.categories else []),
            *(column.name for column in self.scores),
        ]


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
    """A ``<select>`` of the filter panel (``includes/select.html``): name, id, the empty option's label ("Any
    category") and the options after it (``empty_selected``: nothing chosen)."""

    name: str
    options: tuple[Option, ...]
    empty_selected: bool
    empty_label: str = "Any"


def header_cells(columns: Iterable[Column], ordering: Sequence[str]) -> list[HeaderCell]:
    """For each sortable column: the ordering a click asks for (the reverse of the current one; otherwise numbers
    largest first and names alphabetically) and its ``aria-sort`` state."""
    first = ordering[0] if ordering else ""
    cells = []
    for column in columns:
        change = CHANGE_FIELDS.get(column.name)
        if change is not None and first in (f"-{change}", change):
            # Sorted by the index's change (the "Sort by" select): the head says so; a click sorts by the index.
            by_change = "rise" if first.startswith("-") else "fall"
            cells.append(HeaderCell(column, f"-{column.name}", None, by_change=by_change))
        elif first == f"-{column.name}":
            cells.append(HeaderCell(column, column.name, "descending"))
        elif first == column.name:
            cells.append(HeaderCell(column, f"-{column.name}", "ascending"))
        else:
            cells.append(HeaderCell(column, f"-{column.name}" if column.numeric else column.name, None))
    return cells


def requested_columns(params: Any) -> list[str] | None:
    """The column names of ``?columns=`` (comma-separated or repeated), or None when not given."""
    values = params.getlist("columns") if hasattr(params, "getlist") else [params.get("columns", "")]
    if not any(values):
        return None
    return [name.strip() for value in values for name in str(value).split(",") if name.strip()]


def table_columns(
    *, requested: Sequence[str] | None, score_columns: Sequence[Column], ordering: Sequence[str]
) -> TableColumns:
    """The shown columns: the requested ones among those offered (profile columns and the visible
    ``score_columns``; any other name is ignored, so a hidden field cannot be asked for), else the default.

    The phone card keeps the overall score and the first ``CARD_INDICES`` other shown indices, the one the list is
    sorted by first.
    """
    offered = [*(column.name for column in PROFILE_COLUMNS[1:]), CATEGORIES, *(c.name for c in score_columns)]
    wanted = {name for name in requested or () if name in offered}
    chosen = bool(wanted)
    if not chosen:
        wanted = set(offered)
        if len(score_columns) > CATEGORIES_BY_DEFAULT_MAX_SCORES:
            wanted.discard(CATEGORIES)
    scores = tuple(column for column in score_columns if column.name in wanted)
    # Sorted by a change: its index is the one the card keeps first.
    sort_key = ordering[0].lstrip("-").removesuffix("_change") if ordering else ""
    extra = [c.name for c in scores if c.name not in ("overall", "partner_score")]
    extra.sort(key=lambda name: name != sort_key)
    labels = {column.name: column.label for column in (*PROFILE_COLUMNS, *score_columns)} | {CATEGORIES: "Categories"}
    return TableColumns(
        profile=tuple(column for column in PROFILE_COLUMNS if column.name == "handle" or column.name in wanted),
        categories=CATEGORIES in wanted,
        scores=scores,
        card=frozenset({"overall", *extra[:CARD_INDICES]}),
        choices=tuple(ColumnChoice(name, labels[name], name in wanted) for name in offered),
        chosen=chosen,
    )


def _cell(row: Mapping[str, Any], name: str, label: str, in_card: bool) -> ScoreCell:
    value = row.get(name)
    # The row carries each visible index's raw score, which tells no signal from insufficient data, and its change
    # (absent from the row when not visible: ``change_names``).
    reason = null_reason(value=value, raw=row.get(f"{name}_raw"))
    change = row.get(CHANGE_FIELDS[name]) if name in CHANGE_FIELDS else None
    return ScoreCell(
        name, value, no_signal=reason == NullReason.NO_SIGNAL, label=label, in_card=in_card, change=change
    )


def change_names(columns: Iterable[Column], visible: frozenset[str]) -> list[str]:
    """The change fields of the visible score ``columns`` (each has its index's tier, so it is visible with it)."""
    return [CHANGE_FIELDS[c.name] for c in columns if c.name in CHANGE_FIELDS and CHANGE_FIELDS[c.name] in visible]


def creator_rows(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], card: frozenset[str] = frozenset()
) -> list[CreatorRow]:
    """The table's rows: of each list row, the profile and the values of ``columns`` (the shown scores, each with
    its raw score when the row has it; those in ``card`` are kept by the phone card)."""
    shapes = [(column.name, column.label, column.name in card) for column in columns]
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
                scores=tuple(_cell(row, name, label, in_card) for name, label, in_card in shapes),
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


def change_ranges(params: Mapping[str, Any], columns: Iterable[Column], visible: frozenset[str]) -> list[RangeFilter]:
    """The min/max inputs of each visible index's change (``<index>_change_min``, ``_max``)."""
    return [
        RangeFilter(
            name=name,
            label=f"{label} change",
            min_value=_as_sent(params.get(f"{name}_min")),
            max_value=_as_sent(params.get(f"{name}_max")),
        )
        for name, label in (
            (CHANGE_FIELDS[c.name], c.label) for c in columns if c.name in CHANGE_FIELDS
        )
        if name in visible
    ]


def sort_field(ordering: Sequence[str], score_columns: Sequence[Column], visible: frozenset[str]) -> SelectField:
    """The "Sort by" select of the filter panel: each visible index highest first, its change biggest rise first
    and biggest fall first, and the profile orders; the ordering in force (a table header's, or several keys) when
    it is none of those."""
    choices: list[tuple[str, str]] = [("-followers", "Followers, most first"), ("handle", "Handle, A to Z")]
    for column in score_columns:
        choices.append((f"-{column.name}", f"{column.label}, highest first"))
        change = CHANGE_FIELDS.get(column.name)
        if change and change in visible:
            choices.append((f"-{change}", f"{column.label}: biggest rise"))
            choices.append((change, f"{column.label}: biggest fall"))
    current = ",".join(ordering)
    if current and current not in {value for value, _ in choices}:
        choices.insert(0, (current, "As sorted in the table"))
    return select_field("ordering", choices, current, empty_label="Default order")


def _as_sent(value: Any) -> str:
    return "" if value is None else str(value)


def select_field(
    name: str, choices: Iterable[tuple[Any, Any]], current: Any, *, empty_label: str = "Any"
) -> SelectField:
    """A select over ``choices`` (``(value, label)``, without the empty one) with ``current`` selected.

    Data for ``includes/select.html`` rather than the form field's widget: a ``ModelChoiceField`` widget reads
    its queryset again for each select, and the list page's two category selects share the one list the filter
    set has read (``CreatorFilterSet.visible_categories``).
    """
    selected = "" if current in (None, "") else str(current)
    options = tuple(Option(str(value), str(label), str(value) == selected) for value, label in choices)
    return SelectField(name=name, options=options, empty_selected=not selected, empty_label=empty_label)


@dataclass(frozen=True)
class PageNumbers:
    """Where the page is in a list whose count is known: "Page ``number`` of ``count``" (``number`` is ``None``
    when the page was reached by a cursor that did not say), or a message for a page number that is not one."""

    number: int | None
    count: int
    page_size: int
    error: str = ""

    @property
    def offset_rows(self) -> int:
        return ((self.number or 1) - 1) * self.page_size


def page_numbers(raw: str | None, *, total: int, known: bool, page_size: int) -> PageNumbers | None:
    """The page numbers of the list, ``None`` when its count is not known (above the cap: "10,000+").

    ``raw`` is the ``page`` parameter: the page to jump to (no cursor), or the number of the page a cursor
    points at (carried by the Previous/Next links). Anything but a whole number from 1 to the page count is an
    error on that parameter, with a message for the page.
    """
    if not known:
        return None
    count = max(1, -(-total // page_size))
    if raw in (None, ""):
        return PageNumbers(number=None, count=count, page_size=page_size)
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= count:
        return PageNumbers(
            number=None, count=count, page_size=page_size,
            error=f"Enter a page number from 1 to {count}." if count > 1 else "This list has only one page.",
        )
    return PageNumbers(number=int(text), count=count, page_size=page_size)
