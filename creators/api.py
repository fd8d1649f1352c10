"""Partner endpoints: creators (list, scorecard, CSV export) and categories.

Every class here is a ``partners.api.PartnerViewSetBase``: that base authenticates, requires a partner role
that may use the API, restricts every queryset to the partner's grant, audits each call and sends
``Cache-Control: no-store``. The list runs ``creators.selectors.creator_list`` through
``creators.filtersets.CreatorFilterSet``, exactly like the HTML list and the CSV export, and every value shown
comes from ``partners.access.visible_fields(access)``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from creators.api_pagination import CursorLinksMixin, KeysetPageNumberPagination, ordering_keys
from creators.exports import XLSX_CONTENT_TYPE, ExportOptionError, Format, creator_export_response, export_options
from creators.fields import COUNT_PATTERN
from creators.filtersets import CreatorFilterSet
from creators.models import Category, Video
from creators.pagination import keyset_page
from creators.selectors import (
    VIDEO_MAX_PAGE_SIZE,
    VIDEO_PAGE_SIZE,
    creator_list,
    creator_list_count,
    recent_videos,
    video_columns,
)
from creators.serializers import (
    CategorySerializer,
    CreatorListItemSerializer,
    ListShape,
    ScorecardSerializer,
    creator_list_item,
    scorecard_representation,
)
from partners.access import visible_fields
from partners.api import PartnerViewSetBase
from partners.audit import request_filters
from partners.choices import AuditAction
from scoring.catalogue import FIELDS_BY_NAME, FILTERABLE_INDICES
from scoring.models import Scorecard
from scoring.selectors import published_run, scorecard_detail


class CSVRenderer(BaseRenderer):
    """Lets clients that send ``Accept: text/csv`` reach the export (which streams its own response)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        # Only error bodies pass through here (the export itself is a streaming response): keep them JSON.
        return JSONRenderer().render(data)


class XLSXRenderer(CSVRenderer):
    """Lets clients that send ``Accept`` with the workbook type reach the XLSX export (a file response)."""

    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None  # type: ignore[assignment]  # a binary format: DRF reads None as no charset


class ExportRenderersMixin:
    """A viewset whose ``export`` and ``export_xlsx`` actions answer CSV or XLSX (and JSON errors), whatever
    ``Accept`` says: the creator list's and the shortlists' exports."""

    def get_renderers(self) -> list[BaseRenderer]:
        action = getattr(self, "action", None)
        if action == "export":
            return [JSONRenderer(), CSVRenderer()]
        if action == "export_xlsx":
            return [JSONRenderer(), XLSXRenderer()]
        return super().get_renderers()  # type: ignore[misc]


EXPORT_OPTION_PARAMETERS = [
    OpenApiParameter(
        "headers",
        OpenApiTypes.STR,
        enum=["labels", "keys"],
        description="Column headers in words as the dashboard shows them (`labels`, the default) or the stable "
        "field names (`keys`: `handle`, `overall`, ... `as_of`, `scorecard_url`), for programs.",
    ),
]
CSV_OPTION_PARAMETERS = [
    *EXPORT_OPTION_PARAMETERS,
    OpenApiParameter(
        "bom",
        OpenApiTypes.BOOL,
        description="`1` starts the file with a UTF-8 byte-order mark, which Excel needs to read the accents "
        "(default `0` in the API, `1` on the dashboard's button).",
    ),
]


# Follower counts as people type them (creators.fields.CountField, whose pattern this is).
FOLLOWER_COUNT_SCHEMA = {"type": "string", "pattern": f"^{COUNT_PATTERN}$"}
FOLLOWER_COUNT_FORMS = (
    "A whole number, with or without thousands separators, or with k, M or B: 250000, 250,000, 250k, 0.25M."
)


def _index_parameters() -> list[OpenApiParameter]:
    parameters = []
    for name in FILTERABLE_INDICES:
        spec = FIELDS_BY_NAME[name]
        tier = f"Needs the `{spec.tier}` tier; otherwise 400." if spec.tier != "profile" else ""
        for bound, word in (("min", "at least"), ("max", "at most")):
            parameters.append(
                OpenApiParameter(
                    f"{name}_{bound}",
                    OpenApiTypes.NUMBER,
                    description=f"{spec.label} index {word} this value (0-100). {spec.help} Creators whose "
                    f"{name} is null (insufficient data) are excluded. {tier}",
                    examples=[OpenApiExample(f"{name}_{bound}", value=60 if bound == "min" else 90)],
                )
            )
    return parameters


