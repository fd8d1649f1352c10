"""What the dashboard pages show, computed from the access layer's querysets and the scoring selectors.

Everything here takes an ``access`` and reduces values to ``visible_fields(access)`` *before* they reach a template
or a chart builder: a hidden field is never put in a context, so it cannot leak into the HTML or the chart JSON.
Aggregates that are the same for every page view of a partner (the score distribution, category medians) are
cached per published run and per grant, so a scorecard page costs a handful of indexed reads.
"""

from __future__ import annotations

import hashlib
import html
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.core.cache import cache
from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, QuerySet, Value
from django.db.models.functions import Floor, Least
from django.utils.safestring import SafeString, mark_safe

from creators.models import Category
from partners.access import Access, visible_fields
from scoring.catalogue import FIELDS_BY_NAME, FILTERABLE_INDICES, Kind
from scoring.choices import INDEX_NAMES, NullReason
from scoring.definitions import NULL_REASON_TEXT, null_reason
from scoring.models import Scorecard, ScoringRun, scorecard_visibility_q

CACHE_SECONDS = 600
# The scorecard's indices in display order; "overall" is shown as the headline, the six as cards and radar axes.
CARD_INDICES: tuple[str, ...] = ("overall", *INDEX_NAMES)


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``: the median, interpolated, nulls ignored."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


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
        columns.append(Column("partner_score", "Our score", help="Your organisation's own weighting of the indices."))
    return columns


def radar_indices(access: Access) -> list[tuple[str, str]]:
    """The six indices that are visible, as ``(name, label)``: the axes of every radar."""
    names = visible_names(access)
    return [(name, FIELDS_BY_NAME[name].label) for name in INDEX_NAMES if name in names]


def run_key(run: ScoringRun) -> tuple[Any, ...]:
    """A run's identity for cache keys: its id and publication time (ids are reused by test databases), and its
    revision (bumped when a creator change rewrote the access copies of its scorecards)."""
    return (run.pk, run.published_at.isoformat() if run.published_at else None, run.revision)


def access_cache_key(access: Access, *parts: Any) -> str:
    """A cache key for an aggregate over what ``access`` can see: the partner's grants and tiers, not the user."""
    signature = repr(
        (sorted(access.category_ids), sorted(access.creator_ids), sorted(str(tier) for tier in access.tiers), parts)
    )
    return "dash:" + hashlib.sha256(signature.encode()).hexdigest()[:32]


def visible_scorecards(*, access: Access, run: ScoringRun) -> QuerySet:
    """The run's scorecards of the creators ``access`` may see."""
    return Scorecard.objects.filter(scorecard_visibility_q(access), run=run)


def country_choices_cached(access: Access, run: ScoringRun | None) -> list[tuple[str, str]]:
    """The country filter's choices (countries of the visible creators), cached per grant and published run.

    ``SELECT DISTINCT country`` over a million visible creators costs more than the rest of the list page; the
    answer only changes with an import (which is followed by a new run), so a few minutes of cache are harmless.
    """
    from creators.filtersets import country_choices

    key = access_cache_key(access, "country-choices", run_key(run) if run else None)
    choices = cache.get(key)
    if choices is None:
        choices = country_choices(access)
        cache.set(key, choices, CACHE_SECONDS)
    return choices


def overall_histogram(*, access: Access, run: ScoringRun, bins: int = 20) -> list[tuple[float, float, int]]:
    """The distribution of the overall score over the creators this partner can see, as ``(low, high, count)``.

    One grouped query (equal bins over 0-100, 100 in the last bin), cached per run and grant: the chart is the
    same for every scorecard a partner opens.
    """
    key = access_cache_key(access, "overall-histogram", run_key(run), bins)
    histogram = cache.get(key)
    if histogram is None:
        width = 100.0 / bins
        bucket = Least(
            Floor(F("overall") / Value(width)), Value(float(bins - 1)), output_field=FloatField()
        )
        counts = {
            int(row["bucket"]): row["n"]
            for row in visible_scorecards(access=access, run=run)
            .filter(overall__isnull=False)
            .annotate(bucket=bucket)
            .values("bucket")
            .annotate(n=Count("pk"))
            .order_by()
        }
        histogram = [(n * width, (n + 1) * width, counts.get(n, 0)) for n in range(bins)]
        cache.set(key, histogram, CACHE_SECONDS)
    return histogram


