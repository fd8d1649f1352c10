"""Follow buttons, the notifications page, the unsubscribe page and the API of follows and alerts."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from partners import alerts
from partners.choices import AlertAction, AuditAction, AuditOutcome
from partners.models import AlertSettings, AuditEvent, Follow, Notification, Shortlist, ShortlistEntry
from tests.conftest import World
from tests.partners.alert_helpers import publish_next_run

pytestmark = pytest.mark.django_db


def api_client(world: World, name: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=world.users[name])[0].key}")
    return client


def test_follow_and_unfollow_from_the_scorecard(world, bob_client):
    handle = world.handles_a[0]
    page = bob_client.get(f"/creators/{handle}/")
    assert f'aria-label="Follow @{handle}"' in page.content.decode()

    response = bob_client.post(f"/creators/{handle}/follow/", {"following": "1", "next": f"/creators/{handle}/"})
    assert response.status_code == 302 and response["Location"] == f"/creators/{handle}/"
    assert Follow.objects.filter(user=world.users["bob"], creator=world.creators[handle]).exists()
    assert f'aria-label="Stop following @{handle}"' in bob_client.get(f"/creators/{handle}/").content.decode()
    event = AuditEvent.objects.filter(action=AlertAction.FOLLOW_CHANGE).get()
    assert (event.object_handle, event.filters) == (handle, {"following": True})

    bob_client.post(f"/creators/{handle}/follow/", {"following": "0"})
    assert not Follow.objects.exists()


def test_a_hidden_creator_cannot_be_followed_and_answers_like_a_missing_one(world, bob_client):
    hidden = world.handles_b[0]
    response = bob_client.post(f"/creators/{hidden}/follow/", {"following": "1"})
    missing = bob_client.post("/creators/nobody_at_all/follow/", {"following": "1"})
    assert response.status_code == missing.status_code == 404
    assert not Follow.objects.exists()
    denied = AuditEvent.objects.filter(action=AuditAction.CREATOR_VIEW, outcome=AuditOutcome.DENIED)
    assert sorted(denied.values_list("object_handle", flat=True)) == sorted([hidden, "nobody_at_all"])


def test_the_list_has_a_follow_star_per_row_that_shows_the_state(world, alice_client):
    followed = world.handles_a[0]
    Follow.objects.create(user=world.users["alice"], creator=world.creators[followed])
    html = alice_client.get("/creators/").content.decode()
    assert f'aria-label="Stop following @{followed}"' in html
    assert f'aria-label="Follow @{world.handles_a[1]}"' in html
    assert 'id="follow-form"' in html
    response = alice_client.post(f"/creators/{world.handles_a[1]}/follow/", {"following": "1", "next": "/creators/"})
    assert response["Location"] == "/creators/"
    assert Follow.objects.filter(user=world.users["alice"]).count() == 2


def test_a_shortlist_entry_has_a_follow_button(world, alice_client):
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Spring")
    handle = world.handles_a[0]
    ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators[handle])
    html = alice_client.get(f"/shortlists/{shortlist.pk}/").content.decode()
    assert f'aria-label="Follow @{handle}"' in html


def test_the_notifications_page_shows_the_digest_and_marks_it_read(world, alice_client):
    handle = world.handles_a[0]
    Follow.objects.create(user=world.users["alice"], creator=world.creators[handle])
    run = publish_next_run(world, {handle: {"overall": 6.5, "sales": -7.0}})
    alerts.digest_run(run_id=run.pk)

    html = alice_client.get("/notifications/").content.decode()
    assert f"@{handle}" in html and "+6.5" in html and "\u22127.0" in html and "Sales" in html
    assert 'class="badge">New' in html and "Mark all as read" in html
    assert AuditEvent.objects.filter(action=AlertAction.NOTIFICATIONS_VIEW, row_count=1).exists()

    notification = Notification.objects.get()
    alice_client.post("/notifications/", {"action": "read", "notification": notification.pk})
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert 'class="badge">New' not in alice_client.get("/notifications/").content.decode()


def test_the_page_hides_what_the_grant_no_longer_shows(world, alice_client):
    handle = world.handles_in("beauty")[0]
    Follow.objects.create(user=world.users["alice"], creator=world.creators[handle])
    run = publish_next_run(world, {handle: {"overall": 6.5}})
    alerts.digest_run(run_id=run.pk)
    world.grant_a.categories.remove(world.categories["beauty"])

    html = alice_client.get("/notifications/").content.decode()
    assert handle not in html and world.creators[handle].display_name not in html
    assert 'id="no-alerts"' in html


def test_another_users_digest_is_not_shown_or_marked(world, alice_client, bob_client):
    handle = world.handles_a[0]
    Follow.objects.create(user=world.users["bob"], creator=world.creators[handle])
    run = publish_next_run(world, {handle: {"overall": 6.5}})
    alerts.digest_run(run_id=run.pk)
    assert handle not in alice_client.get("/notifications/").content.decode()
    bobs = Notification.objects.get(user=world.users["bob"])
    alice_client.post("/notifications/", {"action": "read", "notification": bobs.pk})
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_the_settings_form_saves_the_threshold_and_refuses_nonsense(world, bob_client):
    response = bob_client.post("/notifications/", {"action": "settings", "threshold": "12", "email_digest": "on"})
    assert response.status_code == 302
    settings_row = AlertSettings.objects.get(user=world.users["bob"])
    assert (settings_row.threshold, settings_row.email_digest) == (12, True)
    response = bob_client.post("/notifications/", {"action": "settings", "threshold": "0"})
    assert response.status_code == 400
    assert "greater than or equal to 1" in response.content.decode()
    assert AlertSettings.objects.get(user=world.users["bob"]).threshold == 12


def test_users_without_a_partner_get_the_product_404(world, dana_client, sam_client):
    assert dana_client.get("/notifications/").status_code == 404
    assert sam_client.post(f"/creators/{world.handles_a[0]}/follow/").status_code == 404


def test_the_email_link_unsubscribes_after_a_confirmation(world):
    alice = world.users["alice"]
    alice.email = "alice@example.com"
    alice.save()
    handle = world.handles_a[0]
    Follow.objects.create(user=alice, creator=world.creators[handle])
    run = publish_next_run(world, {handle: {"overall": 6.5}})
    alerts.digest_run(run_id=run.pk)
    [message] = mail.outbox
    path = re.search(r"https?://[^/]+(/notifications/unsubscribe/[^/\s]+/)", message.body).group(1)

    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(path)
    assert page.status_code == 200 and "Stop the emails" in page.content.decode()
    assert not AlertSettings.objects.filter(user=alice, email_digest=False).exists()  # a GET changes nothing

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", with no cookie and no CSRF token.
    done = anonymous.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "no more alert emails" in done.content.decode()
    assert AlertSettings.objects.get(user=alice).email_digest is False

    assert anonymous.get("/notifications/unsubscribe/forged:token/").status_code == 404
    assert anonymous.post("/notifications/unsubscribe/forged:token/").status_code == 404


# --- API ----------------------------------------------------------------------------------------------------
def test_api_follow_unfollow(world):
    alice = api_client(world, "alice")
    handle = world.handles_a[0]
    assert alice.post(f"/api/v1/creators/{handle}/follow/").status_code == 201
    again = alice.post(f"/api/v1/creators/{handle}/follow/")
    assert again.status_code == 200 and again.json() == {"handle": handle, "following": True}
    assert Follow.objects.filter(user=world.users["alice"]).count() == 1
    assert alice.delete(f"/api/v1/creators/{handle}/follow/").status_code == 204
    assert not Follow.objects.exists()
    assert alice.post(f"/api/v1/creators/{world.handles_b[0]}/follow/").status_code == 404
    assert api_client(world, "bob").post(f"/api/v1/creators/{handle}/follow/").status_code == 403  # viewer


def test_api_notifications_carry_only_visible_lines(world):
    handle = world.handles_b[0]
    Follow.objects.create(user=world.users["charlie"], creator=world.creators[handle])
    run = publish_next_run(world, {handle: {"care": 20.0, "volume": 8.0}})
    alerts.digest_run(run_id=run.pk)

    body = api_client(world, "charlie").get("/api/v1/notifications/").json()
    [digest] = body["results"]
    assert digest["read"] is False and digest["as_of"] == run.as_of.isoformat()
    assert digest["lines"] == [{
        "kind": "move", "handle": handle, "display_name": world.creators[handle].display_name, "index": "volume",
        "value": pytest.approx(digest["lines"][0]["value"]), "change": 8.0, "search": None,
    }]
    assert "care" not in str(body)
    assert api_client(world, "alice").get("/api/v1/notifications/").json()["results"] == []
    assert api_client(world, "charlie").get("/api/v1/notifications/", {"partner": "1"}).status_code == 400


def test_without_an_email_address_the_digest_choice_is_greyed_out_and_kept(world, bob_client):
    """Nothing can be emailed to an account without an address: the box is shown disabled beside the reason, and
    a request that changes it anyway (unticked: off) leaves the stored choice as it was (on, the default)."""
    bob = world.users["bob"]
    bob.email = ""
    bob.save(update_fields=["email"])
    page = bob_client.get("/notifications/").content.decode()
    box = re.search(r'<input type="checkbox" name="email_digest"[^>]*>', page).group(0)
    assert "disabled" in box
    assert "Your account has no email address" in page
    response = bob_client.post("/notifications/", {"action": "settings", "threshold": "7"})
    assert response.status_code == 302
    settings_row = AlertSettings.objects.get(user=bob)
    assert (settings_row.threshold, settings_row.email_digest) == (7, True)
