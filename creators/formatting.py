"""Numbers as a partner reads them on the dashboard: the one definition of each display format.

Plain text in, plain text out (no markup): the template filters of ``creators.templatetags.dashboard`` are these
functions, and any Python that shows a value to a person (not the exports, which keep machine formats) calls them
too. A missing value (``None`` or ``""``) reads as an en dash everywhere, as the pages always showed it.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import pycountry
from django.conf import settings

from scoring.definitions import FOLLOWER_TIERS

MISSING = "–"
# Raw metrics that are shares of a whole, shown as percentages.
SHARE_METRICS = frozenset({"engagement_rate", "sponsored_share", "shoppable_share"})
# Symbols of the currencies GMV may be kept in (``settings.GMV_CURRENCY``); any other shows its ISO code.
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}

# What each index's raw score is, in words: (how the raw value reads, what it means). The raw score is the number
# the percentile ranks; a partner should not have to read the methodology to know what "0.412" is.
RAW_SCORES: dict[str, tuple[str, str]] = {
    "collaboration": (
        "blend",
        "A 0–1 blend of accepted invitations, on-time delivery, fast answers and sponsored videos.",
    ),
    "care": ("share", "Share of the videos with a product link, smoothed toward the average for few videos."),
    "volume": ("per_week", "Videos posted per week over the 13-week window."),
    "effectiveness": ("share", "Engagement rate: likes, comments and shares per view."),
    "sales": ("gpm", "GMV per 1,000 views, over the videos whose GMV is known."),
    "consistency": ("blend", "A 0–1 blend of weeks with a video (of 13) and how regular the gaps between videos are."),
}


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


def percent(value: Any) -> str:
    """A share of a whole (0-1) as a percentage to one decimal (``0.125`` → ``12.5%``)."""
    if _missing(value):
        return MISSING
    return f"{float(value) * 100:.1f}%"


def money(value: Any) -> str:
    """An amount of GMV with its currency and thousands separators: ``$12,345`` (whole units from 100 on, cents
    below, where they matter: ``$3.42``; nothing sold is ``$0``)."""
    if _missing(value):
        return MISSING
    amount = float(value)
    code = getattr(settings, "GMV_CURRENCY", "USD")
    symbol = CURRENCY_SYMBOLS.get(code)
    number = f"{amount:,.0f}" if abs(amount) >= 100 or amount == 0 else f"{amount:,.2f}"
    return f"{symbol}{number}" if symbol else f"{number} {code}"


def hours(value: Any) -> str:
    """A duration in hours: ``15 h``, ``2.5 h`` below 10 hours."""
    if _missing(value):
        return MISSING
    number = float(value)
    return f"{number:,.0f} h" if abs(number) >= 10 else f"{number:.1f} h"


@functools.cache
def country_name(code: str) -> str:
    """The English short name of an ISO 3166-1 alpha-2 code (``US`` → ``United States``); the code itself when the
    library does not know it."""
    if not code:
        return ""
    found = pycountry.countries.get(alpha_2=code.upper())
    if found is None:
        return code
    return getattr(found, "common_name", None) or found.name


def country(code: Any) -> str:
    """A country as a person reads it, with its code: ``United States (US)``; an en dash when unknown."""
    if _missing(code):
        return MISSING
    name = country_name(str(code))
    return name if name == code else f"{name} ({code})"


def raw_score(value: Any, index: str) -> str:
    """An index's raw score in its own unit (``RAW_SCORES``): ``2.3 videos a week``, ``4.1%``, ``$3.42 per 1,000
    views``, ``0.61 of 1``."""
    if _missing(value):
        return MISSING
    kind = RAW_SCORES.get(index, ("blend", ""))[0]
    number = float(value)
    if kind == "share":
        return percent(number)
    if kind == "per_week":
        return f"{number:,.1f} videos a week"
    if kind == "gpm":
        return f"{money(number)} per 1,000 views"
    return f"{number:.2f} of 1"


def raw_score_meaning(index: str) -> str:
    """What an index's raw score is, in a sentence."""
    return RAW_SCORES.get(index, ("", ""))[1]


def group_phrase(label: str) -> str:
    """A reference group's label as the end of "of the 1,971 ...": ``all creators`` → ``creators``,
    ``10k–100k followers`` → ``creators with 10k–100k followers``."""
    text = label.strip()
    if text.startswith("all "):
        text = text[4:]
    if not text.startswith("creators"):
        text = f"creators with {text}"
    return text


