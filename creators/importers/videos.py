"""The ``videos`` kind and the ``tiktok2020_videos`` adapter (DESIGN section 4)."""

from __future__ import annotations

from typing import Any, ClassVar

from creators.importers import values as v
from creators.importers.common import CategoryLookup, CreatorLinkedImporter
from creators.importers.engine import Column

# Hashtags that mark a video as sponsored / as carrying a product link, compared in lower case.
SPONSORSHIP_TAGS = frozenset({"ad", "sponsored", "partner", "paidpartnership", "brandpartner"})
SHOPPING_TAGS = frozenset(
    {"tiktokmademebuyit", "amazonfinds", "founditonamazon", "tiktokshop", "shopnow", "linkinbio"}
)

_VIDEO_STAGE: tuple[tuple[str, str], ...] = (
    ("external_id", "text"),
    ("creator_ref", "text"),
    ("creator_ref_lower", "text"),
    ("creator_id", "bigint"),
    ("posted_at", "time"),
    ("views", "bigint"),
    ("likes", "bigint"),
    ("comments", "bigint"),
    ("shares", "bigint"),
    ("is_sponsored", "bool"),
    ("is_shoppable", "bool"),
    ("product_category_id", "bigint"),
    ("orders", "bigint"),
    ("gmv", "money"),
    ("duration_s", "int"),
    ("hashtags", "text"),
)
_NOT_COMPARED = {"external_id", "creator_ref", "creator_ref_lower"}
_VIDEO_COMPARED = tuple(name for name, _ in _VIDEO_STAGE if name not in _NOT_COMPARED)


