"""Template filters of the dashboard: numbers as people read them, dict lookups by a variable key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from creators.presenters import compact_number, metric_display, percent_width_text, score_text, thousands_text

register = template.Library()


@register.filter
def get_item(mapping: Mapping[str, Any] | None, key: str) -> Any:
    """``row|get_item:column.name`` (templates cannot index by a variable)."""
    if mapping is None:
        return None
    return mapping.get(key)


@register.filter
def score(value: Any) -> str:
    """An index to one decimal (DESIGN 5), or an en dash for "insufficient data"."""
    return score_text(value)


@register.filter
def percent_width(value: Any) -> str:
    """A 0-100 value clamped for a CSS width (``style="width: N%"``)."""
    return percent_width_text(value)


@register.filter
def compact(value: Any) -> str:
    """Follower counts as ``12.3K`` / ``4.5M``; the exact number goes in a title attribute beside it."""
    return compact_number(value)


@register.filter
def thousands(value: Any) -> str:
    return thousands_text(value)


@register.filter
def metric(value: Any, name: str) -> str:
    """A raw metric formatted by its kind (``value|metric:"engagement_rate"``)."""
    return metric_display(name, value)
