"""``/api/v1/shortlists/`` (DESIGN section 7): shortlists, entries with status and note, and their exports; the same
access rules as the pages (another partner's shortlist and a hidden creator answer 404, read-time visibility)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from partners.models import AuditEvent, Shortlist, ShortlistEntry
from tests.conftest import PERSONA_PASSWORD
from tests.export_helpers import body_of, csv_rows, keyed, xlsx_table

pytestmark = pytest.mark.django_db

BASE = "/api/v1/shortlists/"
NOTE = "First call went well.\nSend the brief by Friday."


def _client(username: str) -> APIClient:
    client = APIClient()
    key = client.post("/api/v1/auth/token/", {"username": username, "password": PERSONA_PASSWORD}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def alice(world) -> APIClient:
    return _client("alice")


def test_an_analyst_runs_a_campaign_through_the_api(world, alice):
    created = alice.post(BASE, {"name": "Autumn"}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    handles = world.handles_a[:3]
    added = alice.post(f"{BASE}{pk}/entries/", {"handles": handles, "status": "contacted", "note": NOTE},
                       format="json")
    assert added.status_code == 201, added.json()
    body = added.json()
    assert sorted(body["added"]) == handles and body["already"] == []
    assert {e["status"] for e in body["entries"]} == {"contacted"} and {e["note"] for e in body["entries"]} == {NOTE}
    again = alice.post(f"{BASE}{pk}/entries/", {"handles": handles[:1]}, format="json").json()
    assert again["added"] == [] and again["already"] == handles[:1]

    patched = alice.patch(f"{BASE}{pk}/entries/{handles[0].upper()}/", {"status": "agreed"}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["status"], patched.json()["note"]) == ("agreed", NOTE)
    alice.patch(f"{BASE}{pk}/entries/{handles[1]}/", {"note": "Declined politely."}, format="json")

    detail = alice.get(f"{BASE}{pk}/").json()
    by_handle = {e["handle"]: e for e in detail["entries"]}
    assert by_handle[handles[0]]["status"] == "agreed"
    assert by_handle[handles[1]]["note"] == "Declined politely."
    assert by_handle[handles[2]]["added_by"] == "alice"
    assert detail["status_counts"] == {"to_contact": 0, "contacted": 2, "agreed": 1, "declined": 0}
    assert set(by_handle[handles[0]]["scores"]) >= {"overall", "care", "sales"}
    assert [e["handle"] for e in alice.get(f"{BASE}{pk}/", {"status": "agreed"}).json()["entries"]] == handles[:1]

    listing = alice.get(BASE).json()
    assert listing["count"] == 1 and listing["results"][0]["size"] == 3

    assert alice.delete(f"{BASE}{pk}/entries/{handles[2]}/").status_code == 204
    assert len(alice.get(f"{BASE}{pk}/").json()["entries"]) == 2
    changes = AuditEvent.objects.filter(action="shortlist.change").values_list("filters__change", flat=True)
    assert sorted(changes) == sorted(["create", "add", "add", "edit", "edit", "remove"])


def test_statuses_and_notes_round_trip_from_the_page_to_the_api_and_the_api_exports(world, alice, alice_client):
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Round trip")
    handle = world.handles_a[0]
    entry = ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators[handle])
    alice_client.post(f"/shortlists/{shortlist.pk}/",
                      {"action": "edit", "entry": entry.pk, "status": "declined", "note": NOTE.replace("\n", "\r\n")})
    item = alice.get(f"{BASE}{shortlist.pk}/").json()["entries"][0]
    assert (item["status"], item["note"]) == ("declined", NOTE)
    alice.patch(f"{BASE}{shortlist.pk}/entries/{handle}/", {"status": "contacted", "note": "Back on."}, format="json")
    page = alice_client.get(f"/shortlists/{shortlist.pk}/").content.decode()
    assert '<option value="contacted" selected>Contacted</option>' in page and ">Back on.</textarea>" in page
    csv_row = csv_rows(alice.get(f"{BASE}{shortlist.pk}/export.csv", {"headers": "keys"}))[0]
    xlsx_row = keyed(xlsx_table(body_of(alice.get(f"{BASE}{shortlist.pk}/export.xlsx"))))[0]
    for row in (csv_row, xlsx_row):
        assert (row["handle"], row["shortlist_status"], row["shortlist_note"]) == (handle, "Contacted", "Back on.")


def test_a_hidden_handle_refuses_the_whole_add_without_saying_which(world, alice):
    pk = alice.post(BASE, {"name": "Picks"}, format="json").json()["id"]
    hidden = alice.post(f"{BASE}{pk}/entries/", {"handles": [world.handles_a[0], world.handles_b[0]]}, format="json")
    unknown = alice.post(f"{BASE}{pk}/entries/", {"handles": [world.handles_a[0], "no_such_one"]}, format="json")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json()
    assert world.handles_b[0] not in hidden.content.decode()
    assert Shortlist.objects.get(pk=pk).entries.count() == 0


def test_another_partners_shortlist_is_a_404_everywhere(world, alice):
    theirs = Shortlist.objects.create(partner=world.partner_b, name="Bolt picks")
    ShortlistEntry.objects.create(shortlist=theirs, creator=world.creators[world.handles_b[0]])
    handle = world.handles_b[0]
    assert alice.get(f"{BASE}{theirs.pk}/").status_code == 404
    assert alice.post(f"{BASE}{theirs.pk}/entries/", {"handles": world.handles_a[:1]}, format="json").status_code == 404
    assert alice.patch(f"{BASE}{theirs.pk}/entries/{handle}/", {"status": "agreed"}, format="json").status_code == 404
    assert alice.delete(f"{BASE}{theirs.pk}/entries/{handle}/").status_code == 404
    assert alice.get(f"{BASE}{theirs.pk}/export.csv").status_code == 404
    assert alice.get(f"{BASE}{theirs.pk}/export.xlsx").status_code == 404
    assert "Bolt picks" not in alice.get(BASE).content.decode()
    assert theirs.entries.get().status == "to_contact"


def test_a_creator_outside_the_grant_leaves_the_api_and_its_exports_and_comes_back(world, alice):
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Mixed")
    beauty, fashion = world.handles_in("beauty")[0], world.handles_in("fashion")[0]
    for handle in (beauty, fashion):
        ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators[handle])
    world.grant_a.categories.remove(world.categories["fashion"])
    assert [e["handle"] for e in alice.get(f"{BASE}{shortlist.pk}/").json()["entries"]] == [beauty]
    patched = alice.patch(f"{BASE}{shortlist.pk}/entries/{fashion}/", {"status": "agreed"}, format="json")
    assert patched.status_code == 404
    assert [r["handle"] for r in csv_rows(alice.get(f"{BASE}{shortlist.pk}/export.csv", {"headers": "keys"}))] == [
        beauty
    ]
    assert alice.get(BASE).json()["results"][0]["size"] == 1
    world.grant_a.categories.add(world.categories["fashion"])
    assert len(alice.get(f"{BASE}{shortlist.pk}/").json()["entries"]) == 2


def test_bad_input_is_a_400_naming_it(world, alice):
    pk = alice.post(BASE, {"name": "Picks"}, format="json").json()["id"]
    assert alice.post(BASE, {"name": "picks"}, format="json").status_code == 400
    response = alice.post(f"{BASE}{pk}/entries/", {"handles": world.handles_a[:1], "status": "hired"}, format="json")
    assert response.status_code == 400 and "status" in response.json()["errors"]
    response = alice.post(f"{BASE}{pk}/entries/", {"handles": []}, format="json")
    assert response.status_code == 400
    response = alice.get(f"{BASE}{pk}/", {"status": "x"})
    assert response.status_code == 400
    response = alice.get(f"{BASE}{pk}/", {"sort": "x"})
    assert response.status_code == 400 and "sort" in response.json()["errors"]


def test_viewers_and_strangers_have_no_api(world):
    for name in ("bob", "dana"):
        client = APIClient()
        client.force_login(world.users[name])
        assert client.get(BASE).status_code == 403
    assert APIClient().get(BASE).status_code == 401
