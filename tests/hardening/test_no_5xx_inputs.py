"""Hostile inputs found by the probe (issue 17 item 3): each answered 500; each must answer 4xx or an empty
result, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json

import pytest
from rest_framework.test import APIClient

from partners.choices import Role
from partners.models import Membership, Shortlist
from tests.conftest import PERSONA_PASSWORD

pytestmark = pytest.mark.django_db

HUGE = "9" * 40


def _token_client(username: str = "alice") -> APIClient:
    client = APIClient()
    key = client.post("/api/v1/auth/token/", {"username": username, "password": PERSONA_PASSWORD}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.mark.parametrize("path", ["/creators/", "/creators/export.csv"])
def test_a_40_digit_followers_bound_is_a_400_on_the_pages(world, alice_client, path):
    response = alice_client.get(path, {"followers_min": HUGE})
    assert response.status_code == 400
    assert "Enter at most 9,223,372,036,854,775,807 followers." in response.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/creators/", "/api/v1/creators/export.csv"])
def test_a_40_digit_followers_bound_is_a_400_in_the_api(world, path):
    response = _token_client().get(path, {"followers_min": HUGE})
    assert response.status_code == 400
    assert "followers_min" in response.json()["errors"]


def _shortlist(world) -> Shortlist:
    return Shortlist.objects.create(partner=world.partner_a, name="Picks", created_by=world.users["alice"])


@pytest.mark.parametrize("value", ["²", "abc", "-1", HUGE])
def test_adding_to_a_shortlist_that_is_not_an_id_is_a_400(world, alice_client, value):
    _shortlist(world)
    response = alice_client.post("/shortlists/add/", {"shortlist": value, "handle": world.handles_a[0]})
    assert response.status_code == 400


@pytest.mark.parametrize("value", ["abc", "", "²", HUGE])
def test_removing_an_entry_that_is_not_an_id_is_a_400(world, alice_client, value):
    shortlist = _shortlist(world)
    for action in ("remove", "note"):
        response = alice_client.post(f"/shortlists/{shortlist.pk}/", {"action": action, "entry": value})
        assert response.status_code == 400


def _forged_cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize("path", ["/creators/", "/creators/?ordering=followers"])
def test_a_forged_cursor_with_a_huge_integer_is_not_a_5xx(world, alice_client, path):
    forged = [_forged_cursor({"v": [2**70] * n, "b": False}) for n in range(1, 5)]
    forged += [_forged_cursor({"v": [1e308 * 10, 2**70], "b": True}), "%%%"]
    for cursor in forged:
        response = alice_client.get(path, {"cursor": cursor})
        assert response.status_code < 500


def test_a_forged_api_cursor_with_a_huge_integer_is_not_a_5xx(world):
    client = _token_client()
    for cursor in ([_forged_cursor({"v": [2**70] * n, "b": False}) for n in range(1, 5)] + ["!!", HUGE]):
        assert client.get("/api/v1/creators/", {"cursor": cursor}).status_code < 500


@pytest.mark.parametrize(
    "path, params",
    [
        ("/creators/compare/", {"handles": "a\x00b,c"}),
        ("/creators/", {"q": "a\x00b"}),
        ("/creators/", {"category": "x\x00"}),
        ("/partner/audit/", {"handle": "a\x00b"}),
        ("/partner/audit/", {"user": "a\x00b", "action": "x\x00"}),
    ],
)
def test_a_nul_byte_in_a_parameter_is_not_a_5xx(world, alice_client, path, params):
    Membership.objects.filter(user=world.users["alice"]).update(role=Role.MANAGER)  # the audit trail's reader
    assert alice_client.get(path, params).status_code < 500


def test_a_nul_byte_in_a_handle_is_a_404(world, alice_client):
    assert alice_client.get("/creators/a%00b/").status_code == 404
    assert _token_client().get("/api/v1/creators/a%00b/").status_code == 404


def test_an_overlong_username_for_a_token_is_a_400(world):
    response = APIClient().post("/api/v1/auth/token/", {"username": "u" * 100_000, "password": "x"}, format="json")
    assert response.status_code == 400


def test_a_post_to_an_unknown_api_path_is_the_apis_json_404(world):
    response = _token_client().post("/api/v1/no-such-thing/", {"a": 1}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    anonymous = APIClient(enforce_csrf_checks=True).post("/api/v1/no-such-thing/", {"a": 1}, format="json")
    assert anonymous.status_code == 404 and anonymous["Content-Type"].startswith("application/json")
