"""Scoring runs and their results.

A run writes a complete set of ``Scorecard`` and ``CategoryImpact`` rows and becomes visible to partners only
when it is published; exactly one run is published at a time. Earlier runs are kept for history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models

from partners import visibility
from scoring.choices import Confidence, RunStatus
from scoring.fields import IntegerIdsField

if TYPE_CHECKING:
    from partners.access import Access


class ScoringRun(models.Model):
    """One computation of every creator's indices for an as-of date and window."""

    as_of = models.DateField()
    window_days = models.PositiveIntegerField(default=90)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING, db_index=True)
    is_published = models.BooleanField(default=False)
    # True while pending or running (set by the run request). A partial unique constraint allows one active
    # run at a time: a second request joins it instead of computing twice (same on PostgreSQL and SQLite).
    is_active = models.BooleanField(default=False)
    progress = models.PositiveSmallIntegerField(default=0, help_text="0-100")
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    creators_count = models.PositiveIntegerField(default=0)
    videos_count = models.BigIntegerField(default=0)
    triggered_by = models.CharField(max_length=80, help_text="cli, beat, import:<id>, admin, api...")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    error = models.TextField(blank=True)
    # Reference-group medians of the raw metrics, keyed by group, written once by the final step.
    medians = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Last sign of life (a chunk or step finished). The stale-run reaper fails active runs silent for too long.
    progress_at = models.DateTimeField(null=True, blank=True)
    # Bumped whenever the access columns of this run's scorecards are rewritten after a creator changed
    # (``scoring.services.scorecards_access_sync``): caches of per-run aggregates key on (id, revision).
    revision = models.PositiveIntegerField(default=0)
    # The run this one's changes are measured against (``Scorecard.<index>_change``, ``is_new``): the previously
    # published run with the same ``window_days``, fixed by the scorecards stage when it writes the scorecards
    # (``scoring.services.compared_run_for``). Null for the first run of a window, or once that run was pruned.
    compared_run = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The previous published run with the same window, which the changes are measured against.",
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_published"], condition=models.Q(is_published=True), name="scoringrun_one_published"
            ),
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="scoringrun_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} as of {self.as_of} ({self.status})"


class ScorecardQuerySet(models.QuerySet["Scorecard"]):
    def visible_to(self, access: Access) -> ScorecardQuerySet:
        """Scorecards of the published run for the creators ``access`` may see (access layer, DESIGN 6).

        Field tiers are not applied here: callers show only ``partners.access.visible_fields(access)``.
        """
        if not access.is_partner:
            return self.none()
        return self.filter(visibility.scorecard_q(access), run__is_published=True)


class CategoryImpactQuerySet(models.QuerySet["CategoryImpact"]):
    def visible_to(self, access: Access) -> CategoryImpactQuerySet:
        """Category impacts of the published run, for visible creators in visible categories (none without the
        ``performance`` tier, to which impact belongs)."""
        from creators.models import Category, Creator
        from scoring.catalogue import Tier

        if not access.has_tier(Tier.PERFORMANCE):
            return self.none()
        return self.filter(
            run__is_published=True,
            creator_id__in=Creator.objects.visible_to(access).values("pk"),
            category_id__in=Category.objects.visible_to(access).values("pk"),
        )


class ScoringChunk(models.Model):
    """A range of creator ids whose raw metrics one Celery task computes, and whether it is done.

    Marking a chunk done happens in the transaction that writes its staging table, so a redelivered task
    (``acks_late``) recomputes its chunk without counting it twice.
    """

    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    first_creator_id = models.BigIntegerField()
    last_creator_id = models.BigIntegerField()
    creators_count = models.PositiveIntegerField(default=0)
    is_done = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="scoringchunk_run_number_unique"),
        ]

    def __str__(self) -> str:
        return f"Chunk {self.number} of run {self.run_id}"


# Scorecards and category impacts are snapshots written in bulk (a million rows per run) by the scoring engine
# from the creators table, inside the run's publishing transaction. Database-level foreign keys would add a
# deferred check, with a row lock on the creator, per written row at commit: as costly as the insert itself. The
# relations stay ORM foreign keys (joins, cascades on delete through the ORM); their single-column indexes are
# left out where a composite index starts with the same column.
_SNAPSHOT_FK: dict[str, Any] = {"on_delete": models.CASCADE, "db_constraint": False}