FILTER_PARAMETERS: list[OpenApiParameter] = [
    OpenApiParameter(
        "q", OpenApiTypes.STR, description="Search: part of the handle (a leading `@` is ignored) or display name, "
        "any case.", examples=[OpenApiExample("q", value="glow")]
    ),
    OpenApiParameter(
        "category", OpenApiTypes.STR, description="Category slug (see `GET /api/v1/categories/`): creators whose "
        "primary or any other category it is. Only visible categories are accepted (400 otherwise).",
        examples=[OpenApiExample("category", value="beauty")],
    ),
    OpenApiParameter(
        "country", OpenApiTypes.STR, description="ISO 3166-1 alpha-2 country code of the creator, among the "
        "countries of the partner's visible creators.", examples=[OpenApiExample("country", value="US")]
    ),
    OpenApiParameter(
        "followers_min", FOLLOWER_COUNT_SCHEMA, description="At least this many followers. " + FOLLOWER_COUNT_FORMS,
        examples=[OpenApiExample("followers_min", value="10000"), OpenApiExample("followers_min_k", value="250k")],
    ),
    OpenApiParameter(
        "followers_max", FOLLOWER_COUNT_SCHEMA, description="At most this many followers. " + FOLLOWER_COUNT_FORMS,
        examples=[OpenApiExample("followers_max", value="1,000,000"), OpenApiExample("followers_max_m", value="1.5M")],
    ),
    *_index_parameters(),
    OpenApiParameter(
        "impact_category", OpenApiTypes.STR, description="Category slug: only creators with a category impact in "
        "it (a video in that category in the window). Needs the `performance` tier.",
        examples=[OpenApiExample("impact_category", value="beauty")],
    ),
    OpenApiParameter(
        "impact_min", OpenApiTypes.NUMBER, description="With `impact_category`: impact in that category at least "
        "this value (0-100).", examples=[OpenApiExample("impact_min", value=75)]
    ),
    OpenApiParameter(
        "ordering", OpenApiTypes.STR, description="Comma-separated sort keys, `-` for descending: `handle`, "
        "`display_name`, `country`, `followers`, any visible index (`overall`, `volume`, ...) and, when the "
        "partner has set its own weights, `partner_score`. Nulls sort as the lowest value. Default `-overall` "
        "(or `handle` without the performance tier). A hidden field answers 400.",
        examples=[OpenApiExample("ordering", value="-overall"), OpenApiExample("own ranking", value="-partner_score")],
    ),
]

NOT_FOUND = OpenApiResponse(description="No visible creator with this handle (unknown, or outside the grant).")


