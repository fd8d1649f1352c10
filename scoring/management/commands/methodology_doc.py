"""``python manage.py methodology_doc [--check] [--output docs/methodology.md]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from scoring.methodology import methodology_markdown


class Command(BaseCommand):
    help = "Write docs/methodology.md from the scoring definitions (or --check that it is up to date)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "docs" / "methodology.md"))
        parser.add_argument("--check", action="store_true", help="Exit 1 if the file differs from the definitions.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["output"])
        text = methodology_markdown()
        if options["check"]:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise CommandError(f"{path} is out of date: run python manage.py methodology_doc")
            self.stdout.write(f"{path} is up to date")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {path}")
