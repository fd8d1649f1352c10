"""The two base classes: login, 404 without access, audit of every read and denial, no-store, next-request expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from partners.choices import AuditAction, AuditOutcome, Role
from partners.models import AccessGrant, AuditEvent, Membership
from tests.conftest import make_creators, make_scorecards

pytestmark = pytest.mark.urls("tests.partners.urls_with_samples")

LIST = "/sample/creators/"
API_LIST = "/sample/api/creators/"


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_anonymous_users_are_sent_to_the_login_page(world):
    response = Client().get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["dana", "sam"])
def test_users_without_access_get_404_and_a_denied_event(world, persona, request):
    client = request.getfixturevalue(f"{persona}_client")
    response = client.get(LIST)
    assert response.status_code == 404
    event = AuditEvent.objects.get(username=persona)
    assert event.outcome == AuditOutcome.DENIED and event.action == AuditAction.ACCESS_DENIED


def test_a_list_is_audited_once_with_filters_and_row_count(world, alice_client):
    response = alice_client.get(LIST, {"category": "beauty", "overall_min": "10"})
    assert response.status_code == 200
    assert no_store(response)
    event = AuditEvent.objects.get()
    assert (event.username, event.partner_name, event.action) == ("alice", "Acme Beauty", AuditAction.CREATOR_LIST)
    assert event.filters == {"category": "beauty", "overall_min": "10"}
    assert event.row_count == response.json()["count"]
    assert event.client_address == "127.0.0.1"


def test_a_scorecard_view_is_audited_with_the_handle(world, alice_client):
    response = alice_client.get("/sample/creators/BEAUTY_1/")
    assert response.status_code == 200 and response.json()["handle"] == "beauty_1"
    assert AuditEvent.objects.get().object_handle == "beauty_1"


def test_an_invisible_creator_answers_like_a_missing_one_and_is_recorded(world, alice_client):
    hidden = alice_client.get("/sample/creators/gaming_1/")
    missing = alice_client.get("/sample/creators/no_such_creator/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    # Both recorded alike (the trail is no existence oracle either).
    events = list(AuditEvent.objects.order_by("pk").values_list("object_handle", "outcome"))
    assert events == [("gaming_1", AuditOutcome.DENIED), ("no_such_creator", AuditOutcome.DENIED)]


def test_expiry_takes_effect_on_the_next_request(world, alice_client):
    assert alice_client.get("/sample/creators/beauty_1/").status_code == 200
    AccessGrant.objects.filter(pk=world.grant_a.pk).update(valid_until=timezone.now() - timedelta(seconds=1),
                                                           valid_from=timezone.now() - timedelta(days=2))
    assert alice_client.get("/sample/creators/beauty_1/").status_code == 404


def test_revocation_and_removal_take_effect_on_the_next_request(world, alice_client, charlie_client):
    assert alice_client.get(LIST).status_code == 200
    AccessGrant.objects.filter(pk=world.grant_a.pk).update(revoked_at=timezone.now())
    assert alice_client.get(LIST).status_code == 404
    assert charlie_client.get(LIST).status_code == 200
    Membership.objects.filter(user=world.users["charlie"]).delete()
    assert charlie_client.get(LIST).status_code == 404


def test_partner_parameters_cannot_switch_partner(world, alice_client):
    response = alice_client.get(LIST, {"partner": world.partner_b.pk, "partner_id": world.partner_b.pk})
    handles = {row["handle"] for row in response.json()["rows"]}
    assert handles == set(world.handles_a)


def test_hidden_filter_reports_an_error_and_keeps_the_rows(world, charlie_client):
    baseline = charlie_client.get(LIST).json()["rows"]
    body = charlie_client.get(LIST, {"sales_min": "90", "ordering": "-care"}).json()
    assert set(body["errors"]) == {"sales_min", "ordering"}
    assert body["rows"] == baseline


def test_export_capability_is_404_for_viewers(world, alice_client, bob_client):
    assert alice_client.get("/sample/export/").status_code == 200
    assert bob_client.get("/sample/export/").status_code == 404


# session, user with its membership, partner and weights (partners.backends.MemberBackend), the grants with their
# categories and creators, published run, category choice, rows, count, audit insert. The session write of the
# activity stamp happens at most every 30 s.
LIST_QUERIES = 8


def test_restricted_list_query_count_is_pinned(world, alice_client, django_assert_max_num_queries):
    alice_client.get(LIST)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = alice_client.get(LIST, {"category": "beauty", "ordering": "-volume"})
    assert response.status_code == 200


def test_query_count_does_not_grow_with_rows(world, alice_client, django_assert_max_num_queries):
    more = make_creators({"beauty": world.categories["beauty"]}, 30, prefix="more")
    make_scorecards(world.run, more)
    alice_client.get(LIST)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = alice_client.get(LIST, {"category": "beauty"})
    assert len(response.json()["rows"]) == 34


# --- API base --------------------------------------------------------------------------------------------------


def api_client(world, persona: str) -> Client:
    token = Token.objects.create(user=world.users[persona])
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def test_api_list_is_restricted_audited_and_not_cached(world):
    response = api_client(world, "charlie").get(API_LIST, {"ordering": "-overall"})
    assert response.status_code == 200
    assert no_store(response)
    assert {row["handle"] for row in response.json()["results"]} == set(world.handles_b)
    event = AuditEvent.objects.get()
    assert (event.username, event.action, event.row_count) == ("charlie", AuditAction.CREATOR_LIST, 8)


def test_api_rejects_hidden_filters_with_400(world):
    response = api_client(world, "charlie").get(API_LIST, {"sales_min": "1"})
    assert response.status_code == 400
    body = response.json()
    # DRF's plain body, or the project's {"detail", "errors"} shape once the API's error handler is installed.
    assert "sales_min" in body.get("errors", body)
    assert AuditEvent.objects.get().outcome == AuditOutcome.ERROR


@pytest.mark.parametrize("persona", ["bob", "dana", "sam"])
def test_api_refuses_viewers_and_non_partners(world, persona):
    response = api_client(world, persona).get(API_LIST)
    assert response.status_code == 403
    assert no_store(response)
    assert AuditEvent.objects.get().outcome == AuditOutcome.DENIED


def test_api_refuses_anonymous_callers(world):
    response = Client().get(API_LIST)
    assert response.status_code in (401, 403)
    assert not AuditEvent.objects.exists()


def test_api_detail_of_an_invisible_creator_is_one_denied_event(world):
    client = api_client(world, "alice")
    assert client.get("/sample/api/creators/gaming_2/").status_code == 404
    event = AuditEvent.objects.get()
    assert (event.object_handle, event.outcome) == ("gaming_2", AuditOutcome.DENIED)


def test_api_categories_are_restricted_by_the_base_queryset(world):
    response = api_client(world, "alice").get("/sample/api/categories/")
    assert sorted(response.json()["results"]) == ["beauty", "fashion"]


def test_api_role_change_takes_effect_on_the_next_request(world):
    client = api_client(world, "alice")
    assert client.get(API_LIST).status_code == 200
    Membership.objects.filter(user=world.users["alice"]).update(role=Role.VIEWER)
    assert client.get(API_LIST).status_code == 403