def category_medians(*, access: Access, run: ScoringRun, category_id: int) -> dict[str, float | None]:
    """Median of each visible index over the visible creators whose primary category is ``category_id``.

    Only visible creators take part, so the reference line of the radar reveals nothing about creators outside
    the grant. PostgreSQL computes ``percentile_cont`` in one pass; SQLite (small, embedded) reads the values.
    """
    names = [name for name in CARD_INDICES if name in visible_names(access)]
    if not names:
        return {}
    key = access_cache_key(access, "category-medians", run_key(run), category_id, tuple(names))
    medians = cache.get(key)
    if medians is not None:
        return medians
    cards = visible_scorecards(access=access, run=run).filter(creator__primary_category_id=category_id)
    if connection.vendor == "postgresql":
        medians = cards.aggregate(**{name: Median(F(name)) for name in names})
    else:
        columns: dict[str, list[float]] = {name: [] for name in names}
        for row in cards.values_list(*names):
            for name, value in zip(names, row, strict=True):
                if value is not None:
                    columns[name].append(value)
        medians = {name: (statistics.median(values) if values else None) for name, values in columns.items()}
    cache.set(key, medians, CACHE_SECONDS)
    return medians


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

    def __post_init__(self) -> None:
        if self.value is None and self.reason is None:
            self.reason = NullReason.INSUFFICIENT_DATA
        if self.value is not None:
            self.reason = None

    @property
    def reason_text(self) -> str:
        return NULL_REASON_TEXT.get(self.reason, "") if self.reason else ""


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
            )
        )
    return cards


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


def index_cards_html(cards: Sequence[IndexCard]) -> SafeString:
    """The scorecard's index cards (``<article class="index-card">``, with the "why this score" table), as the
    template rendered them: same markup, built here like the list's rows (a dozen filters per card through the
    template engine were the largest share of the scorecard's rendering). Every value is HTML-escaped."""
    parts = []
    for card in cards:
        confidence = (
            f'<span class="conf conf-{_escape(card.confidence)}" title="Confidence from the sample size">'
            f"{_escape(card.confidence)}</span>"
            if card.confidence
            else ""
        )
        if card.reason == NullReason.NO_SIGNAL:
            value = '<span class="na no-signal">No signal</span>'
        else:
            value = '<span class="na">–</span>' if card.value is None else _escape(score_text(card.value))
        insufficient = f"{_escape(card.reason_text)} " if card.reason else ""
        rows = []
        if card.reference_label:
            count = f" ({_escape(thousands_text(card.reference_n))})" if card.reference_n else ""
            rows.append(
                f'<tr><td>Compared with</td><td class="num">{_escape(card.reference_label)}{count}</td></tr>'
            )
        evidence = [
            ("Raw score", metric_display("raw", card.raw)),
            ("Group median", metric_display("raw", card.reference_median)),
            *((label, metric_display(name, metric)) for name, label, metric in card.metrics),
        ]
        rows += [f'<tr><td>{_escape(label)}</td><td class="num">{_escape(text)}</td></tr>' for label, text in evidence]
        parts.append(
            f'    <article class="index-card" id="index-{_escape(card.name)}">\n'
            f"      <header>\n        <h3>{_escape(card.label)}</h3>\n        {confidence}\n      </header>\n"
            f'      <div class="value">{value}</div>\n'
            f'      <div class="meter" aria-hidden="true"><i style="width: {percent_width_text(card.value)}%"></i>'
            f"</div>\n"
            f'      <p class="muted" style="font-size:.85rem">{insufficient}{_escape(card.help)}</p>\n'
            f"      <details>\n        <summary>Why this score</summary>\n        <table>\n          "
            + "\n          ".join(rows)
            + "\n        </table>\n      </details>\n    </article>"
        )
    return mark_safe("\n".join(parts))  # noqa: S308  every value above went through _escape