class VideosImporter(CreatorLinkedImporter):
    """Generic videos: key ``external_id``; the creator must exist (external id or handle)."""

    kind = "videos"
    key_column = "external_id"
    stage_key = "external_id"
    stage_columns = _VIDEO_STAGE
    target = "{video}"
    compared = _VIDEO_COMPARED
    raw_staging = True
    locked_tables = ("{creator}", "{creator_categories}", "{video}")
    # The direct load (``direct``, PostgreSQL): a first load into the empty table COPYs the rows straight in.
    direct_load = True
    # CSV column → table column, where they differ (the direct load writes the ids in place of the names).
    direct_targets: ClassVar[dict[str, str]] = {"creator": "creator_id", "product_category": "product_category_id"}
    # Fast fragments replacing the columns' own on the direct load: an empty boolean cell means false, but it
    # would be NULL in the table's NOT NULL column (the staging path coalesces it); such lines take the parsers.
    direct_fast: ClassVar[dict[str, str]] = {"is_sponsored": v.FAST_BOOLEAN_SET, "is_shoppable": v.FAST_BOOLEAN_SET}

    def build_columns(self) -> tuple[Column, ...]:
        self.categories = CategoryLookup()
        slugs = {category_id: slug for slug, category_id in self.categories.ids.items()}
        time = v.make_time(now=self.now)
        count = v.count
        return (
            Column("external_id", v.identifier, required=True, fast=v.FAST_IDENTIFIER),
            Column("creator", v.creator_reference, required=True, fast=v.FAST_CREATOR_REFERENCE),
            Column("posted_at", time, required=True, fast=v.FAST_TIME, raw_type="time",
                   fast_max=v.fast_time_max(self.now)),
            Column("views", count, required=True, fast=v.FAST_COUNT, raw_type="bigint"),
            Column("likes", count, required=True, fast=v.FAST_COUNT, raw_type="bigint"),
            Column("comments", count, required=True, fast=v.FAST_COUNT, raw_type="bigint"),
            Column("shares", count, required=True, fast=v.FAST_COUNT, raw_type="bigint"),
            Column("is_sponsored", v.boolean, fast=v.FAST_BOOLEAN, raw_type="bool"),
            Column("is_shoppable", v.boolean, fast=v.FAST_BOOLEAN, raw_type="bool"),
            # Staged raw as the slug (stored slugs are lower case, which is what the fast path accepts).
            Column("product_category", self.categories.parse_optional, fast=v.fast_choice(slugs.values()),
                   raw_text=lambda category_id: "" if category_id is None else slugs[category_id]),
            Column("orders", v.optional(v.count), fast=v.FAST_OPTIONAL_COUNT, raw_type="bigint"),
            Column("gmv", v.optional(v.money), fast=v.FAST_MONEY, raw_type="money"),
            Column("duration_s", v.optional(v.small_count), fast=v.FAST_SMALL_COUNT, raw_type="int"),
            Column("hashtags", v.hashtags_text, fast=v.FAST_HASHTAGS),
        )

    def direct_table(self) -> str:
        """The table the direct load writes."""
        return self.target.format(**self.sql.names)

    def stage_from_raw(self, positions: dict[str, int]) -> None:
        """``{stage}`` as the other kinds stage it, with the creator resolved (external id first, then handle
        case-insensitively, as ``resolve_creators`` does) and the category slug turned into its id."""

        def raw(name: str, missing: str) -> str:
            return f"r.c{positions[name]}" if name in positions else missing

        ref = raw("creator", "''")
        # Each distinct reference is resolved once (a file names each creator many times).
        self.sql.run(
            f"""
            CREATE TEMPORARY TABLE {{stage}} AS
            WITH refs AS MATERIALIZED (
                SELECT d.ref, d.ref_lower, coalesce(ce.id, ch.id) AS creator_id
                FROM (SELECT ref, lower(CASE WHEN left(ref, 1) = '@' THEN substr(ref, 2) ELSE ref END) AS ref_lower
                      FROM (SELECT DISTINCT {ref} AS ref FROM {{raw}} r) dd) d
                LEFT JOIN {{creator}} ce ON ce.external_id = d.ref
                LEFT JOIN {{creator}} ch ON lower(ch.handle) = d.ref_lower)
            SELECT r.line, {raw("external_id", "''")} AS external_id, f.ref AS creator_ref,
                   f.ref_lower AS creator_ref_lower, f.creator_id,
                   {raw("posted_at", "NULL::timestamptz")} AS posted_at,
                   {raw("views", "0::bigint")} AS views, {raw("likes", "0::bigint")} AS likes,
                   {raw("comments", "0::bigint")} AS comments, {raw("shares", "0::bigint")} AS shares,
                   coalesce({raw("is_sponsored", "NULL::boolean")}, false) AS is_sponsored,
                   coalesce({raw("is_shoppable", "NULL::boolean")}, false) AS is_shoppable,
                   pc.id AS product_category_id, {raw("orders", "NULL::bigint")} AS orders,
                   {raw("gmv", "NULL::numeric(16, 2)")} AS gmv, {raw("duration_s", "NULL::integer")} AS duration_s,
                   coalesce({raw("hashtags", "NULL::text")}, '') AS hashtags
            FROM {{raw}} r
            JOIN refs f ON f.ref = {ref}
            LEFT JOIN {{category}} pc ON pc.slug = {raw("product_category", "NULL::text")}
            """
        )
        self.creators_resolved = True

    def stage_row(self, line: int, values: list[Any]) -> tuple:
        (external_id, creator, posted_at, views, likes, comments, shares, sponsored, shoppable, category, orders,
         gmv, duration, tags) = values
        ref, ref_lower = self.reference(creator)
        return (
            external_id, ref, ref_lower, None, posted_at, views, likes, comments, shares, sponsored, shoppable,
            category, orders, gmv, duration, tags,
        )


