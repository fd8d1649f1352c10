"""Plotly figure builders for the dashboard: pure functions from already-filtered data to figure JSON.

Every builder takes only what the caller has already reduced to the partner's visible fields (the ``indices``
argument is a list of ``(name, label)`` pairs from ``visible_fields(access)``) and returns a plain
``{"data": [...], "layout": {...}}`` dict that the template embeds with ``json_script`` and plotly.js draws. A value
that is not passed in cannot reach the page, which is how hidden fields stay out of the chart data and not merely
out of the drawing.

Plain dicts rather than ``plotly.graph_objects``: the graph objects validate every property on construction, which
costs tens of milliseconds per page; the tests validate the dicts with plotly's own schema instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Figure = dict[str, Any]
IndexLabels = Sequence[tuple[str, str]]

# Colour-blind-safe palette (Okabe-Ito, reordered so the first two contrast well on white).
PALETTE: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
MUTED = "#8a94a0"
# The other creators' outlines on a compare radar: context, not content.
OTHERS = "#c3cad2"
# The trace types the figures use: the vendored plotly.js bundle (tools/plotly-bundle) registers only these.
BUNDLED_TRACES = frozenset({"scatter", "bar", "scatterpolar"})
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13, "color": "#1b1f24"}


def _layout(**extra: Any) -> dict[str, Any]:
    """The layout every dashboard chart shares: transparent background, compact margins, readable font."""
    layout: dict[str, Any] = {
        "font": FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 48, "r": 24, "t": 32, "b": 40},
        "legend": {"orientation": "h", "y": -0.15},
        "hovermode": "closest",
    }
    layout.update(extra)
    return layout


def _rounded(value: float | None, digits: int = 1) -> float | None:
    # Indices are stored unrounded and shown to one decimal (DESIGN 5); the chart shows what the table shows.
    return None if value is None else round(float(value), digits)


def _closed(values: list[Any]) -> list[Any]:
    """Repeat the first point so a radar polygon closes."""
    return [*values, values[0]] if values else values


def _radar_trace(
    *, name: str, labels: list[str], values: list[float | None], color: str, dashed: bool = False
) -> dict[str, Any]:
    return {
        "type": "scatterpolar",
        "name": name,
        "r": _closed(values),
        "theta": _closed(labels),
        "fill": "none" if dashed else "toself",
        "opacity": 1 if dashed else 0.75,
        "line": {"color": color, "width": 2, "dash": "dash" if dashed else "solid"},
        "connectgaps": True,
        "hovertemplate": "%{theta}: %{r:.1f}<extra>" + name.replace("<", "&lt;") + "</extra>",
    }


def _radar_layout() -> dict[str, Any]:
    return _layout(
        polar={
            # First axis at the top, going clockwise; the radial tick labels sit at 3 o'clock, between axes.
            "radialaxis": {
                "range": [0, 100],
                # Rings every 25 points, labelled at 50 and 100 only: four labels crowded a phone's small circle.
                "tickvals": [25, 50, 75, 100],
                "ticktext": ["", "50", "", "100"],
                "angle": 0,
                "tickfont": {"size": 10, "color": MUTED},
                "gridcolor": "#dde1e6",
                # A light axis line: the scale reads from the rings, and a dark line crossed the filled polygon.
                "linecolor": "#c1c7cd",
            },
            "angularaxis": {"gridcolor": "#dde1e6", "rotation": 90, "direction": "clockwise"},
            "bgcolor": "rgba(0,0,0,0)",
        },
        showlegend=True,
        # Plotly keeps no margin for the angular labels: the longest ("Effectiveness", "Consistency") need about
        # 90 px beside the circle, or a phone cuts them off.
        margin={"l": 92, "r": 92, "t": 24, "b": 24},
    )


def radar_figure(
    *,
    indices: IndexLabels,
    values: Mapping[str, float | None],
    reference: Mapping[str, float | None] | None,
    name: str,
    reference_name: str = "Category median",
) -> Figure:
    """A creator's indices against a reference (the median of its category), one axis per visible index."""
    labels = [label for _, label in indices]
    data = [
        _radar_trace(
            name=name, labels=labels, values=[_rounded(values.get(key)) for key, _ in indices], color=PALETTE[0]
        )
    ]
    if reference is not None:
        data.append(
            _radar_trace(
                name=reference_name,
                labels=labels,
                values=[_rounded(reference.get(key)) for key, _ in indices],
                color=MUTED,
                dashed=True,
            )
        )
    return {"data": data, "layout": _radar_layout()}


def compare_radar_figures(
    *, indices: IndexLabels, creators: Sequence[tuple[str, Mapping[str, float | None]]]
) -> list[Figure]:
    """Small multiples: one small radar per compared creator (``creators`` is ``[(handle, values), ...]``).

    Each draws its creator in its own colour over the others' outlines in light grey, so that five creators stay
    readable (five filled polygons on one radar hide each other) and each still reads against the rest.
    """
    labels = [label for _, label in indices]
    shapes = [
        (f"@{handle}", [_rounded(values.get(key)) for key, _ in indices], PALETTE[position % len(PALETTE)])
        for position, (handle, values) in enumerate(creators)
    ]
    figures = []
    for position, (name, values, color) in enumerate(shapes):
        others = [
            {
                "type": "scatterpolar",
                "name": other,
                "r": _closed(other_values),
                "theta": _closed(labels),
                "mode": "lines",
                "line": {"color": OTHERS, "width": 1},
                "connectgaps": True,
                "hoverinfo": "skip",
                "showlegend": False,
            }
            for index, (other, other_values, _) in enumerate(shapes)
            if index != position
        ]
        layout = _radar_layout()
        layout.update(showlegend=False, height=340)
        layout["margin"].update(t=40, b=40)  # the side margins stay the radar's own: its labels need them
        layout["polar"]["angularaxis"]["tickfont"] = {"size": 12}
        figures.append({"data": [*others, _radar_trace(name=name, labels=labels, values=values, color=color)],
                        "layout": layout})
    return figures


