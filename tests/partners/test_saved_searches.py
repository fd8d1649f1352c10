"""Saved searches (issue 19 part 2): the rules of ``partners.saved_searches`` and the ``/searches/`` pages.

Counts are checked against the persona world's own data (``world.handles_in``), and "new since last seen" against
two published runs of that world: one made by the fixtures, one after it with changed scorecards.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from partners import saved_searches
from partners.access import access_for_user
from partners.choices import AuditAction, AuditOutcome, Role
from partners.models import AuditEvent, SavedSearch, SavedSearchSeen
from scoring.choices import RunStatus
from scoring.models import Scorecard, ScoringRun
from tests.conftest import World, make_scorecards

pytestmark = pytest.mark.django_db


def save(client: Client, name: str, query: str, *, shared: bool = False):
    data = {"name": name, "query": query}
    if shared:
        data["shared"] = "on"
    return client.post("/searches/", data)


def messages_of(response) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r'<li class="(?:error|success)">(.*?)</li>',
                                                                   response.content.decode(), re.S)]


def card(html: str, search: SavedSearch) -> str:
    """The markup of one search's card on /searches/."""
    start = html.index(f'id="search-{search.pk}"')
    return html[start : html.index("</li>", start)]


def count_in(card_html: str, attribute: str) -> str:
    found = re.search(rf"<dd[^>]*{attribute}>([^<]*)</dd>", card_html)
    assert found is not None, card_html
    return found[1].strip()


def publish_next_run(world: World, *, overall: dict[str, float]) -> ScoringRun:
    """A second published run: the same creators, with the given overall scores changed (the first unpublished)."""
    ScoringRun.objects.filter(is_published=True).update(is_published=False)
    run = ScoringRun.objects.create(
        as_of=world.run.as_of + timedelta(days=7), status=RunStatus.SUCCEEDED, is_published=True,
        triggered_by="test", creators_count=len(world.creators), published_at=timezone.now(),
    )
    make_scorecards(run, world.creators)
    for handle, value in overall.items():
        Scorecard.objects.filter(run=run, creator=world.creators[handle]).update(overall=value)
    return run


def test_it_saves_the_lists_filters_and_shows_the_count(world, alice_client):
    response = save(alice_client, "Beauty picks", "category=beauty&ordering=-volume&cursor=abc&columns=overall")
    search = SavedSearch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/searches/#search-{search.pk}"
    # Positions and display choices are not part of a search.
    assert search.filters == {"category": "beauty", "ordering": "-volume"}
    assert (search.partner, search.created_by, search.shared) == (world.partner_a, world.users["alice"], False)
    page = alice_client.get("/searches/")
    assert page.status_code == 200
    html = page.content.decode()
    assert count_in(card(html, search), "data-count") == str(len(world.handles_in("beauty")))
    assert "Category: Beauty · Sorted by Volume, highest first" in card(html, search)
    assert "Saved “Beauty picks”: 4 creators match now." in messages_of(page)
    events = AuditEvent.objects.filter(action=AuditAction.SAVED_SEARCH_CHANGE)
    assert events.get().filters["change"] == "create"
    assert AuditEvent.objects.filter(action=AuditAction.SAVED_SEARCH_LIST, row_count=1).count() == 1


def test_the_list_page_offers_its_query_to_save(world, alice_client):
    html = alice_client.get("/creators/?category=fashion&overall_min=10&cursor=x").content.decode()
    query = re.search(r'name="query" value="([^"]*)"', html)[1].replace("&amp;", "&")
    assert query == "category=fashion&overall_min=10&ordering=-overall"
    assert 'action="/searches/"' in html and "csrfmiddlewaretoken" in html


@pytest.mark.parametrize(
    ("name", "query", "message"),
    [
        ("", "category=beauty", "Name: Give the search a name."),
        ("   ", "category=beauty", "Name: Give the search a name."),
        ("x" * 121, "category=beauty", "Name: Keep the name to 120 characters or fewer."),
        ("Ok", "overall_min=lots", "Overall at least: Enter a number."),
        ("Ok", "category=travel", "Category: Select a valid choice."),
        ("Ok", "bogus=1", "bogus: Unknown parameter: bogus."),
        ("Ok", "ordering=-gmv", "Order by: Cannot order by -gmv."),
    ],
)
def test_it_refuses_what_cannot_be_saved_with_a_clear_message(world, alice_client, name, query, message):
    response = save(alice_client, name, query)
    assert response.status_code == 302 and response["Location"].startswith("/creators/")
    shown = messages_of(alice_client.get(response["Location"]))
    assert any(message in text for text in shown), shown
    assert not SavedSearch.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.SAVED_SEARCH_CHANGE, outcome=AuditOutcome.ERROR).exists()


