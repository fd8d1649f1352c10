"""Changes and growth through the access door (issue 19 part 4): the list, the scorecard, compare, the API and the
exports show each visible index's change and nothing of a hidden tier; sorting and filtering by change use the
one FilterSet; a grant that loses a tier loses those changes everywhere.

The world's published run gets a compared run (an earlier published run) and hand-made changes: values that
can be checked by eye, some null (a creator new since the earlier run, an index null in one run).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from scoring.catalogue import CHANGE_FIELDS
from scoring.choices import RunStatus
from scoring.models import Scorecard, ScoringRun
from tests.export_helpers import body_of, csv_rows, xlsx_table

pytestmark = pytest.mark.django_db

LIST = "/api/v1/creators/"
PERFORMANCE = ("overall", "volume", "effectiveness", "consistency")
COMMERCIAL = ("collaboration", "care", "sales")


def _change_of(n: int, index: str) -> float | None:
    """The hand-made change of the n-th creator (by handle) on ``index``: every index a different signed value;
    the first creator is new (no change at all), sales is null for every third."""
    if n == 0 or (index == "sales" and n % 3 == 0):
        return None
    return round(((n * 7 + len(index) * 3) % 23 - 11) * 0.5, 1)


@pytest.fixture
def changes(world) -> dict[str, dict[str, float | None]]:
    """Give the world's run a compared run and hand-made changes; the expected changes by handle and index."""
    earlier = ScoringRun.objects.create(
        as_of=world.run.as_of - timedelta(days=7), status=RunStatus.SUCCEEDED, triggered_by="test",
        published_at=timezone.now() - timedelta(days=7),
    )
    ScoringRun.objects.filter(pk=world.run.pk).update(compared_run=earlier)
    expected = {}
    cards = Scorecard.objects.filter(run=world.run).select_related("creator").order_by("creator__handle")
    for n, card in enumerate(cards):
        values = {index: _change_of(n, index) for index in CHANGE_FIELDS}
        for index, value in values.items():
            setattr(card, CHANGE_FIELDS[index], value)
        card.is_new = n == 0
        card.followers_previous = None if n == 0 else (card.followers or 0) - 100 * n
        card.videos_previous, card.views_previous = card.videos - 2, card.views // 2
        card.save()
        expected[card.creator.handle] = values
    return expected


def _words(value: float | None) -> str:
    """What a screen reader hears for a change (creators.formatting.change_words), written out by hand."""
    if value is None:
        return ""
    return "unchanged" if abs(value) < 0.05 else f"{'up' if value > 0 else 'down'} {abs(value):.1f} points"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def all_results(client: APIClient, params: dict | None = None) -> list[dict]:
    response = client.get(LIST, {**(params or {}), "page_size": 200})
    assert response.status_code == 200, response.json()
    return response.json()["results"]


# --- API ------------------------------------------------------------------------------------------------------
def test_each_list_result_carries_the_change_of_each_visible_index(world, changes):
    for user, indices in (("alice", PERFORMANCE + COMMERCIAL), ("charlie", PERFORMANCE)):
        results = all_results(api(world.users[user]))
        assert results
        for row in results:
            assert set(row["changes"]) == set(indices), user
            assert row["changes"] == {index: changes[row["handle"]][index] for index in indices}
    first = min(world.handles_a)
    new = next(row for row in all_results(api(world.users["alice"])) if row["handle"] == first)
    assert set(new["changes"].values()) == {None}


def test_the_scorecard_carries_changes_and_growth_by_tier(world, changes):
    handle = world.handles_a[1]
    body = api(world.users["alice"]).get(f"{LIST}{handle}/").json()
    assert body["changes"] == changes[handle]
    card = Scorecard.objects.get(run=world.run, creator__handle=handle)
    rise = card.followers - card.followers_previous
    assert body["growth"]["followers"] == {
        "value": card.followers, "previous": card.followers_previous, "change": rise,
        "percent": pytest.approx(100 * rise / card.followers_previous),
    }
    assert body["growth"]["views"]["previous"] == card.views // 2
    assert body["growth"]["videos"]["change"] == 2
    # Partner B sees performance only: no commercial change; a profile-only grant sees the followers alone.
    other = world.handles_b[1]
    body = api(world.users["charlie"]).get(f"{LIST}{other}/").json()
    assert set(body["changes"]) == set(PERFORMANCE)
    assert set(body["growth"]) == {"followers", "videos", "views"}
    world.grant_b.performance = False
    world.grant_b.save()
    body = api(world.users["charlie"]).get(f"{LIST}{other}/").json()
    assert body["changes"] == {} and set(body["growth"]) == {"followers"}
    assert "videos_previous" not in str(body) and "views_previous" not in str(body)


def test_the_list_sorts_by_change_with_the_nulls_last(world, changes):
    for ordering in ("-overall_change", "care_change"):
        name = ordering.lstrip("-")
        index = name.removesuffix("_change")
        results = all_results(api(world.users["alice"]), {"ordering": ordering})
        values = [row["changes"][index] for row in results]
        present = [value for value in values if value is not None]
        # Descending: largest first, nulls last; ascending: nulls (the lowest) first.
        expected = sorted(present, reverse=ordering.startswith("-"))
        nulls = [None] * (len(values) - len(present))
        assert values == (expected + nulls if ordering.startswith("-") else nulls + expected), ordering
    assert set(changes) >= {row["handle"] for row in results}


