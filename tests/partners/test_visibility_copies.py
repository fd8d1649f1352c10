"""The scorecard's copies of its creator's categories and country equal the link table after every kind of write.

``partners.visibility.scorecard_q`` (the partner list) reads the copies, ``creator_q`` (everything else) reads
``creators_creator_categories``: they select the same creators only while the copies are exact. Each test makes
one kind of write (import, admin add and remove of a category, erasure, a new scoring run) and compares every
scorecard of the published run with the link table and the creator's country.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from config.celery import app as celery_app
from creators.importers.runner import run_import
from creators.models import Creator
from creators.privacy import creator_forget
from partners.access import access_for_user
from scoring import services
from scoring.models import Scorecard, ScoringRun
from tests.creators.import_helpers import CREATORS_HEADER, lines, write
from tests.scoring.builders import AS_OF, days_before, make_video

pytestmark = pytest.mark.django_db


def assert_copies_match_links() -> None:
    """Every published scorecard's copies equal its creator's link rows and country (and the two readings agree)."""
    run = ScoringRun.objects.get(is_published=True)
    links: dict[int, list[int]] = {}
    for creator_id, category_id in Creator.categories.through.objects.values_list("creator_id", "category_id"):
        links.setdefault(creator_id, []).append(category_id)
    countries = dict(Creator.objects.values_list("pk", "country"))
    cards = Scorecard.objects.filter(run=run).values_list("creator_id", "category_ids", "country")
    for creator_id, category_ids, country in cards:
        linked = sorted(links.get(creator_id, []))
        assert (category_ids, country) == (linked, countries[creator_id]), creator_id


def assert_both_readings_agree(world) -> None:
    for user in world.users.values():
        access = access_for_user(user)
        if not access.is_partner:
            continue
        by_links = set(Creator.objects.visible_to(access).filter(scorecards__run__is_published=True)
                       .values_list("pk", flat=True))
        by_copies = set(Scorecard.objects.visible_to(access).values_list("creator_id", flat=True))
        assert by_links == by_copies, user.username


def test_the_fixture_run_starts_exact(world):
    assert_copies_match_links()
    assert_both_readings_agree(world)


def test_after_an_import(world, tmp_path: Path):
    moved, added = world.creators["beauty_1"], world.creators["gaming_1"]
    report = run_import(kind="creators", path=write(tmp_path, lines(
        CREATORS_HEADER,
        f"{moved.external_id},beauty_1,electronics,,DE,electronics,1000",
        f"{added.external_id},gaming_1,gaming,,US,gaming;fashion,1000",
    )))
    assert report.ok, report.errors
    assert Scorecard.objects.get(run=world.run, creator=moved).country == "DE"
    assert_copies_match_links()
    assert_both_readings_agree(world)


def _admin_post(sam_client, creator: Creator, *, primary, categories, country: str) -> None:
    data = {
        "external_id": creator.external_id, "handle": creator.handle, "display_name": "", "country": country,
        "primary_category": primary.pk, "categories": [category.pk for category in categories],
        "followers": 5, "data_updated_at_0": "2026-01-01", "data_updated_at_1": "00:00:00",
    }
    response = sam_client.post(f"/admin/creators/creator/{creator.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]


def test_after_the_admin_adds_and_removes_a_category(world, sam_client):
    creator = world.creators["travel_1"]
    travel, fashion = world.categories["travel"], world.categories["fashion"]
    _admin_post(sam_client, creator, primary=travel, categories=[travel, fashion], country="FR")
    assert sorted(Scorecard.objects.get(run=world.run, creator=creator).category_ids) == sorted([travel.pk,
                                                                                                 fashion.pk])
    assert_copies_match_links()
    assert_both_readings_agree(world)
    _admin_post(sam_client, creator, primary=travel, categories=[travel], country="FR")
    assert Scorecard.objects.get(run=world.run, creator=creator).category_ids == [travel.pk]
    assert_copies_match_links()
    assert_both_readings_agree(world)


def test_after_a_creator_is_forgotten(world):
    creator_forget(creator=world.creators["beauty_2"], operator="test")
    assert_copies_match_links()
    assert_both_readings_agree(world)


def test_after_an_orm_or_sql_change_and_the_explicit_sync(world):
    # No signal does this behind the writer's back: a bulk .update() (or raw SQL) is followed by the sync.
    creator = world.creators["gaming_2"]
    travel = world.categories["travel"]
    Creator.objects.filter(pk=creator.pk).update(country="BR", primary_category=travel)
    creator.categories.set([travel])
    services.scorecards_access_sync(creator_ids=[creator.pk])
    assert_copies_match_links()
    assert_both_readings_agree(world)


@pytest.fixture
def eager_celery():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


def test_after_a_new_scoring_run(world, django_capture_on_commit_callbacks, eager_celery):
    # Changes the run reads from the link table itself (no sync called): its copies are fresh.
    world.creators["travel_2"].categories.add(world.categories["beauty"])
    Creator.objects.filter(pk=world.creators["travel_3"].pk).update(country="JP")
    for creator in world.creators.values():
        make_video(creator, days_before(3))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.scoring_run_request(triggered_by="test", as_of=AS_OF)
    run.refresh_from_db()
    assert run.is_published, run.status
    assert run.pk != world.run.pk
    assert_copies_match_links()
    assert_both_readings_agree(world)