def test_a_name_is_unique_per_user_whatever_the_case(world, alice_client, bob_client):
    save(alice_client, "Top Beauty", "category=beauty")
    response = save(alice_client, "top beauty", "category=fashion")
    assert "Name: You already have a saved search with this name." in " ".join(
        messages_of(alice_client.get(response["Location"]))
    )
    # Another user of the partner may use the same name for a search of its own.
    save(bob_client, "Top Beauty", "category=fashion")
    assert SavedSearch.objects.count() == 2


def test_a_hidden_field_cannot_be_saved(world, charlie_client):
    # Partner B has no commercial tier: care is not a filter it has.
    response = save(charlie_client, "Care", "care_min=40")
    text = " ".join(messages_of(charlie_client.get(response["Location"])))
    assert "care_min: This field is not available to your organisation." in text
    assert not SavedSearch.objects.exists()


def test_private_searches_stay_private_and_shared_ones_are_read_only(world, alice_client, bob_client):
    save(alice_client, "Alice private", "category=beauty")
    save(alice_client, "Alice shared", "category=fashion", shared=True)
    private, shared = SavedSearch.objects.get(name="Alice private"), SavedSearch.objects.get(name="Alice shared")
    html = bob_client.get("/searches/").content.decode()
    assert "Alice shared" in html and "Alice private" not in html
    assert "Shared by alice" in card(html, shared)
    assert "Rename, share or delete" not in card(html, shared)
    # Bob's attempts to change Alice's shared search are refused and recorded; the search is unchanged.
    for action in ("update", "delete"):
        response = bob_client.post(f"/searches/{shared.pk}/", {"action": action, "name": "Bob's now"})
        assert response.status_code == 302
        assert "Only the person who saved this search can change or delete it." in messages_of(
            bob_client.get("/searches/")
        )
    shared.refresh_from_db()
    assert shared.name == "Alice shared"
    assert AuditEvent.objects.filter(
        action=AuditAction.SAVED_SEARCH_CHANGE, outcome=AuditOutcome.DENIED, user=world.users["bob"]
    ).count() == 2
    # Alice's private one does not exist for Bob.
    assert bob_client.post(f"/searches/{private.pk}/", {"action": "delete"}).status_code == 404
    assert bob_client.post(f"/searches/{private.pk}/open/").status_code == 404
    # Bob may subscribe to the shared one.
    bob_client.post(f"/searches/{shared.pk}/", {"action": "subscribe"})
    assert list(shared.subscribers.all()) == [world.users["bob"]]
    assert "Email alerts on" in card(bob_client.get("/searches/").content.decode(), shared)
    bob_client.post(f"/searches/{shared.pk}/", {"action": "unsubscribe"})
    assert not shared.subscribers.exists()


def test_the_owner_renames_shares_and_deletes(world, alice_client, bob_client):
    save(alice_client, "First", "category=beauty")
    search = SavedSearch.objects.get()
    response = alice_client.post(f"/searches/{search.pk}/", {"action": "update", "name": "Renamed", "shared": "on"})
    assert response.status_code == 302
    search.refresh_from_db()
    assert (search.name, search.shared) == ("Renamed", True)
    assert "Renamed" in bob_client.get("/searches/").content.decode()
    save(alice_client, "Other", "category=fashion")
    alice_client.post(f"/searches/{search.pk}/", {"action": "update", "name": "other"})
    assert "Not changed. Name: You already have a saved search with this name." in messages_of(
        alice_client.get("/searches/")
    )
    alice_client.post(f"/searches/{search.pk}/", {"action": "delete"})
    assert not SavedSearch.objects.filter(pk=search.pk).exists()
    changes = list(AuditEvent.objects.filter(action=AuditAction.SAVED_SEARCH_CHANGE).values_list("filters", flat=True))
    assert [c["change"] for c in changes if c.get("saved_search") == search.pk] == ["delete", "update", "create"]


