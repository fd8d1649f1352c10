"""Template filters of the dashboard: the display formats of ``creators.formatting``, and dict lookups.

Each formatting filter *is* the function of ``creators.formatting`` (registered under its name), so the pages and
any Python that shows a value use one definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from creators import formatting

register = template.Library()

register.filter("score", formatting.score)
register.filter("percent_width", formatting.percent_width)
register.filter("thousands", formatting.thousands)
register.filter("compact", formatting.compact)
register.filter("metric", formatting.metric)


@register.filter
def get_item(mapping: Mapping[str, Any] | None, key: str) -> Any:
    """``row|get_item:column.name`` (templates cannot index by a variable)."""
    if mapping is None:
        return None
    return mapping.get(key)
