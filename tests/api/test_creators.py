"""``GET /api/v1/creators/`` and ``GET /api/v1/categories/``: filters, ordering, pagination, tiers, roles."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from rest_framework.test import APIClient

from partners.models import AuditEvent, PartnerWeights
from scoring.catalogue import FILTERABLE_INDICES
from scoring.models import CategoryImpact, Scorecard

LIST = "/api/v1/creators/"
PERFORMANCE_INDICES = {"overall", "volume", "effectiveness", "consistency"}
COMMERCIAL_INDICES = {"collaboration", "care", "sales"}


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def alice(world) -> APIClient:
    return api_client(world.users["alice"])


@pytest.fixture
def charlie(world) -> APIClient:
    return api_client(world.users["charlie"])


def all_results(client: APIClient, params: dict | None = None) -> list[dict]:
    """Every result of a list query, following `next` links."""
    response = client.get(LIST, {**(params or {}), "page_size": 200})
    assert response.status_code == 200, response.json()
    body = response.json()
    results = body["results"]
    while body["next"]:
        body = client.get(body["next"]).json()
        results += body["results"]
    return results


def handles(results: list[dict]) -> list[str]:
    return [row["handle"] for row in results]


def cards_of(world, slugs=("beauty", "fashion")) -> list[Scorecard]:
    """Partner A's scorecards straight from the database: the expectation every filter test compares with."""
    return list(
        Scorecard.objects.filter(run=world.run, creator__primary_category__slug__in=slugs).select_related("creator")
    )


# --- what is listed -------------------------------------------------------------------------------------------


def test_it_lists_only_the_partners_creators(world, alice, charlie):
    assert sorted(handles(all_results(alice))) == world.handles_a
    assert sorted(handles(all_results(charlie))) == world.handles_b


def test_each_result_has_the_profile_and_the_visible_scores_only(world, alice, charlie):
    row = all_results(alice)[0]
    assert set(row) == {
        "handle", "display_name", "country", "categories", "followers", "scores", "reasons", "changes",
    }
    assert set(row["scores"]) == PERFORMANCE_INDICES | COMMERCIAL_INDICES
    assert set(row["changes"]) == set(row["scores"])
    # A reason for each null index, and only for those.
    assert set(row["reasons"]) == {name for name, value in row["scores"].items() if value is None}
    creator = world.creators[row["handle"]]
    card = Scorecard.objects.get(run=world.run, creator=creator)
    assert row["categories"] == [creator.primary_category.slug]
    assert row["scores"] == {name: getattr(card, name) for name in row["scores"]}
    # Partner B has no commercial tier: those keys are absent, not null, and not in the raw JSON either.
    response = charlie.get(LIST)
    assert all(set(r["scores"]) == PERFORMANCE_INDICES for r in response.json()["results"])
    for name in COMMERCIAL_INDICES:
        assert f'"{name}"' not in response.content.decode()


def test_default_ordering_is_overall_descending(world, alice):
    results = all_results(alice)
    overall = [row["scores"]["overall"] for row in results]
    assert overall == sorted(overall, reverse=True)


# --- filters --------------------------------------------------------------------------------------------------


def test_q_searches_handle_and_display_name(world, alice):
    assert handles(all_results(alice, {"q": "@BEAUTY_2"})) == ["beauty_2"]
    assert sorted(handles(all_results(alice, {"q": "fashion creator"}))) == world.handles_in("fashion")


def test_category_filter(world, alice):
    assert sorted(handles(all_results(alice, {"category": "fashion"}))) == world.handles_in("fashion")


def test_category_outside_the_grant_is_rejected(world, alice):
    response = alice.get(LIST, {"category": "electronics"})
    assert response.status_code == 400
    assert "category" in response.json()["errors"]


def test_country_filter(world, alice):
    expected = sorted(c.creator.handle for c in cards_of(world) if c.creator.country == "US")
    assert expected, "the fixture has US creators in partner A's grant"
    assert sorted(handles(all_results(alice, {"country": "US"}))) == expected


def test_followers_range(world, alice):
    cards = cards_of(world)
    low, high = sorted(c.followers for c in cards)[2], sorted(c.followers for c in cards)[-3]
    expected = sorted(c.creator.handle for c in cards if low <= c.followers <= high)
    got = all_results(alice, {"followers_min": low, "followers_max": high})
    assert sorted(handles(got)) == expected


def test_followers_are_read_as_people_type_them(world, alice):
    # The fixture's counts are multiples of 1,000: "12k", "12,000" and "12000" are one filter.
    cards = cards_of(world)
    expected = sorted(c.creator.handle for c in cards if 4_000 <= c.followers <= 12_000)
    assert expected
    for low, high in (("4k", "12K"), ("4,000", "12,000"), ("0.004M", "12000")):
        assert sorted(handles(all_results(alice, {"followers_min": low, "followers_max": high}))) == expected
    response = alice.get(LIST, {"followers_min": "lots"})
    assert response.status_code == 400 and "followers_min" in response.json()["errors"]


@pytest.mark.parametrize("index", FILTERABLE_INDICES)
def test_index_range_filters(world, alice, index):
    cards = cards_of(world)
    values = sorted(getattr(c, index) for c in cards if getattr(c, index) is not None)
    low, high = values[1], values[-2]
    expected = sorted(c.creator.handle for c in cards if getattr(c, index) is not None and low <= getattr(c, index)
                      <= high)
    got = all_results(alice, {f"{index}_min": low, f"{index}_max": high})
    assert sorted(handles(got)) == expected
    assert all(low <= row["scores"][index] <= high for row in got)


