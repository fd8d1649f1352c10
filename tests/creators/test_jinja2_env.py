"""The Jinja2 environment's helpers give what the Django template tags give (creators.jinja2)."""

from __future__ import annotations

import pytest
from django.template import engines
from django.test import RequestFactory
from django.urls import NoReverseMatch

QUERIES = ["", "category=beauty&cursor=abc", "ordering=-volume&q=caf%C3%A9+%26+co", "country=US&country=GB&page=2"]
HANDLES = ["beauty_1", "Zoe.Creme-2", "@a_b", "x" * 64]
# Not handles (the importers refuse them): no URL in either engine.
NOT_HANDLES = ["Zoë.Crème", "a b", "x?z#w", "100%", "a\x00b", "x" * 65]


@pytest.mark.parametrize("query", QUERIES)
def test_querystring_is_djangos(query):
    request = RequestFactory().get(f"/creators/?{query}")
    changes = "ordering='-overall' cursor=None"
    django = engines["django"].from_string(f"{{% querystring {changes} %}}").render({}, request)
    jinja = engines["jinja2"].from_string("{{ querystring(ordering='-overall', cursor=None) }}").render({}, request)
    assert jinja == django
    assert "cursor=" not in jinja and "ordering=-overall" in jinja


@pytest.mark.parametrize("handle", HANDLES)
def test_url_is_djangos(handle):
    django = engines["django"].from_string("{% url 'creators:detail' handle=handle %}").render({"handle": handle})
    jinja = engines["jinja2"].from_string("{{ url('creators:detail', handle=handle) }}").render({"handle": handle})
    assert jinja == django


@pytest.mark.parametrize("text", NOT_HANDLES)
def test_text_that_is_not_a_handle_has_no_url_in_either_engine(text):
    with pytest.raises(NoReverseMatch):
        engines["django"].from_string("{% url 'creators:detail' handle=text %}").render({"text": text})
    with pytest.raises(NoReverseMatch):
        engines["jinja2"].from_string("{{ url('creators:detail', handle=text) }}").render({"text": text})


def test_a_misspelt_name_raises_instead_of_rendering_empty():
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        engines["jinja2"].from_string("{{ row.handel }}").render({"row": {"handle": "x"}})
