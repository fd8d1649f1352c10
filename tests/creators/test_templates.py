"""The dashboard's templates: the markup of the index cards, the creator table and the filter panel, escaped values,
the one set of display formats, and only visible fields in what the views hand to them."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from creators import formatting
from creators.presenters import IndexCard
from partners.models import Shortlist, ShortlistEntry
from scoring.catalogue import FIELDS, Tier
from scoring.models import Scorecard

LIST_URL = "/creators/"
COMMERCIAL = {spec.name for spec in FIELDS if spec.tier == Tier.COMMERCIAL}


def _card(**values: Any) -> str:
    return render_to_string("creators/includes/index_card.html", {"card": IndexCard(**values)})


def test_an_index_card_shows_value_confidence_and_evidence_escaped():
    html = _card(name="volume", label="Volume", help="Videos <per> week", value=42.26, confidence="high",
                 reference_label="all creators", reference_n=12345, reference_median=0.5, raw=1.23456,
                 metrics=[("engagement_rate", "Engagement rate", 0.0812), ("follower_tier", "Follower tier", 1)])
    assert '<article class="index-card" id="index-volume">' in html
    assert '<div class="value">42.3</div>' in html and 'value="42.3" aria-hidden="true"></meter>' in html
    assert '<span class="conf conf-high" title="Confidence from the sample size">high</span>' in html
    assert "Videos &lt;per&gt; week" in html
    # A plain sentence first, then the figures, each in its unit.
    assert '<p class="why-lead">Better than 42% of the 12,345 creators ranked on volume.</p>' in html
    assert html.index("why-lead") < html.index("<table>")
    assert '<td class="num">all creators (12,345)</td>' in html
    assert '<th scope="row">This creator’s raw score</th><td class="num">1.2 videos a week</td>' in html
    assert '<th scope="row">Median of the group</th><td class="num">0.5 videos a week</td>' in html
    assert '<th scope="row">Engagement rate</th><td class="num">8.1%</td>' in html
    assert '<th scope="row">Follower tier</th><td class="num">10k–100k</td>' in html
    assert "Raw score: Videos posted per week over the 13-week window." in html


def test_an_index_card_without_a_value_says_insufficient_data():
    html = _card(name="sales", label="Sales", help="", value=None, confidence=None)
    assert '<span class="na">–</span>' in html and "Insufficient data for this index." in html
    assert 'value="0" aria-hidden="true"></meter>' in html
    assert "Compared with" not in html and "conf-" not in html and "why-lead" not in html


def test_an_index_card_without_signal_says_so_and_has_no_confidence_badge():
    html = _card(name="care", label="Care", help="", value=None, confidence=None, raw=0.0, reason="no_signal",
                 reference_label="all creators", reference_n=250, reference_median=0.0)
    assert '<div class="value"><span class="na no-signal">No signal</span></div>' in html
    assert "No signal in this run&#x27;s data: every creator of the reference group has the same raw score" in html
    assert "Insufficient data" not in html and "conf-" not in html


def _rows(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-handle="([^"]+)">(.*?)</tr>', html, re.S))


def test_a_table_row_links_the_scorecard_and_shows_scores_to_one_decimal(world, alice_client):
    handle = world.handles_a[0]
    card = Scorecard.objects.get(run=world.run, creator__handle=handle)
    row = _rows(alice_client.get(LIST_URL).content.decode())[handle]
    assert f'<a href="{reverse("creators:detail", kwargs={"handle": handle})}">@{handle}</a>' in row
    assert (f'<td class="num col-followers in-card" data-label="Followers" title="{card.followers:,}">'
            f"{formatting.compact(card.followers)}</td>") in row
    volume = re.search(r'<td class="num col-score[^"]*" data-col="volume"[^>]*>(.*?)</td>', row, re.S).group(1)
    assert f'<span class="score">{card.volume:.1f}</span>' in volume
    assert f'<meter class="score-bar" min="0" max="100" value="{card.volume:.1f}" aria-hidden="true">' in volume
    # The country as its code, with the name for those who do not know it.
    assert f'<abbr title="{formatting.country_name(card.creator.country)}">{card.creator.country}</abbr>' in row


def test_a_missing_score_is_a_dash_and_extra_categories_are_counted(world, alice_client):
    creator = world.creators[world.handles_a[0]]
    creator.categories.add(*world.categories.values())  # five categories: three tags and "+2"
    Scorecard.objects.filter(run=world.run, creator=creator).update(
        sales=None, category_ids=sorted(c.pk for c in world.categories.values())
    )
    row = _rows(alice_client.get(LIST_URL).content.decode())[creator.handle]
    sales = re.search(r'<td class="num col-score[^"]*" data-col="sales"[^>]*>(.*?)</td>', row, re.S).group(1)
    assert sales == '<span class="na" title="Insufficient data">–</span>'
    assert '<span class="tag">' not in row  # categories are not a default column
    row = _rows(alice_client.get(LIST_URL, {"columns": "categories,sales"}).content.decode())[creator.handle]
    assert row.count('<span class="tag">') == 4 and '<span class="tag">+2</span>' in row


def test_the_filter_panel_echoes_the_request_escaped_and_labels_every_input(world, alice_client):
    html = alice_client.get(LIST_URL, {"volume_min": "50", "care_max": '"><script>', "category": "beauty"}).content
    html = html.decode()
    assert 'name="volume_min" id="id_volume_min" min="0" max="100" step="any" placeholder="min" value="50"' in html
    assert 'name="volume_max" id="id_volume_max" min="0" max="100" step="any" placeholder="max" value=""' in html
    assert 'value="&quot;&gt;&lt;script&gt;"' in html and "<script>" not in html
    assert '<label class="visually-hidden" for="id_care_max">Care at most</label>' in html
    category = re.search(r'<select name="category" id="id_category">(.*?)</select>', html, re.S).group(1)
    assert '<option value="">Any category</option>' in category
    assert '<option value="beauty" selected>Beauty</option>' in category
    assert '<option value="fashion">Fashion</option>' in category


def test_sort_links_keep_the_filters_and_drop_the_cursor(world, alice_client):
    html = alice_client.get(LIST_URL, {"category": "beauty", "cursor": "abc", "ordering": "-volume"}).content.decode()
    head = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    volume = re.search(r'<th scope="col" class="num col-score" aria-sort="descending"[^>]*>'
                       r'<a class="sort" href="([^"]+)" data-sort="volume">Volume ▼</a></th>', head)
    assert volume and volume.group(1) == "?category=beauty&amp;ordering=volume"
    assert 'href="?category=beauty&amp;ordering=handle" data-sort="handle">Creator</a>' in head


@pytest.mark.parametrize(
    ("value", "score", "width", "thousands", "compact"),
    [
        (None, "–", "0", "–", "–"),
        (0, "0.0", "0.0", "0", "0"),
        (42.25, "42.2", "42.2", "42", "42"),
        (150.0, "150.0", "100.0", "150", "150"),
        (-3, "-3.0", "0.0", "-3", "-3"),
        (12_345, "12345.0", "100.0", "12,345", "12.3K"),
        (4_500_000, "4500000.0", "100.0", "4,500,000", "4.5M"),
        (2_000_000_000, "2000000000.0", "100.0", "2,000,000,000", "2B"),
    ],
)
def test_one_set_of_formats_for_pages_and_python(value, score, width, thousands, compact):
    assert (formatting.score(value), formatting.percent_width(value)) == (score, width)
    assert (formatting.thousands(value), formatting.compact(value)) == (thousands, compact)
    # The template filters are these functions.
    rendered = render_to_string(
        "creators/includes/index_card.html",
        {"card": IndexCard(name="x", label="X", help="", value=value, confidence=None, reference_label="r",
                           reference_n=value if isinstance(value, int) and value > 0 else None)},
    )
    if value is not None:
        assert f'<div class="value">{score}</div>' in rendered and f'value="{width}" aria-hidden="true"' in rendered


def _presented(value: Any, depth: int = 0) -> Iterator[str]:
    """Every field name a context value carries: dict keys, and the ``name`` of each dataclass (a column, a cell, an
    index card), recursively through lists, tuples, dicts and dataclasses (not through Django objects)."""
    if depth > 6:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _presented(item, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _presented(item, depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = getattr(value, "name", None)
        if isinstance(name, str):
            yield name
        for item in dataclasses.fields(value):
            yield from _presented(getattr(value, item.name), depth + 1)


def _context_names(client: Any, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return {name for context in response.context for layer in context.dicts for name in _presented(layer)}


def _partner_pages(world: Any, partner: Any, user: Any, handles: list[str]) -> list[str]:
    shortlist = Shortlist.objects.create(partner=partner, name="Picks", created_by=user)
    ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators[handles[0]])
    return [LIST_URL, f"/creators/{handles[0]}/", f"/creators/compare/?handles={','.join(handles[:3])}",
            f"/shortlists/{shortlist.pk}/"]


def test_no_hidden_field_reaches_a_templates_context(world, charlie_client):
    """Partner B has no commercial tier: none of its fields is in what the views give the templates."""
    for url in _partner_pages(world, world.partner_b, world.users["charlie"], world.handles_b):
        names = _context_names(charlie_client, url)
        assert {"volume", "overall"} <= names, url
        assert not names & COMMERCIAL, (url, sorted(names & COMMERCIAL))


def test_the_context_walk_sees_commercial_fields_where_the_tier_allows_them(world, alice_client):
    for url in _partner_pages(world, world.partner_a, world.users["alice"], world.handles_a):
        assert {"sales", "care"} <= _context_names(alice_client, url), url
