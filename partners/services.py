"""Writes of the partners app: the export quota.

The quota is per user per UTC day, counted from the day's successful export events in the audit trail (the
trail is the record; no second counter can drift from it). ``EXPORT_DAILY_ROW_QUOTA`` sets the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from partners.access import Access
from partners.audit import audit_record
from partners.choices import AuditAction, AuditOutcome
from partners.models import AuditEvent, Membership


class ExportQuotaExceeded(Exception):
    """The export would take the user past the day's row quota (answer 429)."""

    def __init__(self, status: QuotaStatus) -> None:
        super().__init__(f"Daily export quota exceeded: {status.used} of {status.limit} rows used today.")
        self.status = status


@dataclass(frozen=True)
class QuotaStatus:
    limit: int
    used: int
    requested: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def allowed(self) -> bool:
        return self.used + self.requested <= self.limit


def _utc_day_start(now: datetime | None = None) -> datetime:
    now = (now or timezone.now()).astimezone(UTC)
    return datetime.combine(now.date(), time.min, tzinfo=UTC)


def export_rows_used_today(access: Access) -> int:
    """Rows exported by this user since 00:00 UTC today."""
    if access.user is None or not getattr(access.user, "is_authenticated", False):
        return 0
    total = AuditEvent.objects.filter(
        user_id=access.user.pk,
        action=AuditAction.CREATOR_EXPORT,
        outcome=AuditOutcome.OK,
        created_at__gte=_utc_day_start(),
    ).aggregate(total=Sum("row_count"))["total"]
    return int(total or 0)


def export_quota_check(access: Access, rows: int) -> QuotaStatus:
    """Would exporting ``rows`` more rows stay within today's quota? Read-only."""
    return QuotaStatus(limit=settings.EXPORT_DAILY_ROW_QUOTA, used=export_rows_used_today(access), requested=rows)


def export_quota_consume(
    access: Access,
    rows: int,
    *,
    request: Any = None,
    export_id: str | None = None,
    filters: dict[str, Any] | None = None,
) -> QuotaStatus:
    """Record an export of ``rows`` rows (the ``creator.export`` audit event) if the quota allows it.

    Beyond the quota, records a denied ``export.quota_exceeded`` event and raises :class:`ExportQuotaExceeded`
    (answer HTTP 429). Check and record happen under a lock on the user's membership row, so two concurrent
    exports cannot both slip under the limit.
    """
    with transaction.atomic():
        if access.user is not None and getattr(access.user, "is_authenticated", False):
            list(Membership.objects.select_for_update().filter(user_id=access.user.pk).values_list("id"))
        status = export_quota_check(access, rows)
        if not status.allowed:
            audit_record(
                access=access,
                request=request,
                action=AuditAction.EXPORT_QUOTA,
                row_count=rows,
                outcome=AuditOutcome.DENIED,
                export_id=export_id,
                filters=filters,
            )
        else:
            audit_record(
                access=access,
                request=request,
                action=AuditAction.CREATOR_EXPORT,
                row_count=rows,
                export_id=export_id,
                filters=filters,
            )
    if not status.allowed:
        raise ExportQuotaExceeded(status)
    return status
