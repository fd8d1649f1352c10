"""Writes of the partners app: the export quota, partners with their grants, partner users.

The quota is per user per UTC day, counted from the day's successful export events in the audit trail (the
trail is the record; no second counter can drift from it). ``EXPORT_DAILY_ROW_QUOTA`` sets the limit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Lower
from django.utils import timezone

from creators.models import Category, Creator
from partners.access import Access
from partners.audit import audit_record
from partners.choices import AuditAction, AuditOutcome, Role
from partners.models import AccessGrant, AuditEvent, Membership, Partner


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

    @property
    def retry_after_seconds(self) -> int:
        """Seconds until the quota resets (00:00 UTC)."""
        now = timezone.now()
        return max(1, int((_utc_day_start(now) + timedelta(days=1) - now).total_seconds()))


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

    Beyond the quota, records a denied ``export.quota_exceeded`` event and raises :class:`ExportQuotaExceeded`.
    Let it propagate from a view built on ``PartnerAccessMixin`` or ``PartnerViewSetBase``: both answer 429 with a
    ``Retry-After``. Call it before streaming starts (count the rows first). Check and record happen under a lock
    on the user's membership row, so two concurrent exports cannot both slip under the limit.
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


# --- Partners, grants and users (commands, demo seed) ---------------------------------------------------------

MANAGED_GRANT_NOTE = "managed by partner_create"


@dataclass(frozen=True)
class PartnerGrantResult:
    partner: Partner
    grant: AccessGrant
    created: bool
    categories: int
    creators: int
    tiers: tuple[str, ...]


@transaction.atomic
def partner_grant_upsert(
    *,
    name: str,
    category_slugs: list[str],
    creator_handles: list[str],
    performance: bool,
    commercial: bool,
    valid_until: datetime | None = None,
) -> PartnerGrantResult:
    """Create the partner if needed and set its command-managed grant to exactly these terms.

    Other grants of the partner (made in the admin) are left alone. Unknown category slugs or creator handles
    are an error naming them, and nothing is written. Re-running with the same arguments changes nothing.
    """
    name = name.strip()
    if not name:
        raise ValueError("The partner name must not be empty.")
    categories = list(Category.objects.filter(slug__in=category_slugs))
    missing = sorted(set(category_slugs) - {c.slug for c in categories})
    if missing:
        raise ValueError(f"Unknown categor{'y' if len(missing) == 1 else 'ies'}: {', '.join(missing)}")
    wanted = {h.lstrip("@").lower() for h in creator_handles}
    creators = list(Creator.objects.alias(handle_lower=Lower("handle")).filter(handle_lower__in=wanted))
    missing = sorted(wanted - {c.handle.lower() for c in creators})
    if missing:
        raise ValueError(f"Unknown creator handle(s): {', '.join(missing)}")
    if not categories and not creators:
        raise ValueError("A grant needs at least one category or creator.")

    partner, created = Partner.objects.get_or_create(name=name)
    grant = partner.grants.filter(note=MANAGED_GRANT_NOTE).order_by("-created_at").first()
    now = timezone.now()
    if grant is None:
        grant = AccessGrant(partner=partner, note=MANAGED_GRANT_NOTE, valid_from=now)
    if valid_until is not None and valid_until <= grant.valid_from:
        raise ValueError("--until must be on or after the day the grant starts.")
    grant.performance = performance
    grant.commercial = commercial
    grant.valid_until = valid_until
    grant.revoked_at = None
    grant.save()
    grant.categories.set(categories)
    grant.creators.set(creators)
    tiers = ("profile",) + (("performance",) if performance else ()) + (("commercial",) if commercial else ())
    return PartnerGrantResult(
        partner=partner, grant=grant, created=created, categories=len(categories), creators=len(creators), tiers=tiers
    )


@dataclass(frozen=True)
class PartnerUserResult:
    partner: Partner
    user: Any
    role: str
    created: bool
    generated_password: str | None


@transaction.atomic
def partner_user_upsert(*, partner_name: str, username: str, role: str, password: str | None) -> PartnerUserResult:
    """Create ``username`` in the partner with ``role`` (or move it there and set the role).

    ``password`` is validated by the project's password validators; when ``None`` a new user gets a generated
    password (returned once), an existing user keeps its password.
    """
    partner = Partner.objects.filter(name=partner_name).first()
    if partner is None:
        raise ValueError(f"No partner named {partner_name!r}; create it with partner_create first.")
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.")
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    created = user is None
    if user is None:
        user = user_model(username=username)
    generated = None
    if password is None and created:
        generated = password = secrets.token_urlsafe(15)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValueError("Password rejected: " + " ".join(exc.messages)) from exc
        user.set_password(password)
    user.save()
    Membership.objects.update_or_create(user=user, defaults={"partner": partner, "role": role})
    return PartnerUserResult(partner=partner, user=user, role=role, created=created, generated_password=generated)
