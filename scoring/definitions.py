"""The methodology's definitions: every weight, threshold and boundary of DESIGN section 5, in one place.

Both the SQL that computes the scores (``scoring.indices``) and the methodology text (``scoring.methodology``)
are generated from these values, so that the numbers and their documentation cannot disagree. Nothing in this
module does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scoring.catalogue import FIELDS_BY_NAME, Tier
from scoring.choices import NullReason

# --- Window -------------------------------------------------------------------------------------------------
DEFAULT_WINDOW_DAYS = 90
# Volume and active weeks count over the 13 weeks ending at the as-of date (week k = days T-7k-6 .. T-7k).
WEEKS = 13

# --- Engagement ---------------------------------------------------------------------------------------------
# A video's engagements are the sum of these counts; its engagement rate is engagements / views (none without
# views). The scoring SQL (``scoring.indices``) and the per-video rate of the recent-content list
# (``scoring.expressions.video_engagement_rate``) are both built from this tuple.
ENGAGEMENT_COUNTS = ("likes", "comments", "shares")
ENGAGEMENT_TEXT = " + ".join(ENGAGEMENT_COUNTS)

# --- Smoothing and percentiles ------------------------------------------------------------------------------
# A rate x/n is shrunk toward the run's pooled rate m as (x + K·m) / (n + K).
SMOOTHING_K = 5
# The score of a creator alone in its reference group.
GROUP_OF_ONE_PCT = 50.0

# No signal: a reference group of at least this many creators with a raw score, all equal, gives no index.
NO_SIGNAL_MIN_GROUP = 2

# --- Sample-size rules --------------------------------------------------------------------------------------
MIN_VIDEOS = 3  # care, effectiveness, consistency (and collaboration without invitations) need this many
OVERALL_MIN_INDICES = 3  # overall needs at least this many of the six indices
TIER_MIN_GROUP = 20  # a follower tier with fewer scored creators falls back to all creators

# --- Confidence bands ---------------------------------------------------------------------------------------
CONFIDENCE_HIGH_VIDEOS = 12
CONFIDENCE_HIGH_INVITATIONS = 5  # additionally required for the collaboration confidence to be high
CONFIDENCE_MEDIUM_VIDEOS = 6

# --- Collaboration ------------------------------------------------------------------------------------------
COLLABORATION_WEIGHTS: dict[str, float] = {
    "acceptance_s": 0.45,
    "on_time_s": 0.25,
    "responsiveness": 0.15,
    "sponsored_share_s": 0.15,
}
RESPONSE_FAST_H = 24.0  # answered within this many hours (median): responsiveness 1
RESPONSE_SLOW_H = 168.0  # this slow or slower: responsiveness 0
RESPONSE_NONE = 0.5  # nothing answered: neutral responsiveness

# --- Consistency --------------------------------------------------------------------------------------------
CONSISTENCY_WEIGHTS: dict[str, float] = {"active_weeks": 0.6, "regularity": 0.4}

# --- Category impact ----------------------------------------------------------------------------------------
IMPACT_WEIGHTS: dict[str, float] = {"views": 0.5, "gmv": 0.5}

# --- Overall ------------------------------------------------------------------------------------------------
OVERALL_WEIGHTS: dict[str, float] = {
    "collaboration": 0.20,
    "care": 0.15,
    "volume": 0.10,
    "effectiveness": 0.20,
    "sales": 0.20,
    "consistency": 0.15,
}


# --- Follower tiers -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FollowerTier:
    """A reference group for effectiveness: followers in ``[low, high)`` (``high`` None: no upper bound).

    The last boundary is inclusive on the low side of ">10M": exactly 10,000,000 followers is still 1M–10M.
    """

    number: int
    label: str
    low: int
    high: int | None


FOLLOWER_TIERS: tuple[FollowerTier, ...] = (
    FollowerTier(0, "<10k", 0, 10_000),
    FollowerTier(1, "10k–100k", 10_000, 100_000),
    FollowerTier(2, "100k–1M", 100_000, 1_000_000),
    FollowerTier(3, "1M–10M", 1_000_000, 10_000_001),
    FollowerTier(4, ">10M", 10_000_001, None),
)


def follower_tier(followers: int | None) -> int:
    """The tier number of a follower count; an unknown count is treated as the smallest tier."""
    if followers is None:
        return 0
    for tier in FOLLOWER_TIERS:
        if tier.high is None or followers < tier.high:
            return tier.number
    raise AssertionError("unreachable: the last tier is open-ended")


def responsiveness(median_response_h: float | None) -> float:
    """1 when the median answer comes within a day, 0 from a week on, linear between; neutral when none."""
    if median_response_h is None:
        return RESPONSE_NONE
    if median_response_h <= RESPONSE_FAST_H:
        return 1.0
    if median_response_h >= RESPONSE_SLOW_H:
        return 0.0
    return (RESPONSE_SLOW_H - median_response_h) / (RESPONSE_SLOW_H - RESPONSE_FAST_H)


def smoothed(x: float, n: float, pooled: float) -> float:
    """A rate shrunk toward the pooled rate: ``(x + K·m) / (n + K)``."""
    return (x + SMOOTHING_K * pooled) / (n + SMOOTHING_K)


# --- Null indices ------------------------------------------------------------------------------------------
# What a reader shows instead of a null index (the scorecard page, the methodology), by reason.
NULL_REASON_TEXT: dict[str, str] = {
    NullReason.INSUFFICIENT_DATA: "Insufficient data for this index.",
    NullReason.NO_SIGNAL: (
        "No signal in this run's data: every creator of the reference group has the same raw score, so a rank "
        "among equals would say nothing."
    ),
}


def null_reason(*, value: float | None, raw: float | None) -> NullReason | None:
    """Why an index is null: None when it has a value; ``no_signal`` when the creator has a raw score (so the
    data was sufficient) but the index is null, which the run does only for a group without signal
    (``scoring.indices._signal``); else ``insufficient_data``. The overall has no raw score: always insufficient.
    """
    if value is not None:
        return None
    return NullReason.NO_SIGNAL if raw is not None else NullReason.INSUFFICIENT_DATA


def null_reasons(row: Mapping[str, Any], names: Iterable[str]) -> dict[str, str]:
    """``{index: reason}`` for the indices among ``names`` that are null in ``row`` (a scorecard's values keyed by
    field name, with each index's ``<index>_raw``); indices absent from ``row`` are skipped."""
    reasons = {}
    for name in names:
        if name in row:
            reason = null_reason(value=row[name], raw=row.get(f"{name}_raw"))
            if reason is not None:
                reasons[name] = str(reason)
    return reasons


# --- The indices, as the methodology describes them ---------------------------------------------------------
@dataclass(frozen=True)
class IndexSpec:
    """One index of the scorecard: its raw score, reference group and insufficient-data rule, in words.

    ``metrics`` are the raw metrics (catalogue field names) shown beside the index on a scorecard.
    """

    name: str
    raw_score: str
    reference_group: str
    insufficient: str
    metrics: tuple[str, ...]

    @property
    def tier(self) -> Tier:
        return FIELDS_BY_NAME[self.name].tier

    @property
    def label(self) -> str:
        return FIELDS_BY_NAME[self.name].label


def _w(weights: dict[str, float], key: str) -> str:
    return f"{weights[key]:g}"


INDICES: tuple[IndexSpec, ...] = (
    IndexSpec(
        "collaboration",
        raw_score=(
            f"{_w(COLLABORATION_WEIGHTS, 'acceptance_s')}·acceptance_s + {_w(COLLABORATION_WEIGHTS, 'on_time_s')}·"
            f"on_time_s + {_w(COLLABORATION_WEIGHTS, 'responsiveness')}·responsiveness + "
            f"{_w(COLLABORATION_WEIGHTS, 'sponsored_share_s')}·sponsored_share_s, where acceptance = accepted / "
            f"invitations and on_time = on time / due (smoothed), and responsiveness = 1 when the median response "
            f"time is at most {RESPONSE_FAST_H:g} h, 0 from {RESPONSE_SLOW_H:g} h on, linear between "
            f"({RESPONSE_NONE:g} when nothing was answered)"
        ),
        reference_group="all creators",
        insufficient=f"no invitations and fewer than {MIN_VIDEOS} videos",
        metrics=(
            "invitations", "accepted", "responded", "due", "on_time", "median_response_h", "sponsored_share",
            "collaboration_confidence",
        ),
    ),
    IndexSpec(
        "care",
        raw_score="shoppable_share_s (shoppable videos / videos, smoothed)",
        reference_group="all creators",
        insufficient=f"fewer than {MIN_VIDEOS} videos",
        metrics=("videos", "shoppable_share"),
    ),
    IndexSpec(
        "volume",
        raw_score=f"videos / {WEEKS} (videos per week)",
        reference_group="all creators",
        insufficient="never (a creator without videos scores 0)",
        metrics=("videos",),
    ),
    IndexSpec(
        "effectiveness",
        raw_score=f"engagement_rate ({ENGAGEMENT_TEXT}) / views",
        reference_group=(
            "creators of the same follower tier ("
            + ", ".join(t.label for t in FOLLOWER_TIERS)
            + f"; an unknown follower count counts as {FOLLOWER_TIERS[0].label}); all creators where that tier has "
            f"fewer than {TIER_MIN_GROUP} creators with an effectiveness score"
        ),
        insufficient=f"fewer than {MIN_VIDEOS} videos or no views",
        metrics=("videos", "views", "engagements", "engagement_rate", "follower_tier"),
    ),
    IndexSpec(
        "sales",
        raw_score="gpm: GMV per 1,000 views, over the videos whose GMV is known",
        reference_group="all creators with known GMV",
        insufficient="no video with known GMV (or no views on those videos)",
        metrics=("gmv", "orders", "gpm"),
    ),
    IndexSpec(
        "consistency",
        raw_score=(
            f"{_w(CONSISTENCY_WEIGHTS, 'active_weeks')}·active_weeks/{WEEKS} + "
            f"{_w(CONSISTENCY_WEIGHTS, 'regularity')}·max(0, 1 − gap_cv), where gap_cv is the coefficient of "
            "variation (population standard deviation / mean) of the gaps in hours between consecutive videos "
            "(the second term counts 0 when every gap is zero)"
        ),
        reference_group="all creators",
        insufficient=f"fewer than {MIN_VIDEOS} videos",
        metrics=("videos", "active_weeks", "gap_cv"),
    ),
)

INDICES_BY_NAME: dict[str, IndexSpec] = {spec.name: spec for spec in INDICES}

assert tuple(OVERALL_WEIGHTS) == tuple(spec.name for spec in INDICES), "one weight per index, same order"
assert abs(sum(OVERALL_WEIGHTS.values()) - 1.0) < 1e-9
assert abs(sum(COLLABORATION_WEIGHTS.values()) - 1.0) < 1e-9


# --- Changes and growth -------------------------------------------------------------------------------------
# Each index's change is measured against the compared run: the last run published before this one with the same
# window length (``scoring.services.compared_run_for``); a run of another window ranks another period.
CHANGE_BASIS = "the previous published run with the same window"


@dataclass(frozen=True)
class GrowthSpec:
    """A growth figure of the raw data: the creator's ``name`` value now against ``previous`` (a scorecard field,
    whose catalogue tier the figure takes), as the methodology states it (``basis``)."""

    name: str
    previous: str
    basis: str

    @property
    def tier(self) -> Tier:
        return FIELDS_BY_NAME[self.previous].tier

    @property
    def label(self) -> str:
        return FIELDS_BY_NAME[self.name].label


GROWTH: tuple[GrowthSpec, ...] = (
    GrowthSpec(
        "followers", "followers_previous",
        basis=(
            f"followers now against the followers that {CHANGE_BASIS} recorded: follower counts have no history "
            "of their own (an import keeps only the latest count), so this is the growth between two runs, not "
            "over the window; none for a creator new since that run or without a known count"
        ),
    ),
    GrowthSpec(
        "videos", "videos_previous",
        basis="videos posted in the window against those posted in the window of the same length just before it "
              "(T-(2W-1) .. T-W)",
    ),
    GrowthSpec(
        "views", "views_previous",
        basis="views of the videos posted in the window against the views of those posted in the window of the "
              "same length just before it (T-(2W-1) .. T-W)",
    ),
)


def growth(current: float | None, previous: float | None) -> tuple[float | None, float | None]:
    """``(change, percent)`` of a raw figure against its previous value: null when either is unknown; no
    percentage from a previous value of zero (any rise from nothing would be infinite)."""
    if current is None or previous is None:
        return None, None
    change = current - previous
    return change, (100.0 * change / previous if previous else None)
