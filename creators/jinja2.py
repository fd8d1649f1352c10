"""The Jinja2 environment (Django's ``Jinja2`` backend, engine ``"jinja2"``) of the one template Django's own engine
is too slow for: the creator table, 50 rows of a dozen cells (``templates/jinja2/creators/creator_table.html``).

It offers what the Django templates use, by Django's own functions: ``url(name, **kwargs)`` is ``{% url %}``
(``reverse``), ``querystring(**changes)`` is ``{% querystring %}`` (Django's tag function, on the request's
query), and the display filters are those of ``creators.formatting``, as in ``{% load dashboard %}``. Undefined
names raise instead of rendering empty, so a misspelt field cannot pass unnoticed. Include such a template from a
Django template with ``{% jinja2_include %}`` (``creators.templatetags.dashboard``).
"""

from __future__ import annotations

from typing import Any

import jinja2
from django.template.defaulttags import querystring as django_querystring
from django.urls import reverse

from creators import formatting


def url(name: str, *args: Any, **kwargs: Any) -> str:
    """``url("creators:detail", handle=h)``: what ``{% url "creators:detail" handle=h %}`` gives."""
    return reverse(name, args=args or None, kwargs=kwargs or None)


@jinja2.pass_context
def querystring(context: jinja2.runtime.Context, **changes: Any) -> str:
    """``querystring(ordering="-volume", cursor=None)``: the request's query with those parameters set or (None)
    removed, as ``{% querystring ordering="-volume" cursor=None %}`` gives it."""
    # The tag reads its context only when it is given no query dict.
    return django_querystring(None, context["request"].GET, **changes)  # type: ignore[arg-type]


def environment(**options: Any) -> jinja2.Environment:
    options["undefined"] = jinja2.StrictUndefined
    env = jinja2.Environment(**options)
    env.globals.update(url=url, querystring=querystring)
    env.filters.update(
        score=formatting.score,
        percent_width=formatting.percent_width,
        thousands=formatting.thousands,
        compact=formatting.compact,
        metric=formatting.metric,
        country=formatting.country,
        country_name=formatting.country_name,
        change=formatting.change,
        change_direction=formatting.change_direction,
        change_arrow=formatting.change_arrow,
        change_words=formatting.change_words,
    )
    return env
