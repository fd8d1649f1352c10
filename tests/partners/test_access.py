"""The Access object and the visible_to querysets: deny by default, union of grants, tiers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from creators.models import Category, Creator
from partners.access import access_for_user, visible_fields
from partners.choices import Role
from partners.models import AccessGrant, Membership
from scoring.catalogue import Tier
from scoring.choices import RunStatus
from scoring.models import CategoryImpact, Scorecard, ScoringRun
from scoring.services import scorecards_access_sync
from tests.conftest import make_partner, make_user


def visible_handles(user) -> set[str]:
    return set(Creator.objects.visible_to(access_for_user(user)).values_list("handle", flat=True))


def test_a_partner_user_sees_exactly_its_granted_categories(world):
    assert visible_handles(world.users["alice"]) == set(world.handles_a)
    assert visible_handles(world.users["bob"]) == set(world.handles_a)
    assert visible_handles(world.users["charlie"]) == set(world.handles_b)


@pytest.mark.parametrize("persona", ["dana", "sam"])
def test_users_without_membership_see_nothing(world, persona):
    access = access_for_user(world.users[persona])
    assert not access.is_partner
    assert visible_handles(world.users[persona]) == set()
    assert visible_fields(access) == ()
    assert not access.can_export and not access.can_use_api and not access.can_see_audit


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    access = access_for_user(AnonymousUser())
    assert not access.is_partner
    assert Creator.objects.visible_to(access).count() == 0


def test_an_expired_grant_gives_nothing(world):
    now = timezone.now()
    AccessGrant.objects.filter(pk=world.grant_a.pk).update(valid_from=now - timedelta(days=30), valid_until=now)
    access = access_for_user(world.users["alice"])
    assert access.is_member and not access.is_partner
    assert visible_handles(world.users["alice"]) == set()


def test_a_grant_that_has_not_started_gives_nothing(world):
    AccessGrant.objects.filter(pk=world.grant_a.pk).update(valid_from=timezone.now() + timedelta(days=1))
    assert visible_handles(world.users["alice"]) == set()


def test_a_revoked_grant_gives_nothing(world):
    AccessGrant.objects.filter(pk=world.grant_a.pk).update(revoked_at=timezone.now())
    assert visible_handles(world.users["alice"]) == set()


def test_an_inactive_partner_gives_nothing(world):
    world.partner_a.is_active = False
    world.partner_a.save()
    assert not access_for_user(world.users["alice"]).is_partner


def test_an_inactive_user_gets_nothing(world):
    alice = world.users["alice"]
    alice.is_active = False
    alice.save()
    assert not access_for_user(alice).is_partner


def test_staff_with_a_membership_sees_what_the_membership_allows(world):
    sam = world.users["sam"]
    Membership.objects.create(user=sam, partner=world.partner_b, role=Role.VIEWER)
    assert visible_handles(sam) == set(world.handles_b)


def test_a_creator_is_visible_through_any_of_its_categories(world):
    travel = world.creators["travel_1"]
    travel.categories.add(world.categories["beauty"])
    scorecards_access_sync(creator_ids=[travel.pk])
    assert "travel_1" in visible_handles(world.users["alice"])
    assert "travel_1" not in visible_handles(world.users["charlie"])


def test_a_creator_missing_its_primary_link_is_hidden_not_leaked(world):
    # The importers and the admin always link the primary category; if that ever failed, the creator disappears.
    world.creators["beauty_1"].categories.clear()
    scorecards_access_sync(creator_ids=[world.creators["beauty_1"].pk])
    assert "beauty_1" not in visible_handles(world.users["alice"])
    assert "beauty_1" not in visible_handles(world.users["charlie"])


def test_the_admin_keeps_the_primary_category_linked(world, sam_client):
    creator = world.creators["gaming_1"]
    response = sam_client.post(f"/admin/creators/creator/{creator.pk}/change/", {
        "external_id": creator.external_id, "handle": creator.handle, "display_name": creator.display_name,
        "country": creator.country, "primary_category": world.categories["beauty"].pk, "categories": [],
        "followers": creator.followers,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(creator.categories.values_list("slug", flat=True)) == ["beauty"]
    assert "gaming_1" in visible_handles(world.users["alice"])


def test_explicitly_granted_creators_are_visible(world):
    world.grant_b.creators.add(world.creators["travel_2"])
    assert visible_handles(world.users["charlie"]) == set(world.handles_b) | {"travel_2"}


def test_the_union_of_current_grants_applies(world):
    extra = AccessGrant.objects.create(partner=world.partner_b, performance=False, commercial=True)
    extra.categories.add(world.categories["travel"])
    access = access_for_user(world.users["charlie"])
    assert access.tiers == {Tier.PROFILE, Tier.PERFORMANCE, Tier.COMMERCIAL}
    assert visible_handles(world.users["charlie"]) == set(world.handles_b) | set(world.handles_nobody)


def test_access_is_built_in_two_queries_with_every_grant_category_and_creator(world, django_assert_num_queries):
    extra = AccessGrant.objects.create(partner=world.partner_b, performance=False, commercial=True)
    extra.categories.add(world.categories["travel"])
    extra.creators.add(world.creators["travel_2"])
    revoked = AccessGrant.objects.create(partner=world.partner_b, commercial=True, revoked_at=timezone.now())
    revoked.creators.add(world.creators[world.handles_nobody[0]])
    user = world.users["charlie"]
    expected_categories = set(world.grant_b.categories.values_list("id", flat=True)) | {world.categories["travel"].pk}
    # The membership (with partner and weights), then one UNION ALL of the grants, their categories and creators.
    with django_assert_num_queries(2):
        access = access_for_user(user)
    assert access.grant_ids == {world.grant_b.pk, extra.pk}
    assert access.category_ids == expected_categories
    assert access.creator_ids == {world.creators["travel_2"].pk}


def test_a_partner_with_only_an_expired_second_grant_keeps_the_current_one(world):
    old = AccessGrant.objects.create(
        partner=world.partner_b, commercial=True, valid_from=timezone.now() - timedelta(days=10),
        valid_until=timezone.now() - timedelta(days=1),
    )
    old.categories.add(world.categories["travel"])
    access = access_for_user(world.users["charlie"])
    assert Tier.COMMERCIAL not in access.tiers
    assert visible_handles(world.users["charlie"]) == set(world.handles_b)


def test_visible_fields_follow_the_tiers(world):
    alice_fields = {spec.name for spec in visible_fields(access_for_user(world.users["alice"]))}
    charlie_fields = {spec.name for spec in visible_fields(access_for_user(world.users["charlie"]))}
    assert {"collaboration", "care", "sales", "gmv", "orders", "gpm", "overall"} <= alice_fields
    assert {"overall", "volume", "handle"} <= charlie_fields
    assert not {"collaboration", "care", "sales", "gmv", "orders", "gpm", "impact_gmv"} & charlie_fields


def test_profile_only_grant_sees_profile_fields_only(db):
    beauty = Category.objects.create(slug="beauty", name="Beauty")
    partner, _ = make_partner("Profile Only", categories=[beauty], performance=False)
    user = make_user("pat", partner=partner)
    names = {spec.name for spec in visible_fields(access_for_user(user))}
    # The follower count the previous run recorded is the profile's own growth base (issue 19).
    assert names == {"handle", "display_name", "country", "categories", "followers", "followers_previous"}


def test_roles_decide_export_api_and_audit(world):
    alice, bob = access_for_user(world.users["alice"]), access_for_user(world.users["bob"])
    assert alice.can_export and alice.can_use_api and not alice.can_see_audit
    assert not bob.can_export and not bob.can_use_api and not bob.can_see_audit
    Membership.objects.filter(user=world.users["bob"]).update(role=Role.MANAGER)
    manager = access_for_user(world.users["bob"])
    assert manager.can_export and manager.can_use_api and manager.can_see_audit


def test_categories_visible_are_the_granted_ones_plus_those_of_explicit_creators(world):
    world.grant_b.creators.add(world.creators["travel_2"])
    slugs = set(Category.objects.visible_to(access_for_user(world.users["charlie"])).values_list("slug", flat=True))
    assert slugs == {"electronics", "gaming", "travel"}
    assert set(Category.objects.visible_to(access_for_user(world.users["dana"]))) == set()


def test_scorecards_are_visible_for_the_published_run_only(world):
    draft = ScoringRun.objects.create(as_of=world.run.as_of, status=RunStatus.RUNNING, triggered_by="test")
    creator = world.creators["beauty_1"]
    Scorecard.objects.create(run=draft, creator=creator, confidence="low", collaboration_confidence="low",
                             follower_tier=0)
    visible = Scorecard.objects.visible_to(access_for_user(world.users["alice"]))
    assert set(visible.values_list("run_id", flat=True)) == {world.run.pk}
    assert set(visible.values_list("creator__handle", flat=True)) == set(world.handles_a)


def test_category_impacts_need_performance_and_visible_categories(world):
    alice_impacts = CategoryImpact.objects.visible_to(access_for_user(world.users["alice"]))
    assert set(alice_impacts.values_list("category__slug", flat=True)) == {"beauty", "fashion"}
    # An impact of a visible creator in a category the partner was not granted stays hidden.
    CategoryImpact.objects.create(run=world.run, creator=world.creators["beauty_1"],
                                  category=world.categories["travel"], impact=50.0)
    assert not alice_impacts.filter(category__slug="travel").exists()
    AccessGrant.objects.filter(pk=world.grant_a.pk).update(performance=False)
    assert CategoryImpact.objects.visible_to(access_for_user(world.users["alice"])).count() == 0


def test_access_is_immutable(world):
    import dataclasses

    access = access_for_user(world.users["alice"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        access.category_ids = frozenset({99})


def test_shortlists_and_entries_are_the_partners_own_and_visible(world):
    from partners.models import Shortlist, ShortlistEntry

    mine = Shortlist.objects.create(partner=world.partner_a, name="Mine")
    theirs = Shortlist.objects.create(partner=world.partner_b, name="Theirs")
    ShortlistEntry.objects.create(shortlist=mine, creator=world.creators["beauty_1"])
    ShortlistEntry.objects.create(shortlist=mine, creator=world.creators["travel_1"])  # outside the grant
    ShortlistEntry.objects.create(shortlist=theirs, creator=world.creators["gaming_1"])
    alice = access_for_user(world.users["alice"])
    assert list(Shortlist.objects.visible_to(alice)) == [mine]
    assert [e.creator.handle for e in ShortlistEntry.objects.visible_to(alice)] == ["beauty_1"]
    assert not Shortlist.objects.visible_to(access_for_user(world.users["dana"])).exists()


def test_the_audit_trail_is_visible_to_the_partners_managers_only(world):
    from partners.audit import audit_record
    from partners.models import AuditEvent

    audit_record(access=access_for_user(world.users["alice"]), action="creator.list")
    audit_record(access=access_for_user(world.users["charlie"]), action="creator.list")
    assert not AuditEvent.objects.visible_to(access_for_user(world.users["alice"])).exists()
    Membership.objects.filter(user=world.users["bob"]).update(role=Role.MANAGER)
    trail = AuditEvent.objects.visible_to(access_for_user(world.users["bob"]))
    assert [e.username for e in trail] == ["alice"]


def test_impacts_outside_the_granted_categories_reach_neither_the_page_nor_the_api(world, alice_client):
    # beauty_1 is visible to alice (beauty is granted) and also has an impact in gaming (partner B's category).
    CategoryImpact.objects.create(run=world.run, creator=world.creators["beauty_1"],
                                  category=world.categories["gaming"], impact=77.0, views=1, videos=1)
    api = alice_client.get("/api/v1/creators/beauty_1/").json()
    assert [row["category"] for row in api["category_impacts"]] == ["beauty"]
    page = alice_client.get("/creators/beauty_1/")
    assert [row["category"] for row in page.context["impacts"]] == ["beauty"]
    assert "gaming" not in str(page.context["figures"]), "nor in the impact chart's data"
