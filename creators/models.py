"""Raw data: categories, creators, their videos and brand collaborations.

These tables are written only by the importers (and the demo seeder through the same path) and read by the
scoring engine. Partner-facing reads never touch them directly: they go through ``partners.access``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from creators.choices import CollaborationStatus, ImportJobStatus
from partners import visibility

if TYPE_CHECKING:
    from partners.access import Access


# A creator handle: letters, digits, '.', '_' and '-', at most 64 characters (the importers' rule, the URL
# converter's, the compare list's).
HANDLE_PATTERN = r"[A-Za-z0-9._-]{1,64}"


def parse_handles(values: Iterable[str]) -> list[str]:
    """Handles as people and programs send them (form values, a JSON list, ``?handles=a,b``): comma-separated or
    repeated, a leading ``@`` dropped, distinct regardless of case, in the order given. Text that cannot be a
    handle is kept: callers report it as not found, like any unknown handle."""
    seen: dict[str, str] = {}
    for raw in values:
        for handle in str(raw).split(","):
            handle = handle.strip().lstrip("@")
            if handle and handle.lower() not in seen:
                seen[handle.lower()] = handle
    return list(seen.values())

class CategoryQuerySet(models.QuerySet):
    def visible_to(self, access: Access) -> CategoryQuerySet:
        """Categories a partner may see and filter on (none without access): ``partners.visibility.category_q``."""
        return self.filter(visibility.category_q(access)) if access.is_partner else self.none()



class Category(models.Model):
    """A product or content category (``beauty``, ``gaming``...). Identified by its slug."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class CreatorQuerySet(models.QuerySet):
    def visible_to(self, access: Access) -> CreatorQuerySet:
        """Creators a partner may see: primary or any category granted, or granted explicitly (none otherwise).

        This is the restriction every partner-facing read applies (DESIGN section 6), defined once in
        ``partners.visibility.creator_q``. It is a ``WHERE`` clause (a semi-join on the category link, no join),
        so it keeps the row set distinct and composes with any ordering or filter.
        """
        if not access.is_partner:
            return self.none()
        return self.filter(visibility.creator_q(access))

    def by_handle(self, handle: str) -> CreatorQuerySet:
        """Creators whose handle matches case-insensitively (uses the ``lower(handle)`` unique index)."""
        return self.alias(handle_lower=Lower("handle")).filter(handle_lower=handle.strip().lstrip("@").lower())


class Creator(models.Model):
    """A creator (influencer) on the platform.

    ``handle`` is unique regardless of case. ``categories`` holds every category of the creator, the primary one
    included, so that "is this creator in category c" is one lookup.
    """

    # On PostgreSQL the table keeps half of each page free (migration 0005, fillfactor 50): an import stamps
    # data_updated_at on every creator whose rows it wrote, and with room on the page that is a heap-only update
    # that touches none of the indexes below.
    # Unique, and country indexed, through Meta (as Video.external_id): on PostgreSQL unique=True / db_index=True
    # on a CharField also build a varchar_pattern_ops index for LIKE 'prefix%' queries, which nothing runs on
    # ids or country codes, and which every import that stamps data_updated_at would update row by row.
    external_id = models.CharField(max_length=64)
    handle = models.CharField(max_length=64)
    display_name = models.CharField(max_length=200, blank=True)
    # ISO 3166-1 alpha-2, empty when unknown. A varchar, not char(2): comparing char(n) with a text parameter
    # loses the index on PostgreSQL.
    country = models.CharField(max_length=2, blank=True)
    primary_category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="primary_creators")
    categories = models.ManyToManyField(Category, related_name="creators", blank=True)
    followers = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=40, blank=True, help_text="Import kind that last wrote this creator.")
    data_updated_at = models.DateTimeField(help_text="When an import last changed this creator or its activity.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CreatorQuerySet.as_manager()

    class Meta:
        ordering = ["handle"]
        indexes = [models.Index(fields=["country"], name="creator_country")]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="creator_external_id_unique"),
            models.UniqueConstraint(Lower("handle"), name="creator_handle_ci_unique"),
            models.CheckConstraint(condition=models.Q(followers__gte=0), name="creator_followers_non_negative"),
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"


