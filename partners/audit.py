"""The audit trail: one append-only ``AuditEvent`` per partner read, export, API call and denied attempt.

Call :func:`audit_record` from the base classes (``PartnerAccessMixin.audit``, ``PartnerViewSetBase``) or, for
events without a request-scoped access (a lockout), with ``request=`` and ``username=``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from partners.access import Access, access_for_request
from partners.choices import AuditOutcome
from partners.models import AuditEvent

logger = logging.getLogger(__name__)

# Set on a request once an event has been recorded for it: the base classes then add no automatic event, so
# that one call is one event (a denied lookup, an export, or whatever the view recorded itself).
AUDITED_ATTR = "_partner_audited"
# Query parameters never written to the trail (they carry no meaning about what was seen).
_SKIPPED_PARAMS = frozenset({"csrfmiddlewaretoken", "password"})
_MAX_PARAM_LENGTH = 200


def _text(value: str) -> str:
    """A parameter as it can be stored: PostgreSQL text and jsonb cannot hold NUL characters."""
    return value[:_MAX_PARAM_LENGTH].replace("\x00", "")


def request_filters(request: HttpRequest | Any) -> dict[str, Any]:
    """The request's query parameters as a small JSON-able dict (lists only where a name repeats)."""
    params = getattr(request, "GET", None)
    if params is None:
        return {}
    filters: dict[str, Any] = {}
    for key in sorted(params.keys())[:50]:
        if key in _SKIPPED_PARAMS:
            continue
        values = [_text(value) for value in params.getlist(key)]
        filters[_text(key)] = values[0] if len(values) == 1 else values
    return filters


def client_address(request: HttpRequest | Any) -> str | None:
    """The client's address as django-axes sees it (same proxy configuration as the lockout)."""
    raw = getattr(request, "_request", request)  # DRF Request wraps the HttpRequest
    try:
        return get_client_ip_address(raw) or None
    except Exception:  # an unparsable header must not break the request being audited
        logger.warning("could not determine the client address for the audit trail", exc_info=True)
        return None


def audit_record(
    *,
    action: str,
    access: Access | None = None,
    request: HttpRequest | Any | None = None,
    object_handle: str | None = None,
    filters: dict[str, Any] | None = None,
    row_count: int | None = None,
    outcome: str = AuditOutcome.OK,
    export_id: str | None = None,
    username: str | None = None,
) -> AuditEvent:
    """Append one event. Give ``access`` or ``request`` (or both); the user and partner come from the access.

    ``filters`` defaults to the request's query parameters. ``username`` names the subject when there is no
    logged-in user (a lockout on a login attempt). Marks the request as audited (see ``AUDITED_ATTR``).
    """
    if access is None and request is not None:
        access = access_for_request(request)
    user = access.user if access is not None else None
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    partner = access.partner if access is not None else None
    if filters is None and request is not None:
        filters = request_filters(request)
    if request is not None:
        setattr(request, AUDITED_ATTR, True)
    return AuditEvent.objects.create(
        user=user,
        username=(user.get_username() if user is not None else (username or ""))[:150],
        partner=partner,
        partner_name=partner.name if partner is not None else "",
        action=action,
        object_handle=(object_handle or "").replace("\x00", ""),
        filters=filters or {},
        row_count=row_count,
        outcome=AuditOutcome(outcome),
        export_id=export_id or "",
        path=(getattr(request, "path", "") or "")[:500] if request is not None else "",
        client_address=client_address(request) if request is not None else None,
    )


def audit_prune(*, before: datetime) -> int:
    """Delete audit events older than ``before`` (retention). The only sanctioned way to remove events."""
    queryset = AuditEvent.objects.filter(created_at__lt=before)
    # AuditEventQuerySet.delete() refuses on purpose; retention calls the plain QuerySet deletion explicitly.
    deleted, _ = models.QuerySet.delete(queryset)
    return deleted


def audit_retention_prune(*, retention_days: int | None = None) -> int:
    """Delete audit events older than ``AUDIT_RETENTION_DAYS``; 0 days or less keeps everything."""
    days = settings.AUDIT_RETENTION_DAYS if retention_days is None else retention_days
    if days <= 0:
        return 0
    before = timezone.now() - timedelta(days=days)
    deleted = audit_prune(before=before)
    logger.info(
        "audit retention: %s events older than %s days deleted",
        deleted,
        days,
        extra={"event": "audit.pruned", "deleted": deleted, "before": before.isoformat()},
    )
    return deleted