@extend_schema_view(
    list=extend_schema(
        operation_id="creators_list",
        tags=["creators"],
        summary="List and filter creators",
        description="The creators the partner's grant covers, with the published run's indices. Paginated; "
        "follow `next` for fast deep pages. Results carry only the fields of the partner's tiers.",
        parameters=FILTER_PARAMETERS,
        responses={200: CreatorListItemSerializer(many=True)},
    ),
    retrieve=extend_schema(
        operation_id="creators_retrieve",
        tags=["creators"],
        summary="A creator's scorecard",
        description="Profile, every visible index with its raw metrics, confidence and reference medians, category "
        "impacts and the history of earlier runs. Handles are case-insensitive; a leading `@` is ignored.",
        parameters=[OpenApiParameter("handle", OpenApiTypes.STR, OpenApiParameter.PATH,
                                     description="The creator's handle.")],
        responses={200: ScorecardSerializer, 404: NOT_FOUND},
    ),

)
class CreatorViewSet(ExportRenderersMixin, PartnerViewSetBase):
    """Creators of the partner's grant: list, scorecard and CSV export."""

    filterset_class = CreatorFilterSet
    pagination_class = KeysetPageNumberPagination
    lookup_field = "handle"
    lookup_value_regex = r"[^/]+"

    serializer_class = CreatorListItemSerializer  # documents the shape; results are built by creator_list_item

    # Parameters of the list and the exports besides the filters: the pagination's and DRF's ``format``.
    NON_FILTER_PARAMS = frozenset({"cursor", "page", "page_size", "format"})

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if self.action in ("list", "export", "export_xlsx"):
            self.reject_unknown_params(request)

    def reject_unknown_params(self, request: Request) -> None:
        """A parameter that is neither a filter, nor the pagination's, nor a documented export option is a 400
        naming it (DESIGN 7): a typo such as ``overall_minn=3`` would otherwise answer the unfiltered list as if
        it had been applied. The filters of hidden tiers are known names here: the FilterSet answers them."""
        known = self.NON_FILTER_PARAMS | CreatorFilterSet.base_filters.keys()
        if self.action != "list":
            known |= {parameter.name for parameter in [*CSV_OPTION_PARAMETERS, *EXPORT_OPTION_PARAMETERS]}
        self.reject_params_except(request, known)

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no access
            return Scorecard.objects.none()
        # The published run read once per request, for the list and for the count's cache key.
        self.published_run = published_run()
        return creator_list(access=self.access, run=self.published_run)

    def list(self, request: Request) -> Response:
        self.audit_action = AuditAction.CREATOR_LIST
        queryset = self.filter_queryset(self.get_queryset())
        shape = ListShape.for_fields(self.access.visible_field_names, partner_score=self.access.weights is not None)
        # Fetch only what a result shows (creator_list selects every visible metric too), plus the ordering keys
        # that the pagination's next-page cursor is made of.
        keys = ordering_keys(queryset) or []
        names = dict.fromkeys(["creator_id", *shape.value_names, *(key.name for key in keys)])
        rows = self.paginate_queryset(queryset.values(*names)) or []
        return self.get_paginated_response([creator_list_item(row, shape) for row in rows])

    def pagination_scope(self) -> tuple[Any, ...]:
        """What the list's rows and count depend on besides the parameters: the partner, its current grants
        (ids and what they cover, so an edited grant is a new scope), its tiers and the published run's revision.
        Signed into the ``next`` cursor with its count (``KeysetPageNumberPagination``)."""
        access, run = self.access, getattr(self, "published_run", None)
        return (
            access.partner_id,
            sorted(access.grant_ids),
            sorted(access.category_ids),
            sorted(access.creator_ids),
            sorted(str(tier) for tier in access.tiers),
            (run.pk, run.published_at, run.revision) if run is not None else None,
        )

    def count_rows(self, queryset: QuerySet) -> int:
        """The list's ``count`` (for the pagination): exact, cached per published run revision and query."""
        return creator_list_count(queryset, run=getattr(self, "published_run", None))

    def retrieve(self, request: Request, handle: str) -> Response:
        self.audit_action = AuditAction.CREATOR_VIEW
        creator = self.get_creator_or_404(handle)
        self.audit_object_handle = creator.handle
        run = published_run(with_medians=True)
        try:
            # Impacts only in the categories the partner may see, as on the scorecard page.
            detail = (
                scorecard_detail(
                    creator_id=creator.pk, run=run, impact_categories=Category.objects.visible_to(self.access)
                )
                if run is not None
                else None
            )
        except Scorecard.DoesNotExist:
            detail = None  # imported after the published run: the profile, no scores until the next run
        return Response(
            scorecard_representation(creator=creator, run=run, detail=detail, visible=self.access.visible_field_names)
        )

    @extend_schema(
        operation_id="creators_export",
        tags=["creators"],
        summary="Export the filtered list as CSV",
        description="The whole filtered, visible set as one streamed CSV file (UTF-8), one row per creator, "
        "visible columns only, then the as-of date and the scorecard URL; same filters and ordering as the list "
        "(no pagination). Indices to one decimal, the follower tier as its label. Counts against the user's "
        "daily export row quota (429 beyond it).",
        parameters=[*FILTER_PARAMETERS, *CSV_OPTION_PARAMETERS],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV with a header row.")},
    )
    def export(self, request: Request) -> HttpResponseBase:
        return self._export(request, Format.CSV)

    @extend_schema(
        operation_id="creators_export_xlsx",
        tags=["creators"],
        summary="Export the filtered list as an Excel workbook",
        description="The same rows and columns as the CSV export, as one XLSX sheet (numbers as numbers, text as "
        "text). Same access rules, audit and daily row quota as the CSV.",
        parameters=[*FILTER_PARAMETERS, *EXPORT_OPTION_PARAMETERS],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX workbook.")},
    )
    def export_xlsx(self, request: Request) -> HttpResponseBase:
        return self._export(request, Format.XLSX)

    def _export(self, request: Request, fmt: Format) -> HttpResponseBase:
        # The quota service records the export itself (with its id and row count); the base records the call.
        if not self.access.can_export:
            raise PermissionDenied("Exports need the analyst or manager role.")
        try:
            options = export_options(request.query_params, default_bom=False)
        except ExportOptionError as error:
            raise ValidationError({error.field: [str(error)]}) from error
        queryset = self.filter_queryset(self.get_queryset())
        run = getattr(self, "published_run", None)  # read by get_queryset
        as_of = run.as_of if run is not None else None
        response = creator_export_response(
            access=self.access,
            queryset=queryset,
            fields=visible_fields(self.access),
            filename="creators",
            request=request,
            filters=request_filters(request),
            fmt=fmt,
            options=options,
            as_of=as_of,
        )
        if response.status_code == 400:  # more rows than an Excel sheet holds
            raise ValidationError({"format": [response.content.decode()]})
        return response


