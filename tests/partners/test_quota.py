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


@pytest.mark.urls("tests.partners.urls_with_samples")
@override_settings(EXPORT_DAILY_ROW_QUOTA=10)
def test_the_html_base_answers_429_beyond_the_quota(world, alice_client):
    assert alice_client.get("/sample/export/").status_code == 200  # 8 rows
    response = alice_client.get("/sample/export/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0 and "no-store" in response["Cache-Control"]
    assert "Daily export limit reached" in response.content.decode()
    outcomes = list(AuditEvent.objects.order_by("id").values_list("action", "outcome", "row_count"))
    assert outcomes == [
        (AuditAction.CREATOR_EXPORT, AuditOutcome.OK, 8), (AuditAction.EXPORT_QUOTA, AuditOutcome.DENIED, 8),
    ]


@pytest.mark.urls("tests.partners.urls_with_samples")
@override_settings(EXPORT_DAILY_ROW_QUOTA=10)
def test_the_api_base_answers_429_beyond_the_quota_with_one_event(world):
    from django.test import Client
    from rest_framework.authtoken.models import Token

    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.users['charlie']).key}")
    assert client.get("/sample/api/creators/export/").status_code == 200
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [AuditAction.CREATOR_EXPORT]  # one per call
    response = client.get("/sample/api/creators/export/")
    assert response.status_code == 429 and "quota" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0
    denied = AuditEvent.objects.filter(outcome=AuditOutcome.DENIED)
    assert [(e.action, e.export_id) for e in denied] == [(AuditAction.EXPORT_QUOTA, "sample-api-export")]
    assert AuditEvent.objects.count() == 2
