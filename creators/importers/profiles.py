"""Creator profiles: the ``creators`` kind and the ``tiktok2020_creators`` adapter (DESIGN section 4)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from django.utils.text import slugify

from creators.importers import values as v
from creators.importers.common import CategoryLookup
from creators.importers.engine import Column, Importer, RowInvalid

_STAGE = (
    ("external_id", "text"),
    ("handle", "text"),
    ("handle_lower", "text"),
    ("display_name", "text"),
    ("country", "text"),
    ("followers", "bigint"),
    ("primary_slug", "text"),
    ("primary_category_id", "bigint"),
)

# A creator's category set differs from the staged one (either direction).
_CATEGORIES_DIFFER = """
    OR EXISTS (SELECT 1 FROM {side} sc WHERE sc.line = s.line AND NOT EXISTS (
        SELECT 1 FROM {creator_categories} m WHERE m.creator_id = t.id AND m.category_id = sc.category_id))
    OR EXISTS (SELECT 1 FROM {creator_categories} m WHERE m.creator_id = t.id AND NOT EXISTS (
        SELECT 1 FROM {side} sc WHERE sc.line = s.line AND sc.category_id = m.category_id))
"""


class ProfilesImporter(Importer):
    """Shared SQL of the two profile kinds. Staged rows carry their categories in the side table
    (``line, slug, name, category_id``, primary included) so that the many-to-many set is compared and synced in
    bulk. Category ids are resolved from the slugs in SQL once staging is done (a COPY occupies the connection
    while rows are staged, so pass 1 cannot query or create categories)."""

    stage_columns = _STAGE
    side_columns = (("slug", "text"), ("name", "text"), ("category_id", "bigint"))
    match: ClassVar[str]
    compared: ClassVar[tuple[str, ...]]
    # The (slug, name) categories of the row ``stage_row`` has just staged, read by ``side_rows`` for that row.
    _categories: Sequence[tuple[str, str]]

    def side_rows(self, line: int, values: list[Any]) -> Iterator[tuple]:
        return ((slug, name, None) for slug, name in self._categories)

    def prepare(self) -> None:
        self.sql.run(
            "UPDATE {stage} SET primary_category_id = c.id FROM {category} c WHERE c.slug = {stage}.primary_slug"
        )
        self.sql.run("UPDATE {side} SET category_id = c.id FROM {category} c WHERE c.slug = {side}.slug")

    def plan(self) -> tuple[int, int]:
        self.sql.run("CREATE INDEX {side}_line ON {side} (line, category_id)")
        return self.plan_by_diff(
            target="{creator}", match=self.match, compared=self.compared, extra_diff=_CATEGORIES_DIFFER
        )

    def apply(self) -> None:
        stamp = {"source": self.kind, "data_updated_at": self.now}
        self.insert_new(
            target="{creator}",
            columns=("external_id", "handle", "display_name", "country", "followers", "primary_category_id"),
            constants={**stamp, "created_at": self.now},
        )
        self.update_changed(target="{creator}", columns=self.compared, constants=stamp)
        # The creator of every changed row, new ones looked up by the external id they were inserted with.
        self.sql.run(
            """
            CREATE TEMPORARY TABLE {extra} AS
            SELECT ch.line AS line, COALESCE(ch.target_id, c.id) AS creator_id
            FROM {changes} ch JOIN {stage} s ON s.line = ch.line
            LEFT JOIN {creator} c ON ch.target_id IS NULL AND c.external_id = s.external_id
            """
        )
        self.sql.analyze("{extra}")
        # Written without anti-joins against the table being changed: right after a TRUNCATE its statistics say
        # "empty", and a nested-loop anti-join that rescans a table while the same statement grows it is
        # quadratic. The unique (creator, category) index does the work instead.
        self.sql.run(
            """
            CREATE TEMPORARY TABLE {doomed} AS
            SELECT m.id AS id FROM {creator_categories} m JOIN {extra} x ON x.creator_id = m.creator_id
            LEFT JOIN {side} sc ON sc.line = x.line AND sc.category_id = m.category_id
            WHERE sc.line IS NULL
            """
        )
        self.sql.analyze("{doomed}")
        self.sql.run("DELETE FROM {creator_categories} WHERE id IN (SELECT id FROM {doomed})")
        self.sql.run(
            """
            INSERT INTO {creator_categories} (creator_id, category_id)
            SELECT x.creator_id, sc.category_id FROM {extra} x JOIN {side} sc ON sc.line = x.line WHERE 1 = 1
            ON CONFLICT DO NOTHING
            """
        )
        # The published run's scorecards carry copies of each creator's categories and country, from which the
        # partner list decides visibility: rewrite those of the changed creators in this same transaction, so
        # that a creator moved out of a granted category disappears for that partner now, not at the next run.
        # Imported here, not at module level: scoring.services pulls in the task queue's client (redis) and
        # DRF, a fifth of ``import_data``'s start-up, for an import that only needs them when it runs this.
        from scoring.services import scorecards_access_sync

        scorecards_access_sync(creators_sql=f"SELECT creator_id FROM {self.sql.names['extra']}")


class CreatorsImporter(ProfilesImporter):
    """Generic creators: key ``external_id``; categories must already exist (an unknown slug is an error)."""

    kind = "creators"
    key_column = "external_id"
    stage_key = "external_id"
    match = "t.external_id = s.external_id"
    compared = ("handle", "display_name", "country", "followers", "primary_category_id")

    def build_columns(self) -> tuple[Column, ...]:
        self.categories = CategoryLookup()
        return (
            Column("external_id", v.identifier, required=True),
            Column("handle", v.handle, required=True),
            Column("primary_category", v.required(self.categories.slug), required=True),
            Column("display_name", v.text_field(max_length=200)),
            Column("country", v.country_code),
            Column("categories", self.categories.slug_list),
            Column("followers", v.optional(v.count)),
        )

    def stage_row(self, line: int, values: list[Any]) -> tuple:
        external_id, handle, primary, display_name, country, categories, followers = values
        self._categories = [(slug, slug) for slug in (primary, *(slug for slug in categories if slug != primary))]
        return (external_id, handle, handle.lower(), display_name, country, followers, primary, None)

    def check(self) -> None:
        super().check()
        self.check_duplicates("handle_lower", "handle", "duplicate handle")
        self.report_missing(
            "SELECT s.line, s.handle || ' ' || c.external_id FROM {stage} s "
            "JOIN {creator} c ON lower(c.handle) = s.handle_lower WHERE c.external_id <> s.external_id",
            "handle",
            lambda pair: "handle {!r} belongs to another creator (external id {!r})".format(*pair.split(" ", 1)),
        )


class TikTok2020CreatorsImporter(ProfilesImporter):
    """``top-250-tiktokers.csv`` of the 2020 TikTok export, as it is. Key: the handle (``Username``, '@' dropped,
    case-insensitive), so it updates a creator however it was first imported. Genres become categories (a new
    genre creates its category); demographic columns are never read."""

    kind = "tiktok2020_creators"
    key_column = "Username"
    stage_key = "handle_lower"
    ignored = ("Rank", "Views", "Likes", "Engagement", "Brand Account", "Famous", "Gender", "Age", "Ethnicity", "LGBTQ")
    match = "lower(t.handle) = s.handle_lower"
    compared = ("handle", "country", "followers", "primary_category_id")

    def build_columns(self) -> tuple[Column, ...]:
        return (
            Column("Username", v.handle, required=True),
            Column("Country", v.country_name, required=True),
            Column("Followers", v.optional(v.abbreviated_count), required=True),
            Column("Genre", self.genres, required=True),
        )

    def genres(self, text: str) -> tuple[tuple[str, str], ...]:
        """``Dancing, Motivational Speaking`` → ((slug, name), ...) in order; empty → uncategorized."""
        from creators.choices import UNCATEGORIZED_SLUG

        found: list[tuple[str, str]] = []
        for part in text.split(","):
            name = " ".join(part.split())
            if not name:
                continue
            slug = slugify(name)[:80]
            if not slug:
                raise ValueError(f"genre {name!r} gives no usable category slug")
            if slug not in (known for known, _ in found):
                found.append((slug, name[:120]))
        return tuple(found) or ((UNCATEGORIZED_SLUG, "Uncategorized"),)

    def stage_row(self, line: int, values: list[Any]) -> tuple:
        handle, country, followers, genres = values
        if len(handle) > 57:  # room for the "tiktok:" prefix of the external id
            raise RowInvalid("Username", f"{handle!r} is longer than 57 characters")
        self._categories = genres
        lowered = handle.lower()
        return (f"tiktok:{lowered}", handle, lowered, "", country, followers, genres[0][0], None)

    def prepare(self) -> None:
        # A genre the platform does not know yet becomes a new category, never dropped.
        created = self.sql.run(
            "INSERT INTO {category} (slug, name) SELECT slug, min(name) FROM {side} sc "
            "WHERE NOT EXISTS (SELECT 1 FROM {category} c WHERE c.slug = sc.slug) GROUP BY slug"
        ).rowcount
        self.extra["categories_created"] = max(int(created or 0), 0)
        super().prepare()

    def check(self) -> None:
        super().check()
        self.report_missing(
            "SELECT s.line, s.external_id FROM {stage} s JOIN {creator} c ON c.external_id = s.external_id "
            "WHERE lower(c.handle) <> s.handle_lower "
            "AND NOT EXISTS (SELECT 1 FROM {creator} c2 WHERE lower(c2.handle) = s.handle_lower)",
            "Username",
            lambda external_id: f"external id {external_id!r} already belongs to a creator with another handle",
        )
