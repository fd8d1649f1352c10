"""What the dashboard pages show, computed from the access layer's querysets and the scoring selectors.

Everything here takes an ``access`` and reduces values to ``visible_fields(access)`` *before* they reach a template
or a chart builder: a hidden field is never put in a context, so it cannot leak into the HTML or the chart JSON.
Aggregates that are the same for every page view of a partner (the score distribution, category medians) are
computed by the scoring run and read from it (``scoring.aggregates``), so a scorecard page costs a handful of
indexed reads.

Data only, no markup: the templates render it (``templates/creators/``), with the display formats of
``creators.formatting`` as filters; the list page's table and filter panel are in ``creators.list_page``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from creators import formatting
from creators.models import Category
from partners.access import Access, visible_fields
from scoring.aggregates import run_aggregates
from scoring.catalogue import CHANGE_FIELDS, FIELDS_BY_NAME, FILTERABLE_INDICES, PARTNER_SCORE
from scoring.choices import INDEX_NAMES, NullReason
from scoring.definitions import GROWTH, NULL_REASON_TEXT, growth, null_reason
from scoring.models import ScoringRun

CACHE_SECONDS = 600
# The scorecard's indices in display order; "overall" is shown as the headline, the six as cards and radar axes.
CARD_INDICES: tuple[str, ...] = ("overall", *INDEX_NAMES)


@dataclass(frozen=True)
class Column:
    """A sortable column of the creator table."""

    name: str
    label: str
    numeric: bool = True
    help: str = ""


def visible_names(access: Access) -> frozenset[str]:
    return frozenset(spec.name for spec in visible_fields(access))


def index_columns(access: Access) -> list[Column]:
    """The visible indices as table columns (catalogue order of ``FILTERABLE_INDICES``), then "our score"."""
    names = visible_names(access)
    columns = [
        Column(name, FIELDS_BY_NAME[name].label, help=FIELDS_BY_NAME[name].help)
        for name in FILTERABLE_INDICES
        if name in names
    ]
    if access.weights is not None and names:
        columns.append(Column(PARTNER_SCORE.name, PARTNER_SCORE.label, help=PARTNER_SCORE.help))
    return columns


def radar_indices(access: Access) -> list[tuple[str, str]]:
    """The six indices that are visible, as ``(name, label)``: the axes of every radar."""
    names = visible_names(access)
    return [(name, FIELDS_BY_NAME[name].label) for name in INDEX_NAMES if name in names]


def overall_histogram(*, access: Access, run: ScoringRun) -> list[tuple[float, float, int]]:
    """The distribution of the overall score over the creators this partner can see, as ``(low, high, count)``
    (equal bins over 0-100, 100 in the last bin): computed by the run, read from it (``scoring.aggregates``)."""
    return run_aggregates(run, access).histogram


def category_medians(*, access: Access, run: ScoringRun, category_id: int) -> dict[str, float | None]:
    """Median of each visible index over the visible creators whose primary category is ``category_id``.

    Only visible creators take part, so the reference line of the radar reveals nothing about creators outside
    the grant. Computed by the run, read from it (``scoring.aggregates``); hidden indices are left out.
    """
    names = [name for name in CARD_INDICES if name in visible_names(access)]
    if not names:
        return {}
    medians = run_aggregates(run, access).category_medians.get(category_id) or {}
    return {name: medians.get(name) for name in names}


@dataclass
class IndexCard:
    """One index on the scorecard: value, confidence and the "why this score" evidence (visible fields only)."""

    name: str
    label: str
    help: str
    value: float | None
    confidence: str | None
    reference_label: str = ""
    reference_n: int | None = None
    reference_median: float | None = None
    raw: float | None = None
    metrics: list[tuple[str, str, Any]] = field(default_factory=list)
    # Why the value is null (``scoring.choices.NullReason``; insufficient data unless told), None with a value.
    reason: str | None = None
    # The change against the previous published run, in points (None: none, or not visible).
    change: float | None = None

    def __post_init__(self) -> None:
        if self.value is None and self.reason is None:
            self.reason = NullReason.INSUFFICIENT_DATA
        if self.value is not None:
            self.reason = None

    @property
    def reason_text(self) -> str:
        return NULL_REASON_TEXT.get(self.reason, "") if self.reason else ""

    @property
    def rank_text(self) -> str:
        """The plain reading of the index, before the raw figures: "Better than 77% of the 1,971 creators ranked
        on care." (empty without a value)."""
        return formatting.rank_sentence(self.value, self.reference_n, self.reference_label, self.label)