def rank_sentence(value: Any, n: Any, group: str, index_label: str) -> str:
    """The plain reading of a percentile index: "Better than 77% of the 1,971 creators ranked on care."

    An index is 100 × (creators of the group below this one) / (n − 1) (the methodology's percentile), so it is
    the share of the *other* creators of the group this one beats. Rounded to a whole percent, never to 0% or 100%
    unless it is the lowest or the highest.
    """
    if _missing(value):
        return ""
    topic = index_label.lower()
    count = int(n or 0)
    who = group_phrase(group or "all creators")
    number = float(value)
    if count == 0:
        return ""  # the run recorded no group size: no sentence rather than a wrong one
    if count == 1:
        return f"The only one of the {who} ranked on {topic}."
    if number >= 100:
        return f"The highest of the {count:,} {who} ranked on {topic}."
    if number <= 0:
        return f"The lowest of the {count:,} {who} ranked on {topic}."
    share = min(99, max(1, math.floor(number + 0.5)))
    return f"Better than {share}% of the {count:,} {who} ranked on {topic}."


def metric(value: Any, name: str) -> str:
    """A raw metric by its kind (``value|metric:"engagement_rate"``): shares as percentages, GMV with its currency,
    GPM per 1,000 views, hours with their unit, active weeks of 13, the gap CV to two decimals, the follower tier by
    its label, other numbers with separators. (``name == "raw"``: a raw score of unknown index, three significant
    digits; the scorecard uses ``raw_score`` with the index.)"""
    if _missing(value):
        return MISSING
    if name in SHARE_METRICS:
        return percent(value)
    if name in ("gmv", "impact_gmv"):
        return money(value)
    if name == "gpm":
        return f"{money(value)} per 1,000 views"
    if name == "median_response_h":
        return hours(value)
    if name == "active_weeks":
        return f"{int(value)} of 13"
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


# --- changes and growth ------------------------------------------------------------------------------------
# Changes smaller than this (in points) show as "0.0", as they round at one decimal: "unchanged", not a direction.
CHANGE_FLAT = 0.05
MINUS = "\u2212"  # a real minus sign: as wide as "+" and read as "minus" by screen readers


def change_direction(value: Any) -> str:
    """``up``, ``down`` or ``flat`` for a change in points (as shown, to one decimal), empty when there is none."""
    if _missing(value):
        return ""
    number = float(value)
    if abs(number) < CHANGE_FLAT:
        return "flat"
    return "up" if number > 0 else "down"


def change(value: Any) -> str:
    """A change in points, signed, to one decimal: ``+3.2``, ``−1.5``, ``0.0``; an en dash when there is none."""
    direction = change_direction(value)
    if not direction:
        return MISSING
    if direction == "flat":
        return "0.0"
    number = float(value)
    return f"+{number:.1f}" if number > 0 else f"{MINUS}{-number:.1f}"


def change_arrow(value: Any) -> str:
    """The arrow beside a change (never alone: the signed number and ``change_words`` say it too)."""
    return {"up": "▲", "down": "▼", "flat": "="}.get(change_direction(value), "")


def change_words(value: Any) -> str:
    """A change for a screen reader or a tooltip: "up 3.2 points", "down 1.5 points", "unchanged"."""
    direction = change_direction(value)
    if not direction:
        return "no change to show"
    if direction == "flat":
        return "unchanged"
    return f"{direction} {abs(float(value)):.1f} points"


def signed_count(value: Any) -> str:
    """A change of a count with its sign and thousands separators: ``+1,234``, ``−56``, ``0``."""
    if _missing(value):
        return MISSING
    number = int(value)
    if number == 0:
        return "0"
    return f"+{number:,}" if number > 0 else f"{MINUS}{-number:,}"


def signed_percent(value: Any) -> str:
    """A change in percent, signed, to one decimal: ``+25.0%``, ``−3.1%``; an en dash when there is none."""
    if _missing(value):
        return MISSING
    number = float(value)
    if abs(number) < CHANGE_FLAT:
        return "0.0%"
    return f"+{number:.1f}%" if number > 0 else f"{MINUS}{-number:.1f}%"
