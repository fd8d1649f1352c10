"""The per-user daily export row quota, counted from the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from partners.access import access_for_user
from partners.choices import AuditAction, AuditOutcome
from partners.models import AuditEvent
from partners.services import ExportQuotaExceeded, export_quota_check, export_quota_consume


@override_settings(EXPORT_DAILY_ROW_QUOTA=100)
def test_exports_within_the_quota_are_recorded(world):
    access = access_for_user(world.users["alice"])
    status = export_quota_consume(access, 60, export_id="exp-1")
    assert status.allowed and status.used == 0
    assert export_quota_check(access, 40).allowed
    assert not export_quota_check(access, 41).allowed
    event = AuditEvent.objects.get()
    assert (event.action, event.row_count, event.export_id) == (AuditAction.CREATOR_EXPORT, 60, "exp-1")


@override_settings(EXPORT_DAILY_ROW_QUOTA=100)
def test_an_export_beyond_the_quota_is_refused_and_audited(world):
    access = access_for_user(world.users["alice"])
    export_quota_consume(access, 80)
    with pytest.raises(ExportQuotaExceeded) as refused:
        export_quota_consume(access, 30, export_id="exp-2")
    assert refused.value.status.remaining == 20
    denied = AuditEvent.objects.get(outcome=AuditOutcome.DENIED)
    assert (denied.action, denied.row_count, denied.export_id) == (AuditAction.EXPORT_QUOTA, 30, "exp-2")
    # A refused export does not use the quota.
    assert export_quota_check(access, 20).allowed


@override_settings(EXPORT_DAILY_ROW_QUOTA=100)
def test_the_quota_is_per_user_and_per_utc_day(world):
    alice = access_for_user(world.users["alice"])
    export_quota_consume(alice, 100)
    assert export_quota_check(access_for_user(world.users["charlie"]), 100).allowed
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    # Yesterday's exports (just before 00:00 UTC) do not count today.
    AuditEvent.objects.create(user=world.users["charlie"], username="charlie", action=AuditAction.CREATOR_EXPORT,
                              row_count=100, created_at=today - timedelta(seconds=1))
    assert export_quota_check(access_for_user(world.users["charlie"]), 100).allowed
    assert not export_quota_check(alice, 1).allowed
