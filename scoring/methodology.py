"""The methodology text, generated from ``scoring.definitions`` (the same values the SQL is generated from).

``methodology_markdown(tiers=...)`` renders it for a set of field tiers: the dashboard's methodology page passes
the partner's tiers, and nothing of a hidden tier (an index, a raw metric, a formula term) appears in the text.
``docs/methodology.md`` is the rendering for every tier (``python manage.py methodology_doc``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from scoring import definitions as d
from scoring.catalogue import FIELDS, FIELDS_BY_NAME, Kind, Tier
from scoring.choices import NullReason

ALL_TIERS = frozenset(Tier)

# Raw metrics: definition and the tier of the field they are shown in (from the catalogue).
_METRICS: tuple[tuple[str, str], ...] = (
    ("videos", "videos posted in the window"),
    ("views", "sum of their views"),
    ("engagements", "sum of their likes + comments + shares"),
    ("engagement_rate", "engagements / views (null when views = 0)"),
    ("sponsored_share", "sponsored videos / videos"),
    ("shoppable_share", "shoppable videos (with a product link) / videos"),
    ("gmv", "sum of GMV over the videos whose GMV is known; null when none is known (unknown is not zero)"),
    ("orders", "sum of orders over the videos whose GMV is known; null when none is known"),
    ("gpm", "GMV per 1,000 views, over the videos with known GMV"),
    ("active_weeks", f"number of the {d.WEEKS} weeks ending at T (week k = days T-7k-6 .. T-7k) with a video"),
    ("gap_cv", "coefficient of variation (population std / mean) of the gaps, in hours, between consecutive videos; "
               "null when there is no gap or every gap is zero"),
    ("invitations", "brand invitations sent in the window (by invitation date)"),
    ("accepted", "of them, accepted or completed"),
    ("responded", "of them, answered (a response time is recorded)"),
    ("due", "accepted invitations with a due date"),
    ("on_time", "of them, delivered no later than the due date"),
    ("median_response_h", "median hours from invitation to answer over answered invitations"),
)


def _visible(name: str, tiers: frozenset[Tier]) -> bool:
    return FIELDS_BY_NAME[name].tier in tiers


def _growth_section(add: Callable[[str], None], shown: frozenset[Tier], *, indices: list[str]) -> None:
    """Changes of the visible indices and the visible growth figures (``definitions.GROWTH``)."""
    figures = [spec for spec in d.GROWTH if spec.tier in shown]
    add("## Changes and growth" if indices else "## Growth")
    add("")
    if indices:
        add(f"Each index's change is its value minus its value in {d.CHANGE_BASIS} (the run it is compared with is "
            "fixed when the run computes), in points, shown with an arrow and its sign. It is null when the index "
            "is null in either run or when the creator had no scorecard in that run (a creator new since then). "
            "A run of another window length is never compared: its indices rank another period. The list sorts "
            "and filters on the changes of the indices you can see: "
            + ", ".join(indices) + ".")
        add("")
    add("| Figure | Now against |")
    add("| --- | --- |")
    for spec in figures:
        add(f"| {spec.label} | {spec.basis} |")
    add("")
    add("A figure's change is now minus before; its percentage is the change divided by the value before, and "
        "there is none when that value is zero.")
    add("")


def methodology_markdown(*, tiers: Iterable[Tier | str] | None = None, heading: bool = True) -> str:
    """The methodology as Markdown for the given field tiers (all tiers when None; ``profile`` always).

    ``heading=False`` leaves out the title and the sentence for readers of the code (the dashboard's page has its
    own title and introduction)."""
    shown = frozenset(Tier(t) for t in (ALL_TIERS if tiers is None else tiers)) | {Tier.PROFILE}
    commercial = Tier.COMMERCIAL in shown
    indices = [spec for spec in d.INDICES if spec.tier in shown]
    out: list[str] = []
    add = out.append

    if heading:
        add("# Methodology")
        add("")
        add("How every number on a creator scorecard is computed. This text is generated from the same definitions")
        add("as the code that computes the scores (`scoring/definitions.py`), so the two cannot disagree.")
        add("")
    metrics = [(name, text) for name, text in _METRICS if _visible(name, shown)]
    if not indices and not metrics:
        # Profile fields only: there is no score to explain, and nothing of the scoring is told.
        add("Your access covers creator profiles: handle, display name, country, categories and followers.")
        add("")
        _growth_section(add, shown, indices=[])
        return "\n".join(out)
    add("## Window")
    add("")
    add(f"A scoring run has an as-of date T (by default the date of the newest imported video) and a window of "
        f"W = {d.DEFAULT_WINDOW_DAYS} days:")
    add("T-(W-1) .. T inclusive, by the UTC date of a video's publication time"
        + (" or of an invitation's date." if commercial else "."))
    add("Every scoring run computes every creator; a creator without any video in the window still gets a "
        "scorecard. No run is made before any video has been imported. A scorecard's trend shows one point per "
        "as-of date: the latest run of that date.")
    add("")

    if metrics:
        add("## Raw metrics (per creator, over the window)")
        add("")
        add("| Metric | Definition |")
        add("| --- | --- |")
        for name, text in metrics:
            add(f"| {FIELDS_BY_NAME[name].label} (`{name}`) | {text} |")
        add("")

    if commercial:
        add("## Smoothing")
        add("")
        add(f"A rate x/n is shrunk toward the pooled rate of the run, m = Σx / Σn over all creators, as "
            f"(x + {d.SMOOTHING_K}·m) / (n + {d.SMOOTHING_K}); so a creator with n = 0 gets m, and a few "
            "observations move the rate only a little. When no creator has any observation, m = 0.")
        add("Smoothed rates (suffix `_s`): acceptance = accepted / invitations, on_time = on time / due, "
            "sponsored_share and shoppable_share over videos.")
        add("")

    if indices:
        add("## Percentiles")
        add("")
        add("A raw score becomes an index from 0 to 100 by its percentile within a reference group: "
            "pct(v) = 100 × (number of values below v) / (n − 1), among the n creators of the group that have a "
            f"value. Ties share a rank; a group of one scores {d.GROUP_OF_ONE_PCT:g}. Indices are stored "
            "unrounded and shown to one decimal.")
        add("Equal inputs are ties whatever the order of the data: times count in whole seconds since 1970"
            + (" and money is summed exactly (in cents) before any rounding" if commercial else "")
            + ", so two creators with the same videos get the same index.")
        add("")
        add("## No signal")
        add("")
        add(f"When {d.NO_SIGNAL_MIN_GROUP} or more creators of a reference group have a raw score and all of those "
            "raw scores are equal, the index is null for every one of them, with the reason "
            f"\"{NullReason.NO_SIGNAL.label.lower()}\": a rank among equals says nothing, and 0 would read as the "
            "lowest score"
            + (" (a source without shop links gives every creator the same care raw score, which is not a refusal "
               "to sell)." if commercial else "."))
        add("A null index is shown with its reason (insufficient data for this creator, or no signal in the run's "
            "data) and without a confidence band"
            + ("; the overall score is computed from the indices present." if Tier.PERFORMANCE in shown else "."))
        add("")
        add("## Indices")
        add("")
        # One short list per index rather than a four-column table: the formulas are long, and a list reads on a
        # phone as well as in the docs.
        for spec in indices:
            add(f"### {spec.label}")
            add("")
            add(f"- Raw score: {spec.raw_score}")
            add(f"- Reference group: {spec.reference_group}")
            add(f"- No score (insufficient data) when: {spec.insufficient}")
            add("")
        add("Follower tiers: " + "; ".join(
            f"tier {t.number}: {t.label}" for t in d.FOLLOWER_TIERS) + " (exactly 10M followers is 1M–10M).")
        add("")

    if Tier.PERFORMANCE in shown:
        add("## Category impact")
        add("")
        add("A video's category is its product category, else its creator's primary category. For each category c, "
            "the reference group is the creators with a video in c in the window; a creator without one has no "
            "impact in c.")
        if commercial:
            wv, wg = d.IMPACT_WEIGHTS["views"], d.IMPACT_WEIGHTS["gmv"]
            add(f"Impact = {wv:g}·pct(views in c) + {wg:g}·pct(GMV in c), where GMV in c sums the known GMV (0 when "
                "none is known); in a category where no creator has known GMV, impact = pct(views in c).")
        else:
            add("Impact is a percentile (0 to 100) of the creator's results in c within that reference group.")
        add("")
        add("## Overall")
        add("")
        visible_weights = [(FIELDS_BY_NAME[n].label, w) for n, w in d.OVERALL_WEIGHTS.items() if _visible(n, shown)]
        weights = ", ".join(f"{label} {w:.2f}" for label, w in visible_weights)
        if len(visible_weights) == len(d.OVERALL_WEIGHTS):
            add(f"The weighted mean of the indices present, with weights {weights}, renormalised over the indices "
                "that are present; computed from the unrounded indices.")
        else:
            # Only the visible weights would not sum to one, and the count of indices would name hidden ones:
            # neither is told to a partner without every tier.
            add("A weighted mean of the creator's indices, renormalised over those present, computed from the "
                "unrounded indices.")
        if len(visible_weights) == len(d.OVERALL_WEIGHTS):
            add(f"No overall score when fewer than {d.OVERALL_MIN_INDICES} of the {len(d.OVERALL_WEIGHTS)} "
                "indices are present.")
        else:
            add(f"No overall score when fewer than {d.OVERALL_MIN_INDICES} indices are present.")
        add("")
        add("## Confidence")
        add("")
        add(f"`high` when the creator posted at least {d.CONFIDENCE_HIGH_VIDEOS} videos in the window, `medium` from "
            f"{d.CONFIDENCE_MEDIUM_VIDEOS}, otherwise `low`.")
        if commercial:
            add(f"For the collaboration index, `high` also needs at least {d.CONFIDENCE_HIGH_INVITATIONS} "
                "invitations.")
        add("")

    if indices:
        add("## Why this score")
        add("")
        add("Beside each index a scorecard shows the raw metrics it came from, the creator's raw score, and the "
            "reference group with its median raw score. Earlier runs are kept, so a scorecard also shows how the "
            "indices moved over time.")
        add("")
    _growth_section(add, shown, indices=(["Overall"] if Tier.PERFORMANCE in shown else [])
                    + [spec.label for spec in indices])
    add("## Fields")
    add("")
    add("| Field | Meaning |")
    add("| --- | --- |")
    for field in FIELDS:
        if field.tier in shown and field.kind is not Kind.PROFILE:
            add(f"| {field.label} | {field.help} |")
    add("")
    return "\n".join(out)
