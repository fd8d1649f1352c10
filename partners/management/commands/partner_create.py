"""``partner_create NAME [--categories a,b] [--creators h1,h2] [--tiers performance,commercial] [--until DATE]``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partners.models import GRANT_LAST_DAY_HELP, grant_end_from_last_day, grant_last_day
from partners.services import partner_grant_upsert
from scoring.catalogue import Tier


def _csv(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


class Command(BaseCommand):
    help = (
        "Create a partner with an access grant, or update it: the partner's command-managed grant is set to "
        "exactly the given categories, creators, tiers and end date."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Partner name (exact; created when it does not exist).")
        parser.add_argument("--categories", default="", help="Comma-separated category slugs.")
        parser.add_argument("--creators", default="", help="Comma-separated creator handles.")
        parser.add_argument(
            "--tiers", default="", help="Comma-separated field tiers: performance, commercial (profile is implied)."
        )
        parser.add_argument("--until", default=None, help=f"YYYY-MM-DD. {GRANT_LAST_DAY_HELP}")

    def handle(self, *args: Any, **options: Any) -> None:
        tiers = set(_csv(options["tiers"]))
        unknown = tiers - {Tier.PERFORMANCE, Tier.COMMERCIAL, Tier.PROFILE}
        if unknown:
            raise CommandError(f"Unknown tier(s): {', '.join(sorted(unknown))}. Use performance, commercial.")
        valid_until = None
        if options["until"]:
            try:
                last_day = date.fromisoformat(options["until"])
            except ValueError as exc:
                raise CommandError(f"--until must be YYYY-MM-DD, not {options['until']!r}") from exc
            valid_until = grant_end_from_last_day(last_day)
        try:
            result = partner_grant_upsert(
                name=options["name"],
                category_slugs=_csv(options["categories"]),
                creator_handles=_csv(options["creators"]),
                performance=Tier.PERFORMANCE in tiers,
                commercial=Tier.COMMERCIAL in tiers,
                valid_until=valid_until,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        verb = "Created" if result.created else "Updated"
        valid_until = result.grant.valid_until
        until = f"last day {grant_last_day(valid_until)} (inclusive, UTC)" if valid_until else "open-ended"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} partner {result.partner.name!r}: grant {result.grant.pk} with "
                f"{result.categories} categor{'y' if result.categories == 1 else 'ies'}, {result.creators} creator(s), "
                f"tiers {', '.join(result.tiers)}, {until}."
            )
        )
