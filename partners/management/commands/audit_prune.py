"""``manage.py audit_prune [--days N] [--dry-run]``: apply the audit-trail retention (``AUDIT_RETENTION_DAYS``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from partners.audit import audit_retention_prune
from partners.models import AuditEvent


class Command(BaseCommand):
    help = "Delete audit events older than the retention period (AUDIT_RETENTION_DAYS, or --days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="retention in days (default: the setting)")
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted; delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        days = settings.AUDIT_RETENTION_DAYS if options["days"] is None else options["days"]
        if days <= 0:
            raise CommandError("the retention must be at least one day (0 in the setting disables pruning)")
        if options["dry_run"]:
            count = AuditEvent.objects.filter(created_at__lt=timezone.now() - timedelta(days=days)).count()
            self.stdout.write(f"would delete {count} audit events older than {days} days")
            return
        deleted = audit_retention_prune(retention_days=days)
        self.stdout.write(f"deleted {deleted} audit events older than {days} days")
