"""Creators new to a subscribed saved search in the digest (``partners.saved_searches.new_matches``)."""

from __future__ import annotations

import pytest
from django.core import mail

from partners import alerts, saved_searches
from partners.access import access_for_user
from partners.choices import ItemKind
from partners.models import NotificationItem, SavedSearch
from scoring.models import Scorecard, ScoringRun
from tests.conftest import World
from tests.partners.alert_helpers import publish_next_run

pytestmark = pytest.mark.django_db


def save(world: World, owner: str, name: str, filters: dict[str, str], *, shared: bool) -> SavedSearch:
    access = access_for_user(world.users[owner])
    return saved_searches.saved_search_create(access=access, name=name, filters=filters, shared=shared)


def just_below(world: World, handles: list[str], index: str, bound: float) -> str:
    """The handle of ``handles`` whose ``index`` in the published run is the highest below ``bound``."""
    run = ScoringRun.objects.get(is_published=True)
    cards = Scorecard.objects.filter(run=run, creator__handle__in=handles, **{f"{index}__lt": bound})
    return cards.order_by(f"-{index}").values_list("creator__handle", flat=True)[0]


def new_lines(user) -> list[tuple[str, str]]:
    return sorted(
        (item.search_name, item.creator.handle)
        for item in NotificationItem.objects.filter(notification__user=user, kind=ItemKind.NEW_MATCH)
        .select_related("creator")
    )


@pytest.fixture
def emails(world: World) -> World:
    for name in ("alice", "bob", "charlie"):
        user = world.users[name]
        user.email = f"{name}@example.com"
        user.save(update_fields=["email"])
    return world


def test_a_creator_new_to_a_subscribed_search_is_in_the_digest(emails):
    world = emails
    search = save(world, "alice", "Strong overall", {"overall_min": "60"}, shared=True)
    search.subscribers.add(world.users["alice"], world.users["bob"])
    riser = just_below(world, world.handles_a, "overall", 60)
    gap = 60 - Scorecard.objects.get(run__is_published=True, creator__handle=riser).overall
    run = publish_next_run(world, {riser: {"overall": gap + 2}})

    alerts.digest_run(run_id=run.pk)

    assert new_lines(world.users["alice"]) == [("Strong overall", riser)]
    assert new_lines(world.users["bob"]) == [("Strong overall", riser)]
    assert len(mail.outbox) == 2
    assert "Strong overall" in mail.outbox[0].body and f"@{riser}" in mail.outbox[0].body


def test_no_subscription_no_line_and_a_private_search_is_its_owners_only(emails):
    world = emails
    shared = save(world, "alice", "Shared strong", {"overall_min": "60"}, shared=True)
    private = save(world, "alice", "Private strong", {"overall_min": "60"}, shared=False)
    private.subscribers.add(world.users["bob"])  # stored, but Bob cannot see Alice's private search
    shared.subscribers.add(world.users["alice"])
    riser = just_below(world, world.handles_a, "overall", 60)
    gap = 60 - Scorecard.objects.get(run__is_published=True, creator__handle=riser).overall
    run = publish_next_run(world, {riser: {"overall": gap + 2}})

    alerts.digest_run(run_id=run.pk)

    assert new_lines(world.users["alice"]) == [("Shared strong", riser)]
    assert new_lines(world.users["bob"]) == []


def test_a_search_on_an_index_outside_the_grant_gives_no_new_match(emails):
    world = emails
    search = save(world, "alice", "High care", {"care_min": "60"}, shared=True)
    search.subscribers.add(world.users["alice"])
    riser = just_below(world, world.handles_a, "care", 60)
    gap = 60 - Scorecard.objects.get(run__is_published=True, creator__handle=riser).care
    world.grant_a.commercial = False  # the grant loses care before the run
    world.grant_a.save()
    run = publish_next_run(world, {riser: {"care": gap + 2}})

    alerts.digest_run(run_id=run.pk)

    # The hidden-field rule drops the care filter: every visible creator "matches" in both runs, none is new.
    assert new_lines(world.users["alice"]) == []
    assert not any("care" in message.body.lower() for message in mail.outbox)


def test_the_first_run_has_no_new_matches(emails):
    world = emails
    search = save(world, "alice", "Everyone", {}, shared=True)
    search.subscribers.add(world.users["alice"])
    assert alerts.digest_run(run_id=world.run.pk).notifications == 0