def trend_figure(*, indices: IndexLabels, history: Sequence[Mapping[str, Any]]) -> Figure:
    """Each visible index over the kept runs; ``history`` is oldest first, one item per as-of date (the selector
    keeps the latest run of a date), each with ``as_of`` and the values.

    A single date is drawn on a category axis labelled with that date: a date axis zooms a lone point to a
    millisecond range ("23:59:59.9995 / 00:00:00.0005").
    """
    dates = [str(item["as_of"]) for item in history]
    single = len(set(dates)) < 2
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": label,
            "x": dates,
            "y": [_rounded(item.get(key)) for item in history],
            "line": {"color": PALETTE[position % len(PALETTE)], "width": 2},
            "connectgaps": False,
            "hovertemplate": "%{x}: %{y:.1f}<extra>" + label + "</extra>",
        }
        for position, (key, label) in enumerate(indices)
    ]
    layout = _layout(
        xaxis={"type": "category", "gridcolor": "#eef0f3"} if single else {"type": "date", "gridcolor": "#eef0f3"},
        yaxis={"title": {"text": "Index"}, "range": [0, 100], "gridcolor": "#eef0f3"},
        showlegend=True,
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 48, "r": 16, "t": 16, "b": 24},
    )
    return {"data": data, "layout": layout}


def impact_bars_figure(*, impacts: Sequence[Mapping[str, Any]], limit: int = 15) -> Figure:
    """Horizontal bars of the creator's impact per category, strongest first (at most ``limit`` categories).

    Each item needs ``name`` and ``impact``; ``impact_videos`` and ``impact_views`` go into the hover text only when
    present, so a caller that dropped them for access reasons drops them from the chart too.
    """
    top = sorted(impacts, key=lambda item: (-(item.get("impact") or 0.0), str(item.get("name", ""))))[:limit]
    top.reverse()  # Plotly draws the first bar at the bottom; the strongest category goes on top.
    hover = []
    for item in top:
        parts = [f"{item['name']}: {_rounded(item.get('impact'))}"]
        if item.get("impact_videos") is not None:
            parts.append(f"{item['impact_videos']} videos")
        if item.get("impact_views") is not None:
            parts.append(f"{int(item['impact_views']):,} views")
        hover.append("<br>".join(parts))
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": "Impact",
            "x": [_rounded(item.get("impact")) for item in top],
            "y": [str(item["name"]) for item in top],
            "marker": {"color": PALETTE[2]},
            "text": [_rounded(item.get("impact")) for item in top],
            "textposition": "auto",
            "hovertext": hover,
            "hoverinfo": "text",
        }
    ]
    layout = _layout(
        xaxis={"title": {"text": "Impact (0–100)"}, "range": [0, 100], "gridcolor": "#eef0f3"},
        yaxis={"automargin": True},
        showlegend=False,
        bargap=0.35,
        height=max(200, 34 * len(top) + 90),
        margin={"l": 8, "r": 16, "t": 16, "b": 48},
    )
    return {"data": data, "layout": layout}


def histogram_from_values(values: Sequence[float | None], *, bins: int = 20) -> list[tuple[float, float, int]]:
    """Count values into ``bins`` equal-width bins over 0-100; 100 falls into the last bin, nulls are skipped."""
    width = 100.0 / bins
    counts = [0] * bins
    for value in values:
        if value is None:
            continue
        counts[min(int(float(value) // width), bins - 1)] += 1
    return [(position * width, (position + 1) * width, count) for position, count in enumerate(counts)]


def distribution_figure(
    *, histogram: Sequence[tuple[float, float, int]], marker: float | None, marker_label: str = "This creator"
) -> Figure:
    """The distribution of the overall score (``(low, high, count)`` bins) with one creator's score marked."""
    centres = [(low + high) / 2 for low, high, _ in histogram]
    widths = [high - low for low, high, _ in histogram]
    counts = [count for _, _, count in histogram]
    colours = [
        PALETTE[1] if marker is not None and (low <= marker < high or (high >= 100 and marker >= high)) else "#b7c3cf"
        for low, high, _ in histogram
    ]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": "Creators",
            "x": centres,
            "y": counts,
            "width": widths,
            "marker": {"color": colours},
            "customdata": [f"{low:g}-{high:g}" for low, high, _ in histogram],
            "hovertemplate": "%{customdata}: %{y:,} creators<extra></extra>",
        }
    ]
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    if marker is not None:
        shapes.append(
            {
                "type": "line",
                "x0": marker,
                "x1": marker,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": PALETTE[5], "width": 2},
            }
        )
        annotations.append(
            {
                "x": marker,
                "yref": "paper",
                "y": 1,
                "text": f"{marker_label}: {_rounded(marker)}",
                "showarrow": False,
                "yanchor": "bottom",
                # The label runs towards the middle of the axis from the line, so that a score near 0 or 100
                # keeps its label inside the chart on a phone.
                "xanchor": "right" if marker > 60 else "left" if marker < 40 else "center",
                "font": {"color": PALETTE[5]},
            }
        )
    layout = _layout(
        xaxis={"title": {"text": "Overall score"}, "range": [0, 100], "gridcolor": "#eef0f3"},
        # The counts' labels stand off the axis, so that their "0" does not run into the score axis' "0".
        yaxis={"title": {"text": "Creators"}, "gridcolor": "#eef0f3", "ticklabelstandoff": 6},
        bargap=0.05,
        showlegend=False,
        shapes=shapes,
        annotations=annotations,
    )
    return {"data": data, "layout": layout}
