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
    locked_tables = ("{creator}", "{creator_categories}", "{video}")
    # The fast path (``fast``, PostgreSQL): one pass COPYs every row, then one upsert (a first load: straight in).
    fast_path = True
    # CSV column → table column, where they differ (the fast path writes the ids in place of the names).
    fast_targets: ClassVar[dict[str, str]] = {"creator": "creator_id", "product_category": "product_category_id"}

    def build_columns(self) -> tuple[Column, ...]:
        self.categories = CategoryLookup()
        time = v.make_time(now=self.now)
        count = v.count
        return (
            Column("external_id", v.identifier, required=True, fast=v.FAST_IDENTIFIER),
            Column("creator", v.creator_reference, required=True, fast=v.FAST_CREATOR_REFERENCE),
            Column("posted_at", time, required=True, fast=v.FAST_TIME, fast_max=v.fast_time_max(self.now)),
            Column("views", count, required=True, fast=v.FAST_COUNT),
            Column("likes", count, required=True, fast=v.FAST_COUNT),
            Column("comments", count, required=True, fast=v.FAST_COUNT),
            Column("shares", count, required=True, fast=v.FAST_COUNT),
            Column("is_sponsored", v.boolean, fast=v.FAST_BOOLEAN),
            Column("is_shoppable", v.boolean, fast=v.FAST_BOOLEAN),
            # Stored slugs are lower case, which is what the fast fragment accepts.
            Column("product_category", self.categories.parse_optional, fast=v.fast_choice(self.categories.ids)),
            Column("orders", v.optional(v.count), fast=v.FAST_OPTIONAL_COUNT),
            Column("gmv", v.optional(v.money), fast=v.FAST_MONEY),
            Column("duration_s", v.optional(v.small_count), fast=v.FAST_SMALL_COUNT),
            Column("hashtags", v.hashtags_text, fast=v.FAST_HASHTAGS),
        )

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
    fast_path = False  # creates the creators it does not know, derives the flags from the hashtags
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
