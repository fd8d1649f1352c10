"""Dashboard forms return to the page they came from (``next``), never to another site (partners.views.safe_next)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("target", ["https://evil.example/creators/", "//evil.example/", "javascript:alert(1)"])
def test_a_follow_never_redirects_off_site(world, alice_client, target):
    handle = world.handles_a[0]
    response = alice_client.post(f"/creators/{handle}/follow/", {"following": "1", "next": target})
    assert response.status_code == 302
    assert response["Location"] == f"/creators/{handle}/"


def test_a_follow_returns_to_a_page_of_this_site(world, alice_client):
    handle = world.handles_a[0]
    back = "/creators/?category=beauty"
    response = alice_client.post(f"/creators/{handle}/follow/", {"following": "1", "next": back})
    assert response["Location"] == back
