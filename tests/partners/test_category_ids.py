"""``Scorecard.category_ids``: the copy of a creator's category ids that visibility and the category filter test.

The access sync's SQL (``scoring.indices.creator_access_sql``) writes exactly the link rows, and a category of
any id (low or high: a bitmask of ids 1..63 once stood beside the array, migration ``scoring.0009`` dropped it)
works like any other.
"""

from __future__ import annotations

import pytest

from creators.models import Category
from creators.selectors import creator_list, creator_list_count
from partners.access import access_for_user
from partners.visibility import category_ids_q
from scoring.models import Scorecard
from scoring.services import scorecards_access_sync
from tests.conftest import make_partner, make_user

pytestmark = pytest.mark.django_db


def _free_low_id() -> int:
    return min(set(range(1, 64)) - set(Category.objects.values_list("pk", flat=True)))


def test_the_sql_copies_are_the_link_rows_for_low_and_high_ids(world):
    creator = world.creators["gaming_1"]
    high = Category.objects.create(pk=1000, slug="vinyl", name="Vinyl")
    low = Category.objects.create(pk=_free_low_id(), slug="kites", name="Kites")
    creator.categories.add(high, low)
    scorecards_access_sync(creators_sql="SELECT %s", params=[creator.pk])
    card = Scorecard.objects.get(run=world.run, creator=creator)
    assert card.category_ids == sorted(creator.categories.values_list("pk", flat=True))


def test_a_grant_of_low_and_high_id_categories_sees_exactly_their_creators(world):
    low = Category.objects.create(pk=_free_low_id(), slug="kites", name="Kites")
    high = Category.objects.create(pk=1000, slug="vinyl", name="Vinyl")
    world.creators["travel_1"].categories.add(low)
    world.creators["gaming_2"].categories.add(high)
    scorecards_access_sync(creator_ids=[world.creators["travel_1"].pk, world.creators["gaming_2"].pk])
    partner, _ = make_partner("Spin Records", categories=[low, high])
    access = access_for_user(make_user("vera", partner=partner))
    handles = {row["handle"] for row in creator_list(access=access)}
    assert handles == {"travel_1", "gaming_2"}
    assert creator_list_count(creator_list(access=access)) == 2
    assert set(Scorecard.objects.filter(category_ids_q([high.pk]), run=world.run)
               .values_list("creator__handle", flat=True)) == {"gaming_2"}
    assert set(Scorecard.objects.filter(category_ids_q([low.pk]), run=world.run)
               .values_list("creator__handle", flat=True)) == {"travel_1"}


def test_the_category_filter_and_visibility_read_the_same_categories(world, alice_client):
    beauty = world.categories["beauty"]
    listed = {row["handle"] for row in alice_client.get("/api/v1/creators/", {"category": beauty.slug,
                                                                               "page_size": 200}).json()["results"]}
    linked = {h for h, c in world.creators.items() if c.categories.filter(pk=beauty.pk).exists()}
    assert listed == linked and listed