def test_another_partners_search_is_a_404_everywhere(world, alice_client, charlie_client):
    save(alice_client, "A's", "category=beauty", shared=True)
    search = SavedSearch.objects.get()
    for method, url, data in (
        ("get", f"/searches/{search.pk}/", {}),
        ("post", f"/searches/{search.pk}/", {"action": "subscribe"}),
        ("post", f"/searches/{search.pk}/", {"action": "delete"}),
        ("post", f"/searches/{search.pk}/open/", {}),
        ("get", f"/searches/{search.pk}/open/", {}),
    ):
        assert getattr(charlie_client, method)(url, data).status_code == 404, (method, url, data)
    assert "A&#x27;s" not in charlie_client.get("/searches/").content.decode()
    assert SavedSearch.objects.filter(pk=search.pk).exists() and not search.subscribers.exists()
    # An id nothing can have is the same 404.
    assert charlie_client.get("/searches/99999999999999999999/").status_code == 404


def test_users_without_access_get_the_404_page(world, dana_client, sam_client):
    for client in (dana_client, sam_client):
        assert client.get("/searches/").status_code == 404
        assert client.post("/searches/", {"name": "x", "query": ""}).status_code == 404
    assert not SavedSearch.objects.exists()


def test_every_change_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["alice"])
    assert client.post("/searches/", {"name": "No token", "query": "category=beauty"}).status_code == 403
    assert not SavedSearch.objects.exists()