def test_the_list_filters_by_change(world, changes):
    results = all_results(api(world.users["alice"]), {"overall_change_min": "0", "volume_change_max": "2.5"})
    expected = sorted(
        handle for handle in world.handles_a
        if changes[handle]["overall"] is not None and changes[handle]["overall"] >= 0
        and changes[handle]["volume"] is not None and changes[handle]["volume"] <= 2.5
    )
    assert sorted(row["handle"] for row in results) == expected and expected


@pytest.mark.parametrize(
    "params", [{"ordering": "-care_change"}, {"care_change_min": "1"}, {"sales_change_max": "0"}]
)
def test_a_change_of_a_hidden_tier_cannot_be_sorted_or_filtered_on(world, changes, params):
    response = api(world.users["charlie"]).get(LIST, params)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(params)


def test_an_unknown_change_parameter_is_a_400_naming_it(world, changes):
    response = api(world.users["alice"]).get(LIST, {"overall_changes_min": "1"})
    assert response.status_code == 400 and "overall_changes_min" in response.json()["errors"]
    response = api(world.users["alice"]).get(LIST, {"overall_change_min": "101"})
    assert response.status_code == 400 and "overall_change_min" in response.json()["errors"]


# --- exports ----------------------------------------------------------------------------------------------------
def test_the_exports_have_a_change_column_per_visible_index(world, changes, alice_client, charlie_client):
    rows = csv_rows(alice_client.get("/creators/export.csv", {"headers": "keys"}))
    assert rows
    for row in rows:
        for index in PERFORMANCE + COMMERCIAL:
            value = changes[row["handle"]][index]
            cell = row[CHANGE_FIELDS[index]]
            assert (None if cell == "" else float(cell)) == value, (row["handle"], index)
    rows = csv_rows(charlie_client.get("/creators/export.csv", {"headers": "keys"}))
    assert {CHANGE_FIELDS[index] for index in PERFORMANCE} <= set(rows[0])
    assert not {CHANGE_FIELDS[index] for index in COMMERCIAL} & set(rows[0])
    header = xlsx_table(body_of(charlie_client.get("/creators/export.xlsx", {"headers": "keys"})))[0]
    assert "overall_change" in header and "care_change" not in header


# --- pages --------------------------------------------------------------------------------------------------------
def test_the_list_page_shows_each_visible_change_with_words_and_the_change_filters(world, changes, charlie_client):
    page = charlie_client.get("/creators/", {"ordering": "-overall_change"}).content.decode()
    top = max(
        (changes[handle]["overall"], handle) for handle in world.handles_b if changes[handle]["overall"] is not None
    )
    assert f"+{top[0]:.1f}" in page and f"up {top[0]:.1f} points since the previous run" in page
    assert 'name="overall_change_min"' in page and 'value="-overall_change" selected' in page
    for index in COMMERCIAL:
        assert CHANGE_FIELDS[index] not in page


def test_the_scorecard_and_compare_pages_show_the_changes(world, changes, alice_client):
    handle = world.handles_a[1]
    page = alice_client.get(f"/creators/{handle}/").content.decode()
    for index, value in changes[handle].items():
        if value is not None:
            assert _words(value) in page, index
    assert 'id="growth"' in page and "Followers before" not in page  # the table says "Before", once
    page = alice_client.get("/creators/compare/", {"handles": ",".join(world.handles_a[1:3])}).content.decode()
    assert page.count('class="change change-') >= len([v for v in changes[handle].values() if v is not None])


def test_after_a_grant_loses_a_tier_its_changes_are_gone_everywhere(world, changes, alice_client):
    alice = api(world.users["alice"])
    assert "collaboration" in all_results(alice)[0]["changes"]
    world.grant_a.commercial = False
    world.grant_a.save()
    handle = world.handles_a[1]
    for row in all_results(alice):
        assert set(row["changes"]) == set(PERFORMANCE)
    assert set(alice.get(f"{LIST}{handle}/").json()["changes"]) == set(PERFORMANCE)
    assert alice.get(LIST, {"ordering": "-collaboration_change"}).status_code == 400
    header = csv_rows(alice_client.get("/creators/export.csv", {"headers": "keys"}))[0]
    assert not {CHANGE_FIELDS[index] for index in COMMERCIAL} & set(header)
    for url in ("/creators/", f"/creators/{handle}/", f"/creators/compare/?handles={handle}"):
        page = alice_client.get(url).content.decode()
        for index in COMMERCIAL:
            assert CHANGE_FIELDS[index] not in page, (url, index)
        if url == "/creators/":
            continue  # other creators' visible changes may have the same values
        # The hidden changes' values are not on the creator's own pages either (the visible ones are).
        shown = {_words(changes[handle][i]) for i in PERFORMANCE}
        for index in COMMERCIAL:
            words = _words(changes[handle][index])
            if words and words not in shown:
                assert words not in page, (url, index)
