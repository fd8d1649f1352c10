"""Login pages, lockout (audited), idle and absolute session expiry, no-store."""

from __future__ import annotations

import time

import pytest
from django.test import Client, override_settings

from partners.choices import AuditAction, AuditOutcome
from partners.middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY
from partners.models import AuditEvent
from tests.conftest import PERSONA_PASSWORD

pytestmark = pytest.mark.urls("tests.partners.urls_with_samples")


def login(client: Client, username: str, password: str, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def test_the_login_page_renders_with_labels(db):
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">' in html and '<label for="id_password">' in html
    assert "csrfmiddlewaretoken" in html


def test_a_partner_user_logs_in_and_lands_on_the_dashboard(world):
    client = Client()
    response = login(client, "alice", PERSONA_PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/sample/creators/").status_code == 200


def test_a_wrong_password_shows_an_error_without_saying_which_part_was_wrong(world):
    response = login(Client(), "alice", "wrong")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_username_from_that_address_and_are_audited(world):
    client = Client(REMOTE_ADDR="10.0.0.7")
    assert [login(client, "alice", "wrong").status_code for _ in range(3)] == [200, 200, 429]
    locked = login(client, "alice", PERSONA_PASSWORD)  # even the right password, while locked
    assert locked.status_code == 429
    assert "temporarily locked" in locked.content.decode()
    events = AuditEvent.objects.filter(action=AuditAction.LOGIN_LOCKOUT)
    assert {(e.username, e.outcome, e.client_address) for e in events} == {("alice", AuditOutcome.DENIED, "10.0.0.7")}
    assert events.count() == 2  # one per refused attempt
    # The lock is per username and address: the same user from elsewhere, and others from here, still log in.
    assert login(Client(REMOTE_ADDR="10.0.0.8"), "alice", PERSONA_PASSWORD).status_code == 302
    assert login(Client(REMOTE_ADDR="10.0.0.7"), "bob", PERSONA_PASSWORD).status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_forwarded_for_header_is_not_trusted_without_a_proxy(world):
    # Without a configured proxy a client cannot escape the lock by inventing X-Forwarded-For addresses.
    for n in range(3):
        login(Client(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"), "alice", "wrong")
    response = login(Client(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="192.0.2.99"), "alice", PERSONA_PASSWORD)
    assert response.status_code == 429


def _age_session(client: Client, *, started_ago: float, seen_ago: float) -> None:
    session = client.session
    now = time.time()
    session[SESSION_STARTED_KEY] = now - started_ago
    session[SESSION_SEEN_KEY] = now - seen_ago
    session.save()


@override_settings(SESSION_IDLE_SECONDS=600)
def test_an_idle_session_is_logged_out(world, alice_client):
    assert alice_client.get("/sample/creators/").status_code == 200
    _age_session(alice_client, started_ago=700, seen_ago=601)
    response = alice_client.get("/sample/creators/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@override_settings(SESSION_IDLE_SECONDS=600, SESSION_COOKIE_AGE=3600)
def test_an_active_session_still_ends_at_its_absolute_lifetime(world, alice_client):
    alice_client.get("/sample/creators/")
    _age_session(alice_client, started_ago=3000, seen_ago=10)
    assert alice_client.get("/sample/creators/").status_code == 200
    _age_session(alice_client, started_ago=3601, seen_ago=10)
    assert alice_client.get("/sample/creators/").status_code == 302


@override_settings(SESSION_IDLE_SECONDS=600)
def test_activity_keeps_a_session_alive(world, alice_client):
    alice_client.get("/sample/creators/")
    _age_session(alice_client, started_ago=500, seen_ago=500)
    assert alice_client.get("/sample/creators/").status_code == 200
    assert time.time() - alice_client.session[SESSION_SEEN_KEY] < 5


@pytest.mark.parametrize("path", ["/sample/creators/", "/sample/creators/beauty_1/", "/accounts/password_change/"])
def test_partner_pages_are_never_cached(world, alice_client, path):
    response = alice_client.get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_404s_for_authenticated_users_are_not_cached_either(world, dana_client):
    response = dana_client.get("/sample/creators/")
    assert response.status_code == 404 and "no-store" in response["Cache-Control"]


NEW_PASSWORD = "a-new-long-pass-9173"


def test_password_change_works(world, bob_client):
    response = bob_client.post(
        "/accounts/password_change/",
        {"old_password": PERSONA_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/password_change/done/"
    assert bob_client.get("/accounts/password_change/done/").status_code == 200
    assert login(Client(), "bob", NEW_PASSWORD).status_code == 302


def test_logout_is_a_post_and_ends_the_session(world, alice_client):
    # A GET only shows the confirmation page (the header links to it): it does not log out.
    assert alice_client.get("/accounts/logout/").status_code == 200
    assert alice_client.get("/sample/creators/").status_code == 200
    assert alice_client.post("/accounts/logout/").status_code == 302
    assert alice_client.get("/sample/creators/").status_code == 302
