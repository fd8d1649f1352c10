"""``creator_forget``: a creator is removed completely; audit events keep only the handle."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from creators.models import Collaboration, Creator, Video
from partners.audit import audit_record
from partners.models import AccessGrant, AuditEvent, Shortlist, ShortlistEntry
from scoring.models import CategoryImpact, Scorecard
from tests.conftest import make_published_run


def _attach_activity(world, handle: str) -> Creator:
    """Videos, collaborations, a second (unpublished) run, a shortlist entry, an explicit grant, audit events."""
    creator = world.creators[handle]
    now = timezone.now()
    Video.objects.bulk_create(
        [
            Video(
                external_id=f"v-{handle}-{i}",
                creator=creator,
                posted_at=now - timedelta(days=i),
                views=100 * i,
                likes=i,
                comments=i,
                shares=i,
            )
            for i in range(1, 6)
        ]
    )
    Collaboration.objects.create(
        external_id=f"c-{handle}", creator=creator, brand="Acme", invited_at=now, status="pending"
    )
    shortlist = Shortlist.objects.create(partner=world.partner_a, name=f"list with {handle}")
    ShortlistEntry.objects.create(shortlist=shortlist, creator=creator, note="great fit")
    world.grant_b.creators.add(creator)
    audit_record(action="scorecard_view", access=None, object_handle=handle, username="alice")
    return creator


@pytest.fixture
def forgotten_world(world):
    _attach_activity(world, "beauty_1")
    _attach_activity(world, "beauty_2")
    return world


def _rows_of(creator_id: int) -> dict[str, int]:
    return {
        "videos": Video.objects.filter(creator_id=creator_id).count(),
        "collaborations": Collaboration.objects.filter(creator_id=creator_id).count(),
        "scorecards": Scorecard.objects.filter(creator_id=creator_id).count(),
        "impacts": CategoryImpact.objects.filter(creator_id=creator_id).count(),
        "shortlist entries": ShortlistEntry.objects.filter(creator_id=creator_id).count(),
        "grant entries": AccessGrant.creators.through.objects.filter(creator_id=creator_id).count(),
        "category links": Creator.categories.through.objects.filter(creator_id=creator_id).count(),
    }


def test_it_removes_the_creator_and_everything_attached(forgotten_world):
    creator = forgotten_world.creators["beauty_1"]
    before = _rows_of(creator.pk)
    assert all(before.values()), before
    out = StringIO()
    call_command("creator_forget", "@Beauty_1", "--yes", "--operator", "dpo@example.com", stdout=out)
    assert not Creator.objects.filter(pk=creator.pk).exists()
    assert set(_rows_of(creator.pk).values()) == {0}
    assert "@beauty_1: removed" in out.getvalue()


def test_it_leaves_every_other_creator_untouched(forgotten_world):
    other = forgotten_world.creators["beauty_2"]
    before = _rows_of(other.pk)
    creators_before = Creator.objects.count()
    call_command("creator_forget", "beauty_1", "--yes", stdout=StringIO())
    assert _rows_of(other.pk) == before
    assert Creator.objects.count() == creators_before - 1
    # The published run stays published for the others.
    assert Scorecard.objects.filter(run=forgotten_world.run).count() == creators_before - 1


def test_audit_events_keep_only_the_handle(forgotten_world):
    call_command("creator_forget", "beauty_1", "--yes", "--operator", "dpo@example.com", stdout=StringIO())
    viewed = AuditEvent.objects.filter(action="scorecard_view", object_handle="beauty_1")
    assert viewed.count() == 1
    [erasure] = AuditEvent.objects.filter(action="creator_forget")
    assert erasure.object_handle == "beauty_1"
    assert erasure.username == "dpo@example.com"
    assert erasure.partner is None
    # Nothing in the audit model can point at a creator: the handle is text.
    assert not any(getattr(field, "related_model", None) is Creator for field in AuditEvent._meta.get_fields())


def test_a_dry_run_counts_exactly_and_changes_nothing(forgotten_world):
    creator = forgotten_world.creators["beauty_1"]
    before = _rows_of(creator.pk)
    out = StringIO()
    call_command("creator_forget", "beauty_1", "--dry-run", stdout=out)
    assert _rows_of(creator.pk) == before
    assert Creator.objects.filter(pk=creator.pk).exists()
    assert not AuditEvent.objects.filter(action="creator_forget").exists()
    # Every row attached plus the creator itself.
    assert f"would remove {sum(before.values()) + 1} rows" in out.getvalue()


def test_it_refuses_without_confirmation(forgotten_world):
    with pytest.raises(CommandError, match="--yes"):
        call_command("creator_forget", "beauty_1", stdout=StringIO())
    assert Creator.objects.filter(handle="beauty_1").exists()


def test_an_unknown_name_removes_nobody(forgotten_world):
    with pytest.raises(CommandError, match="no-such-creator"):
        call_command("creator_forget", "beauty_1", "no-such-creator", "--yes", stdout=StringIO())
    assert Creator.objects.filter(handle="beauty_1").exists()


def test_it_finds_creators_by_external_id(forgotten_world):
    call_command("creator_forget", "ext-beauty-2", "--external-id", "--yes", stdout=StringIO())
    assert not Creator.objects.filter(handle="beauty_2").exists()
    assert Creator.objects.filter(handle="beauty_1").exists()


def test_history_of_earlier_runs_goes_too(forgotten_world):
    creator = forgotten_world.creators["beauty_1"]
    forgotten_world.run.is_published = False
    forgotten_world.run.save(update_fields=["is_published"])
    make_published_run(forgotten_world.creators, as_of=date.today())
    assert Scorecard.objects.filter(creator_id=creator.pk).count() == 2
    call_command("creator_forget", "beauty_1", "--yes", stdout=StringIO())
    assert Scorecard.objects.filter(creator_id=creator.pk).count() == 0
    assert CategoryImpact.objects.filter(creator_id=creator.pk).count() == 0
