"""``POST``/``DELETE /api/v1/auth/token/``: who gets a token, and revocation by the user and by staff."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from partners.choices import Role
from partners.models import Membership
from tests.conftest import PERSONA_PASSWORD

TOKEN = "/api/v1/auth/token/"
LIST = "/api/v1/creators/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    caches["throttle"].clear()
    yield
    caches["throttle"].clear()


def obtain(username: str, password: str = PERSONA_PASSWORD):
    return APIClient().post(TOKEN, {"username": username, "password": password}, format="json")


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_an_analyst_obtains_a_token_and_uses_it(world):
    response = obtain("alice")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = response.json()["token"]
    assert Token.objects.get(user=world.users["alice"]).key == key
    listed = with_token(key).get(LIST)
    assert listed.status_code == 200
    assert listed.json()["count"] == len(world.handles_a)
    # Asking again gives the same token (one per user) until it is revoked.
    assert obtain("alice").json()["token"] == key


def test_a_manager_obtains_a_token(world):
    Membership.objects.filter(user=world.users["alice"]).update(role=Role.MANAGER)
    assert obtain("alice").status_code == 200


@pytest.mark.parametrize("persona", ["bob", "dana"])
def test_viewers_and_users_without_a_partner_are_refused(world, persona):
    response = obtain(persona)
    assert response.status_code == 403
    assert set(response.json()) == {"detail"}
    assert not Token.objects.filter(user=world.users[persona]).exists()


def test_staff_obtain_a_token_for_the_staff_endpoints(world):
    key = obtain("sam").json()["token"]
    assert with_token(key).get("/api/v1/scoring-runs/999999/").status_code == 404
    assert with_token(key).get(LIST).status_code == 403  # staff are not partners


def test_wrong_password_is_a_400_with_a_message(world):
    response = obtain("alice", "wrong-password")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == {"non_field_errors": ["Unable to log in with the provided credentials."]}
    assert not Token.objects.filter(user=world.users["alice"]).exists()


def test_missing_fields_are_named(world):
    response = APIClient().post(TOKEN, {"username": "alice"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["password"]


def test_repeated_failures_lock_the_username_out(world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        obtain("alice", "wrong-password")
    # Even the right password is refused while locked out.
    response = obtain("alice")
    assert response.status_code in (403, 429)
    assert not Token.objects.filter(user=world.users["alice"]).exists()


def test_the_user_revokes_their_token(world):
    key = obtain("alice").json()["token"]
    client = with_token(key)
    response = client.delete(TOKEN)
    assert response.status_code == 204
    assert client.get(LIST).status_code == 401
    # A new one can be obtained, and it differs.
    assert obtain("alice").json()["token"] != key


def test_revoking_needs_authentication(world):
    assert APIClient().delete(TOKEN).status_code == 401


def test_staff_revoke_a_token_in_the_admin(world, sam_client):
    key = obtain("alice").json()["token"]
    alice = world.users["alice"]
    # DRF's token admin addresses a token by its user's id.
    url = f"/admin/authtoken/tokenproxy/{alice.pk}/delete/"
    assert sam_client.get(url).status_code == 200
    assert sam_client.post(url, {"post": "yes"}).status_code == 302
    assert with_token(key).get(LIST).status_code == 401


def test_a_demoted_users_token_stops_opening_partner_data(world):
    key = obtain("alice").json()["token"]
    Membership.objects.filter(user=world.users["alice"]).update(role=Role.VIEWER)
    assert with_token(key).get(LIST).status_code == 403


def test_an_expired_grant_closes_the_api_on_the_next_request(world):
    from django.utils import timezone

    key = obtain("alice").json()["token"]
    client = with_token(key)
    assert client.get(LIST).status_code == 200
    world.grant_a.valid_until = timezone.now()
    world.grant_a.save()
    assert client.get(LIST).status_code == 403


def test_a_deactivated_user_token_is_refused(world):
    key = obtain("alice").json()["token"]
    world.users["alice"].is_active = False
    world.users["alice"].save()
    assert with_token(key).get(LIST).status_code == 401


NEW_PASSWORD = "a-new-pass-9137-qrs"


def test_a_password_changed_by_the_user_ends_the_token(world, alice_client):
    key = obtain("alice").json()["token"]
    response = alice_client.post(
        "/accounts/password_change/",
        {"old_password": PERSONA_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert with_token(key).get(LIST).status_code == 401
    fresh = obtain("alice", NEW_PASSWORD).json()["token"]
    assert fresh != key and with_token(fresh).get(LIST).status_code == 200


def test_a_password_set_by_staff_in_the_admin_ends_the_token(world, sam_client):
    key = obtain("alice").json()["token"]
    alice = world.users["alice"]
    response = sam_client.post(
        f"/admin/auth/user/{alice.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert with_token(key).get(LIST).status_code == 401


def test_a_password_set_by_command_ends_the_token_and_other_saves_keep_it(world):
    key = obtain("alice").json()["token"]
    alice = world.users["alice"]
    alice.first_name = "Alice"
    alice.save()  # a save that keeps the password keeps the token
    assert with_token(key).get(LIST).status_code == 200
    alice.set_password(NEW_PASSWORD)
    alice.save()  # what `manage.py changepassword` and partner_user_upsert do
    assert with_token(key).get(LIST).status_code == 401
