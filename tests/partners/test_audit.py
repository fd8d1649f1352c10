"""The audit trail is append-only through the product; retention is the one sanctioned removal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from partners.access import access_for_user
from partners.audit import audit_prune, audit_record
from partners.choices import AuditAction, AuditOutcome
from partners.models import AuditEvent


@pytest.fixture
def event(world) -> AuditEvent:
    return audit_record(access=access_for_user(world.users["alice"]), action=AuditAction.CREATOR_VIEW,
                        object_handle="beauty_1")


def test_an_event_records_who_and_for_which_partner(event):
    assert (event.username, event.partner_name, event.object_handle) == ("alice", "Acme Beauty", "beauty_1")
    assert event.outcome == AuditOutcome.OK


def test_an_event_cannot_be_changed(event):
    event.object_handle = "something_else"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(object_handle="x")
    assert AuditEvent.objects.get(pk=event.pk).object_handle == "beauty_1"


def test_an_event_cannot_be_deleted(event):
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 1


def test_deleting_a_user_keeps_the_event_with_the_username(world, event):
    get_user_model().objects.filter(pk=world.users["alice"].pk).delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.user is None and event.username == "alice"


def test_deleting_a_partner_keeps_the_event_with_the_partner_name(world, event):
    world.partner_a.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.partner is None and event.partner_name == "Acme Beauty"


def test_deleting_a_creator_leaves_only_its_handle(world, event):
    world.creators["beauty_1"].delete()
    assert AuditEvent.objects.get(pk=event.pk).object_handle == "beauty_1"


def test_retention_prunes_only_old_events(world, event):
    old = AuditEvent.objects.create(action=AuditAction.CREATOR_LIST, created_at=timezone.now() - timedelta(days=400))
    assert audit_prune(before=timezone.now() - timedelta(days=365)) == 1
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [event.pk]
    assert not AuditEvent.objects.filter(pk=old.pk).exists()


def test_filters_keep_query_parameters_but_not_secrets(world, rf):
    request = rf.get("/creators/", {"q": "x" * 500, "category": ["beauty", "fashion"], "csrfmiddlewaretoken": "t"})
    request.user = world.users["alice"]
    event = audit_record(request=request, action=AuditAction.CREATOR_LIST)
    assert event.filters == {"q": "x" * 200, "category": ["beauty", "fashion"]}
    assert event.path == "/creators/" and event.partner_name == "Acme Beauty"


def test_parameters_with_nul_characters_are_recorded_without_them(world, alice_client):
    # PostgreSQL text and jsonb cannot hold NUL: a fuzzed parameter must not turn a list view into a 500.
    response = alice_client.get("/creators/", {"q": "be\x00auty", "x\x00": "1"})
    assert response.status_code in (200, 400)
    event = AuditEvent.objects.filter(user=world.users["alice"]).latest("pk")
    assert event.filters == {"q": "beauty", "x": "1"}


def test_the_stored_event_is_the_returned_one_field_for_field(world, rf, django_assert_num_queries):
    """``audit_record`` writes with its own INSERT: what is read back must be exactly what it returned, with the
    JSON filters, the address and the default time as the ORM would store them."""
    request = rf.get("/creators/", {"category": "beauty", "volume_min": "50"}, REMOTE_ADDR="203.0.113.7")
    request.user = world.users["alice"]
    access = access_for_user(world.users["alice"])
    before = timezone.now()
    with django_assert_num_queries(1):
        event = audit_record(access=access, request=request, action=AuditAction.CREATOR_LIST, row_count=50)
    stored = AuditEvent.objects.get(pk=event.pk)
    fields = [field.attname for field in AuditEvent._meta.concrete_fields]
    assert {name: getattr(stored, name) for name in fields} == {name: getattr(event, name) for name in fields}
    assert stored.filters == {"category": "beauty", "volume_min": "50"}
    assert stored.client_address == "203.0.113.7" and stored.row_count == 50 and stored.path == "/creators/"
    assert stored.user_id == world.users["alice"].pk and stored.partner_id == world.partner_a.pk
    assert before <= stored.created_at <= timezone.now()
    assert not event._state.adding
