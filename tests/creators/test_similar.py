"""Similar creators (issue 20 item 1): on the scorecard and in the API, visible creators sharing a category,
ranked on the visible indices only, each with its reason."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from creators.similar import CANDIDATES_PER_SIDE, EMPTY_TEXT, NO_OVERALL_ACCESS, similar_creators
from partners.access import access_for_user
from partners.models import AuditEvent
from scoring import similarity
from scoring.models import Scorecard
from scoring.services import published_run_touch
from tests.conftest import make_creators, make_partner, make_scorecards, make_user

pytestmark = pytest.mark.django_db

INDICES = ("overall", "collaboration", "care", "volume", "effectiveness", "sales", "consistency")
COMMERCIAL = ("collaboration", "care", "sales")


def _set(world, handle: str, **values: float | None) -> None:
    Scorecard.objects.filter(run=world.run, creator=world.creators[handle]).update(**values)


def _similar_handles(client: Client, handle: str) -> list[str]:
    html = client.get(f"/creators/{handle}/").content.decode()
    block = html.split('id="similar-creators"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'class="similar-handle">@([^<]+)</a>', block)


def _new_revision(world) -> None:
    """A new revision of the published run, as a rewrite of its visible rows makes (the test writes scorecards into
    a published run, which only the scoring run does in the product): cached rankings of the old one are not read."""
    published_run_touch(run_id=world.run.pk)
    world.run.refresh_from_db()


def _api(client: Client, handle: str) -> dict:
    response = client.get(f"/api/v1/creators/{handle}/similar/")
    assert response.status_code == 200, response.content
    return response.json()


def test_it_lists_the_visible_creators_of_the_same_category_nearest_first(world, alice_client):
    # beauty_1 sits at 50 on every index; beauty_2 is 1 point away everywhere, beauty_3 20, beauty_4 40.
    for handle, value in (("beauty_1", 50.0), ("beauty_2", 51.0), ("beauty_3", 70.0), ("beauty_4", 90.0)):
        _set(world, handle, **{name: value for name in INDICES})
    assert _similar_handles(alice_client, "beauty_1") == ["beauty_2", "beauty_3", "beauty_4"]
    html = alice_client.get("/creators/beauty_1/").content.decode()
    assert '<span class="similar-reason">Same category beauty; close on overall and collaboration</span>' in html
    body = _api(alice_client, "beauty_1")
    assert [item["handle"] for item in body["results"]] == ["beauty_2", "beauty_3", "beauty_4"]
    assert body["compared_on"] == list(INDICES)
    first = body["results"][0]
    assert set(first) == {"handle", "display_name", "categories", "followers", "scores", "shared_categories",
                          "close_on", "reason"}
    assert first["scores"] == {name: 51.0 for name in INDICES}
    assert first["shared_categories"] == ["beauty"]
    assert first["reason"] == "same category beauty; close on overall and collaboration"
    assert body["results"][2]["reason"] == "same category beauty; nearest on overall"
    assert body["empty_reason"] is None


def _link(world, handle: str, slug: str) -> None:
    """Link a creator to one more category, and copy it onto its scorecard as a scoring run would."""
    creator = world.creators[handle]
    creator.categories.add(world.categories[slug])
    card = Scorecard.objects.get(run=world.run, creator=creator)
    card.category_ids = sorted({*card.category_ids, world.categories[slug].pk})
    card.save(update_fields=["category_ids"])


def test_it_never_lists_a_creator_outside_the_grant_even_when_it_is_the_closest(world, alice_client):
    # beauty_1 also posts travel and fashion; the travel creators (visible to nobody) share travel with it and
    # are its exact twins. Its seven visible peers fill the six places: no hidden creator takes one.
    _link(world, "beauty_1", "travel")
    _link(world, "beauty_1", "fashion")
    for handle in ("beauty_1", *world.handles_nobody):
        _set(world, handle, **{name: 50.0 for name in INDICES})
    handles = _similar_handles(alice_client, "beauty_1")
    assert len(handles) == 6
    assert set(handles) <= set(world.handles_a) - {"beauty_1"}
    assert "travel_1" not in alice_client.get("/api/v1/creators/beauty_1/similar/").content.decode()
    # A creator granted by name only: the other beauty creators share its category but stay hidden.
    partner, _ = make_partner("Solo", creators=[world.creators["beauty_1"], world.creators["beauty_2"]])
    solo = Client()
    solo.force_login(make_user("solo", partner=partner, role="analyst"))
    assert [item["handle"] for item in _api(solo, "beauty_1")["results"]] == ["beauty_2"]
    assert _similar_handles(solo, "beauty_1") == ["beauty_2"]


def test_a_creator_that_leaves_the_grant_leaves_the_list_and_comes_back_with_it(world, alice_client):
    _link(world, "beauty_1", "fashion")
    assert "fashion_1" in [item["handle"] for item in _api(alice_client, "beauty_1")["results"]]
    world.grant_a.categories.remove(world.categories["fashion"])
    handles = [item["handle"] for item in _api(alice_client, "beauty_1")["results"]]
    assert handles and not any(handle.startswith("fashion_") for handle in handles)
    world.grant_a.categories.add(world.categories["fashion"])
    assert "fashion_1" in [item["handle"] for item in _api(alice_client, "beauty_1")["results"]]


def _hidden_setup(world) -> None:
    """electronics_1 at 50 on every index; electronics_2 1 point off on the performance indices and far on the
    commercial ones, electronics_3 the other way round: ranked on all seven, 3 comes first; on the visible four,
    2 does."""
    _set(world, "electronics_1", **{name: 50.0 for name in INDICES})
    _set(world, "electronics_2", **{name: 90.0 if name in COMMERCIAL else 51.0 for name in INDICES})
    _set(world, "electronics_3", **{name: 50.0 if name in COMMERCIAL else 58.0 for name in INDICES})


def _snapshot(client: Client) -> tuple[list[str], str, dict]:
    html = client.get("/creators/electronics_1/").content.decode()
    block = html.split('id="similar-creators"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'class="similar-handle">@([^<]+)</a>', block), block, _api(client, "electronics_1")


def test_a_hidden_index_changes_nothing_for_a_partner_without_the_commercial_tier(world, charlie_client):
    _hidden_setup(world)
    order, block, body = _snapshot(charlie_client)
    assert order[:2] == ["electronics_2", "electronics_3"]
    assert body["compared_on"] == ["overall", "volume", "effectiveness", "consistency"]
    for item in body["results"]:
        assert set(item["scores"]) == {"overall", "volume", "effectiveness", "consistency"}
        assert not set(item["close_on"]) & set(COMMERCIAL)
    # Swap the hidden indices around (and null some): the page block and the API answer stay byte for byte.
    for n, handle in enumerate(world.handles_b):
        _set(world, handle, collaboration=None if n % 2 else 0.0, care=100.0 - n, sales=None if n % 3 else 99.0)
    _new_revision(world)  # ranked afresh, not read from the cache
    assert _snapshot(charlie_client) == (order, block, body)


def test_the_commercial_tier_does_rank_on_the_commercial_indices(world, charlie_client):
    # The same data with the commercial tier: the order follows all seven (so the test above is not vacuous).
    _hidden_setup(world)
    world.grant_b.commercial = True
    world.grant_b.save()
    order, _, body = _snapshot(charlie_client)
    assert order[:2] == ["electronics_3", "electronics_2"]
    assert body["compared_on"] == list(INDICES)
    assert body["results"][0]["reason"] == "same category electronics; close on collaboration and care"


def test_the_block_explains_an_empty_list(world, alice_client):
    # A partner granted beauty_1 alone: no other creator it can see shares a category.
    partner, _ = make_partner("Just one", creators=[world.creators["beauty_1"]])
    alone = Client()
    alone.force_login(make_user("alone", partner=partner, role="analyst"))
    html = alone.get("/creators/beauty_1/").content.decode()
    assert 'id="similar-empty"' in html and "No other creator you can see shares a category" in html
    assert _api(alone, "beauty_1") == {"compared_on": ["overall", "volume", "effectiveness", "consistency"],
                                       "results": [], "empty_reason": "no_candidates"}
    _set(world, "beauty_2", overall=None)
    assert _api(alice_client, "beauty_2")["empty_reason"] == "no_overall"
    assert EMPTY_TEXT["no_overall"] in alice_client.get("/creators/beauty_2/").content.decode()


def test_without_the_overall_index_there_is_no_similarity(world):
    partner, _ = make_partner("Commercial only", categories=[world.categories["beauty"]], performance=False,
                              commercial=True)
    user = make_user("commercial", partner=partner, role="analyst")
    access = access_for_user(user)
    assert similar_creators(access=access, creator=world.creators["beauty_1"], run=world.run).empty == (
        NO_OVERALL_ACCESS)
    client = Client()
    client.force_login(user)
    assert _api(client, "beauty_1") == {"compared_on": [], "results": [], "empty_reason": "needs_overall"}
    assert EMPTY_TEXT[NO_OVERALL_ACCESS] in client.get("/creators/beauty_1/").content.decode()


def test_a_hidden_handle_is_the_scorecards_audited_404(world, alice_client, bob_client):
    hidden = world.handles_b[0]
    for handle in (hidden, "no-such-creator"):
        response = alice_client.get(f"/api/v1/creators/{handle}/similar/")
        assert response.status_code == 404
        event = AuditEvent.objects.filter(object_handle=handle).latest("created_at")
        assert (event.action, event.outcome) == ("creator.view", "denied")
    assert alice_client.get(f"/creators/{hidden}/").status_code == 404
    # The API is for analysts and managers; a viewer sees the block on the page only.
    assert bob_client.get(f"/api/v1/creators/{world.handles_a[0]}/similar/").status_code == 403
    assert 'id="similar-list"' in bob_client.get(f"/creators/{world.handles_a[0]}/").content.decode()
    ok = alice_client.get(f"/api/v1/creators/{world.handles_a[0]}/similar/")
    event = AuditEvent.objects.filter(action="creator.similar").latest("created_at")
    assert (event.object_handle, event.row_count, event.outcome) == (world.handles_a[0], len(ok.json()["results"]),
                                                                      "ok")
    assert alice_client.get(f"/api/v1/creators/{world.handles_a[0]}/similar/?limit=3").status_code == 400


def test_the_candidate_set_is_bounded_on_each_side_of_the_overall(world, alice_client, django_assert_max_num_queries):
    # user, grants, creator, run, the four of similar_creators on a cold cache, audit: the same before and after
    # the category grows past the candidate set, which stays bounded (session and user warm after a first call).
    alice_client.get("/api/v1/creators/beauty_1/similar/")
    _new_revision(world)
    with django_assert_max_num_queries(9):
        assert alice_client.get("/api/v1/creators/beauty_1/similar/").status_code == 200
    extra = make_creators({"beauty": world.categories["beauty"]}, CANDIDATES_PER_SIDE * 2 + 10, prefix="x")
    make_scorecards(world.run, extra)
    _new_revision(world)
    with django_assert_max_num_queries(9):
        assert alice_client.get("/api/v1/creators/beauty_1/similar/").status_code == 200
    _new_revision(world)
    access = access_for_user(world.users["alice"])
    with django_assert_max_num_queries(4):
        result = similar_creators(access=access, creator=world.creators["beauty_1"], run=world.run)
    assert len(result.items) == 6
    distances = [item.distance for item in result.items]
    assert distances == sorted(distances)
    # Exact within the candidates: no creator of the candidate set on either side of overall is nearer than
    # the sixth listed.
    target = Scorecard.objects.filter(run=world.run, creator=world.creators["beauty_1"]).values(*INDICES).get()
    cards = Scorecard.objects.filter(run=world.run, category_ids__overlap=[world.categories["beauty"].pk]).exclude(
        creator=world.creators["beauty_1"]).values("creator_id", *INDICES)
    above = sorted((c for c in cards if c["overall"] >= target["overall"]), key=lambda c: (c["overall"],
                   c["creator_id"]))[:CANDIDATES_PER_SIDE]
    below = sorted((c for c in cards if c["overall"] < target["overall"]), key=lambda c: (-c["overall"],
                   -c["creator_id"]))[:CANDIDATES_PER_SIDE]
    dims = similarity.dimensions(target, INDICES)
    expected = similarity.nearest(target, [(c["creator_id"], c) for c in above + below], dims, limit=6)
    assert [m.creator_id for m in expected] == [item.row["creator_id"] for item in result.items]


def test_the_distance_and_the_reason_by_hand():
    target = {"overall": 50.0, "care": 40.0, "sales": 70.0, "volume": None}
    dims = similarity.dimensions(target, ("overall", "care", "sales", "volume"))
    assert dims == ("overall", "care", "sales")
    candidate = {"overall": 53.0, "care": 44.0, "sales": None}
    # gaps 3, 4 and 50 (sales unknown): sqrt((9 + 16 + 2500) / 3)
    assert similarity.distance(target, candidate, dims) == pytest.approx((2525 / 3) ** 0.5)
    assert similarity.close_on(target, candidate, dims) == (("overall", "care"), True)
    assert similarity.close_on(target, {"overall": 80.0, "care": 99.0, "sales": 10.0}, dims) == (("overall",), False)
    ranked = similarity.nearest(target, [(7, candidate), (3, {"overall": 50.0, "care": 40.0, "sales": 70.0}),
                                         (5, {"overall": 50.0, "care": 40.0, "sales": 70.0})], dims, limit=2)
    assert [(match.creator_id, match.distance) for match in ranked] == [(3, 0.0), (5, 0.0)]
    assert similarity.reason(shared_categories=["beauty"], close=["care", "sales"]) == (
        "same category beauty; close on care and sales")
    assert similarity.reason(shared_categories=["beauty", "home", "baby"], close=["volume"], is_close=False) == (
        "same categories beauty, home and baby; nearest on volume")
    assert similarity.nearest(target, [(1, candidate)], (), limit=5) == []


def test_the_ranking_is_computed_once_per_run_revision_and_scope(world, django_assert_num_queries):
    # Cold: the target, the two seeks, the rows. Warm (the shared cache): the rows only, through the list's door.
    alice = access_for_user(world.users["alice"])
    creator = world.creators["beauty_1"]
    with django_assert_num_queries(4):
        cold = similar_creators(access=alice, creator=creator, run=world.run)
    with django_assert_num_queries(1):
        warm = similar_creators(access=alice, creator=creator, run=world.run)
    assert cold.items and warm == cold
    # The creator made scoreless below is listed now (so a stale entry would still list it).
    assert world.handles_a[1] in [item.row["handle"] for item in cold.items]
    # Another scope (a grant of two creators) ranks its own candidates: nothing of Alice's entry is read.
    partner, _ = make_partner("Solo", creators=[creator, world.creators["beauty_2"]])
    solo = access_for_user(make_user("solo", partner=partner, role="analyst"))
    with django_assert_num_queries(4):
        assert [item.row["handle"] for item in similar_creators(access=solo, creator=creator, run=world.run).items] \
            == ["beauty_2"]
    # A new revision of the run (its visible rows rewritten) is ranked afresh, and equals the plain computation.
    _set(world, world.handles_a[1], overall=None)
    _new_revision(world)
    with django_assert_num_queries(4):
        fresh = similar_creators(access=alice, creator=creator, run=world.run)
    assert world.handles_a[1] not in [item.row["handle"] for item in fresh.items]
