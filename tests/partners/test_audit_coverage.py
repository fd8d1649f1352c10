"""Issue 17 items 1, 2 and 6: the audit trail is no existence oracle, every denial and view is recorded, and no
word of a hidden tier or feature (methodology, OpenAPI schema) reaches a partner without it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from partners.audit import audit_prune
from partners.choices import AuditAction, AuditOutcome, Role
from partners.models import AuditEvent, PartnerWeights, Shortlist
from tests.conftest import make_partner, make_user

pytestmark = pytest.mark.django_db

MISSING = "no-such-creator-x"
_WHEN = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def manager(world):
    return make_user("maria", partner=world.partner_a, role=Role.MANAGER)


def _trail(client: Client, probed: str) -> str:
    """The manager's audit trail page, with the probed handle and the times blanked out."""
    response = client.get("/partner/audit/", {"outcome": "denied"})
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('<div class="page-head">')
    return _WHEN.sub("T", html[start:]).replace(probed, "HANDLE")


def _probe(manager, handle: str) -> None:
    assert _client(manager).get(f"/creators/{handle}/").status_code == 404
    assert _api(manager).get(f"/api/v1/creators/{handle}/").status_code == 404


# --- 17.1: the trail does not tell a hidden handle from a missing one ---------------------------------------


def test_the_managers_trail_reads_the_same_after_a_hidden_and_a_missing_handle(world, manager):
    hidden = world.handles_b[0]
    assert len(hidden) <= 40  # shown whole in the trail (truncated at 40), like MISSING
    trail = _client(manager)
    _probe(manager, hidden)
    after_hidden = _trail(trail, hidden)
    events_hidden = list(AuditEvent.objects.filter(partner=world.partner_a).values_list(
        "action", "object_handle", "outcome", "path"))
    audit_prune(before=timezone.now() + timedelta(seconds=1))
    _probe(manager, MISSING)
    after_missing = _trail(trail, MISSING)
    events_missing = list(AuditEvent.objects.filter(partner=world.partner_a).values_list(
        "action", "object_handle", "outcome", "path"))
    assert "HANDLE" in after_hidden  # the probe is in the trail (HTML and API both recorded)...
    assert after_hidden == after_missing  # ...and reads the same either way
    assert [(a, o) for a, _, o, _ in events_hidden] == [(a, o) for a, _, o, _ in events_missing] == [
        (AuditAction.CREATOR_VIEW, AuditOutcome.DENIED)
    ] * 2


@pytest.mark.parametrize("url", ["/creators/{}/", "/api/v1/creators/{}/"])
def test_a_hidden_and_a_missing_handle_cost_the_same_queries(world, manager, url):
    html, api = _client(manager), _api(manager)
    client = api if url.startswith("/api/") else html
    client.get(url.format(MISSING))  # warm up (session, content types)
    counts = []
    for handle in (world.handles_b[0], MISSING):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url.format(handle)).status_code == 404
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_staff_see_in_the_admin_whether_a_denied_handle_exists(world, manager, sam_client):
    _probe(manager, world.handles_b[0])
    _probe(manager, MISSING)
    page = sam_client.get("/admin/partners/auditevent/", {"outcome": "denied"}).content.decode()
    rows = re.findall(r"<tr>.*?</tr>", page, flags=re.S)
    hidden_rows = [row for row in rows if world.handles_b[0] in row]
    missing_rows = [row for row in rows if MISSING in row]
    assert hidden_rows and missing_rows
    assert all('alt="True"' in row for row in hidden_rows)
    assert all('alt="False"' in row for row in missing_rows)


# --- 17.2: every denial and every view is audited -------------------------------------------------------------


@pytest.fixture
def shortlist_b(world):
    return Shortlist.objects.create(partner=world.partner_b, name="B's list", created_by=world.users["charlie"])


def test_a_denied_shortlist_export_is_recorded_like_a_missing_one(world, alice_client, shortlist_b):
    missing = shortlist_b.pk + 1000
    for pk in (shortlist_b.pk, missing):
        assert alice_client.get(f"/shortlists/{pk}/export.csv").status_code == 404
    events = list(AuditEvent.objects.filter(user=world.users["alice"]).order_by("pk").values_list(
        "action", "outcome", "filters", "partner_id"))
    assert events == [
        (AuditAction.SHORTLIST_EXPORT, AuditOutcome.DENIED, {"shortlist": pk}, world.partner_a.pk)
        for pk in (shortlist_b.pk, missing)
    ]


