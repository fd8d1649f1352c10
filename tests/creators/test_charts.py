"""The Plotly figure builders: valid figures, the numbers the page shows, and nothing the caller left out."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from creators import charts

VISIBLE = [("overall", "Overall"), ("volume", "Volume"), ("effectiveness", "Effectiveness")]


def _valid(figure: dict) -> dict:
    # plotly's own schema validation: raises on any unknown or mistyped property.
    go.Figure(figure)
    # The page's plotly.js bundle (static/vendor, tools/plotly-bundle) draws only these trace types.
    assert {trace["type"] for trace in figure["data"]} <= charts.BUNDLED_TRACES
    return figure


def test_radar_has_one_axis_per_visible_index_and_closes_the_polygon():
    figure = _valid(
        charts.radar_figure(
            indices=VISIBLE,
            values={"overall": 71.234, "volume": 40.0, "effectiveness": None},
            reference={"overall": 50.0, "volume": 55.04, "effectiveness": 48.0},
            name="@alice",
        )
    )
    creator, median = figure["data"]
    assert creator["theta"] == ["Overall", "Volume", "Effectiveness", "Overall"]
    assert creator["r"] == [71.2, 40.0, None, 71.2]
    assert median["r"] == [50.0, 55.0, 48.0, 50.0]
    assert median["name"] == "Category median"


def test_radar_without_reference_draws_only_the_creator():
    figure = _valid(charts.radar_figure(indices=VISIBLE, values={"overall": 1.0}, reference=None, name="@a"))
    assert len(figure["data"]) == 1


def test_hidden_indices_never_reach_the_chart_json():
    # The caller passes every value it has, but only the visible labels: nothing else may be serialised.
    values = {"overall": 61.0, "volume": 30.0, "effectiveness": 20.0, "sales": 97.3, "care": 12.3}
    figures = [
        charts.radar_figure(indices=VISIBLE, values=values, reference=values, name="@x"),
        *charts.compare_radar_figures(indices=VISIBLE, creators=[("x", values), ("y", values)]),
        charts.trend_figure(indices=VISIBLE, history=[{"as_of": "2020-11-07", **values}]),
    ]
    for figure in figures:
        text = json.dumps(_valid(figure))
        assert "Sales" not in text and "sales" not in text
        assert "Care" not in text and "97.3" not in text and "12.3" not in text


def test_compare_draws_one_small_radar_per_creator_in_its_colour_over_the_others_in_grey():
    creators = [(handle, {"overall": 10.0 * (n + 1), "volume": 5.0 * n}) for n, handle in enumerate("abc")]
    figures = [_valid(figure) for figure in charts.compare_radar_figures(indices=VISIBLE, creators=creators)]
    assert len(figures) == 3
    colours = []
    for (handle, values), figure in zip(creators, figures, strict=True):
        *others, own = figure["data"]
        # Its own polygon last (drawn on top), filled, in its colour, with its values; the two others as grey lines.
        assert own["name"] == f"@{handle}" and own["fill"] == "toself"
        assert own["r"] == [values["overall"], values["volume"], None, values["overall"]]
        assert sorted(trace["name"] for trace in others) == sorted(f"@{h}" for h, _ in creators if h != handle)
        assert {trace["line"]["color"] for trace in others} == {charts.OTHERS}
        assert all(trace["hoverinfo"] == "skip" for trace in others)
        colours.append(own["line"]["color"])
    assert len(set(colours)) == 3 and charts.OTHERS not in colours


def test_trend_has_a_line_per_index_over_runs_oldest_first():
    history = [
        {"run_id": 1, "as_of": "2020-10-01", "overall": 40.0, "volume": 10.0, "effectiveness": None},
        {"run_id": 2, "as_of": "2020-11-01", "overall": 45.06, "volume": 12.0, "effectiveness": 30.0},
    ]
    figure = _valid(charts.trend_figure(indices=VISIBLE, history=history))
    assert [trace["name"] for trace in figure["data"]] == ["Overall", "Volume", "Effectiveness"]
    assert figure["data"][0]["x"] == ["2020-10-01", "2020-11-01"]
    assert figure["data"][0]["y"] == [40.0, 45.1]
    assert figure["data"][2]["y"] == [None, 30.0]


def test_a_trend_of_one_run_shows_its_date_not_a_millisecond_time_axis():
    figure = _valid(charts.trend_figure(indices=VISIBLE, history=[{"as_of": "2020-11-07", "overall": 61.04}]))
    assert figure["layout"]["xaxis"]["type"] == "category"
    assert figure["data"][0]["x"] == ["2020-11-07"] and figure["data"][0]["y"] == [61.0]
    two = [{"as_of": "2020-10-31", "overall": 60.0}, {"as_of": "2020-11-07", "overall": 61.0}]
    assert charts.trend_figure(indices=VISIBLE, history=two)["layout"]["xaxis"]["type"] == "date"


def test_impact_bars_put_the_strongest_category_on_top_and_respect_the_limit():
    impacts = [{"name": f"Cat {n}", "impact": float(n), "impact_videos": n} for n in range(30)]
    figure = _valid(charts.impact_bars_figure(impacts=impacts, limit=5))
    bars = figure["data"][0]
    assert bars["y"] == ["Cat 25", "Cat 26", "Cat 27", "Cat 28", "Cat 29"]  # last drawn on top
    assert bars["x"] == [25.0, 26.0, 27.0, 28.0, 29.0]


def test_impact_hover_mentions_only_the_values_passed_in():
    figure = _valid(charts.impact_bars_figure(impacts=[{"name": "Beauty", "impact": 80.0}]))
    assert figure["data"][0]["hovertext"] == ["Beauty: 80.0"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.0, 4.99, 5.0, 99.9, 100.0, None], {0: 2, 1: 1, 19: 2}),
        ([], {}),
    ],
)
def test_histogram_bins_cover_0_to_100_with_100_in_the_last_bin(values, expected):
    histogram = charts.histogram_from_values(values, bins=20)
    assert len(histogram) == 20
    assert histogram[0][:2] == (0.0, 5.0) and histogram[-1][:2] == (95.0, 100.0)
    assert {n: count for n, (_, _, count) in enumerate(histogram) if count} == expected


def test_distribution_marks_the_creator_and_highlights_its_bin():
    histogram = charts.histogram_from_values([10.0, 12.0, 55.0, 57.5, 90.0], bins=10)
    figure = _valid(charts.distribution_figure(histogram=histogram, marker=57.5))
    bars = figure["data"][0]
    assert bars["y"] == [0, 2, 0, 0, 0, 2, 0, 0, 0, 1]
    highlighted = [n for n, colour in enumerate(bars["marker"]["color"]) if colour == charts.PALETTE[1]]
    assert highlighted == [5]
    assert figure["layout"]["shapes"][0]["x0"] == 57.5
    assert "57.5" in figure["layout"]["annotations"][0]["text"]


def test_distribution_without_a_score_marks_nothing():
    figure = _valid(charts.distribution_figure(histogram=charts.histogram_from_values([1.0]), marker=None))
    assert figure["layout"]["shapes"] == [] and figure["layout"]["annotations"] == []