def test_open_marks_it_seen_and_goes_to_the_list(world, alice_client, bob_client):
    save(alice_client, "Shared", "category=fashion&overall_min=20", shared=True)
    search = SavedSearch.objects.get()
    assert not SavedSearchSeen.objects.filter(user=world.users["bob"]).exists()
    response = bob_client.post(f"/searches/{search.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/creators/?category=fashion&overall_min=20"
    seen = SavedSearchSeen.objects.get(user=world.users["bob"], search=search)
    assert seen.run == world.run
    assert AuditEvent.objects.filter(action=AuditAction.SAVED_SEARCH_OPEN, user=world.users["bob"]).exists()
    # A GET (a typed address) changes nothing and goes to the search's card.
    assert bob_client.get(f"/searches/{search.pk}/open/")["Location"] == f"/searches/#search-{search.pk}"


def test_count_and_new_since_seen_across_two_runs(world, alice_client, bob_client):
    beauty = world.handles_in("beauty")
    threshold = 50.0
    first = sorted(h for h in beauty if Scorecard.objects.get(run=world.run, creator=world.creators[h]).overall >= 50)
    save(alice_client, "Strong beauty", "category=beauty&overall_min=50", shared=True)
    search = SavedSearch.objects.get()
    html = alice_client.get("/searches/").content.decode()
    assert count_in(card(html, search), "data-count") == str(len(first))
    assert count_in(card(html, search), "data-new") == "0"

    # The next run: two beauty creators below the threshold cross it, one above it falls below.
    below = sorted(set(beauty) - set(first))
    assert len(below) >= 2 and first, "the world must have beauty creators on both sides of the threshold"
    risers, faller = below[:2], first[0]
    publish_next_run(world, overall={risers[0]: 90.0, risers[1]: threshold, faller: 10.0})
    now = sorted((set(first) - {faller}) | set(risers))
    access = access_for_user(world.users["alice"])
    assert sorted(row["handle"] for row in saved_searches.matches(search, access)) == now
    assert sorted(
        row["handle"] for row in saved_searches.new_matches(search, access, world.run)
    ) == risers
    html = alice_client.get("/searches/").content.decode()
    assert count_in(card(html, search), "data-count") == str(len(now))
    assert count_in(card(html, search), "data-new") == "2"
    # Bob never opened it: nothing is "new" for him until he does.
    assert count_in(card(bob_client.get("/searches/").content.decode(), search), "data-new") == "0"
    # Opening it brings Alice's "new" back to zero.
    alice_client.post(f"/searches/{search.pk}/open/")
    assert count_in(card(alice_client.get("/searches/").content.decode(), search), "data-new") == "0"


def test_new_matches_are_none_without_a_seen_run(world):
    access = access_for_user(world.users["alice"])
    search = saved_searches.saved_search_create(access=access, name="x", filters={"category": "beauty"}, shared=False)
    assert saved_searches.new_matches(search, access, None).count() == 0
    assert saved_searches.matches(search, access).count() == len(world.handles_in("beauty"))


def test_a_lost_tier_drops_the_filter_with_a_message(world, alice_client):
    save(alice_client, "Sellers", "category=beauty&care_min=40&ordering=-care,-overall", shared=True)
    search = SavedSearch.objects.get()
    world.grant_a.commercial = False
    world.grant_a.save()
    html = alice_client.get("/searches/").content.decode()
    item = card(html, search)
    assert "Care at least 40</strong> was removed from this search: This field is not available to your organisation." \
        in item
    assert "Order by -care</strong> was removed" in item
    search.refresh_from_db()
    # The stored search holds no hidden filter any more: what remains is what the partner can use.
    assert search.filters == {"category": "beauty", "ordering": "-overall"}
    assert [d["name"] for d in search.dropped_filters] == ["care_min", "ordering"]
    assert count_in(item, "data-count") == str(len(world.handles_in("beauty")))
    # Opening it lists without the dropped filter, and no commercial value reaches the page.
    response = alice_client.post(f"/searches/{search.pk}/open/")
    assert response["Location"] == "/creators/?category=beauty&ordering=-overall"
    listed = alice_client.get(response["Location"])
    assert listed.status_code == 200
    assert 'name="care_min"' not in listed.content.decode() and ">Care<" not in listed.content.decode()


def test_a_category_that_left_the_grant_is_dropped_too(world, alice_client):
    save(alice_client, "Fashion", "category=fashion")
    search = SavedSearch.objects.get()
    world.grant_a.categories.remove(world.categories["fashion"])
    access = access_for_user(world.users["alice"])
    assert sorted(row["handle"] for row in saved_searches.matches(search, access)) == world.handles_in("beauty")
    search.refresh_from_db()
    assert search.filters == {} and search.dropped_filters[0]["name"] == "category"


def test_a_search_of_a_user_who_moved_partner_is_not_shown_there(world, alice_client):
    save(alice_client, "Mine", "category=beauty", shared=True)
    world.users["alice"].membership.delete()
    from partners.models import Membership

    Membership.objects.create(user=world.users["alice"], partner=world.partner_b, role=Role.ANALYST)
    alice_client.get("/searches/")  # the success message of the save
    html = alice_client.get("/searches/").content.decode()
    assert "Mine" not in html and 'id="no-searches"' in html


def test_the_searches_page_costs_a_few_queries_per_search(world, alice_client):
    """Each search costs its own validation and two counts (cached per published run): a small constant, whatever
    the number of creators; the page itself a fixed number more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_with(total: int) -> int:
        for i in range(SavedSearch.objects.count(), total):
            save(alice_client, f"S{i}", f"category=beauty&overall_min={i * 10}")
        alice_client.get("/searches/")  # the success message; warms the per-run caches as a reader before did
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get("/searches/").status_code == 200
        return len(queries)

    two, four = queries_with(2), queries_with(4)
    assert (four - two) / 2 <= 3, (two, four)
    assert two <= 20, two


@pytest.fixture
def eager_celery():
    from config.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


def test_new_since_seen_with_two_runs_of_the_scoring_engine(world, django_capture_on_commit_callbacks, eager_celery):
    """Two runs computed and published by the engine: a creator imported between them is new to the search."""
    from scoring import services
    from tests.conftest import make_creators
    from tests.scoring.builders import AS_OF, days_before, make_video

    for creator in world.creators.values():
        for day in (3, 10, 17):
            make_video(creator, days_before(day))
    with django_capture_on_commit_callbacks(execute=True):
        first = services.scoring_run_request(triggered_by="test", as_of=AS_OF)
    first.refresh_from_db()
    assert first.is_published, first.status
    access = access_for_user(world.users["alice"])
    search = saved_searches.saved_search_create(
        access=access, name="Beauty", filters={"category": "beauty"}, shared=False
    )
    assert SavedSearchSeen.objects.get(search=search).run == first
    assert saved_searches.summary_for(search, access=access).count == len(world.handles_in("beauty"))

    newcomer = make_creators({"beauty": world.categories["beauty"]}, 1, prefix="new_")["new_beauty_1"]
    make_video(newcomer, days_before(2))
    with django_capture_on_commit_callbacks(execute=True):
        second = services.scoring_run_request(triggered_by="test", as_of=AS_OF)
    second.refresh_from_db()
    assert second.is_published and second.pk != first.pk, second.status
    summary = saved_searches.summary_for(search, access=access)
    assert summary.count == len(world.handles_in("beauty")) + 1
    assert summary.new_since_seen == 1
    assert [row["handle"] for row in saved_searches.new_matches(search, access, first)] == [newcomer.handle]