class VideoQuerySet(models.QuerySet):
    def visible_to(self, access: Access) -> VideoQuerySet:
        """Videos of the creators a partner may see (``CreatorQuerySet.visible_to``), none otherwise."""
        if not access.is_partner:
            return self.none()
        return self.filter(creator__in=Creator.objects.visible_to(access))


class Video(models.Model):
    """One video of a creator, with its counts at collection time and its commercial flags.

    ``orders`` and ``gmv`` are null when unknown: unknown is not zero.
    """

    # Unique through Meta.constraints rather than unique=True: on PostgreSQL, unique=True on a CharField also
    # builds a varchar_pattern_ops index for LIKE queries that nobody runs on ids, and every extra index on the
    # largest table costs every import. On PostgreSQL its collation is "C" (migration 0008, outside the model
    # state: an AlterField of this field would drop it): the unique index builds faster after a bulk load.
    external_id = models.CharField(max_length=64)
    # No single-column index: the (creator, posted_at) index serves creator lookups and the foreign key.
    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="videos", db_index=False)
    posted_at = models.DateTimeField()
    views = models.BigIntegerField()
    likes = models.BigIntegerField()
    comments = models.BigIntegerField()
    shares = models.BigIntegerField()
    is_sponsored = models.BooleanField(default=False)
    is_shoppable = models.BooleanField(default=False)
    # Not indexed (migration 0007 dropped the partial index): its only reader was the PROTECT check when a category
    # is deleted, a rare staff action that a scan of the table serves (0.2 s per million videos), against 0.3-0.4 s
    # to rebuild the index after each million-row load and an entry to write for every shoppable video imported.
    product_category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="videos", db_index=False
    )
    orders = models.BigIntegerField(null=True, blank=True)
    gmv = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    duration_s = models.IntegerField(null=True, blank=True)
    hashtags = models.TextField(blank=True, help_text="';'-separated, without '#'.")

    objects = VideoQuerySet.as_manager()

    class Meta:
        # No index on posted_at alone (migration 0006 dropped it): scoring reads videos by creator range and time
        # window through (creator, posted_at); its only other reader was default_as_of's max(posted_at), a 0.2 s
        # parallel scan of 1M rows once per scoring request, against 0.4-1 s to rebuild it after each 1M-row load
        # and an entry to write for every imported video.
        indexes = [
            models.Index(fields=["creator", "posted_at"], name="video_creator_posted"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="video_external_id_unique"),
            models.CheckConstraint(
                condition=models.Q(views__gte=0, likes__gte=0, comments__gte=0, shares__gte=0),
                name="video_counts_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(orders__isnull=True) | models.Q(orders__gte=0), name="video_orders_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(gmv__isnull=True) | models.Q(gmv__gte=0), name="video_gmv_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.external_id


class Collaboration(models.Model):
    """A brand's invitation to a creator, and what became of it."""

    external_id = models.CharField(max_length=64, unique=True)
    # The (creator, invited_at) index serves creator lookups and the foreign key.
    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="collaborations", db_index=False)
    brand = models.CharField(max_length=200)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="collaborations"
    )
    invited_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=CollaborationStatus.choices)
    due_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["creator", "invited_at"], name="collab_creator_invited"),
            models.Index(fields=["invited_at"], name="collab_invited"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} → {self.creator_id} ({self.status})"


class ImportJob(models.Model):
    """An import of an uploaded file, run by a Celery worker (``creators.tasks.import_job_run``).

    ``progress`` counts the rows validated (written when the job finishes; while it runs its worker keeps the
    count in the shared cache, read by ``creators.services.import_job_progress``); the counts, the
    errors (the first 1,000, as ``{"line", "column", "message"}``) and ``error_count`` are the import's report.
    A job that could not run, or whose file was rejected, is ``failed`` with the reason in ``error``.
    """

    kind = models.CharField(max_length=40)
    file = models.FileField(upload_to="imports/%Y/%m/%d/", max_length=300)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.PENDING, db_index=True
    )
    progress = models.BigIntegerField(default=0, help_text="Rows validated so far.")
    rows = models.BigIntegerField(default=0)
    created = models.BigIntegerField(default=0)
    updated = models.BigIntegerField(default=0)
    unchanged = models.BigIntegerField(default=0)
    error_count = models.BigIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, help_text="Why the job failed, in one sentence.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.kind} ({self.status})"
