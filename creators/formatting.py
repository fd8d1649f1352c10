"""Numbers as a partner reads them on the dashboard: the one definition of each display format.

Plain text in, plain text out (no markup): the template filters of ``creators.templatetags.dashboard`` are these
functions, and any Python that shows a value to a person (not the exports, which keep machine formats) calls them
too. A missing value (``None`` or ``""``) reads as an en dash everywhere, as the pages always showed it.
"""

from __future__ import annotations

from typing import Any

from scoring.definitions import FOLLOWER_TIERS

MISSING = "–"
# Raw metrics that are shares of a whole, shown as percentages.
SHARE_METRICS = frozenset({"engagement_rate", "sponsored_share", "shoppable_share"})


def _missing(value: Any) -> bool:
    return value is None or value == ""


def score(value: Any) -> str:
    """An index to one decimal (DESIGN 5: indices are stored unrounded and shown to one decimal), or an en dash
    for "insufficient data"."""
    if _missing(value):
        return MISSING
    return f"{float(value):.1f}"


def percent_width(value: Any) -> str:
    """A 0-100 value clamped for a CSS width (``style="width: N%"``); a missing value is an empty bar."""
    if _missing(value):
        return "0"
    return f"{max(0.0, min(100.0, float(value))):.1f}"


def thousands(value: Any) -> str:
    """An integer with thousands separators (``12,345``), or an en dash."""
    if _missing(value):
        return MISSING
    return f"{int(value):,}"


def compact(value: Any) -> str:
    """Follower counts as ``12.3K`` / ``4.5M`` / ``1B`` (the exact number goes beside it, in a title)."""
    if _missing(value):
        return MISSING
    number = float(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(number) >= limit:
            return f"{number / limit:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{int(number):,}"


def follower_tier(value: Any) -> str:
    """A follower tier's number (``Scorecard.follower_tier``) as its label (``10k-100k``)."""
    try:
        return FOLLOWER_TIERS[int(value)].label
    except (IndexError, ValueError, TypeError):
        return str(value)


def metric(value: Any, name: str) -> str:
    """A raw metric by its kind (``value|metric:"engagement_rate"``): shares as percentages, raw scores to three
    significant digits (they live on different scales: a share, videos per week, GMV per 1,000 views), the gap
    CV to two decimals, the follower tier by its label, other numbers with separators."""
    if _missing(value):
        return MISSING
    if name in SHARE_METRICS:
        return f"{float(value) * 100:.1f}%"
    if name == "raw":
        return f"{float(value):,.3g}"
    if name == "gap_cv":
        return f"{float(value):.2f}"
    if name == "follower_tier":
        return follower_tier(value)
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
