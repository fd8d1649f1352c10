"""Signal handlers of the partners app: lockouts go to the audit trail; a new password ends the API token."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.db.models.signals import pre_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

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


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="partners.tokens_die_with_the_password")
def revoke_tokens_on_password_change(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """A new password ends the user's API token, as it ends their sessions (Django's session auth hash): whoever
    held the old credentials must not keep API access through a token obtained with them. Every way of changing a
    password saves the user (``set_password`` then ``save``: the password change view, the admin's form,
    ``changepassword``), so the stored hash is compared here; saves that cannot touch it (``last_login`` on login)
    are skipped without a query."""
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    stored = sender._default_manager.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        Token.objects.filter(user_id=instance.pk).delete()