class Scorecard(models.Model):
    """A creator's indices (0-100, null for insufficient data) and the raw metrics behind them, in one run."""

    run = models.ForeignKey(ScoringRun, related_name="scorecards", db_index=False, **_SNAPSHOT_FK)
    creator = models.ForeignKey("creators.Creator", related_name="scorecards", db_index=False, **_SNAPSHOT_FK)

    collaboration = models.FloatField(null=True, blank=True)
    care = models.FloatField(null=True, blank=True)
    volume = models.FloatField(null=True, blank=True)
    effectiveness = models.FloatField(null=True, blank=True)
    sales = models.FloatField(null=True, blank=True)
    consistency = models.FloatField(null=True, blank=True)
    overall = models.FloatField(null=True, blank=True)

    # The raw score of each index before the percentile (null where the index is insufficient), so that a
    # scorecard can show it beside the median of its reference group.
    collaboration_raw = models.FloatField(null=True, blank=True)
    care_raw = models.FloatField(null=True, blank=True)
    volume_raw = models.FloatField(null=True, blank=True)
    effectiveness_raw = models.FloatField(null=True, blank=True)
    sales_raw = models.FloatField(null=True, blank=True)
    consistency_raw = models.FloatField(null=True, blank=True)

    confidence = models.CharField(max_length=6, choices=Confidence.choices)
    collaboration_confidence = models.CharField(max_length=6, choices=Confidence.choices)
    follower_tier = models.PositiveSmallIntegerField(help_text="0: <10k, 1: 10k-100k, 2: 100k-1M, 3: 1M-10M, 4: >10M")
    followers = models.BigIntegerField(null=True, blank=True)

    # Raw metrics over the window (DESIGN section 5).
    videos = models.IntegerField(default=0)
    views = models.BigIntegerField(default=0)
    engagements = models.BigIntegerField(default=0)
    engagement_rate = models.FloatField(null=True, blank=True)
    sponsored_share = models.FloatField(null=True, blank=True)
    shoppable_share = models.FloatField(null=True, blank=True)
    gmv = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    orders = models.BigIntegerField(null=True, blank=True)
    gpm = models.FloatField(null=True, blank=True)
    active_weeks = models.SmallIntegerField(default=0)
    gap_cv = models.FloatField(null=True, blank=True)
    invitations = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)
    due = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    median_response_h = models.FloatField(null=True, blank=True)

    # Change of each index against the compared run (``ScoringRun.compared_run``), in points: this run's value
    # minus that run's. Null when either value is null, when the creator has no scorecard there, or when the run
    # has no compared run. Written by the scoring run's scorecard insert (``scoring.indices``), never afterwards.
    overall_change = models.FloatField(null=True, blank=True)
    collaboration_change = models.FloatField(null=True, blank=True)
    care_change = models.FloatField(null=True, blank=True)
    volume_change = models.FloatField(null=True, blank=True)
    effectiveness_change = models.FloatField(null=True, blank=True)
    sales_change = models.FloatField(null=True, blank=True)
    consistency_change = models.FloatField(null=True, blank=True)
    # The creator has no scorecard in the compared run (new to the data); False when there is no compared run.
    is_new = models.BooleanField(default=False, db_default=False)

    # Growth of the raw data: the videos and views of the window of the same length just before this run's window,
    # and the followers the compared run recorded (followers have no history of their own). Null when unknown: no
    # compared scorecard for the followers. Database defaults too, so that bulk SQL writers that predate these
    # columns (the benchmarks' generators) still insert rows.
    videos_previous = models.IntegerField(default=0, db_default=0)
    views_previous = models.BigIntegerField(default=0, db_default=0)
    followers_previous = models.BigIntegerField(null=True, blank=True)

    # Copies of the creator's access-relevant profile (``scoring.indices.ACCESS_COLUMNS``), so that the partner
    # list decides visibility and the category/country filters on this table alone, by index. Written by the
    # scoring run with the scorecards and rewritten, on the published run, in the same transaction as any change
    # of a creator's categories or country (``scoring.services.scorecards_access_sync``).
    country = models.CharField(max_length=2, blank=True, default="")
    category_ids = IntegerIdsField(default=list, help_text="The creator's linked categories (the primary included).")

    objects = ScorecardQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "creator"], name="scorecard_run_creator_unique"),
        ]
        indexes = [
            models.Index(fields=["creator", "run"], name="scorecard_creator_run"),
        ]
        # Made in SQL by migrations:
        # - ``scorecard_run_overall`` (run, overall DESC NULLS LAST, creator DESC), the partner list's default
        #   order (0004): SQLite cannot declare NULLS LAST in an index (its DESC order puts nulls last anyway), so
        #   it is not one ``Meta.indexes`` entry for both backends.
        # - ``scorecard_similar`` (0012, PostgreSQL only): the same order ``INCLUDE`` the category copies and the
        #   six other indices, for the similar creators' index-only candidate seeks (``creators.similar``).
        # - ``scorecard_run_overall_change`` (0013): (run, overall_change DESC NULLS LAST, creator DESC), the list
        #   sorted by the biggest overall rise.

    def __str__(self) -> str:
        return f"Scorecard {self.creator_id} in run {self.run_id}"