def index_cards(*, access: Access, values: Mapping[str, Any], references: Mapping[str, Mapping[str, Any]]) -> list:
    """The visible indices of a scorecard with the raw metrics and reference medians behind each."""
    names = visible_names(access)
    cards = []
    for name in INDEX_NAMES:
        if name not in names:
            continue
        spec = FIELDS_BY_NAME[name]
        reference = references.get(name) or {}
        confidence_field = "collaboration_confidence" if name == "collaboration" else "confidence"
        metrics = [
            (metric, FIELDS_BY_NAME[metric].label, value)
            for metric, value in (reference.get("metrics") or {}).items()
            if metric in names and metric in FIELDS_BY_NAME
        ]
        value = values.get(name)
        cards.append(
            IndexCard(
                name=name,
                label=spec.label,
                help=spec.help,
                value=value,
                # A null index has no confidence band (DESIGN 5): there is nothing to be confident about.
                confidence=values.get(confidence_field) if confidence_field in names and value is not None else None,
                reference_label=str(reference.get("label") or ""),
                reference_n=reference.get("n"),
                reference_median=reference.get("median"),
                raw=reference.get("raw"),
                metrics=metrics,
                reason=null_reason(value=value, raw=reference.get("raw")),
                change=values.get(CHANGE_FIELDS[name]),
            )
        )
    return cards


@dataclass(frozen=True)
class GrowthRow:
    """A growth figure of the scorecard: the value now, before, the change and the change in percent."""

    name: str
    label: str
    value: float | None
    previous: float | None
    change: float | None
    percent: float | None
    basis: str


def growth_rows(*, values: Mapping[str, Any]) -> list[GrowthRow]:
    """The growth figures (``scoring.definitions.GROWTH``) among ``values``, a scorecard's values already reduced to
    the visible fields: a figure whose value or base is absent (a hidden tier) is left out."""
    rows = []
    for spec in GROWTH:
        if spec.name not in values or spec.previous not in values:
            continue
        value, previous = values[spec.name], values[spec.previous]
        change, percent = growth(value, previous)
        rows.append(GrowthRow(spec.name, spec.label, value, previous, change, percent, spec.basis))
    return rows


def impact_categories(access: Access) -> QuerySet:
    """The categories whose impacts ``access`` may see: pass them to ``scorecard_detail(impact_categories=...)``
    to read only those impacts, then to ``visible_impacts(..., read_through=...)``."""
    return Category.objects.visible_to(access)


def visible_impacts(
    *, access: Access, impacts: Iterable[Mapping[str, Any]], read_through: QuerySet | None = None
) -> list[dict[str, Any]]:
    """Category impacts in categories the partner can see, with only the visible impact fields.

    ``read_through``: the ``impact_categories(access)`` queryset the impacts were already restricted by when they
    were read; the categories are then not read a second time. Otherwise they are checked here (one query).
    """
    names = visible_names(access)
    if "impact" not in names:
        return []
    keep = ("category", "name", "impact", "median_impact") + tuple(
        name for name in ("impact_views", "impact_videos", "impact_gmv") if name in names
    )
    if read_through is not None:
        return [{key: item.get(key) for key in keep} for item in impacts]
    categories = set(impact_categories(access).values_list("slug", flat=True))
    return [{key: item.get(key) for key in keep} for item in impacts if item.get("category") in categories]


def visible_history(*, access: Access, history: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    names = visible_names(access)
    keep = [name for name in CARD_INDICES if name in names]
    return [{"as_of": item["as_of"], **{name: item.get(name) for name in keep}} for item in history]


