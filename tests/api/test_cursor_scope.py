"""A signed ``next`` cursor carries its count only to requests of the same access scope (issue 17 item 5)."""

from __future__ import annotations

import pytest

from tests.api.test_creators import LIST, api_client

pytestmark = pytest.mark.django_db


def _first_page(client, **params):
    response = client.get(LIST, {"page_size": 3, **params})
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_next_link_followed_by_another_partner_gives_that_partners_count(world):
    # Partner B sees more creators than partner A: its own two categories and "travel".
    world.grant_b.categories.add(world.categories["travel"])
    alice, charlie = api_client(world.users["alice"]), api_client(world.users["charlie"])
    a_page = _first_page(alice)
    assert a_page["count"] == len(world.handles_a)
    b_count = len(world.handles_b) + len(world.handles_nobody)
    assert b_count != a_page["count"]

    followed = charlie.get(a_page["next"]).json()
    assert followed["count"] == b_count == _first_page(charlie)["count"]
    assert {row["handle"] for row in followed["results"]} <= set(world.handles_b + world.handles_nobody)
    # The partner's own cursor still carries its count (no recount on the next page).
    assert alice.get(a_page["next"]).json()["count"] == a_page["count"]


def test_a_grant_changed_since_the_cursor_gives_the_new_count(world):
    alice = api_client(world.users["alice"])
    page = _first_page(alice)
    world.grant_a.categories.add(world.categories["travel"])
    assert alice.get(page["next"]).json()["count"] == len(world.handles_a) + len(world.handles_nobody)
