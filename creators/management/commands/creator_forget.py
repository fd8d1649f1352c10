"""``manage.py creator_forget HANDLE [HANDLE ...] --yes``: remove creators completely (see ``creators.privacy``)."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from creators.models import Creator
from creators.privacy import creator_forget


class Command(BaseCommand):
    help = (
        "Remove creators completely: their videos, collaborations, scorecards and category impacts of every run, "
        "shortlist entries and explicit grant entries. Audit events keep only the handle. Irreversible: give "
        "--yes, or --dry-run to see what would go."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("identifiers", nargs="+", help="handles (case-insensitive, '@' optional)")
        parser.add_argument(
            "--external-id", action="store_true", help="the identifiers are external ids instead of handles"
        )
        parser.add_argument("--dry-run", action="store_true", help="count what would be removed; change nothing")
        parser.add_argument("--yes", action="store_true", help="confirm the irreversible removal")
        parser.add_argument("--operator", default=None, help="who asked (recorded in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["dry_run"] and not options["yes"]:
            raise CommandError("this removes data irreversibly: add --yes (or --dry-run to see what would go)")
        creators = []
        missing = []
        for identifier in options["identifiers"]:
            queryset = (
                Creator.objects.filter(external_id=identifier)
                if options["external_id"]
                else Creator.objects.by_handle(identifier)
            )
            creator = queryset.first()
            if creator is None:
                missing.append(identifier)
            else:
                creators.append(creator)
        if missing:
            # Nothing is removed when any name is wrong: a typo must not leave a half-done request.
            raise CommandError(f"no such creator: {', '.join(missing)}")
        operator = options["operator"] or f"cli:{getpass.getuser()}"
        for creator in creators:
            report = creator_forget(creator=creator, operator=operator, dry_run=options["dry_run"])
            verb = "would remove" if report.dry_run else "removed"
            details = ", ".join(f"{label} {count}" for label, count in report.deleted.items())
            self.stdout.write(f"@{report.handle}: {verb} {report.total} rows ({details})")
