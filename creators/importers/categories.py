"""The ``categories`` kind: the category list (``slug``, ``name``) that the other kinds name by slug."""

from __future__ import annotations

import re
from typing import Any

from creators.importers import values as v
from creators.importers.engine import Column, Importer

_SLUG_RE = re.compile(r"[a-z0-9_-]{1,80}")


def category_slug(text: str) -> str:
    """A category slug: lower-case letters, digits, '-' and '_', at most 80 characters (upper case is lowered)."""
    slug = text.strip().lower()
    if not slug:
        raise ValueError("a value is required")
    if not _SLUG_RE.fullmatch(slug):
        raise ValueError(
            f"{slug[:40]!r} is not a valid category slug (lower-case letters, digits, '-' and '_', at most 80 "
            "characters)"
        )
    return slug


class CategoriesImporter(Importer):
    """Key ``slug``; a known slug with another name is updated, a new slug created. Categories are never deleted
    by an import (creators and grants refer to them)."""

    kind = "categories"
    locked_tables = ("{category}",)
    key_column = "slug"
    stage_key = "slug"
    stage_columns = (("slug", "text"), ("name", "text"))

    def build_columns(self) -> tuple[Column, ...]:
        return (
            Column("slug", category_slug, required=True),
            Column("name", v.required(v.text_field(max_length=120)), required=True),
        )

    def stage_row(self, line: int, values: list[Any]) -> tuple:
        return tuple(values)

    def plan(self) -> tuple[int, int]:
        return self.plan_by_diff(target="{category}", match="t.slug = s.slug", compared=("name",))

    def apply(self) -> None:
        self.update_changed(target="{category}", columns=("name",))
        self.insert_new(target="{category}", columns=("slug", "name"))
