"""The catalogue of partner-visible fields: every value a partner can see, with its access tier.

This is the single column specification behind the access layer's ``visible_fields(access)``, the HTML table,
the API serializers, the chart payloads and the CSV export. A field that is not listed here is never shown to a
partner. Tiers (DESIGN section 6): ``profile`` is always visible; ``performance`` and ``commercial`` are granted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Tier(StrEnum):
    PROFILE = "profile"
    PERFORMANCE = "performance"
    COMMERCIAL = "commercial"


class Kind(StrEnum):
    PROFILE = "profile"  # a property of the creator
    INDEX = "index"  # a 0-100 index of the scorecard
    METRIC = "metric"  # a raw metric behind an index
    IMPACT = "impact"  # a per-category value
    CHANGE = "change"  # an index's change against the compared run, in points (``<index>_change``)
    GROWTH = "growth"  # a raw figure of the period before, the base of a growth figure (``<figure>_previous``)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    tier: Tier
    kind: Kind
    help: str = ""


def _change(index: str, label: str, tier: Tier) -> FieldSpec:
    """The change of an index against the compared run: a field of the index's own tier (DESIGN 6: a change
    tells as much as the index), right after it in every column order."""
    return FieldSpec(
        f"{index}_change", f"{label} change", tier, Kind.CHANGE,
        f"{label} now minus {label.lower()} in the previous published run with the same window, in points.",
    )


FIELDS: tuple[FieldSpec, ...] = (
    # profile: always visible
    FieldSpec("handle", "Handle", Tier.PROFILE, Kind.PROFILE, "The creator's handle, without '@'."),
    FieldSpec("display_name", "Name", Tier.PROFILE, Kind.PROFILE, "Display name."),
    FieldSpec("country", "Country", Tier.PROFILE, Kind.PROFILE, "ISO 3166-1 alpha-2 code, empty when unknown."),
    FieldSpec("categories", "Categories", Tier.PROFILE, Kind.PROFILE, "Category slugs, primary first."),
    FieldSpec("followers", "Followers", Tier.PROFILE, Kind.PROFILE, "Latest follower count."),
    FieldSpec(
        "followers_previous", "Followers before", Tier.PROFILE, Kind.GROWTH,
        "Followers recorded by the previous published run with the same window.",
    ),
    # performance
    FieldSpec("overall", "Overall", Tier.PERFORMANCE, Kind.INDEX, "Weighted mean of the indices present."),
    _change("overall", "Overall", Tier.PERFORMANCE),
    FieldSpec("volume", "Volume", Tier.PERFORMANCE, Kind.INDEX, "How much content the creator produces."),
    _change("volume", "Volume", Tier.PERFORMANCE),
    FieldSpec("effectiveness", "Effectiveness", Tier.PERFORMANCE, Kind.INDEX, "How well the content performs."),
    _change("effectiveness", "Effectiveness", Tier.PERFORMANCE),
    FieldSpec("consistency", "Consistency", Tier.PERFORMANCE, Kind.INDEX, "How regular and steady the posting is."),
    _change("consistency", "Consistency", Tier.PERFORMANCE),
    FieldSpec("confidence", "Confidence", Tier.PERFORMANCE, Kind.METRIC, "low / medium / high, from sample size."),
    FieldSpec("follower_tier", "Follower tier", Tier.PERFORMANCE, Kind.METRIC, "Reference tier for effectiveness."),
    FieldSpec("videos", "Videos", Tier.PERFORMANCE, Kind.METRIC, "Videos posted in the window."),
    FieldSpec("views", "Views", Tier.PERFORMANCE, Kind.METRIC, "Views of those videos."),
    FieldSpec(
        "videos_previous", "Videos before", Tier.PERFORMANCE, Kind.GROWTH,
        "Videos posted in the window of the same length just before the window.",
    ),
    FieldSpec(
        "views_previous", "Views before", Tier.PERFORMANCE, Kind.GROWTH,
        "Views of the videos posted in the window of the same length just before the window.",
    ),
    FieldSpec("engagements", "Engagements", Tier.PERFORMANCE, Kind.METRIC, "Likes + comments + shares."),
    FieldSpec("engagement_rate", "Engagement rate", Tier.PERFORMANCE, Kind.METRIC, "Engagements / views."),
    FieldSpec("active_weeks", "Active weeks", Tier.PERFORMANCE, Kind.METRIC, "Of the 13 weeks ending at as-of."),
    FieldSpec("gap_cv", "Gap variation", Tier.PERFORMANCE, Kind.METRIC, "Coefficient of variation of gaps."),
    FieldSpec("volume_raw", "Videos per week", Tier.PERFORMANCE, Kind.METRIC, "Raw score of volume."),
    FieldSpec("effectiveness_raw", "Effectiveness raw score", Tier.PERFORMANCE, Kind.METRIC, "Engagement rate ranked."),
    FieldSpec("consistency_raw", "Consistency raw score", Tier.PERFORMANCE, Kind.METRIC, "Raw score of consistency."),
    FieldSpec("impact", "Category impact", Tier.PERFORMANCE, Kind.IMPACT, "Impact 0-100 in a category."),
    FieldSpec("impact_views", "Views in category", Tier.PERFORMANCE, Kind.IMPACT, "Views of videos in a category."),
    FieldSpec("impact_videos", "Videos in category", Tier.PERFORMANCE, Kind.IMPACT, "Videos in a category."),
    # commercial: most confidential
    FieldSpec("collaboration", "Collaboration", Tier.COMMERCIAL, Kind.INDEX, "Motivation to work with brands."),
    _change("collaboration", "Collaboration", Tier.COMMERCIAL),
    FieldSpec("care", "Care", Tier.COMMERCIAL, Kind.INDEX, "Willingness to promote buyable products."),
    _change("care", "Care", Tier.COMMERCIAL),
    FieldSpec("sales", "Sales", Tier.COMMERCIAL, Kind.INDEX, "How well the videos generate sales."),
    _change("sales", "Sales", Tier.COMMERCIAL),
    FieldSpec(
        "collaboration_confidence", "Collaboration confidence", Tier.COMMERCIAL, Kind.METRIC, "low / medium / high."
    ),
    FieldSpec("sponsored_share", "Sponsored share", Tier.COMMERCIAL, Kind.METRIC, "Sponsored videos / videos."),
    FieldSpec("shoppable_share", "Shoppable share", Tier.COMMERCIAL, Kind.METRIC, "Shoppable videos / videos."),
    FieldSpec("gmv", "GMV", Tier.COMMERCIAL, Kind.METRIC, "Gross merchandise value over videos with known GMV."),
    FieldSpec("orders", "Orders", Tier.COMMERCIAL, Kind.METRIC, "Orders over videos with known GMV."),
    FieldSpec("gpm", "GPM", Tier.COMMERCIAL, Kind.METRIC, "GMV per 1,000 views."),
    FieldSpec("invitations", "Invitations", Tier.COMMERCIAL, Kind.METRIC, "Brand invitations in the window."),
    FieldSpec("accepted", "Accepted", Tier.COMMERCIAL, Kind.METRIC, "Invitations accepted or completed."),
    FieldSpec("responded", "Answered", Tier.COMMERCIAL, Kind.METRIC, "Invitations answered."),
    FieldSpec("due", "With due date", Tier.COMMERCIAL, Kind.METRIC, "Accepted invitations with a due date."),
    FieldSpec("on_time", "On time", Tier.COMMERCIAL, Kind.METRIC, "Of those, delivered by the due date."),
    FieldSpec("median_response_h", "Median response (h)", Tier.COMMERCIAL, Kind.METRIC, "Hours to answer."),
    FieldSpec("collaboration_raw", "Collaboration raw score", Tier.COMMERCIAL, Kind.METRIC, "Before ranking."),
    FieldSpec("care_raw", "Care raw score", Tier.COMMERCIAL, Kind.METRIC, "Smoothed shoppable share."),
    FieldSpec("sales_raw", "Sales raw score", Tier.COMMERCIAL, Kind.METRIC, "GPM ranked among creators with GMV."),
    FieldSpec("impact_gmv", "GMV in category", Tier.COMMERCIAL, Kind.IMPACT, "Known GMV in a category."),
)

FIELDS_BY_NAME: dict[str, FieldSpec] = {spec.name: spec for spec in FIELDS}

# The partner's own weighted mean of its visible indices ("our score"): not a stored field with a tier of its
# own, it exists for a partner that set weights (``creator_list`` annotates it then). Same spec in the table,
# the CSV and the XLSX.
PARTNER_SCORE = FieldSpec(
    "partner_score", "Our score", Tier.PERFORMANCE, Kind.INDEX, "Your organisation's own weighting of the indices."
)

# The profile fields (the creator's own, always visible) and the scorecard's fields (its indices, their changes, the
# raw metrics behind them and the growth bases, each a column of ``scoring.models.Scorecard`` under the same name),
# in catalogue order: the one list behind the list rows, the scorecard's values, the serializers and the exports.
PROFILE_FIELDS: tuple[str, ...] = tuple(spec.name for spec in FIELDS if spec.kind == Kind.PROFILE)
SCORECARD_FIELDS: tuple[str, ...] = tuple(
    spec.name for spec in FIELDS if spec.kind in (Kind.INDEX, Kind.CHANGE, Kind.METRIC, Kind.GROWTH)
)

# The indices a partner can filter and sort on (`<index>_min`, `<index>_max`, `ordering`), in display order.
FILTERABLE_INDICES: tuple[str, ...] = (
    "overall", "collaboration", "care", "volume", "effectiveness", "sales", "consistency",
)


def change_field(index: str) -> str:
    """The scorecard field of an index's change against the compared run (``overall`` -> ``overall_change``)."""
    return f"{index}_change"


# Index -> its change field, for the indices a partner can filter and sort on (`<index>_change_min`, `_max`,
# `ordering=-<index>_change`).
CHANGE_FIELDS: dict[str, str] = {name: change_field(name) for name in FILTERABLE_INDICES}


def fields_for_tiers(tiers: set[Tier] | frozenset[Tier]) -> tuple[FieldSpec, ...]:
    """The fields visible with the given tiers; ``profile`` is always included."""
    allowed = set(tiers) | {Tier.PROFILE}
    return tuple(spec for spec in FIELDS if spec.tier in allowed)
