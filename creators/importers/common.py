"""Pieces shared by several kinds: category lookup and the creator-linked kinds (videos, collaborations)."""

from __future__ import annotations

from typing import ClassVar

from creators.importers.engine import Importer


class CategoryLookup:
    """Category slugs → ids, loaded once per import (the category table is small)."""

    def __init__(self) -> None:
        from creators.models import Category

        self.ids: dict[str, int] = dict(Category.objects.values_list("slug", "id"))

    def parse(self, text: str) -> int:
        slug = text.strip().lower()
        category_id = self.ids.get(slug)
        if category_id is None:
            known = ", ".join(sorted(self.ids)[:30]) or "none yet"
            raise ValueError(
                f"unknown category {slug!r} (known categories: {known}); add it first with a categories file "
                "(slug,name), e.g. `manage.py import_data categories categories.csv`"
            )
        return category_id

    def parse_optional(self, text: str) -> int | None:
        if not text or text.isspace():
            return None
        return self.parse(text)

    def slug(self, text: str) -> str:
        """A known category's slug (validated, lower case)."""
        self.parse(text)
        return text.strip().lower()

    def slug_list(self, text: str) -> tuple[str, ...]:
        """``beauty;fashion`` → known slugs in order, repeats dropped."""
        slugs: list[str] = []
        for part in text.split(";"):
            if part.strip():
                slug = self.slug(part)
                if slug not in slugs:
                    slugs.append(slug)
        return tuple(slugs)


class CreatorLinkedImporter(Importer):
    """A kind whose rows belong to a creator named by external id or handle (videos, collaborations).

    Staging columns ``creator_ref`` (as written), ``creator_ref_lower`` ('@' dropped, lower case) and
    ``creator_id`` (resolved in SQL: external id first, then handle case-insensitively).
    """

    target: ClassVar[str]  # the target table as a placeholder, e.g. "{video}"
    compared: ClassVar[tuple[str, ...]]  # target columns written from staging and compared for changes

    @staticmethod
    def reference(text: str) -> tuple[str, str]:
        return text, (text[1:] if text.startswith("@") else text).lower()

    def resolve_creators(self) -> None:
        self.sql.run("UPDATE {stage} SET creator_id = c.id FROM {creator} c WHERE c.external_id = {stage}.creator_ref")
        self.sql.run(
            "UPDATE {stage} SET creator_id = c.id FROM {creator} c "
            "WHERE {stage}.creator_id IS NULL AND lower(c.handle) = {stage}.creator_ref_lower"
        )

    def check(self) -> None:
        super().check()
        self.resolve_creators()
        self.report_missing(
            "SELECT s.line, s.creator_ref FROM {stage} s WHERE s.creator_id IS NULL",
            "creator",
            lambda ref: f"unknown creator {ref!r}: no creator has this external id or handle",
        )

    def plan(self) -> tuple[int, int]:
        return self.plan_by_diff(
            target=self.target,
            match="t.external_id = s.external_id",
            compared=self.compared,
            extra_select=", t.creator_id AS old_creator_id, s.creator_id AS creator_id",
        )

    def apply(self) -> None:
        target = self.target
        # Updates first: they find their rows through the indexes that a bulk insert drops for its duration.
        self.update_changed(target=target, columns=self.compared)
        with self.bulk_load(target.format(**self.sql.names)):
            self.insert_new(target=target, columns=("external_id", *self.compared))
        # A changed row changes its creator's data, and the previous creator's when the row moved.
        self.sql.run(
            "UPDATE {creator} SET data_updated_at = %s WHERE id IN ("
            "SELECT creator_id FROM {changes} UNION SELECT old_creator_id FROM {changes} "
            "WHERE old_creator_id IS NOT NULL)",
            [self._param(self.now)],
        )

    def stamp_creators(self, ids: list[int]) -> None:
        """Set ``data_updated_at`` of the creators ``ids`` (whose rows this import wrote) to the import's time."""
        if ids:
            self.sql.run("UPDATE {creator} SET data_updated_at = %s WHERE id = ANY(%s)", [self._param(self.now), ids])