@extend_schema_view(
    list=extend_schema(
        operation_id="categories_list",
        tags=["creators"],
        summary="Visible categories",
        description="The categories the partner may filter on: those of its grant, plus those of creators granted "
        "to it by name. Not paginated.",
        responses={200: CategorySerializer(many=True)},
    ),
)
class CategoryViewSet(PartnerViewSetBase):
    """Categories of the partner's grant."""

    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    pagination_class = None
    filter_backends: list[Any] = []

    def list(self, request: Request) -> Response:
        self.audit_action = AuditAction.CATEGORY_LIST
        rows = list(self.get_queryset().order_by("name", "slug").values("slug", "name"))
        self.audit_row_count = len(rows)
        return Response(rows)


class VideoSerializer(serializers.Serializer):
    """One video of the recent-content list (documents the shape; a field of a hidden tier is absent)."""

    posted_at = serializers.DateTimeField(help_text="When it was posted (UTC).")
    views = serializers.IntegerField(required=False, help_text="Views. Needs the `performance` tier.")
    engagement_rate = serializers.FloatField(
        required=False, allow_null=True, help_text="(Likes + comments + shares) / views; null without views. "
        "Needs the `performance` tier."
    )
    is_sponsored = serializers.BooleanField(required=False, help_text="A paid partnership. Needs `commercial`.")
    is_shoppable = serializers.BooleanField(required=False, help_text="Carries a product link. Needs `commercial`.")
    product_category = serializers.CharField(allow_null=True, help_text="Slug of the product category, or null.")
    orders = serializers.IntegerField(required=False, allow_null=True, help_text="Orders (null: unknown). "
                                      "Needs the `commercial` tier.")
    gmv = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True,
                                   help_text="GMV (null: unknown). Needs the `commercial` tier.")


class VideoPageSerializer(serializers.Serializer):
    """A page of recent content: cursor links to its neighbours (null at either end) and the videos."""

    next = serializers.URLField(allow_null=True, help_text="The next (older) page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous (newer) page, or null.")
    results = VideoSerializer(many=True)


def video_item(row: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    """A ``recent_videos`` row as the API shows it: the visible columns only, in their order."""
    item: dict[str, Any] = {}
    for column in columns:
        if column == "product_category":
            item[column] = row["product_category__slug"]
        elif column == "posted_at":
            item[column] = row["posted_at"].isoformat().replace("+00:00", "Z")
        elif column == "gmv":
            item[column] = None if row["gmv"] is None else str(row["gmv"])
        else:
            item[column] = row[column]
    return item


class CreatorVideoViewSet(CursorLinksMixin, PartnerViewSetBase):
    """``GET /api/v1/creators/<handle>/videos/``: the recent content of a visible creator (404 and a denied event
    for any other handle, exactly like the scorecard)."""

    default_page_size = VIDEO_PAGE_SIZE
    max_page_size = VIDEO_MAX_PAGE_SIZE

    queryset = Video.objects.all()
    serializer_class = VideoSerializer
    pagination_class = None
    filter_backends: list[Any] = []
    lookup_field = "handle"
    KNOWN_PARAMS = frozenset({"cursor", "page_size"})

    @extend_schema(
        operation_id="creators_videos",
        tags=["creators"],
        summary="A creator's recent content",
        description="The creator's videos in the published run's scoring window, newest first, paged by cursor "
        "(follow `next`). Each field follows the catalogue's tiers: views and engagement rate need `performance`; "
        "the sponsored and shoppable flags, orders and GMV need `commercial`, and are absent otherwise.",
        parameters=[
            OpenApiParameter("handle", OpenApiTypes.STR, OpenApiParameter.PATH, description="The creator's handle."),
            OpenApiParameter("cursor", OpenApiTypes.STR, description="The opaque cursor of a `next`/`previous` link."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description=f"Videos per page (default "
                             f"{VIDEO_PAGE_SIZE}, at most {VIDEO_MAX_PAGE_SIZE})."),
        ],
        responses={200: VideoPageSerializer, 404: NOT_FOUND},
    )
    def videos(self, request: Request, handle: str) -> Response:
        self.audit_action = AuditAction.CREATOR_VIDEOS
        self.reject_params_except(request, self.KNOWN_PARAMS)
        page_size = self.requested_page_size(request)
        creator = self.get_creator_or_404(handle)
        self.audit_object_handle = creator.handle
        columns = video_columns(self.access)
        page = keyset_page(
            recent_videos(access=self.access, creator=creator, run=published_run()),
            page_size=page_size,
            cursor=request.query_params.get("cursor") or None,
        )
        self.audit_row_count = len(page.rows)
        return Response({
            "next": self.cursor_link(request, page.next_cursor),
            "previous": self.cursor_link(request, page.previous_cursor),
            "results": [video_item(row, columns) for row in page.rows],
        })

