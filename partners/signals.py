"""Signal handlers of the partners app: lockouts go to the audit trail."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.dispatch import receiver

from partners.audit import audit_record
from partners.choices import AuditAction, AuditOutcome


@receiver(user_locked_out, dispatch_uid="partners.audit_lockout")
def audit_lockout(sender: Any, request: Any, username: str | None = None, **kwargs: Any) -> None:
    """Record a lockout (a denied attempt) with the username tried and the client address."""
    audit_record(
        request=request,
        action=AuditAction.LOGIN_LOCKOUT,
        outcome=AuditOutcome.DENIED,
        username=username or "",
        filters={},
    )
