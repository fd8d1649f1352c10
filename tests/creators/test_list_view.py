"""The creator list page: visible rows only, filters in the URL, sorting, keyset pages, states, query count."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.cache import cache

from creators import views
from partners.models import AuditEvent
from scoring.models import Scorecard

pytestmark = pytest.mark.django_db

LIST_URL = "/creators/"


def _handles(response) -> list[str]:
    return re.findall(r'<tr data-handle="([^"]+)"', response.content.decode())


def _scores(world, **filters) -> dict[str, Scorecard]:
    return {
        card.creator.handle: card
        for card in Scorecard.objects.filter(run=world.run, **filters).select_related("creator__primary_category")
    }


def test_it_lists_only_the_partners_creators_best_overall_first(world, alice_client):
    response = alice_client.get(LIST_URL)
    assert response.status_code == 200
    handles = _handles(response)
    assert sorted(handles) == world.handles_a
    cards = _scores(world)
    overall = [cards[handle].overall for handle in handles]
    assert overall == sorted(overall, reverse=True)
    for handle in world.handles_b + world.handles_nobody:
        assert handle not in response.content.decode()


def test_filters_by_category_and_an_index_range_and_keeps_them_in_the_links(world, alice_client):
    response = alice_client.get(LIST_URL, {"category": "beauty", "volume_min": "40", "volume_max": "90"})
    expected = sorted(
        handle
        for handle, card in _scores(world).items()
        if card.creator.primary_category.slug == "beauty" and 40 <= card.volume <= 90
    )
    assert expected, "the fixture should have matching creators"
    assert sorted(_handles(response)) == expected
    html = response.content.decode()
    # Sort links keep the filters, so the view can be bookmarked and shared.
    sort_link = unescape(re.search(r'href="([^"]+)" data-sort="volume"', html).group(1))
    params = parse_qs(urlparse(sort_link).query)
    assert params["category"] == ["beauty"] and params["volume_min"] == ["40"] and params["ordering"] == ["-volume"]


@pytest.mark.parametrize("ordering", ["volume", "-consistency", "followers", "-handle"])
def test_columns_sort_both_ways(world, alice_client, ordering):
    response = alice_client.get(LIST_URL, {"ordering": ordering})
    cards = _scores(world)
    handles = _handles(response)
    name = ordering.lstrip("-")
    values = [cards[h].creator.handle if name == "handle" else getattr(cards[h], name) for h in handles]
    assert values == sorted(values, reverse=ordering.startswith("-"))
    state = "descending" if ordering.startswith("-") else "ascending"
    assert f'aria-sort="{state}"' in response.content.decode()


@pytest.mark.parametrize(("ordering", "note", "words"), [
    ("-overall_change", "biggest rise ▲", "Overall: biggest rise"),
    ("overall_change", "biggest fall ▼", "Overall: biggest fall"),
])
def test_a_sort_by_a_change_shows_on_its_index_head(world, alice_client, ordering, note, words):
    """Sorted by the overall's change (the "Sort by" select, the home page's movers): no head is sorted by its own
    values, so the Overall head says which change orders the list, and the caption says it in words."""
    html = alice_client.get(LIST_URL, {"ordering": ordering}).content.decode()
    head = re.search(r'<th scope="col" class="num col-score"[^>]*>(.*?)</th>', html, re.S).group(1)
    assert 'data-sort="overall"' in head and note in head
    assert "aria-sort" not in html.split("<tbody>", 1)[0]
    assert f"Creators, sorted by {words}</caption>" in html


def test_deep_pages_walk_by_cursor_without_gaps_or_repeats(world, alice_client, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    seen: list[str] = []
    url = LIST_URL + "?ordering=-overall"
    for _ in range(10):
        response = alice_client.get(url)
        seen.extend(_handles(response))
        match = re.search(r'id="next-page" href="([^"#]+)"', response.content.decode())
        if not match:
            break
        url = LIST_URL + unescape(match.group(1))
    assert sorted(seen) == world.handles_a and len(seen) == len(set(seen))


def test_a_hidden_index_cannot_be_filtered_sorted_or_seen(world, charlie_client):
    # Partner B has no commercial tier: no sales column, and a sales filter is refused without changing the rows.
    plain = charlie_client.get(LIST_URL)
    probed = charlie_client.get(LIST_URL, {"sales_min": "90", "ordering": "-sales"})
    assert _handles(probed) == _handles(plain)
    html = probed.content.decode()
    assert "not available to your organisation" in html
    assert 'data-col="sales"' not in html and 'data-sort="sales"' not in html
    assert 'name="sales_min"' not in html and ">Sales<" not in html and ">Care<" not in html


def test_banner_names_the_published_run(world, alice_client):
    html = alice_client.get(LIST_URL).content.decode()
    assert 'id="data-as-of"' in html
    assert f"Data as of {world.run.as_of:%-d %B %Y}" in html


def test_no_match_shows_the_empty_state(world, alice_client):
    response = alice_client.get(LIST_URL, {"q": "no-such-creator-anywhere"})
    assert response.status_code == 200
    assert 'id="empty-state"' in response.content.decode()
    assert _handles(response) == []


def test_users_without_access_get_a_no_access_page(world, dana_client, sam_client):
    for client in (dana_client, sam_client):
        response = client.get(LIST_URL)
        assert response.status_code == 404
        assert "No access" in response.content.decode()


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(LIST_URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_export_button_only_for_analysts_and_managers(world, alice_client, bob_client):
    assert 'id="export-csv"' in alice_client.get(LIST_URL).content.decode()
    assert 'id="export-csv"' not in bob_client.get(LIST_URL).content.decode()


def test_the_list_is_audited_with_its_row_count(world, alice_client):
    alice_client.get(LIST_URL, {"category": "fashion"})
    event = AuditEvent.objects.filter(action="creator.list").latest("created_at")
    assert event.username == "alice" and event.filters == {"category": "fashion"}
    assert event.row_count == len(world.handles_in("fashion"))


def test_query_count_is_pinned_and_does_not_grow_with_rows(world, alice_client, django_assert_max_num_queries):
    # session, user with its membership, partner and weights, the grants, published run, visible categories
    # (the category filter and both selects), rows (values, then the null segment when the page is not full),
    # capped count, countries, the partner's shortlists for the bulk bar's "Add to", which rows the user follows
    # (the follow stars), audit insert, session save (3): 15 whatever the number of rows.
    with django_assert_max_num_queries(15):
        response = alice_client.get(LIST_URL, {"category": "beauty"})
    assert response.status_code == 200


def test_country_choices_come_from_visible_creators_and_filter(world, alice_client):
    # creators.filtersets caches the choices per grant scope only, and test databases reuse ids: start clean.
    cache.clear()
    visible = {world.creators[h].country for h in world.handles_a}
    html = alice_client.get(LIST_URL).content.decode()
    offered = set(re.findall(r'<option value="([A-Z]{2})"', html))
    assert offered == visible
    country = sorted(visible)[0]
    handles = _handles(alice_client.get(LIST_URL, {"country": country}))
    assert sorted(handles) == sorted(h for h in world.handles_a if world.creators[h].country == country)


def test_creator_text_is_escaped_in_the_table(world, alice_client):
    creator = world.creators[world.handles_a[0]]
    creator.display_name = '<script>alert("x")</script>'
    creator.save(update_fields=["display_name"])
    html = alice_client.get(LIST_URL).content.decode()
    assert "<script>alert" not in html
    # Escaped (whichever entity spelling the template engine picks), and read back as the text itself.
    shown = re.search(rf'<tr data-handle="{creator.handle}">.*?<small>(.*?)</small>', html, re.S).group(1)
    assert "<" not in shown and '"' not in shown and unescape(shown) == creator.display_name


def _result_count(response) -> str:
    """The figure the page gives for the filtered set ("12 creators ...", "More than 10,000 creators ...")."""
    found = re.search(r'id="result-count"[^>]*>(.*?)</p>', response.content.decode(), re.S)
    assert found, "no result count on the page"
    count = re.match(r"(More than )?[\d,]+ creators?", " ".join(unescape(found.group(1)).split()))
    assert count, found.group(1)
    return count.group(0)


def test_the_count_is_exact_up_to_the_cap_and_says_more_beyond_it(world, alice_client, monkeypatch):
    visible = len(world.handles_a)
    assert _result_count(alice_client.get(LIST_URL)) == f"{visible} creators"
    cache.clear()
    monkeypatch.setattr(views, "COUNT_CAP", visible - 1)
    assert _result_count(alice_client.get(LIST_URL)) == f"More than {visible - 1} creators"
    # A filter that narrows the set under the cap is counted exactly again, over the same run.
    response = alice_client.get(LIST_URL, {"category": "beauty"})
    listed = len(_handles(response))
    assert 1 < listed < visible - 1
    assert _result_count(response) == f"{listed} creators"


def test_the_navigation_links_are_the_urlconfs(world, alice_client):
    """The navigation's and the list forms' links are what ``reverse`` gives (an analyst has no audit link)."""
    from django.urls import reverse

    page = alice_client.get(LIST_URL).content.decode()
    hrefs = set(re.findall(r'<nav aria-label="Main">.*?</nav>', page, re.S)[0].split('href="')[1:])
    hrefs = {href.split('"')[0] for href in hrefs}
    assert hrefs >= {reverse(name) for name in ("creators:list", "creators:compare", "shortlists:list", "methodology")}
    assert reverse("partner:audit") not in hrefs
    assert f'href="{reverse("logout")}"' in page  # a link to the confirmation page (no token in the header)
    assert f'action="{reverse("creators:compare")}"' in page


def test_followers_typed_with_k_or_m_or_separators_filter_the_list(world, alice_client):
    plain = _handles(alice_client.get(LIST_URL, {"followers_min": "4000", "followers_max": "12000"}))
    assert plain
    for low, high in (("4k", "12K"), ("4,000", "0.012m")):
        response = alice_client.get(LIST_URL, {"followers_min": low, "followers_max": high})
        assert _handles(response) == plain
        # The box shows what was typed.
        assert f'value="{low}"' in response.content.decode()


def test_the_chosen_columns_are_shown_kept_in_the_links_and_hidden_fields_cannot_be_asked_for(world, alice_client,
                                                                                            charlie_client):
    html = alice_client.get(LIST_URL, {"columns": "followers,care,volume", "ordering": "-volume"}).content.decode()
    head = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    assert re.findall(r'data-sort="([a-z_]+)"', head) == ["handle", "followers", "care", "volume"]
    # Sort links, the filter form and the chooser keep the choice; the chooser ticks what is shown.
    sort_link = unescape(re.search(r'href="([^"]+)" data-sort="care"', head).group(1))
    assert parse_qs(urlparse(sort_link).query)["columns"] == ["followers,care,volume"]
    assert '<input type="hidden" name="columns" value="followers,care,volume">' in html
    assert '<input type="checkbox" name="columns" value="care" checked>' in html
    assert '<input type="checkbox" name="columns" value="overall">' in html
    # The phone card keeps the followers, then the sorted index first among the two chosen ones.
    row = re.search(r'<tr data-handle="[^"]+">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'in-card" data-col="([a-z_]+)"', row) == ["care", "volume"]
    # A partner without the commercial tier asks for a commercial column: it is not there, nor offered.
    html = charlie_client.get(LIST_URL, {"columns": "sales,care,volume"}).content.decode()
    head = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    assert re.findall(r'data-sort="([a-z_]+)"', head) == ["handle", "volume"]
    assert 'value="sales"' not in html and 'value="care"' not in html


def test_without_a_choice_every_column_but_the_categories_shows(world, alice_client):
    html = alice_client.get(LIST_URL, {"columns": "no-such-column"}).content.decode()
    head = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    assert re.findall(r'data-sort="([a-z_]+)"', head) == [
        "handle", "country", "followers", "overall", "collaboration", "care", "volume", "effectiveness", "sales",
        "consistency",
    ]
    assert "col-categories" not in head
    assert '<input type="hidden" name="columns"' not in html


def test_empty_selects_say_what_they_mean_and_countries_have_names(world, alice_client):
    html = alice_client.get(LIST_URL).content.decode()
    assert '<option value="" selected>Any category</option>' in html
    assert '<option value="" selected>Any country</option>' in html
    assert "---------" not in html
    country = re.search(r'<select name="country" id="id_country">(.*?)</select>', html, re.S).group(1)
    labels = re.findall(r'<option value="[A-Z]{2}">([^<]+)</option>', country)
    assert "United States (US)" in labels and labels == sorted(labels)


def _position(response) -> str:
    found = re.search(r'id="page-position">([^<]*)<', response.content.decode())
    assert found, "no page position on the page"
    return found.group(1)


def _link(response, link_id: str) -> str | None:
    match = re.search(rf'id="{link_id}" href="([^"#]+)"', response.content.decode())
    return LIST_URL + unescape(match.group(1)) if match else None


def test_page_x_of_y_jumps_to_any_page_and_the_last_is_one_click_away(world, alice_client, monkeypatch):
    """Where the count is known the list says where it is, jumps to a page, and reaches the last page at once;
    walking on from a jumped-to page with Next and Previous gives the same rows as the cursor walk."""
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    ordered = [*_handles(alice_client.get(LIST_URL + "?ordering=-overall&page=1"))]
    visible = len(world.handles_a)
    pages = -(-visible // 3)
    first = alice_client.get(LIST_URL + "?ordering=-overall")
    assert _position(first) == f"Page 1 of {pages}"
    walked: list[str] = []
    url: str | None = LIST_URL + "?ordering=-overall"
    while url:
        response = alice_client.get(url)
        walked.append(",".join(_handles(response)))
        url = _link(response, "next-page")
    assert ordered == walked[0].split(",")
    last = alice_client.get(_link(first, "last-page"))
    assert _position(last) == f"Page {pages} of {pages}"
    assert ",".join(_handles(last)) == walked[-1]
    second = alice_client.get(LIST_URL + "?ordering=-overall&page=2")
    assert ",".join(_handles(second)) == walked[1] and _position(second) == f"Page 2 of {pages}"
    third = alice_client.get(_link(second, "next-page"))
    assert ",".join(_handles(third)) == walked[2] and _position(third) == f"Page 3 of {pages}"
    back = alice_client.get(_link(third, "prev-page"))
    assert ",".join(_handles(back)) == walked[1] and _position(back) == f"Page 2 of {pages}"


@pytest.mark.parametrize("page", ["0", "-1", "999", "abc", "²", "1e3", "9" * 40])
def test_a_page_number_that_is_not_one_is_a_400_with_a_message_beside_the_field(
    world, alice_client, monkeypatch, page
):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    response = alice_client.get(LIST_URL, {"page": page})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="page-error"' in html and "Enter a page number from 1 to" in unescape(html)


def test_no_page_numbers_above_the_count_cap(world, alice_client, monkeypatch):
    monkeypatch.setattr(views, "COUNT_CAP", 2)
    response = alice_client.get(LIST_URL, {"page": "2"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="page-jump"' not in html and 'id="last-page"' not in html