@pytest.mark.parametrize("name", ["sales_min", "care_max", "collaboration_min"])
def test_filters_on_hidden_fields_are_rejected_and_change_nothing(world, charlie, name):
    response = charlie.get(LIST, {name: 50})
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == [name]
    assert body["detail"]


def test_impact_category_with_minimum(world, alice):
    impacts = CategoryImpact.objects.filter(run=world.run, category__slug="beauty")
    threshold = sorted(i.impact for i in impacts)[1]
    expected = sorted(i.creator.handle for i in impacts if i.impact >= threshold)
    got = all_results(alice, {"impact_category": "beauty", "impact_min": threshold})
    assert sorted(handles(got)) == expected


# --- ordering -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["followers", "-followers", "handle", "-handle", "volume", "-sales", "care"])
def test_ordering_on_visible_fields(world, alice, key):
    name = key.lstrip("-")
    results = all_results(alice, {"ordering": key})

    def value(row):
        return row[name] if name in row else row["scores"][name]

    present = [value(row) for row in results if value(row) is not None]
    assert present == sorted(present, reverse=key.startswith("-"))
    if key.startswith("-"):  # nulls sort as the lowest value: last when descending
        nulls = [value(row) is None for row in results]
        assert nulls == sorted(nulls)


def test_ordering_on_a_hidden_field_is_rejected(world, charlie):
    response = charlie.get(LIST, {"ordering": "-sales"})
    assert response.status_code == 400
    assert "ordering" in response.json()["errors"]


def test_partner_score_is_the_partners_own_ranking(world, alice):
    assert alice.get(LIST, {"ordering": "-partner_score"}).status_code == 400  # no weights yet
    PartnerWeights.objects.create(partner=world.partner_a, volume=3, effectiveness=1, consistency=1, care=0,
                                  collaboration=0, sales=0)
    results = all_results(alice, {"ordering": "-partner_score"})
    scores = [row["partner_score"] for row in results]
    assert scores == sorted(scores, reverse=True)
    row = results[0]
    s = row["scores"]
    expected = (3 * s["volume"] + s["effectiveness"] + s["consistency"]) / 5
    assert row["partner_score"] == pytest.approx(expected)


# --- pagination -----------------------------------------------------------------------------------------------


def test_pages_cover_the_list_once(world, alice):
    first = alice.get(LIST, {"page_size": 3}).json()
    assert first["count"] == len(world.handles_a)
    assert first["previous"] is None
    seen = handles(first["results"])
    body = first
    while body["next"]:
        assert "cursor=" in body["next"]
        body = alice.get(body["next"]).json()
        seen += handles(body["results"])
    assert seen == handles(all_results(alice))
    # Jumping straight to a page gives the same rows as reaching it through `next`.
    assert handles(alice.get(LIST, {"page_size": 3, "page": 2}).json()["results"]) == seen[3:6]


def test_page_size_is_capped(world, alice, settings):
    settings.API_MAX_PAGE_SIZE = 5
    body = alice.get(LIST, {"page_size": 1000}).json()
    assert len(body["results"]) == 5
    assert parse_qs(urlparse(body["next"]).query)["page_size"] == ["1000"]


def test_out_of_range_and_malformed_pages(world, alice):
    assert alice.get(LIST, {"page": 99}).status_code == 404
    response = alice.get(LIST, {"page": "x"})
    assert response.status_code == 400
    assert "page" in response.json()["errors"]


def test_list_query_count_is_bounded(world, alice, django_assert_max_num_queries):
    # Token/session user + access (3), published run, category lookup, count (cached per run revision after
    # the first request), page, audit insert: 7, independent of the page size.
    with django_assert_max_num_queries(7):
        alice.get(LIST, {"page_size": 200, "category": "beauty"})


# --- roles and access -----------------------------------------------------------------------------------------


def test_anonymous_gets_401(world):
    response = APIClient().get(LIST)
    assert response.status_code == 401
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("persona", ["bob", "dana", "sam"])
def test_viewers_non_members_and_staff_get_403_on_partner_endpoints(world, persona):
    client = api_client(world.users[persona])
    for url in (LIST, "/api/v1/categories/", f"/api/v1/creators/{world.handles_a[0]}/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert set(response.json()) == {"detail"}


def test_partner_parameter_never_switches_the_partner(world, alice):
    # Not a parameter of the list: a 400 naming it (DESIGN 7), never partner B's creators.
    response = alice.get(LIST, {"partner": world.partner_b.pk, "partner_id": world.partner_b.pk})
    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["partner", "partner_id"]


def test_every_list_call_is_audited_with_its_row_count(world, alice):
    alice.get(LIST, {"category": "beauty"})
    event = AuditEvent.objects.filter(user=world.users["alice"]).latest("id")
    assert event.action == "creator.list"
    assert event.row_count == len(world.handles_in("beauty"))
    assert event.filters == {"category": "beauty"}


def test_responses_are_never_cached(world, alice):
    for url in (LIST, "/api/v1/categories/"):
        assert "no-store" in alice.get(url)["Cache-Control"]


# --- categories -----------------------------------------------------------------------------------------------


def test_categories_are_the_visible_ones(world, alice, charlie):
    assert alice.get("/api/v1/categories/").json() == [
        {"slug": "beauty", "name": "Beauty"},
        {"slug": "fashion", "name": "Fashion"},
    ]
    assert [c["slug"] for c in charlie.get("/api/v1/categories/").json()] == ["electronics", "gaming"]