class CategoryImpact(models.Model):
    """A creator's impact (0-100) in one category, in one run."""

    run = models.ForeignKey(ScoringRun, related_name="category_impacts", db_index=False, **_SNAPSHOT_FK)
    creator = models.ForeignKey("creators.Creator", related_name="category_impacts", **_SNAPSHOT_FK)
    # No index of its own: nothing reads impacts by category alone (a category with impacts has videos, which
    # protect it from deletion). Every read is by run and creator: the unique (run, creator, category) index.
    category = models.ForeignKey("creators.Category", related_name="impacts", db_index=False, **_SNAPSHOT_FK)
    impact = models.FloatField()
    views = models.BigIntegerField(default=0)
    gmv = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    videos = models.IntegerField(default=0)

    objects = CategoryImpactQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "creator", "category"], name="impact_run_creator_category_unique"),
        ]
        # The creator's own index serves deleting a creator (ORM cascade). The category medians of a run are
        # computed from the run's staging table, so no (run, category, impact) index: each index on this table
        # is maintained for about two million rows per run.

    def __str__(self) -> str:
        return f"Impact {self.creator_id}/{self.category_id} in run {self.run_id}"


class RunAggregate(models.Model):
    """A run's aggregates over one access scope (the creators a set of grants covers, ``scoring.aggregates``).

    The distribution of the overall score and each primary category's index medians, over the scope's creators
    only (a chart reveals nothing outside the grant). The same for every reader with that scope, so the run
    computes them before it publishes, for every partner's current grants; a scope first seen later (a new grant,
    a new ``revision`` of the run) is computed once by its first reader and stored here for every process.
    """

    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="aggregates", db_index=False)
    # The run's revision the values were computed at: the access copies they read change with it.
    revision = models.PositiveIntegerField()
    # sha256 of the scope's sorted category and creator ids (``scoring.aggregates.Scope.key``).
    scope = models.CharField(max_length=64)
    # Counts of the overall score in equal bins over 0-100 (100 in the last bin).
    histogram = models.JSONField(default=list)
    # ``{primary category id: {index: median or null}}`` for "overall" and the six indices.
    category_medians = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "revision", "scope"], name="runaggregate_run_revision_scope"),
        ]

    def __str__(self) -> str:
        return f"Aggregates of run {self.run_id} r{self.revision} for scope {self.scope[:8]}"


class RunMovers(models.Model):
    """What changed in a run against its compared run, over one access scope (``scoring.movers``).

    The creators of the scope whose overall or index moved most, up and down (``movers``: ``{index: {"up": [creator
    id, ...], "down": [...]}}``, biggest change first), and the creators new to the scope since the compared run
    (``new_creators``, most followed first, and their number). Ids only: readers take every value shown from the
    published scorecards through the access door, so a field or creator outside the grant never shows. The same for
    every reader with that scope, so the run computes them before it publishes, for every partner's current grants;
    a scope first seen later is computed once by its first reader, as for ``RunAggregate``.
    """

    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="movers", db_index=False)
    # The run's revision the ids were selected at: the access copies they read change with it.
    revision = models.PositiveIntegerField()
    # ``scoring.aggregates.Scope.key`` of the scope.
    scope = models.CharField(max_length=64)
    movers = models.JSONField(default=dict)
    new_creators = models.JSONField(default=list)
    new_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "run movers"
        constraints = [
            models.UniqueConstraint(fields=["run", "revision", "scope"], name="runmovers_run_revision_scope"),
        ]

    def __str__(self) -> str:
        return f"Movers of run {self.run_id} r{self.revision} for scope {self.scope[:8]}"
