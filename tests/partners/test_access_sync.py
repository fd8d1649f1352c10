"""The scorecard's copies of its creator's categories and country follow every change, in the same transaction.

The partner list decides visibility from ``Scorecard.category_ids`` (copied by the scoring run). A creator whose
categories change before the next run must not stay visible to a partner whose grant no longer covers it, nor be
missing for one whose grant now does: the importers, the admin and the privacy erasure keep the copies exact.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from creators.importers.runner import run_import
from creators.models import Creator
from creators.privacy import creator_forget
from creators.selectors import creator_list
from partners.access import access_for_user
from scoring.models import Scorecard, ScoringRun
from scoring.services import scorecards_access_sync
from tests.creators.import_helpers import CREATORS_HEADER, lines, write

pytestmark = pytest.mark.django_db


def _import_creators(tmp_path: Path, *rows: str) -> None:
    report = run_import(kind="creators", path=write(tmp_path, lines(CREATORS_HEADER, *rows)))
    assert report.ok, report.errors


def _list_handles(client) -> set[str]:
    page = client.get("/creators/")
    assert page.status_code == 200
    api = client.get("/api/v1/creators/", {"page_size": 200}).json()
    export = client.get("/creators/export.csv", {"headers": "keys", "bom": "0"})
    assert export.status_code == 200
    exported = {row["handle"] for row in csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode()))}
    api_handles = {row["handle"] for row in api["results"]}
    assert api["count"] == len(api_handles)
    assert api_handles == exported, "the API list and the export disagree"
    return api_handles


def _card(world, handle: str) -> Scorecard:
    return Scorecard.objects.get(run=world.run, creator=world.creators[handle])


def test_the_run_copies_are_what_the_fixture_writes(world):
    card = _card(world, "beauty_1")
    assert card.category_ids == [world.categories["beauty"].pk]
    assert card.country == world.creators["beauty_1"].country


def test_an_import_moving_a_creator_out_of_the_grant_hides_it_at_once(world, alice_client, charlie_client,
                                                                       tmp_path):
    creator = world.creators["beauty_1"]
    assert "beauty_1" in _list_handles(alice_client)
    assert alice_client.get("/creators/beauty_1/").status_code == 200
    before = ScoringRun.objects.get(pk=world.run.pk).revision

    # beauty -> electronics: out of grant A (beauty, fashion), into grant B (electronics, gaming); no new run.
    _import_creators(tmp_path, f"{creator.external_id},beauty_1,electronics,,DE,electronics,1000")

    assert _card(world, "beauty_1").category_ids == [world.categories["electronics"].pk]
    assert _card(world, "beauty_1").country == "DE"
    assert ScoringRun.objects.get(pk=world.run.pk).revision == before + 1
    assert ScoringRun.objects.filter(is_published=True).get().pk == world.run.pk
    assert "beauty_1" not in _list_handles(alice_client)
    assert alice_client.get("/creators/beauty_1/").status_code == 404
    assert alice_client.get("/api/v1/creators/beauty_1/").status_code == 404
    assert alice_client.get("/creators/", {"category": "beauty"}).context["total"] == 3
    assert "beauty_1" in _list_handles(charlie_client)
    assert charlie_client.get("/creators/beauty_1/").status_code == 200


def test_an_import_adding_a_second_category_counts_it_for_both(world, alice_client, tmp_path):
    creator = world.creators["travel_1"]
    assert "travel_1" not in _list_handles(alice_client)
    _import_creators(tmp_path, f"{creator.external_id},travel_1,travel,,US,travel;fashion,1000")
    assert "travel_1" in _list_handles(alice_client)
    response = alice_client.get("/api/v1/creators/", {"category": "fashion", "country": "US"})
    assert "travel_1" in {row["handle"] for row in response.json()["results"]}


def test_a_cached_count_is_not_served_after_a_sync(world, alice_client, tmp_path):
    counted = alice_client.get("/api/v1/creators/").json()["count"]
    assert alice_client.get("/creators/").context["total"] == counted
    creator = world.creators["fashion_2"]
    _import_creators(tmp_path, f"{creator.external_id},fashion_2,travel,,,travel,1")
    assert alice_client.get("/api/v1/creators/").json()["count"] == counted - 1
    assert alice_client.get("/creators/").context["total"] == counted - 1


def test_the_admin_change_form_syncs_the_copies(world, sam_client, alice_client):
    creator = world.creators["fashion_1"]
    data = {
        "external_id": creator.external_id, "handle": creator.handle, "display_name": "", "country": "FR",
        "primary_category": world.categories["gaming"].pk, "categories": [world.categories["gaming"].pk],
        "followers": 5, "data_updated_at_0": "2026-01-01", "data_updated_at_1": "00:00:00",
    }
    response = sam_client.post(f"/admin/creators/creator/{creator.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    card = _card(world, "fashion_1")
    assert card.category_ids == [world.categories["gaming"].pk] and card.country == "FR"
    assert "fashion_1" not in _list_handles(alice_client)


def test_forgetting_a_creator_removes_it_and_invalidates_cached_counts(world, alice_client):
    counted = alice_client.get("/creators/").context["total"]
    revision = ScoringRun.objects.get(pk=world.run.pk).revision
    creator_forget(creator=world.creators["beauty_2"], operator="test")
    assert ScoringRun.objects.get(pk=world.run.pk).revision == revision + 1
    assert alice_client.get("/creators/").context["total"] == counted - 1


def test_the_sync_is_one_statement_and_touches_only_the_published_run(world):
    creator = world.creators["gaming_1"]
    old = ScoringRun.objects.create(as_of=world.run.as_of, status="succeeded", triggered_by="test")
    Scorecard.objects.create(run=old, creator=creator, confidence="low", collaboration_confidence="low",
                             follower_tier=0, category_ids=[999])
    Creator.objects.filter(pk=creator.pk).update(country="JP")
    with CaptureQueriesContext(connection) as queries:
        updated = scorecards_access_sync(creators_sql="SELECT %s", params=[creator.pk])
    assert updated == 1
    assert sum("UPDATE \"scoring_scorecard\"" in q["sql"] or "UPDATE scoring_scorecard" in q["sql"]
               for q in queries.captured_queries) == 1
    assert _card(world, "gaming_1").country == "JP"
    assert Scorecard.objects.get(run=old, creator=creator).category_ids == [999]


def test_the_sync_also_rewrites_the_active_run_whose_scorecards_are_already_written(world):
    # The run being computed may have committed its scorecards (its copies read before the change) and not yet be
    # published: it must not publish copies older than the import that committed in between.
    creator = world.creators["gaming_1"]
    active = ScoringRun.objects.create(as_of=world.run.as_of, status="running", is_active=True, triggered_by="test")
    Scorecard.objects.create(run=active, creator=creator, confidence="low", collaboration_confidence="low",
                             follower_tier=0, category_ids=[999], country="XX")
    Creator.objects.filter(pk=creator.pk).update(country="JP")
    revision = ScoringRun.objects.get(pk=world.run.pk).revision
    updated = scorecards_access_sync(creators_sql="SELECT %s", params=[creator.pk])
    assert updated == 1, "the count is of the published run's rows"
    copy = Scorecard.objects.get(run=active, creator=creator)
    assert (copy.category_ids, copy.country) == (_card(world, "gaming_1").category_ids, "JP")
    assert ScoringRun.objects.get(pk=world.run.pk).revision == revision + 1
    assert ScoringRun.objects.get(pk=active.pk).revision == 0


def test_creator_list_reads_visibility_from_the_copies(world):
    # A stale copy would be what partners see: the list trusts the copies (which every writer keeps exact).
    card = _card(world, "travel_2")
    card.category_ids = [world.categories["beauty"].pk]
    card.save()
    handles = {row["handle"] for row in creator_list(access=access_for_user(world.users["alice"]))}
    assert "travel_2" in handles


def test_orm_changes_from_either_side_are_followed_by_the_explicit_sync(world):
    alice = access_for_user(world.users["alice"])

    def visible() -> set[str]:
        return {row["handle"] for row in creator_list(access=alice)}

    travel, fashion = world.categories["travel"], world.categories["fashion"]
    def sync(*handles: str) -> None:
        scorecards_access_sync(creator_ids=[world.creators[handle].pk for handle in handles])

    world.creators["travel_3"].categories.add(fashion)
    assert "travel_3" not in visible(), "no signal writes the copies behind the writer's back"
    sync("travel_3")
    assert "travel_3" in visible()
    fashion.creators.remove(world.creators["travel_3"])
    sync("travel_3")
    assert "travel_3" not in visible()
    fashion.creators.add(world.creators["travel_4"])
    sync("travel_4")
    assert "travel_4" in visible()
    linked = list(fashion.creators.values_list("pk", flat=True))
    fashion.creators.clear()
    scorecards_access_sync(creator_ids=linked)
    assert "travel_4" not in visible()
    # Like partners.visibility.creator_q, the copies follow the link table: a creator without its link is hidden.
    assert not set(world.handles_in("fashion")) & visible()
    assert Creator.objects.visible_to(alice).filter(handle="fashion_1").exists() is False

    creator = world.creators["gaming_2"]
    creator.primary_category = travel
    creator.country = "BR"
    creator.save()
    creator.categories.set([travel])
    sync("gaming_2")
    card = _card(world, "gaming_2")
    assert card.category_ids == [travel.pk] and card.country == "BR"
