"""``/api/v1/saved-searches/`` (DESIGN 7): CRUD, sharing, 404 across partners, validation, the hidden-field rule."""

from __future__ import annotations

import pytest
from django.test import Client

from partners.choices import AuditAction, AuditOutcome, Role
from partners.models import AuditEvent, SavedSearch
from tests.conftest import World, make_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/saved-searches/"


def post(client: Client, body: dict):
    return client.post(URL, body, content_type="application/json")


def patch(client: Client, pk: int, body: dict):
    return client.patch(f"{URL}{pk}/", body, content_type="application/json")


@pytest.fixture
def ann_client(world: World) -> Client:
    """A second analyst of partner A (a colleague of Alice's)."""
    client = Client()
    client.force_login(make_user("ann", partner=world.partner_a, role=Role.ANALYST))
    return client


def test_create_read_update_delete(world, alice_client):
    response = post(alice_client, {"name": "Beauty", "filters": {"category": "beauty", "overall_min": 10}})
    assert response.status_code == 201, response.json()
    body = response.json()
    expected_count = sum(1 for h in world.handles_in("beauty"))
    assert body["filters"] == {"category": "beauty", "overall_min": "10"}
    assert body["shared"] is False and body["subscribed"] is False and body["editable"] is True
    assert body["owner"] == "alice" and body["new_since_seen"] == 0 and body["dropped_filters"] == []
    assert body["count"] <= expected_count and body["count_more"] is False
    assert body["list_url"] == "/creators/?category=beauty&overall_min=10"
    assert body["creators_url"] == "/api/v1/creators/?category=beauty&overall_min=10"
    # The count is the creator list's own count for the same filters.
    assert alice_client.get(body["creators_url"]).json()["count"] == body["count"]
    pk = body["id"]
    assert [item["id"] for item in alice_client.get(URL).json()] == [pk]
    assert alice_client.get(f"{URL}{pk}/").json()["name"] == "Beauty"

    changed = patch(alice_client, pk, {"name": "Fashion", "filters": {"category": "fashion"}, "shared": True,
                                      "subscribed": True})
    assert changed.status_code == 200, changed.json()
    assert {k: changed.json()[k] for k in ("name", "filters", "shared", "subscribed")} == {
        "name": "Fashion", "filters": {"category": "fashion"}, "shared": True, "subscribed": True,
    }
    assert changed.json()["count"] == len(world.handles_in("fashion"))
    assert alice_client.delete(f"{URL}{pk}/").status_code == 204
    assert not SavedSearch.objects.exists()
    actions = AuditEvent.objects.filter(user=world.users["alice"], path__startswith=URL).values_list(
        "action", flat=True
    )
    assert AuditAction.SAVED_SEARCH_CHANGE in actions and AuditAction.SAVED_SEARCH_LIST in actions


def test_a_colleagues_shared_search_is_read_only_but_for_subscribing(world, alice_client, ann_client):
    shared = post(alice_client, {"name": "Shared", "filters": {"category": "beauty"}, "shared": True}).json()
    private = post(alice_client, {"name": "Private", "filters": {}}).json()
    listed = ann_client.get(URL).json()
    assert [item["name"] for item in listed] == ["Shared"] and listed[0]["editable"] is False
    assert patch(ann_client, shared["id"], {"name": "Mine now"}).status_code == 403
    assert ann_client.delete(f"{URL}{shared['id']}/").status_code == 403
    subscribed = patch(ann_client, shared["id"], {"subscribed": True})
    assert subscribed.status_code == 200 and subscribed.json()["subscribed"] is True
    assert alice_client.get(f"{URL}{shared['id']}/").json()["subscribed"] is False  # per user
    assert ann_client.get(f"{URL}{private['id']}/").status_code == 404
    assert SavedSearch.objects.get(pk=shared["id"]).name == "Shared"


def test_another_partners_search_is_a_404(world, alice_client, charlie_client):
    pk = post(alice_client, {"name": "A", "filters": {}, "shared": True}).json()["id"]
    assert charlie_client.get(f"{URL}{pk}/").status_code == 404
    assert patch(charlie_client, pk, {"subscribed": True}).status_code == 404
    assert charlie_client.delete(f"{URL}{pk}/").status_code == 404
    assert charlie_client.get(URL).json() == []
    assert AuditEvent.objects.filter(user=world.users["charlie"], outcome=AuditOutcome.DENIED).count() == 3
    assert SavedSearch.objects.filter(pk=pk).exists()


def test_unknown_invalid_and_hidden_filters_are_rejected(world, alice_client, charlie_client):
    response = post(alice_client, {"name": "x", "filters": {"bogus": "1", "overall_min": "lots"}})
    assert response.status_code == 400
    errors = response.json()["errors"]["filters"]
    assert any("bogus" in e for e in errors) and any("overall_min" in e for e in errors)
    hidden = post(charlie_client, {"name": "x", "filters": {"care_min": 40}})
    assert hidden.status_code == 400 and "not available to your organisation" in str(hidden.json())
    assert post(alice_client, {"name": "x", "filters": ["category"]}).status_code == 400
    assert post(alice_client, {"name": "x", "filters": {"category": ["a", "b"]}}).status_code == 400
    assert post(alice_client, {"name": "", "filters": {}}).status_code == 400
    assert post(alice_client, {"name": "x", "filters": {}, "colour": "red"}).status_code == 400
    assert post(alice_client, {"name": "dup", "filters": {}}).status_code == 201
    duplicate = post(alice_client, {"name": "DUP", "filters": {}})
    assert duplicate.status_code == 400 and "already have a saved search" in str(duplicate.json())
    assert SavedSearch.objects.count() == 1


def test_a_lost_tier_shows_the_dropped_filter(world, alice_client):
    pk = post(alice_client, {"name": "Sales", "filters": {"sales_min": 30, "ordering": "-sales"}}).json()["id"]
    world.grant_a.commercial = False
    world.grant_a.save()
    body = alice_client.get(f"{URL}{pk}/").json()
    assert body["filters"] == {}
    assert [(d["name"], d["value"]) for d in body["dropped_filters"]] == [("sales_min", "30"), ("ordering", "-sales")]
    assert body["count"] == len(world.handles_a)
    # New filters clear the note.
    again = patch(alice_client, pk, {"filters": {"overall_min": 1}}).json()
    assert again["dropped_filters"] == [] and again["filters"] == {"overall_min": "1"}


def test_viewers_keep_searches_on_the_pages_not_the_api(world, bob_client):
    # DESIGN 1: the API is for analysts and managers (partners.choices.API_ROLES).
    assert bob_client.get(URL).status_code == 403
    assert post(bob_client, {"name": "x", "filters": {}}).status_code == 403


def test_the_schema_documents_the_endpoints(world, alice_client):
    schema = alice_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/saved-searches/"])
    assert {"get", "patch", "delete"} <= set(schema["paths"]["/api/v1/saved-searches/{id}/"])
    fields = schema["components"]["schemas"]["SavedSearch"]["properties"]
    assert {"name", "filters", "shared", "count", "new_since_seen", "subscribed"} <= set(fields)
