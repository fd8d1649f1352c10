"""Partner-facing reads of creators. Every function takes an ``access`` (``partners.access.Access``).

``creator_list(access=...)`` is the one list queryset behind the HTML list, the API list and the CSV export.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import models
from django.db.models import Case, F, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce, NullIf
from django.db.models.lookups import GreaterThanOrEqual

from creators.models import Category, Creator, Video
from partners.visibility import scorecard_q
from scoring.catalogue import PROFILE_FIELDS, SCORECARD_FIELDS
from scoring.expressions import video_engagement_rate
from scoring.indices import Window
from scoring.models import Scorecard, ScoringRun
from scoring.selectors import published_run

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

    from partners.access import Access

# How long a count of the list is reused. The key holds the published run's revision, which every change of the
# run's visible rows bumps in its own transaction, so a cached count is never stale; this only bounds the memory.
LIST_COUNT_CACHE_SECONDS = 600
# Counting a filtered set of a million rows exactly costs more than the page itself; past this the pages say
# "10,000+" (the list page, the saved searches).
COUNT_CAP = 10_000
# Fewer indices than this present gives no partner score (as for the platform's overall, DESIGN section 5).
PARTNER_SCORE_MIN_INDICES = 3


class CategorySlugs(models.Func):
    """The JSON array of a creator's category slugs, primary first then alphabetical (a correlated subquery).

    Takes the creator id and primary category id expressions. The primary category is included even if the
    many-to-many link lacks it. Decoded to a Python ``list[str]`` on every backend.
    """

    output_field = models.JSONField()

    def __init__(self, creator_id: Any, primary_id: Any) -> None:
        super().__init__(creator_id, primary_id)

    def _rows(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        creator_sql, creator_params = compiler.compile(self.source_expressions[0])
        primary_sql, primary_params = compiler.compile(self.source_expressions[1])
        qn = connection.ops.quote_name
        category = qn(Category._meta.db_table)
        link = qn(Creator.categories.through._meta.db_table)
        rows = (
            f"SELECT c.slug, c.id <> {primary_sql} AS not_primary FROM {category} c WHERE c.id = {primary_sql} "
            f"OR c.id IN (SELECT l.category_id FROM {link} l WHERE l.creator_id = {creator_sql})"
        )
        return rows, [*primary_params, *primary_params, *creator_params]

    # Func's keyword arguments (function, template...) are not used by this expression.
    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        # SQLite (and the generic path): aggregate an ordered subquery; SQLite keeps the row order.
        rows, params = self._rows(compiler, connection)
        return f"(SELECT json_group_array(r.slug) FROM ({rows} ORDER BY not_primary, c.slug) r)", params

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        rows, params = self._rows(compiler, connection)
        aggregate = "COALESCE(jsonb_agg(r.slug ORDER BY r.not_primary, r.slug), '[]'::jsonb)"
        return f"(SELECT {aggregate} FROM ({rows}) r)", params


class _Unset:
    """The type of ``UNSET``: "not given", distinct from ``None`` ("there is no published run")."""


UNSET = _Unset()


def partner_score_expression(access: Access) -> models.Expression | None:
    """The partner's own weighted mean of the visible indices, renormalised over those present.

    ``None`` when the partner has no weights. The value is null when fewer than three visible indices are present
    or the weights of the present ones sum to zero. Hidden indices never take part, whatever their weight.
    """
    weights = access.weights_dict
    if weights is None:
        return None
    names = [name for name in access.visible_indices if name in weights]
    if not names:
        return Value(None, output_field=models.FloatField())
    present = [Case(When(**{f"{n}__isnull": False}, then=Value(1)), default=Value(0)) for n in names]
    numerator = [Coalesce(F(n), Value(0.0)) * Value(float(weights[n])) for n in names]
    denominator = [
        Case(When(**{f"{n}__isnull": False}, then=Value(float(weights[n]))), default=Value(0.0)) for n in names
    ]
    count = sum(present[1:], present[0])
    mean = sum(numerator[1:], numerator[0]) / NullIf(sum(denominator[1:], denominator[0]), Value(0.0))
    return Case(
        When(GreaterThanOrEqual(count, Value(PARTNER_SCORE_MIN_INDICES)), then=mean),
        default=Value(None),
        output_field=models.FloatField(),
    )


def creator_list(*, access: Access, run: ScoringRun | None | _Unset = UNSET) -> models.QuerySet:
    """The visible creators of the published run, one dict per creator, with only the visible fields.

    The one list queryset for the HTML list, the API list and the CSV export (filter it with
    ``creators.filtersets.CreatorFilterSet``). It is a ``Scorecard`` ``.values()`` queryset, driven by the
    published run's scorecards (so ordering by an index can walk an index on ``(run, <index>, creator)``), and each
    row holds exactly:

    - ``creator_id`` (internal id, the unique tie-breaker for ordering and keyset pagination);
    - the profile: ``handle``, ``display_name``, ``country``, ``categories`` (a ``list[str]`` of slugs, primary
      first), ``followers`` (as of the published run);
    - every catalogue field of kind index/metric in ``visible_fields(access)``, under its catalogue name
      (``overall``, ``volume``, ... ``sales``, ``gmv``...), hidden ones absent;
    - ``partner_score`` when the partner has set its own weights (``PartnerWeights``), else absent.

    ``run`` is the published run when the caller has already read it (saves a query), ``None`` when there is
    none; by default it is looked up.

    Creators without a scorecard in the published run (imported since) are not listed until the next run.
    Nothing at all without access or before the first published run. Ordering is left to the filterset
    (default ``-overall`` then ``-creator_id``).
    """
    if not access.is_partner:
        return Scorecard.objects.none().values("creator_id")
    if isinstance(run, _Unset):
        run = published_run()
    if run is None:
        return Scorecard.objects.none().values("creator_id")
    visible = access.visible_field_names
    # Visibility, like the category and country filters, reads the scorecard's own copies of the creator's
    # categories and country: index conditions on one table, no semi-join per row (see partners.visibility.scorecard_q).
    # The creator's own columns come from correlated lookups by primary key rather than a join: a count of the
    # list (which drops unused annotations) then reads the scorecard table alone, where a join would remain.
    creator = Creator.objects.filter(pk=OuterRef("creator_id")).order_by()
    qs = Scorecard.objects.filter(scorecard_q(access), run=run).annotate(
        handle=Subquery(creator.values("handle")),
        display_name=Subquery(creator.values("display_name")),
        categories=CategorySlugs(F("creator_id"), Subquery(creator.values("primary_category_id"))),
    )
    names = ["creator_id", *PROFILE_FIELDS, *(name for name in SCORECARD_FIELDS if name in visible)]
    score = partner_score_expression(access)
    if score is not None:
        qs = qs.annotate(partner_score=score)
        names.append("partner_score")
    return qs.values(*names)


def creator_list_count(queryset: models.QuerySet, *, cap: int | None = None, run: ScoringRun | None = None) -> int:
    """The number of rows of a filtered ``creator_list`` queryset (at most ``cap + 1`` when capped), cached.

    Counting reads every matching row (hundreds of milliseconds for a large grant at a million creators) where a
    page reads fifty, so each distinct count is computed once per published run revision: the key is the count
    statement itself (run, access condition and filters are all in it: two partners share an entry only when they
    would count the same rows) plus the run's ``revision``, which changes in the same transaction as any change
    of the run's visible rows (``scoring.services.scorecards_access_sync``, ``creator_forget``). Exact, never
    stale. Pass the published ``run`` (with its ``revision``) when already read.
    """
    if run is None:
        run = published_run()
    if run is None:
        return 0
    key_run = (run.pk, run.published_at, run.revision)
    counted = queryset.values("creator_id").order_by()
    if cap is not None:
        counted = counted[: cap + 1]
    sql, params = counted.query.sql_with_params()
    key = "creators:list-count:" + hashlib.sha256(repr((key_run, cap, sql, params)).encode()).hexdigest()
    count = cache.get(key)
    if count is None:
        count = counted.count()
        cache.set(key, count, LIST_COUNT_CACHE_SECONDS)
    return count


# Recent content (issue 20 item 2): the columns of a creator's video list, each with the catalogue field whose
# tier it follows (``None``: shown to everyone, as the creator's profile is). One definition of the tiers: a
# video's views and engagement rate are the scorecard's performance metrics of one video, its sponsored and
# shoppable flags add up to the commercial sponsored and shoppable shares (the care index's raw score), and its
# orders and GMV are commercial. A column whose field is not visible is never selected.
VIDEO_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("posted_at", None),
    ("views", "views"),
    ("engagement_rate", "engagement_rate"),
    ("is_sponsored", "sponsored_share"),
    ("is_shoppable", "shoppable_share"),
    ("product_category", None),
    ("orders", "orders"),
    ("gmv", "gmv"),
)
VIDEO_PAGE_SIZE = 10
VIDEO_MAX_PAGE_SIZE = 50


def video_columns(access: Access) -> tuple[str, ...]:
    """The recent-content columns this partner may see, in display order."""
    names = access.visible_field_names
    return tuple(column for column, field in VIDEO_COLUMNS if field is None or field in names)


def recent_videos(*, access: Access, creator: Creator, run: ScoringRun | None) -> models.QuerySet:
    """The creator's videos in the scoring window of ``run``, newest first, as ``values()`` rows of the visible
    columns only (plus ``id``, the keyset's tie-breaker); nothing without a run.

    Read through ``Video.objects.visible_to(access)``: a creator outside the grant has no videos here even when a
    caller forgot the 404. The window is the run's (``scoring.indices.Window``), so the list is the content behind
    the scores shown; the ``(creator, posted_at)`` index serves the range and the order.
    """
    if run is None:
        return Video.objects.none().values("id")
    window = Window(run.as_of, run.window_days)
    columns = video_columns(access)
    rows = Video.objects.visible_to(access).filter(
        creator=creator, posted_at__gte=window.start, posted_at__lt=window.end
    )
    names: list[str] = ["id"]
    for column in columns:
        if column == "engagement_rate":
            rows = rows.annotate(engagement_rate=video_engagement_rate())
            names.append(column)
        elif column == "product_category":
            names += ["product_category__slug", "product_category__name"]
        else:
            names.append(column)
    return rows.order_by("-posted_at", "-id").values(*names)
