"""Shortlists that carry a campaign (issue 20 part 3), on the pages: bulk add from the list and the compare page,
the remembered "Add to", entry status and note edited in place, sort and filter by status, exports with status
and note, audit of every change, and access applied at read time (a creator that leaves the grant disappears and
comes back with it)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from partners.choices import EntryStatus, Role
from partners.models import AuditEvent, Membership, Shortlist, ShortlistEntry
from tests.conftest import World, make_creators
from tests.export_helpers import body_of, csv_rows, keyed, xlsx_table

pytestmark = pytest.mark.django_db

ADD = "/shortlists/add/"
NOTE = "Call on Monday.\nAsk for the spring rates;\n  then brief on the =SUM(A1) launch."


def _entries(shortlist: Shortlist) -> dict[str, ShortlistEntry]:
    return {e.creator.handle: e for e in shortlist.entries.select_related("creator")}


def _page(client: Client, shortlist: Shortlist, **params: str) -> str:
    response = client.get(f"/shortlists/{shortlist.pk}/", params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-handle="([^"]+)"', html)


def _fifty(world: World) -> list[str]:
    """Fifty more beauty creators (partner A sees them), handles ``bulkbeauty_1``..."""
    created = make_creators({"beauty": world.categories["beauty"]}, 50, prefix="bulk")
    world.creators.update(created)
    return sorted(created)


# --- Bulk add ----------------------------------------------------------------------------------------------------


def test_fifty_ticked_creators_go_on_a_new_shortlist_in_one_request_with_bounded_queries(
    world, alice_client, django_assert_max_num_queries
):
    handles = _fifty(world)
    # session, user, grants, the handles' creators, the new name's lookup, create, its audit event, entries
    # present, one insert, the shortlist's time, the last shortlist, the add's audit event, savepoints, session
    # save: the same for 1 creator as for 50.
    with django_assert_max_num_queries(20):
        response = alice_client.post(ADD, {"handles": handles, "new_name": "Spring launch", "next": "/creators/"})
    assert response.status_code == 302 and response["Location"] == "/creators/"
    shortlist = Shortlist.objects.get(partner=world.partner_a, name="Spring launch")
    entries = _entries(shortlist)
    assert sorted(entries) == handles
    assert {e.status for e in entries.values()} == {EntryStatus.TO_CONTACT}
    assert {e.added_by for e in entries.values()} == {world.users["alice"]}
    event = AuditEvent.objects.get(action="shortlist.change", filters__change="add")
    assert event.row_count == 50 and sorted(event.object_handle.split(",")) == handles


def test_bulk_add_costs_the_same_queries_for_one_and_for_fifty(world, alice_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    handles = _fifty(world)
    one = Shortlist.objects.create(partner=world.partner_a, name="One")
    many = Shortlist.objects.create(partner=world.partner_a, name="Many")
    with CaptureQueriesContext(connection) as single:
        alice_client.post(ADD, {"handles": handles[:1], "shortlist": one.pk})
    with CaptureQueriesContext(connection) as fifty:
        alice_client.post(ADD, {"handles": handles, "shortlist": many.pk})
    assert len(fifty) <= len(single) and many.entries.count() == 50


def test_a_hidden_handle_refuses_the_whole_bulk_add_like_an_unknown_one(world, alice_client):
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Picks")
    visible = world.handles_a[:2]
    hidden = alice_client.post(ADD, {"handles": [*visible, world.handles_b[0]], "shortlist": shortlist.pk})
    unknown = alice_client.post(ADD, {"handles": [*visible, "nobody_at_all"], "shortlist": shortlist.pk})
    assert hidden.status_code == unknown.status_code == 404
    # The same page whichever handle it was, naming none of them.
    assert hidden.content.decode().replace(world.handles_b[0], "X") == unknown.content.decode().replace(
        "nobody_at_all", "X"
    )
    assert world.handles_b[0] not in hidden.content.decode()
    assert shortlist.entries.count() == 0
    assert not Shortlist.objects.filter(partner=world.partner_a).exclude(pk=shortlist.pk).exists()
    denied = AuditEvent.objects.filter(action="shortlist.change", outcome="denied")
    assert denied.count() == 2


def test_creators_already_on_the_shortlist_keep_their_status_and_note(world, alice_client):
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Picks")
    first = world.creators[world.handles_a[0]]
    ShortlistEntry.objects.create(shortlist=shortlist, creator=first, status=EntryStatus.AGREED, note="signed")
    alice_client.post(ADD, {"handles": world.handles_a[:3], "shortlist": shortlist.pk, "status": "contacted"})
    entries = _entries(shortlist)
    assert (entries[first.handle].status, entries[first.handle].note) == ("agreed", "signed")
    assert {entries[h].status for h in world.handles_a[1:3]} == {"contacted"}


def test_ticking_nothing_adds_nothing_and_says_so(world, alice_client):
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Picks")
    response = alice_client.post(ADD, {"shortlist": shortlist.pk, "next": "/creators/"}, follow=True)
    assert "Tick at least one creator" in response.content.decode()
    assert shortlist.entries.count() == 0


def test_the_list_ticks_feed_compare_and_the_bulk_bar(world, alice_client):
    html = alice_client.get("/creators/").content.decode()
    assert 'id="pick-form"' in html and 'method="post"' in html
    assert 'id="bulk-add"' in html and 'id="compare-button"' in html
    three = world.handles_a[:3]
    response = alice_client.post("/creators/compare/", {"handles": three})
    assert response.status_code == 303
    assert response["Location"] == "/creators/compare/?handles=" + "%2C".join(three)


def test_the_compare_page_adds_its_ticked_creators(world, alice_client):
    three = world.handles_a[:3]
    html = alice_client.get("/creators/compare/", {"handles": ",".join(three)}).content.decode()
    assert 'id="compare-add-form"' in html
    for handle in three:
        assert f'name="handles" value="{handle}" checked' in html
    alice_client.post(ADD, {"handles": three[:2], "new_name": "From compare"})
    assert sorted(_entries(Shortlist.objects.get(name="From compare"))) == three[:2]


# --- The remembered "Add to" ------------------------------------------------------------------------------------


def test_the_scorecard_add_to_starts_on_the_users_last_shortlist(world, alice_client, bob_client):
    first = Shortlist.objects.create(partner=world.partner_a, name="Alpha")
    second = Shortlist.objects.create(partner=world.partner_a, name="Beta")
    url = f"/creators/{world.handles_a[3]}/"
    assert 'selected>Alpha' not in alice_client.get(url).content.decode()
    alice_client.post(ADD, {"handles": world.handles_a[:1], "shortlist": second.pk})
    html = alice_client.get(url).content.decode()
    assert f'<option value="{second.pk}" selected>Beta' in html
    assert f'<option value="{first.pk}">Alpha' in html
    # The list's bulk bar starts there too, with a link to it.
    listing = alice_client.get("/creators/").content.decode()
    assert f'<option value="{second.pk}" selected>Beta' in listing and "Open “Beta”" in listing
    # Per user: Bob has not added anything yet.
    assert " selected>" not in bob_client.get(url).content.decode().split('id="id_shortlist"')[1].split("</select>")[0]
    # Survives a new login (stored with the membership, not the session).
    again = Client()
    again.force_login(world.users["alice"])
    assert f'<option value="{second.pk}" selected>Beta' in again.get(url).content.decode()


def test_a_new_name_wins_over_the_preselected_shortlist(world, alice_client):
    last = Shortlist.objects.create(partner=world.partner_a, name="Last")
    alice_client.post(ADD, {"handles": world.handles_a[:1], "shortlist": last.pk})
    alice_client.post(ADD, {"handles": world.handles_a[1:2], "shortlist": last.pk, "new_name": "Fresh"})
    assert sorted(_entries(Shortlist.objects.get(name="Fresh"))) == world.handles_a[1:2]
    assert sorted(_entries(last)) == world.handles_a[:1]


# --- Status and note in place ------------------------------------------------------------------------------------


def campaign_handles(world: World) -> list[str]:
    """Two beauty and two fashion creators (partner A sees both categories)."""
    return sorted(world.handles_in("beauty")[:2] + world.handles_in("fashion")[:2])


@pytest.fixture
def campaign(world: World) -> Shortlist:
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Campaign", created_by=world.users["alice"])
    for handle in campaign_handles(world):
        ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators[handle], added_by=world.users["bob"])
    return shortlist


def test_a_viewer_edits_status_and_a_multiline_note_in_place_and_reads_it_in_full(world, bob_client, campaign):
    entry = _entries(campaign)[campaign_handles(world)[1]]
    html = _page(bob_client, campaign)
    assert f'id="status-{entry.pk}"' in html and 'action" value="edit"' in html
    response = bob_client.post(
        f"/shortlists/{campaign.pk}/",
        {"action": "edit", "entry": entry.pk, "status": "contacted", "note": NOTE.replace("\n", "\r\n"),
         "next": f"/shortlists/{campaign.pk}/?ordering=handle"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/shortlists/{campaign.pk}/?ordering=handle#entry-{entry.pk}"
    entry.refresh_from_db()
    assert (entry.status, entry.note) == ("contacted", NOTE)
    html = _page(bob_client, campaign)
    # The whole note, every line, in its box (escaped), and the box opens tall enough for it.
    textarea = re.search(rf'<textarea name="note" id="note-{entry.pk}" rows="(\d+)"[^>]*>([^<]*)</textarea>', html)
    assert textarea and int(textarea.group(1)) >= 3
    assert textarea.group(2) == NOTE
    assert re.search(r'<option value="contacted" selected>Contacted</option>', html)
    event = AuditEvent.objects.filter(action="shortlist.change", filters__change="edit").get()
    assert event.username == "bob" and event.object_handle == entry.creator.handle
    assert event.filters["fields"] == ["status", "note"] and event.filters["status"] == "contacted"


def test_the_page_shows_who_added_each_creator_and_when(world, alice_client, campaign):
    html = _page(alice_client, campaign)
    assert html.count("by bob</small>") == 4
    assert "<time datetime=" in html


def test_a_status_that_is_not_one_is_refused(world, alice_client, campaign):
    entry = next(iter(_entries(campaign).values()))
    alice_client.post(f"/shortlists/{campaign.pk}/", {"action": "edit", "entry": entry.pk, "status": "hired"})
    entry.refresh_from_db()
    assert entry.status == "to_contact"
    assert alice_client.get(f"/shortlists/{campaign.pk}/", {"status": "hired"}).status_code == 400


def test_the_page_filters_and_sorts_by_status(world, alice_client, campaign):
    handles = campaign_handles(world)
    statuses = dict(zip(handles, ["declined", "to_contact", "agreed", "contacted"], strict=True))
    for handle, status in statuses.items():
        ShortlistEntry.objects.filter(shortlist=campaign, creator__handle=handle).update(status=status)
    html = _page(alice_client, campaign, status="agreed")
    assert _rows(html) == [handles[2]]
    assert re.search(r'data-status="agreed" aria-current="true">Agreed <span class="count">1</span>', html)
    order = _rows(_page(alice_client, campaign, ordering="status"))
    assert [statuses[h] for h in order] == ["to_contact", "contacted", "agreed", "declined"]
    order = _rows(_page(alice_client, campaign, ordering="-status"))
    assert [statuses[h] for h in order] == ["declined", "agreed", "contacted", "to_contact"]


def test_the_page_sorts_by_a_visible_index_and_never_by_a_hidden_one(world, alice_client, charlie_client):
    ordered = _rows(_page(alice_client, _campaign_with(world, campaign_handles(world)), ordering="-overall"))
    overall = {h: world.run.scorecards.get(creator__handle=h).overall for h in ordered}
    assert list(overall.values()) == sorted(overall.values(), reverse=True)
    # Charlie's partner has no commercial tier: sorting by sales is not an option (400), and no sales column.
    theirs = Shortlist.objects.create(partner=world.partner_b, name="B")
    ShortlistEntry.objects.create(shortlist=theirs, creator=world.creators[world.handles_b[0]])
    assert charlie_client.get(f"/shortlists/{theirs.pk}/", {"ordering": "-sales"}).status_code == 400
    assert 'data-sort="sales"' not in charlie_client.get(f"/shortlists/{theirs.pk}/").content.decode()


def _campaign_with(world: World, handles: list[str]) -> Shortlist:
    shortlist = Shortlist.objects.create(partner=world.partner_a, name=f"With {len(handles)}")
    for handle in handles:
        ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators[handle])
    return shortlist


def test_the_page_shows_followers_and_the_visible_indices_only(world, alice_client, charlie_client):
    shortlist = _campaign_with(world, world.handles_a[:1])
    html = _page(alice_client, shortlist)
    for key in ("followers", "overall", "care", "sales"):
        assert f'data-sort="{key}"' in html
    theirs = Shortlist.objects.create(partner=world.partner_b, name="B")
    ShortlistEntry.objects.create(shortlist=theirs, creator=world.creators[world.handles_b[0]])
    html = charlie_client.get(f"/shortlists/{theirs.pk}/").content.decode()
    assert 'data-sort="overall"' in html
    for key in ("care", "sales", "collaboration"):
        assert f'data-sort="{key}"' not in html


# --- Exports -----------------------------------------------------------------------------------------------------


def test_statuses_and_notes_round_trip_through_the_page_and_both_exports(world, alice_client, campaign):
    entry = _entries(campaign)[campaign_handles(world)[2]]
    alice_client.post(
        f"/shortlists/{campaign.pk}/", {"action": "edit", "entry": entry.pk, "status": "agreed", "note": NOTE}
    )
    csv_by_handle = {
        row["handle"]: row for row in csv_rows(alice_client.get(f"/shortlists/{campaign.pk}/export.csv"))
    }
    xlsx = keyed(xlsx_table(body_of(alice_client.get(f"/shortlists/{campaign.pk}/export.xlsx"))))
    xlsx_by_handle = {row["handle"]: row for row in xlsx}
    for rows in (csv_by_handle, xlsx_by_handle):
        assert sorted(rows) == campaign_handles(world)
        assert rows[entry.creator.handle]["shortlist_status"] == "Agreed"
        # Multi-line, and neutralised where a line would start a formula? Only the cell's first character counts.
        assert rows[entry.creator.handle]["shortlist_note"] == NOTE
        assert {rows[h]["shortlist_status"] for h in campaign_handles(world) if h != entry.creator.handle} == {
            "To contact"
        }
        assert rows[entry.creator.handle]["shortlist_added_by"] == "bob"
        assert "overall" in rows[entry.creator.handle] and "sales" in rows[entry.creator.handle]


def test_a_note_that_starts_a_formula_is_neutralised_in_both_exports(world, alice_client, campaign):
    ShortlistEntry.objects.filter(shortlist=campaign).update(note="=HYPERLINK(\"http://x\")")
    for suffix, read in (("csv", lambda r: csv_rows(r)), ("xlsx", lambda r: keyed(xlsx_table(body_of(r))))):
        rows = read(alice_client.get(f"/shortlists/{campaign.pk}/export.{suffix}"))
        assert {row["shortlist_note"] for row in rows} == {"'=HYPERLINK(\"http://x\")"}


def test_a_viewer_keeps_shortlists_but_does_not_export_them(world, bob_client, campaign):
    assert _page(bob_client, campaign)
    assert "shortlist-export" not in _page(bob_client, campaign)
    assert bob_client.get(f"/shortlists/{campaign.pk}/export.csv").status_code == 404
    assert bob_client.get(f"/shortlists/{campaign.pk}/export.xlsx").status_code == 404
    response = bob_client.post(ADD, {"handles": world.handles_in("beauty")[2:4], "shortlist": campaign.pk})
    assert response.status_code == 302 and campaign.entries.count() == 6


# --- Access at read time -----------------------------------------------------------------------------------------


def test_a_creator_that_leaves_the_grant_disappears_everywhere_and_comes_back_with_it(world, alice_client, campaign):
    fashion = world.categories["fashion"]
    leaving = [h for h in campaign_handles(world) if world.creators[h].primary_category == fashion]
    staying = [h for h in campaign_handles(world) if h not in leaving]
    assert leaving and staying
    world.grant_a.categories.remove(fashion)

    html = _page(alice_client, campaign)
    assert sorted(_rows(html)) == staying
    for handle in leaving:
        assert handle not in html and world.creators[handle].display_name not in html
    assert "<p class=\"muted flush\" id=\"entry-count\">2 creators" in html
    assert sorted(r["handle"] for r in csv_rows(alice_client.get(f"/shortlists/{campaign.pk}/export.csv"))) == staying
    xlsx = keyed(xlsx_table(body_of(alice_client.get(f"/shortlists/{campaign.pk}/export.xlsx"))))
    assert sorted(r["handle"] for r in xlsx) == staying
    assert "<td class=\"num\">2</td>" in alice_client.get("/shortlists/").content.decode()
    # Stored all the same: the entries wait for the grant.
    assert campaign.entries.count() == 4
    # Not editable either: its entry id answers 404.
    hidden_entry = _entries(campaign)[leaving[0]]
    response = alice_client.post(f"/shortlists/{campaign.pk}/", {"action": "edit", "entry": hidden_entry.pk,
                                                                 "status": "agreed"})
    assert response.status_code == 404

    world.grant_a.categories.add(fashion)
    assert sorted(_rows(_page(alice_client, campaign))) == sorted(campaign_handles(world))
    assert len(csv_rows(alice_client.get(f"/shortlists/{campaign.pk}/export.csv"))) == 4


def test_another_partners_shortlist_cannot_be_added_to_in_bulk(world, charlie_client, campaign):
    response = charlie_client.post(ADD, {"handles": world.handles_b[:2], "shortlist": campaign.pk})
    assert response.status_code == 404
    assert campaign.entries.count() == 4


def test_a_membership_moved_to_another_partner_does_not_offer_the_old_last_shortlist(world, alice_client, campaign):
    alice_client.post(ADD, {"handles": world.handles_a[5:6], "shortlist": campaign.pk})
    membership = Membership.objects.get(user=world.users["alice"])
    assert membership.last_shortlist_id == campaign.pk
    membership.partner = world.partner_b
    membership.role = Role.ANALYST
    membership.save()
    html = alice_client.get(f"/creators/{world.handles_b[0]}/").content.decode()
    # Neither its name nor its id as a choice of the "Add to" select (other inputs may carry the value 1).
    assert ">Campaign<" not in html and f'<option value="{campaign.pk}"' not in html


def test_the_shortlist_page_says_as_of_when_its_scores_are_and_reads_the_run_once(world, alice_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from scoring.models import ScoringRun

    shortlist = Shortlist.objects.create(partner=world.partner_a, name="As of")
    ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators[world.handles_a[0]])
    run = ScoringRun.objects.get(is_published=True)
    with CaptureQueriesContext(connection) as queries:
        html = _page(alice_client, shortlist)
    assert 'id="data-as-of"' in html and f"Data as of {run.as_of:%-d %B %Y}" in html
    # The banner and the rows share one read of the published run.
    table = ScoringRun._meta.db_table
    assert sum(f'FROM "{table}"' in query["sql"] for query in queries.captured_queries) == 1