def test_viewing_a_shortlist_is_recorded_and_another_partners_is_denied(world, alice_client, shortlist_b):
    own = Shortlist.objects.create(partner=world.partner_a, name="Ours", created_by=world.users["alice"])
    for handle in world.handles_a[:2]:
        own.entries.create(creator=world.creators[handle], added_by=world.users["alice"])
    assert alice_client.get(f"/shortlists/{own.pk}/").status_code == 200
    assert alice_client.get(f"/shortlists/{shortlist_b.pk}/").status_code == 404
    events = list(AuditEvent.objects.filter(user=world.users["alice"]).order_by("pk").values_list(
        "action", "outcome", "filters", "row_count"))
    assert events == [
        (AuditAction.SHORTLIST_VIEW, AuditOutcome.OK, {"shortlist": own.pk, "name": "Ours"}, 2),
        (AuditAction.SHORTLIST_VIEW, AuditOutcome.DENIED, {"shortlist": shortlist_b.pk}, None),
    ]


def test_a_change_to_another_partners_shortlist_is_recorded_as_denied(world, alice_client, shortlist_b):
    assert alice_client.post(f"/shortlists/{shortlist_b.pk}/", {"action": "delete"}).status_code == 404
    assert Shortlist.objects.filter(pk=shortlist_b.pk).exists()
    event = AuditEvent.objects.get(user=world.users["alice"])
    assert (event.action, event.outcome) == (AuditAction.SHORTLIST_CHANGE, AuditOutcome.DENIED)


@pytest.mark.parametrize("other", ["hidden", "missing"])
def test_a_compare_naming_a_handle_that_is_not_visible_is_denied(world, alice_client, other):
    visible = world.handles_a[0]
    asked = world.handles_b[0] if other == "hidden" else MISSING
    assert alice_client.get("/creators/compare/", {"handles": f"{visible},{asked}"}).status_code == 200
    assert alice_client.get("/creators/compare/", {"handles": visible}).status_code == 200
    events = list(AuditEvent.objects.filter(user=world.users["alice"]).order_by("pk").values_list(
        "action", "outcome", "object_handle", "filters"))
    assert events == [
        (AuditAction.CREATOR_COMPARE, AuditOutcome.DENIED, visible, {"handles": f"{visible},{asked}"}),
        (AuditAction.CREATOR_COMPARE, AuditOutcome.OK, visible, {"handles": visible}),
    ]


# --- 17.6: tiers in every word --------------------------------------------------------------------------------

# Sentences that tell a partner something exists beyond its access.
HINTS = ("outside your access", "remaining weight", "second component", "fields outside", "not described")


def _methodology(user) -> str:
    """The methodology page's content (not the navigation or the head)."""
    response = _client(user).get("/methodology/")
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('<div class="page-head">'):html.index("</main>")]


def test_a_performance_only_partner_reads_nothing_about_commercial_indices(world, charlie_client):
    page = charlie_client.get("/methodology/").content.decode().lower()
    for hint in HINTS:
        assert hint not in page
    assert "7 indices" not in page and "of the 7" not in page


def test_a_profile_only_partner_reads_nothing_about_scores_or_our_score(world):
    partner, _ = make_partner("Profile Only", categories=[world.categories["travel"]], performance=False)
    for role in (Role.VIEWER, Role.MANAGER):
        page = _methodology(make_user(f"p-{role}", partner=partner, role=role)).lower()
        for word in ("our score", "overall", "own-ranking", "index", "indices", *HINTS):
            assert word not in page, (role, word)


def test_our_score_is_told_only_where_it_can_exist(world, bob_client, manager):
    # Partner A has no own weights: its viewer reads nothing of "Our score"; its manager can set them.
    assert "Our score" not in bob_client.get("/methodology/").content.decode()
    manager_page = _methodology(manager)
    assert "Our score" in manager_page and "beside the standard overall" in manager_page
    PartnerWeights.objects.create(partner=world.partner_a)
    assert "Our score" in bob_client.get("/methodology/").content.decode()


def test_a_commercial_only_partner_reads_nothing_of_the_overall(world):
    partner, _ = make_partner("Money Only", categories=[world.categories["travel"]], performance=False,
                              commercial=True)
    page = _methodology(make_user("money-manager", partner=partner, role=Role.MANAGER))
    assert "Our score" in page
    assert "overall" not in page.lower()


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/"])
def test_the_openapi_schema_and_its_page_are_for_api_users_only(world, manager, path):
    allowed = {"alice": world.users["alice"], "maria": manager, "sam": world.users["sam"]}
    refused = {"bob": world.users["bob"], "dana": world.users["dana"]}
    for name, user in allowed.items():
        assert _api(user).get(path).status_code == 200, name
    for name, user in refused.items():
        assert _api(user).get(path).status_code in (403, 404), name
        assert _client(user).get(path).status_code in (403, 404), name
    assert APIClient().get(path).status_code in (401, 403)
