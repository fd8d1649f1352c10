"""Shortlists, the methodology page with the partner's own weights, and the manager pages."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from partners.choices import Role
from partners.models import AuditEvent, PartnerWeights, Shortlist, ShortlistEntry
from scoring.models import Scorecard
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager_a(world) -> Client:
    return _client(make_user("maria", partner=world.partner_a, role=Role.MANAGER))


@pytest.fixture
def manager_b(world) -> Client:
    return _client(make_user("mike", partner=world.partner_b, role=Role.MANAGER))


# --- Shortlists -----------------------------------------------------------------------------------------------


def test_a_creator_added_from_the_scorecard_is_on_a_list_shared_by_the_partner(world, alice_client, bob_client):
    handle = world.handles_a[0]
    response = alice_client.post(
        "/shortlists/add/",
        {"handle": handle, "new_name": "Spring", "note": "great fit", "next": f"/creators/{handle}/"},
    )
    assert response.status_code == 302 and response["Location"] == f"/creators/{handle}/"
    shortlist = Shortlist.objects.get(partner=world.partner_a, name="Spring")
    assert shortlist.entries.get().note == "great fit"
    # Bob (same partner, viewer) sees the list and its entry.
    html = bob_client.get(f"/shortlists/{shortlist.pk}/").content.decode()
    assert f'data-handle="{handle}"' in html and "great fit" in html
    assert AuditEvent.objects.filter(action="shortlist.change", object_handle=handle).exists()


def test_adding_twice_keeps_one_entry(world, alice_client):
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Q3")
    for _ in range(2):
        alice_client.post("/shortlists/add/", {"handle": world.handles_a[0], "shortlist": shortlist.pk})
    assert shortlist.entries.count() == 1


def test_other_partners_cannot_see_use_or_add_to_a_shortlist(world, alice_client, charlie_client):
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Secret plans")
    ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators[world.handles_a[0]])
    assert charlie_client.get(f"/shortlists/{shortlist.pk}/").status_code == 404
    assert "Secret plans" not in charlie_client.get("/shortlists/").content.decode()
    response = charlie_client.post("/shortlists/add/", {"handle": world.handles_b[0], "shortlist": shortlist.pk})
    assert response.status_code == 404
    assert shortlist.entries.count() == 1
    # And a partner cannot put another partner's creator on its own list.
    response = alice_client.post("/shortlists/add/", {"handle": world.handles_b[0], "new_name": "Mine"})
    assert response.status_code == 404
    assert not Shortlist.objects.filter(name="Mine").exists()


def test_notes_can_be_edited_and_entries_removed(world, alice_client):
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Edit me")
    entry = ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators[world.handles_a[1]])
    alice_client.post(f"/shortlists/{shortlist.pk}/", {"action": "note", "entry": entry.pk, "note": "call Monday"})
    entry.refresh_from_db()
    assert entry.note == "call Monday"
    alice_client.post(f"/shortlists/{shortlist.pk}/", {"action": "remove", "entry": entry.pk})
    assert not ShortlistEntry.objects.filter(pk=entry.pk).exists()


def test_a_shortlist_exports_its_visible_creators_for_analysts_only(world, alice_client, bob_client):
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Export me")
    for handle in world.handles_a[:3]:
        ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators[handle])
    response = alice_client.get(f"/shortlists/{shortlist.pk}/export.csv", {"headers": "keys", "bom": "0"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode(), newline="")))
    assert sorted(row["handle"] for row in rows) == world.handles_a[:3]
    assert bob_client.get(f"/shortlists/{shortlist.pk}/export.csv").status_code == 404


def test_creating_a_shortlist_with_a_taken_name_is_refused(world, alice_client):
    Shortlist.objects.create(partner=world.partner_a, name="Taken")
    response = alice_client.post("/shortlists/", {"name": "taken"})
    assert response.status_code == 400
    assert "already has a shortlist" in response.content.decode()


# --- Methodology and own weights ------------------------------------------------------------------------------


def test_methodology_shows_only_the_partners_tiers(world, alice_client, charlie_client):
    full = alice_client.get("/methodology/").content.decode()
    limited = charlie_client.get("/methodology/").content.decode()
    assert "Collaboration" in full and "Sales" in full
    assert "Volume" in limited
    for hidden in ("Collaboration", "Sales", "GMV", "gpm"):
        assert hidden not in limited


def test_a_manager_sets_weights_that_are_validated_audited_and_sort_the_list(world, manager_a):
    page = manager_a.get("/methodology/").content.decode()
    assert 'id="weights-form"' in page and 'name="sales"' in page
    weights = {"collaboration": 0, "care": 0, "volume": 100, "effectiveness": 0, "sales": 0, "consistency": 0}
    assert manager_a.post("/methodology/", weights).status_code == 302
    stored = PartnerWeights.objects.get(partner=world.partner_a)
    assert stored.volume == 1.0 and stored.sales == 0.0
    assert AuditEvent.objects.filter(action="weights.change", username="maria").exists()
    html = manager_a.get("/creators/", {"ordering": "-partner_score"}).content.decode()
    handles = re.findall(r'<tr data-handle="([^"]+)"', html)
    volume = {c.creator.handle: c.volume for c in Scorecard.objects.filter(run=world.run).select_related("creator")}
    assert [volume[h] for h in handles] == sorted((volume[h] for h in handles), reverse=True)
    assert 'data-sort="partner_score"' in html


def test_weights_must_not_all_be_zero_or_out_of_range(world, manager_a):
    zero = {name: 0 for name in ("collaboration", "care", "volume", "effectiveness", "sales", "consistency")}
    assert manager_a.post("/methodology/", zero).status_code == 400
    assert manager_a.post("/methodology/", {**zero, "volume": 150}).status_code == 400
    assert not PartnerWeights.objects.filter(partner=world.partner_a).exists()


def test_weights_over_hidden_indices_cannot_be_set(world, manager_b):
    page = manager_b.get("/methodology/").content.decode()
    assert 'name="sales"' not in page and 'name="volume"' in page
    manager_b.post("/methodology/", {"volume": 50, "effectiveness": 50, "consistency": 0, "sales": 100, "care": 100})
    stored = PartnerWeights.objects.get(partner=world.partner_b)
    assert stored.volume == 0.5 and stored.effectiveness == 0.5
    # The posted sales/care weights were never read: they keep the standard values.
    assert stored.sales == 0.20 and stored.care == 0.15


def test_only_managers_change_weights(world, alice_client):
    assert alice_client.post("/methodology/", {"volume": 100}).status_code == 404
    assert not PartnerWeights.objects.filter(partner=world.partner_a).exists()


# --- Manager pages ---------------------------------------------------------------------------------------------


def test_managers_see_their_users_and_own_audit_trail_only(world, manager_a, charlie_client, alice_client):
    charlie_client.get("/creators/")
    alice_client.get("/creators/")
    users = manager_a.get("/partner/users/").content.decode()
    assert "alice" in users and "bob" in users and "charlie" not in users
    trail = manager_a.get("/partner/audit/").content.decode()
    assert "creator.list" in trail and "alice" in trail and "charlie" not in trail


def test_the_audit_trail_filters_by_action_and_user(world, manager_a, alice_client, bob_client):
    alice_client.get("/creators/")
    bob_client.get("/methodology/")
    trail = manager_a.get("/partner/audit/", {"user": "alice"}).content.decode()
    rows = re.findall(r"<tr><td class=\"num\">[^<]+</td><td class=\"nowrap\">([^<]+)</td>", trail)
    assert rows and set(rows) == {"alice"}


@pytest.mark.parametrize("url", ["/partner/users/", "/partner/audit/"])
def test_manager_pages_are_404_for_other_roles(world, alice_client, bob_client, url):
    assert alice_client.get(url).status_code == 404
    assert bob_client.get(url).status_code == 404


def test_nav_shows_manager_links_to_managers_only(world, manager_a, alice_client):
    assert "/partner/audit/" in manager_a.get("/creators/").content.decode()
    assert "/partner/audit/" not in alice_client.get("/creators/").content.decode()


# --- Query counts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "most"),
    [
        # session + user (2), access (2), the page's reads, audit or session save (<= 3)
        ("/shortlists/", 10),
        ("/shortlists/{pk}/", 12),
        ("/methodology/", 9),
        ("/partner/users/", 9),
        ("/partner/audit/", 12),
        ("/creators/compare/?handles={three}", 14),
    ],
)
def test_query_counts_are_pinned_whatever_the_number_of_rows(
    world, manager_a, django_assert_max_num_queries, url, most
):
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Counted")
    for handle in world.handles_a:
        ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators[handle], note="n")
    for _ in range(3):
        manager_a.get("/creators/")  # some audit events
    url = url.format(pk=shortlist.pk, three=",".join(world.handles_a[:3]))
    with django_assert_max_num_queries(most):
        assert manager_a.get(url).status_code == 200


def test_the_header_leads_to_the_password_change(world, alice_client):
    """The user's name in the header is the way to the account's one setting, its password."""
    page = alice_client.get("/creators/").content.decode()
    assert re.search(r'<a class="username" href="/accounts/password_change/"[^>]*>alice</a>', page)
    assert alice_client.get("/accounts/password_change/").status_code == 200


def test_the_audit_trail_says_each_action_in_words(world, manager_a, alice_client):
    from partners.choices import AUDIT_ACTION_LABELS, AlertAction, AuditAction

    # Every action the product records has its words (a new one without them would show its stored name).
    recorded = {value for kind in (AuditAction, AlertAction) for name, value in vars(kind).items() if name.isupper()}
    assert recorded <= set(AUDIT_ACTION_LABELS)
    alice_client.get("/creators/")
    trail = manager_a.get("/partner/audit/").content.decode()
    assert '<td class="nowrap" title="creator.list">Listed creators</td>' in trail
    assert '<option value="creator.list">Listed creators</option>' in trail