class TikTok2020VideosImporter(VideosImporter):
    """``top_users_vids.csv`` of the 2020 TikTok export, as it is.

    Creators are named by handle (``user_name``); one the platform does not know yet is created (category
    ``uncategorized``), and the followers of a known one are updated from ``n_followers`` (the value on its
    newest video). Sponsorship and shoppability come from hashtags; orders, GMV and product category are unknown.
    """

    kind = "tiktok2020_videos"
    key_column = "id"
    direct_load = False  # creates the creators it does not know: always staged
    raw_staging = False  # small real-world files; stage_row derives the flags from the hashtags
    ignored = ("song", "n_total_likes", "n_total_vids")
    stage_columns = (*_VIDEO_STAGE, ("followers", "bigint"))

    def build_columns(self) -> tuple[Column, ...]:
        count = v.abbreviated_count
        return (
            Column("id", v.identifier, required=True),
            Column("create_time", v.make_time(now=self.now), required=True),
            Column("user_name", v.handle, required=True),
            Column("n_plays", count, required=True),
            Column("n_likes", count, required=True),
            Column("n_comments", count, required=True),
            Column("n_shares", count, required=True),
            Column("hashtags", v.python_list_hashtags),
            Column("video_length", v.optional(v.small_count)),
            Column("n_followers", v.optional(v.abbreviated_count)),
        )

    def stage_row(self, line: int, values: list[Any]) -> tuple:
        external_id, posted_at, handle, views, likes, comments, shares, tags, duration, followers = values
        lowered = {tag.lower() for tag in tags}
        return (
            external_id, handle, handle.lower(), None, posted_at, views, likes, comments, shares,
            not lowered.isdisjoint(SPONSORSHIP_TAGS), not lowered.isdisjoint(SHOPPING_TAGS),
            None, None, None, duration, ";".join(tags), followers,
        )

    def check(self) -> None:
        # Unknown creators are not an error here: prepare() creates them.
        self.check_duplicates(self.stage_key, self.key_column, "duplicate key")

    def prepare(self) -> None:
        from creators.choices import UNCATEGORIZED_SLUG
        from creators.models import Category

        uncategorized, _ = Category.objects.get_or_create(slug=UNCATEGORIZED_SLUG, defaults={"name": "Uncategorized"})
        now = self._param(self.now)
        # One row per author, carrying the follower count of its newest video and the id of the creator it
        # already is (null for a new one), computed before anything is inserted: no statement below reads the
        # table it writes (see ProfilesImporter.apply on why).
        self.sql.run(
            """
            CREATE TEMPORARY TABLE {extra} AS
            SELECT r.creator_ref_lower AS handle_lower, r.creator_ref AS handle, r.followers, c.id AS creator_id
            FROM (
                SELECT creator_ref_lower, creator_ref, followers,
                       row_number() OVER (PARTITION BY creator_ref_lower ORDER BY posted_at DESC, line DESC) AS rn
                FROM {stage}) r
            LEFT JOIN {creator} c ON lower(c.handle) = r.creator_ref_lower
            WHERE r.rn = 1
            """
        )
        self.sql.analyze("{extra}")
        created = self.sql.value("SELECT count(*) FROM {extra} WHERE creator_id IS NULL")
        updated = self.sql.run(
            """
            UPDATE {creator} SET followers = a.followers, source = %s, data_updated_at = %s
            FROM {extra} a
            WHERE {creator}.id = a.creator_id AND a.followers IS NOT NULL
              AND {creator}.followers IS DISTINCT FROM a.followers
            """,
            [self.kind, now],
        ).rowcount
        self.sql.run(
            """
            INSERT INTO {creator} (external_id, handle, display_name, country, followers, primary_category_id,
                                   source, data_updated_at, created_at)
            SELECT 'tiktok:' || a.handle_lower, a.handle, '', '', a.followers, %s, %s, %s, %s
            FROM {extra} a WHERE a.creator_id IS NULL
            """,
            [uncategorized.pk, self.kind, now, now],
        )
        self.sql.run(
            """
            INSERT INTO {creator_categories} (creator_id, category_id)
            SELECT c.id, %s FROM {creator} c JOIN {extra} a ON lower(c.handle) = a.handle_lower
            WHERE a.creator_id IS NULL
            ON CONFLICT DO NOTHING
            """,
            [uncategorized.pk],
        )
        self.extra = {"creators_created": int(created or 0), "creators_updated": max(int(updated or 0), 0)}
        self.sql.run(
            "UPDATE {stage} SET creator_id = c.id FROM {creator} c WHERE lower(c.handle) = {stage}.creator_ref_lower"
        )
