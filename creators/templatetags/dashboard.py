"""Template filters and tags of the dashboard: the display formats of ``creators.formatting``, dict lookups, and
the include of a Jinja2 template.

Each formatting filter *is* the function of ``creators.formatting`` (registered under its name), so the pages, the
Jinja2 templates (``creators.jinja2``) and any Python that shows a value use one definition.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from django import template
from django.template import engines
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from creators import formatting

register = template.Library()

register.filter("score", formatting.score)
register.filter("percent_width", formatting.percent_width)
register.filter("thousands", formatting.thousands)
register.filter("compact", formatting.compact)
register.filter("metric", formatting.metric)
register.filter("percent", formatting.percent)
register.filter("money", formatting.money)
register.filter("hours", formatting.hours)
register.filter("country", formatting.country)
register.filter("country_name", formatting.country_name)
register.filter("raw_score", formatting.raw_score)
register.filter("raw_score_meaning", formatting.raw_score_meaning)
register.filter("change", formatting.change)
register.filter("change_direction", formatting.change_direction)
register.filter("change_arrow", formatting.change_arrow)
register.filter("change_words", formatting.change_words)
register.filter("signed_count", formatting.signed_count)
register.filter("signed_percent", formatting.signed_percent)


@register.filter
def get_item(mapping: Mapping[str, Any] | None, key: str) -> Any:
    """``row|get_item:column.name`` (templates cannot index by a variable)."""
    if mapping is None:
        return None
    return mapping.get(key)


@functools.cache
def _markdown_parser() -> MarkdownIt:
    # Raw HTML in the source is escaped, not rendered: the text is ours, but the rule costs nothing.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


@register.filter(is_safe=True)
def markdown(text: str) -> SafeString:
    """``{{ text|markdown }}``: CommonMark with tables, as HTML (the methodology page)."""
    return mark_safe(_markdown_parser().render(text))


@register.simple_tag(takes_context=True)
def jinja2_include(context: template.Context, template_name: str, **values: Any) -> SafeString:
    """``{% jinja2_include "creators/creator_table.html" rows=rows ... %}``: a template of the ``jinja2`` engine
    rendered with exactly these values (and the request), like ``{% include ... with ... only %}``."""
    request = context.get("request")
    html = engines["jinja2"].get_template(template_name).render(values, request=request)
    # Jinja2 rendered it with autoescaping on (Django's Jinja2 backend default): every value in it is escaped.
    return mark_safe(html)