def visible_history(*, access: Access, history: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    names = visible_names(access)
    keep = [name for name in CARD_INDICES if name in names]
    return [{"as_of": item["as_of"], **{name: item.get(name) for name in keep}} for item in history]


def metric_display(name: str, value: Any) -> str:
    """A raw metric as a person reads it (shares as percentages, counts with separators)."""
    if value is None or value == "":
        return "–"
    if name in {"engagement_rate", "sponsored_share", "shoppable_share"}:
        return f"{float(value) * 100:.1f}%"
    if name == "raw":
        # Raw scores live on different scales (a share, videos per week, GMV per 1,000 views): 3 significant digits.
        return f"{float(value):,.3g}"
    if name == "gap_cv":
        return f"{float(value):.2f}"
    if name == "follower_tier":
        from scoring.selectors import follower_tier_label

        try:
            return follower_tier_label(int(value))
        except (IndexError, ValueError, TypeError):
            return str(value)
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def score_text(value: Any) -> str:
    """An index to one decimal (DESIGN 5), or an en dash for "insufficient data" (the ``score`` filter)."""
    if value is None or value == "":
        return "–"
    return f"{float(value):.1f}"


def percent_width_text(value: Any) -> str:
    """A 0-100 value clamped for a CSS width (``style="width: N%"``; the ``percent_width`` filter)."""
    if value is None or value == "":
        return "0"
    return f"{max(0.0, min(100.0, float(value))):.1f}"


def thousands_text(value: Any) -> str:
    """An integer with thousands separators, or an en dash (the ``thousands`` filter)."""
    if value is None or value == "":
        return "–"
    return f"{int(value):,}"


def compact_number(value: Any) -> str:
    """Follower counts as ``12.3K`` / ``4.5M`` (the list's cells and the ``compact`` template filter)."""
    if value is None or value == "":
        return "–"
    number = float(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(number) >= limit:
            return f"{number / limit:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{int(number):,}"


def creator_rows_html(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> SafeString:
    """The ``<tr>`` rows of the creator table, one per list row; every value is HTML-escaped.

    ``columns`` are the visible score columns: a row's other values are never read, let alone written. Built with
    ``html.escape`` and f-strings rather than ``format_html`` (a few thousand calls per page, the largest share
    of the list's rendering time); index values are formatted from floats, which needs no escaping.
    """
    # Per column, once per page: its escaped name and the two shapes of its cell around the formatted number
    # (numbers formatted with "%.1f" need no escaping: digits, a sign and a point).
    cell_shapes = []
    no_signal_title = _escape(NULL_REASON_TEXT[NullReason.NO_SIGNAL])
    for column in columns:
        name = _escape(column.name)
        cell_shapes.append((
            column.name,
            f'<td class="num" data-col="{name}"><span class="na" title="Insufficient data">–</span></td>',
            f'<td class="num" data-col="{name}"><span class="score">',
            # A null index whose raw score is present: no signal in the run's data (``definitions.null_reason``).
            f'<td class="num" data-col="{name}"><span class="na no-signal" title="{no_signal_title}">no signal</span>'
            "</td>",
        ))
    bar = '</span><span class="score-bar hide-sm" aria-hidden="true"><i style="width: '
    parts = []
    for row in rows:
        handle = _escape(row["handle"])
        categories = list(row.get("categories") or [])
        tags = "".join(f'<span class="tag">{_escape(slug)}</span>' for slug in categories[:3])
        if len(categories) > 3:
            tags += f'<span class="tag">+{len(categories) - 3}</span>'
        cells = []
        for key, missing, opening, no_signal in cell_shapes:
            value = row.get(key)
            if value is None:
                cells.append(missing if row.get(f"{key}_raw") is None else no_signal)
            else:
                number = float(value)
                width = max(0.0, min(100.0, number))
                cells.append(f"{opening}{number:.1f}{bar}{width:.1f}%\"></i></span></td>")
        followers = row.get("followers")
        display_name = row.get("display_name")
        name_html = f"<small>{_escape(display_name)}</small>" if display_name else ""
        exact = f"{followers:,}" if followers is not None else "–"
        # The scorecard URL is built directly rather than by reverse() for every row.
        url = _escape(f"/creators/{quote(row['handle'])}/")
        parts.append(
            f'<tr data-handle="{handle}"><td><input type="checkbox" name="handles" value="{handle}" '
            f'aria-label="Compare @{handle}" class="compare-check"></td>'
            f'<td class="creator-cell"><a href="{url}">@{handle}</a>{name_html}</td>'
            f'<td>{_escape(row.get("country") or "–")}</td>'
            f'<td class="num" title="{_escape(exact)}">{_escape(compact_number(followers))}</td>'
            f'<td class="hide-sm">{tags}</td>{"".join(cells)}</tr>'
        )
    return mark_safe("\n".join(parts))  # noqa: S308  every value above went through _escape


def sort_href(params: Any, ordering: str) -> str:
    """The query string of a sort link: the current parameters with ``ordering`` replaced and no cursor (what
    ``{% querystring ordering=... cursor=None %}`` renders), not yet escaped."""
    query = params.copy()
    query.pop("cursor", None)
    query["ordering"] = ordering
    return f"?{query.urlencode()}"


def table_head_html(
    params: Any,
    profile_columns: Sequence[Column],
    score_columns: Sequence[Column],
    sort_links: Mapping[str, Mapping[str, str | None]],
) -> SafeString:
    """The ``<th>`` cells of the creator table's header row: the compare box, the profile columns, the categories
    and the visible score columns, each sortable column with its link (``a.sort[data-sort]``) and ``aria-sort``.

    Built here for the same reason as the rows: a dozen ``{% querystring %}``, ``{% with %}`` and filter calls
    per column through the template engine cost more than the page's count query.
    """
    arrows = {"descending": " ▼", "ascending": " ▲"}

    def cell(column: Column, classes: str, title: bool) -> str:
        link = sort_links[column.name]
        aria = link["aria"]
        attributes = f' class="{classes}"' if classes else ""
        if aria:
            attributes += f' aria-sort="{_escape(aria)}"'
        if title:
            attributes += f' title="{_escape(column.help)}"'
        href = _escape(sort_href(params, str(link["ordering"])))
        return (
            f'<th scope="col"{attributes}><a class="sort" href="{href}" data-sort="{_escape(column.name)}">'
            f"{_escape(column.label)}{arrows.get(aria or '', '')}</a></th>"
        )

    cells = ['<th scope="col"><span class="visually-hidden">Select to compare</span></th>']
    cells += [cell(column, "num" if column.numeric else "", title=False) for column in profile_columns]
    cells.append('<th scope="col" class="hide-sm">Categories</th>')
    cells += [cell(column, "num", title=True) for column in score_columns]
    return mark_safe("\n".join(cells))  # noqa: S308  every value above went through _escape


def index_ranges_html(params: Any, columns: Sequence[Column]) -> SafeString:
    """The filter panel's min/max inputs of each index in ``columns``, with the request's values (``params``).

    What the template's loop over the index filters rendered (same markup: the browser tests fill these inputs),
    built here for the same reason as the table: fourteen bound fields and their filters per page through the
    template engine cost more than the page's small queries. The value of an input is the parameter as sent (what
    the bound form field shows), or empty.
    """
    parts = []
    for column in columns:
        name, label = _escape(column.name), _escape(column.label)
        bounds = []
        for bound, words in (("min", "at least"), ("max", "at most")):
            value = params.get(f"{column.name}_{bound}")
            bounds.append(
                f'          <div><label class="visually-hidden" for="id_{name}_{bound}">{label} {words}</label>\n'
                f'            <input type="number" name="{name}_{bound}" id="id_{name}_{bound}" min="0" max="100" '
                f'step="any" placeholder="{bound}" value="{_escape("" if value is None else value)}"></div>'
            )
        parts.append(
            f'      <fieldset>\n        <legend>{label}</legend>\n        <div class="range">\n'
            + "\n".join(bounds)
            + "\n        </div>\n      </fieldset>"
        )
    return mark_safe("\n".join(parts))  # noqa: S308  every value above went through _escape


def select_html(name: str, options: Iterable[tuple[Any, Any]], current: Any) -> SafeString:
    """A ``<select name=... id="id_<name>">`` with an empty first option, as Django's ``Select`` renders it.

    The filter panel's selects (categories, countries) rendered directly: Django's widget renders a template per
    option, and the two category selects would each iterate the category queryset again.
    """
    selected = "" if current in (None, "") else str(current)
    items = [f'<option value=""{" selected" if not selected else ""}>---------</option>']
    for value, label in options:
        mark = " selected" if str(value) == selected else ""
        items.append(f'<option value="{_escape(value)}"{mark}>{_escape(label)}</option>')
    return mark_safe(  # noqa: S308  every value went through _escape
        f'<select name="{_escape(name)}" id="id_{_escape(name)}">\n' + "\n".join(items) + "\n</select>"
    )


def _escape(value: Any) -> str:
    """HTML-escape a value for text or a double-quoted attribute (``&<>"'``)."""
    return html.escape(str(value), quote=True)


def profile_fields(access: Access) -> list[tuple[str, str]]:
    return [(spec.name, spec.label) for spec in visible_fields(access) if spec.kind == Kind.PROFILE]
