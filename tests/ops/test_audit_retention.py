"""Audit retention: events older than ``AUDIT_RETENTION_DAYS`` go, the rest stay; beat runs it nightly."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from partners.audit import audit_retention_prune
from partners.models import AuditEvent
from partners.tasks import audit_prune_task


def _event(age_days: float, action: str) -> AuditEvent:
    return AuditEvent.objects.create(
        username="alice", action=action, created_at=timezone.now() - timedelta(days=age_days)
    )


@pytest.fixture
def events(db):
    return {
        "ancient": _event(800, "ancient"),
        "old": _event(40, "old"),
        "recent": _event(2, "recent"),
    }


def test_it_deletes_only_events_older_than_the_setting(events, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    assert audit_retention_prune() == 2
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["recent"]


def test_the_default_keeps_two_years(events):
    assert settings.AUDIT_RETENTION_DAYS == 730
    assert audit_retention_prune() == 1
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {"old", "recent"}


def test_zero_days_keeps_everything(events, settings):
    settings.AUDIT_RETENTION_DAYS = 0
    assert audit_retention_prune() == 0
    assert AuditEvent.objects.count() == 3


def test_the_command_prunes_and_reports(events):
    out = StringIO()
    call_command("audit_prune", "--days", "30", "--dry-run", stdout=out)
    assert "would delete 2" in out.getvalue()
    assert AuditEvent.objects.count() == 3
    out = StringIO()
    call_command("audit_prune", "--days", "30", stdout=out)
    assert "deleted 2" in out.getvalue()
    assert AuditEvent.objects.count() == 1


def test_the_command_refuses_a_retention_of_zero(events):
    with pytest.raises(CommandError):
        call_command("audit_prune", "--days", "0", stdout=StringIO())
    assert AuditEvent.objects.count() == 3


def test_the_product_still_cannot_delete_events_itself(events):
    # Retention is the one sanctioned deletion; the append-only guard stays in place everywhere else.
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(action="ancient").delete()


def test_beat_runs_the_retention_every_night(events, settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["audit-retention-prune"]
    assert schedule["task"] == audit_prune_task.name
    settings.AUDIT_RETENTION_DAYS = 30
    assert audit_prune_task.apply().get() == 2
