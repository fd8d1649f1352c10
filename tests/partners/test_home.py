"""The partner's home page (issue 19 item 1): movers and new creators between the last two published runs, and the
partner's shortlist activity, through the access door (hidden creators and fields absent, after a grant change too).

Two hand-made runs: ``world``'s published run and an earlier run of the same window whose values are the published
ones minus a change chosen per creator, with the change columns the scoring run writes filled by hand.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from partners.access import access_for_user
from partners.choices import AuditAction
from partners.models import AuditEvent, Shortlist, ShortlistEntry
from scoring.aggregates import Scope
from scoring.choices import RunStatus
from scoring.models import RunMovers, Scorecard, ScoringRun
from scoring.movers import MOVER_INDICES, run_movers_precompute
from tests.conftest import World

pytestmark = pytest.mark.django_db

# The change of each index per creator between the earlier run and the published one (points); 0 where unlisted.
CHANGES: dict[str, dict[str, float]] = {
    "overall": {"beauty_1": 12.0, "fashion_3": 5.0, "fashion_2": -8.0, "beauty_2": -1.5, "electronics_1": 30.0,
                "gaming_2": -20.0, "travel_1": 50.0},
    "care": {"beauty_2": 20.0, "fashion_1": -9.0, "travel_1": 40.0},
    "volume": {"electronics_2": 7.0, "fashion_4": 3.0},
}
# In the published run only: no scorecard in the earlier one.
NEW_CREATOR = "beauty_4"
# In the earlier run outside every category of partner A; now also in beauty (a category link added since).
MOVED_IN = "travel_2"


def _two_runs(world: World) -> ScoringRun:
    """An earlier run compared with ``world.run``; returns it."""
    run = world.run
    earlier = ScoringRun.objects.create(
        as_of=run.as_of - timedelta(days=7), status=RunStatus.SUCCEEDED, is_published=False, triggered_by="test",
        published_at=timezone.now() - timedelta(days=7),
    )
    beauty = world.categories["beauty"].pk
    cards = []
    for card in Scorecard.objects.filter(run=run).select_related("creator"):
        handle = card.creator.handle
        if handle == NEW_CREATOR:
            continue
        if handle == MOVED_IN:
            # Now also in beauty: the link and the published scorecard's copy, as an import and the access sync do.
            card.creator.categories.add(world.categories["beauty"])
            Scorecard.objects.filter(pk=card.pk).update(category_ids=sorted({*card.category_ids, beauty}))
        before = Scorecard.objects.get(pk=card.pk)
        before.pk = None
        before.run = earlier
        before.category_ids = card.category_ids
        for index in MOVER_INDICES:
            value = getattr(card, index)
            if value is not None:
                setattr(before, index, value - CHANGES.get(index, {}).get(handle, 0.0))
        cards.append(before)
    Scorecard.objects.bulk_create(cards)
    # What the scoring run writes: each change (this run minus the compared one) and whether the creator is new.
    for card in Scorecard.objects.filter(run=run).select_related("creator"):
        handle = card.creator.handle
        values: dict[str, float | bool | None] = {"is_new": handle == NEW_CREATOR}
        for index in MOVER_INDICES:
            present = getattr(card, index) is not None and handle != NEW_CREATOR
            values[f"{index}_change"] = CHANGES.get(index, {}).get(handle, 0.0) if present else None
        Scorecard.objects.filter(pk=card.pk).update(**values)
    ScoringRun.objects.filter(pk=run.pk).update(compared_run=earlier)
    run.refresh_from_db()
    return earlier


def _section(html: str, element_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{element_id}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def _names(html: str, direction: str) -> list[str]:
    block = re.search(rf'data-direction="{direction}">(.*?)</div>', html, re.S)
    return re.findall(r'href="/creators/([^/"]+)/"', block.group(1)) if block else []


def _home(client: Client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_movers_of_each_visible_index_among_the_partners_creators(world, alice_client):
    _two_runs(world)
    html = _home(alice_client)
    overall = _section(html, "movers-overall")
    # Biggest move first; electronics_1, gaming_2 (partner B's) and travel_1 (nobody's) are absent.
    assert _names(overall, "up") == ["beauty_1", "fashion_3"]
    assert _names(overall, "down") == ["fashion_2", "beauty_2"]
    assert "+12.0" in overall and "−8.0" in overall and "−1.5" in overall
    care = _section(html, "movers-care")
    assert _names(care, "up") == ["beauty_2"] and _names(care, "down") == ["fashion_1"]
    assert _names(_section(html, "movers-volume"), "up") == ["fashion_4"]
    # Named by the handle, which is unique (two creators may share a display name).
    assert ">@fashion_4</a>" in _section(html, "movers-volume")
    for hidden in ("electronics_1", "electronics_2", "gaming_2", "travel_1"):
        assert f"/creators/{hidden}/" not in html


def test_it_lists_the_creators_new_to_the_partners_view(world, alice_client, charlie_client):
    _two_runs(world)
    new = _section(_home(alice_client), "new-creators")
    assert set(re.findall(r'href="/creators/([^/"]+)/"', new)) == {NEW_CREATOR, MOVED_IN}
    assert "2 creators you can see now" in new
    # Partner B sees neither (not in its categories).
    assert "No creator is new to your view" in _section(_home(charlie_client), "new-creators")


def test_a_partner_without_the_commercial_tier_sees_no_commercial_index(world, charlie_client):
    _two_runs(world)
    html = _home(charlie_client)
    assert _names(_section(html, "movers-overall"), "up") == ["electronics_1"]
    assert _names(_section(html, "movers-overall"), "down") == ["gaming_2"]
    assert _names(_section(html, "movers-volume"), "up") == ["electronics_2"]
    for index in ("collaboration", "care", "sales"):
        assert f'id="movers-{index}"' not in html
    assert "Care" not in html and "Sales" not in html
    for hidden in ("beauty_1", "beauty_2", "fashion_2", "travel_1"):
        assert f"/creators/{hidden}/" not in html


def test_a_grant_change_between_two_runs_hides_what_the_grant_lost(world, alice_client):
    _two_runs(world)
    # The run computed the movers of partner A's grant (beauty + fashion, both tiers) before it published.
    run_movers_precompute(world.run)
    assert "/creators/fashion_2/" in _home(alice_client)
    world.grant_a.categories.set([world.categories["beauty"]])
    world.grant_a.commercial = False
    world.grant_a.save()
    cache.clear()
    html = _home(alice_client)
    assert _names(_section(html, "movers-overall"), "up") == ["beauty_1"]
    assert _names(_section(html, "movers-overall"), "down") == ["beauty_2"]
    assert 'id="movers-care"' not in html and "Care" not in html
    for gone in ("fashion_1", "fashion_2", "fashion_3", "fashion_4"):
        assert f"/creators/{gone}/" not in html
    # The new scope was computed once, by this first reader, and stored beside the old one.
    access = access_for_user(world.users["alice"])
    assert RunMovers.objects.filter(run=world.run, scope=Scope.of(access).key).count() == 1
    assert RunMovers.objects.filter(run=world.run).count() == 3  # A before, B, A after


def test_a_stored_selection_is_re_read_through_the_access_door(world, alice_client):
    """Should the stored ids name a creator the reader cannot see (the selection of another scope, say), the page
    still shows only visible creators."""
    _two_runs(world)
    access = access_for_user(world.users["alice"])
    outsider = world.creators["electronics_1"].pk
    RunMovers.objects.create(
        run=world.run, revision=world.run.revision, scope=Scope.of(access).key,
        movers={"overall": {"up": [outsider, world.creators["beauty_1"].pk], "down": []}},
        new_creators=[outsider], new_count=1,
    )
    html = _home(alice_client)
    assert _names(_section(html, "movers-overall"), "up") == ["beauty_1"]
    assert "/creators/electronics_1/" not in html


def test_without_a_previous_run_it_says_so(world, alice_client):
    html = _home(alice_client)
    assert 'id="movers-overall"' not in html
    assert "first published run of its 90-day window" in html
    assert "Data as of" in html


def test_before_any_run_it_says_nothing_is_published(world, alice_client):
    ScoringRun.objects.update(is_published=False)
    html = _home(alice_client)
    assert "No scores have been published yet." in html
    assert "/creators/beauty_1/" not in html


def test_it_shows_the_partners_recent_shortlist_activity(world, alice_client):
    shortlist = Shortlist.objects.create(partner=world.partner_a, name="Spring launch", created_by=world.users["bob"])
    ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators["fashion_1"], added_by=world.users["bob"])
    # A creator that has left the grant since it was added: stored, not shown.
    ShortlistEntry.objects.create(shortlist=shortlist, creator=world.creators["travel_3"], added_by=world.users["bob"])
    other = Shortlist.objects.create(partner=world.partner_b, name="Gadget picks")
    ShortlistEntry.objects.create(shortlist=other, creator=world.creators["gaming_1"])
    activity = _section(_home(alice_client), "shortlist-activity")
    assert "/creators/fashion_1/" in activity and "Spring launch" in activity and "by bob" in activity
    assert f"/shortlists/{shortlist.pk}/" in activity
    assert "travel_3" not in activity and "Gadget picks" not in activity and "gaming_1" not in activity


def test_the_page_is_audited_with_the_creators_it_showed(world, alice_client):
    _two_runs(world)
    _home(alice_client)
    event = AuditEvent.objects.get(action=AuditAction.HOME_VIEW)
    assert event.user == world.users["alice"] and event.partner == world.partner_a
    # beauty_1, fashion_3, fashion_2, beauty_2 (overall); fashion_1 (care, beside beauty_2); fashion_4 (volume);
    # beauty_4 and travel_2 (new): each creator once.
    assert event.row_count == 8


def test_anyone_else_gets_the_welcome_card(world, client, dana_client, sam_client):
    assert "Log in" in client.get("/").content.decode()
    assert "no current partner access" in dana_client.get("/").content.decode()
    assert "the admin" in sam_client.get("/").content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.HOME_VIEW).exists()


def test_its_queries_do_not_grow_with_the_movers(world, alice_client, django_assert_max_num_queries):
    _two_runs(world)
    _home(alice_client)  # the first reader stores and caches the selection
    # Session and user, access, run, the cached selection's list query, the shortlist activity, the saved searches
    # (none here: the list and whether there are more), the audit event and the session save.
    with django_assert_max_num_queries(11):
        _home(alice_client)


def test_a_creator_that_left_the_grant_since_the_selection_is_gone(world, alice_client):
    from scoring.services import scorecards_access_sync

    _two_runs(world)
    run_movers_precompute(world.run)
    assert "/creators/beauty_1/" in _home(alice_client)
    # beauty_1 moves to travel (an import would do this), in the transaction that syncs the published copies.
    creator = world.creators["beauty_1"]
    creator.primary_category = world.categories["travel"]
    creator.save()
    creator.categories.set([world.categories["travel"]])
    scorecards_access_sync(creator_ids=[creator.pk])
    html = _home(alice_client)
    assert "/creators/beauty_1/" not in html
    assert _names(_section(html, "movers-overall"), "up") == ["fashion_3"]


def test_it_lists_the_users_and_shared_saved_searches_with_their_counts(world, alice_client):
    from partners import saved_searches

    def create(user: str, name: str, *, shared: bool, filters: dict[str, str] | None = None):
        return saved_searches.saved_search_create(
            access=access_for_user(world.users[user]), name=name, shared=shared,
            filters={"category": "beauty"} if filters is None else filters,
        )

    own = create("alice", "Beauty picks", shared=False)
    colleague = create("bob", "Colleague picks", shared=True)
    private = create("bob", "Private picks", shared=False)
    other_partner = create("charlie", "Gadgets", shared=True, filters={})
    section = _section(_home(alice_client), "home-searches")
    for search in (own, colleague):
        item = section.split(f'data-search="{search.name}"', 1)[1].split("</li>", 1)[0]
        assert re.search(r"<span data-count>(\d+)</span>", item)[1] == str(len(world.handles_in("beauty")))
        assert f"/searches/{search.pk}/open/" in item
    assert private.name not in section and other_partner.name not in section
