"""``partner_user_add PARTNER USERNAME --role viewer|analyst|manager``."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partners.choices import Role
from partners.services import partner_user_upsert


class Command(BaseCommand):
    help = (
        "Create a user in a partner (or move an existing one and set its role). The password comes from the "
        "environment variable PARTNER_USER_PASSWORD, or is generated and printed once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("partner", help="Partner name (exact).")
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[role.value for role in Role])

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("PARTNER_USER_PASSWORD") or None
        try:
            result = partner_user_upsert(
                partner_name=options["partner"], username=options["username"], role=options["role"], password=password
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        verb = "Created" if result.created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} user {result.user.username!r} in {result.partner.name!r} as {result.role}.")
        )
        if result.generated_password:
            self.stdout.write(f"Password (shown once): {result.generated_password}")
        elif password:
            self.stdout.write("Password set from PARTNER_USER_PASSWORD.")
