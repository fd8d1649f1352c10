"""``Scorecard.category_mask``: the bits of a scorecard's category ids 1..63, beside the ``category_ids`` copy.

Visibility and the category filter test ids 1..63 as bits and any other id in the array. The mask must be exact
wherever scorecards are written: ORM saves and bulk inserts (the field's ``pre_save``) and the scoring run's and
the access sync's SQL (``scoring.indices.creator_access_sql``), and a category with a high id must work like any.
"""

from __future__ import annotations

import pytest

from creators.models import Category
from creators.selectors import creator_list, creator_list_count
from partners.access import access_for_user
from partners.visibility import category_ids_q
from scoring.fields import MASK_MAX_ID, category_mask
from scoring.models import Scorecard
from scoring.services import scorecards_access_sync
from tests.conftest import make_partner, make_user

pytestmark = pytest.mark.django_db


def test_the_mask_holds_one_bit_per_low_id_and_nothing_of_the_others():
    assert category_mask([]) == 0
    assert category_mask([1, 3]) == 0b101
    assert category_mask([MASK_MAX_ID]) == 1 << (MASK_MAX_ID - 1)
    assert category_mask([MASK_MAX_ID + 1, 0, -4, 1000]) == 0
    assert category_mask([2, 2, 70]) == 0b10
    assert category_mask([MASK_MAX_ID]) < 2**63, "fits a signed bigint"


def _free_low_id() -> int:
    """A category id that has a bit (on PostgreSQL the test database's ids are past 63 after a few tests)."""
    return min(set(range(1, MASK_MAX_ID + 1)) - set(Category.objects.values_list("pk", flat=True)))


def test_orm_writes_keep_the_mask_from_the_ids(world):
    card = Scorecard.objects.get(run=world.run, creator=world.creators["beauty_1"])
    assert card.category_ids and card.category_mask == category_mask(card.category_ids), "bulk_create sets it"
    card.category_ids = [2, 63, 64]
    card.save()
    card.refresh_from_db()
    assert card.category_mask == (1 << 1) | (1 << 62)


def test_the_sql_copies_agree_with_python_for_low_and_high_ids(world):
    creator = world.creators["gaming_1"]
    high = Category.objects.create(pk=MASK_MAX_ID + 7, slug="vinyl", name="Vinyl")
    top = Category.objects.create(pk=MASK_MAX_ID, slug="kites", name="Kites")
    creator.categories.add(high, top)
    # The ORM signal already synced the copies; rewrite them with the SQL alone to test that definition.
    Scorecard.objects.filter(run=world.run, creator=creator).update(category_ids=[], category_mask=0)
    scorecards_access_sync(creators_sql="SELECT %s", params=[creator.pk])
    card = Scorecard.objects.get(run=world.run, creator=creator)
    assert sorted(card.category_ids) == sorted(creator.categories.values_list("pk", flat=True))
    assert card.category_mask == category_mask(card.category_ids)
    assert card.category_mask & (1 << (MASK_MAX_ID - 1))


def test_a_grant_of_low_and_high_id_categories_sees_exactly_their_creators(world):
    low = Category.objects.create(pk=_free_low_id(), slug="kites", name="Kites")
    high = Category.objects.create(pk=MASK_MAX_ID + 1, slug="vinyl", name="Vinyl")
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

