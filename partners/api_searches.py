"""``/api/v1/saved-searches/`` (DESIGN 7): the user's and its partner's saved searches.

Built on ``PartnerViewSetBase`` (authentication, the API roles, restriction to what the user may see, one audit
event per call, ``no-store``): the queryset is ``SavedSearch.objects.visible_to(access)``, so another partner's
search, or a colleague's private one, is a 404. The rules are ``partners.saved_searches``' (the pages' own).
A colleague's shared search is read-only but for ``subscribed``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from config.rest import ErrorSerializer
from partners import saved_searches
from partners.api import PartnerViewSetBase
from partners.choices import AuditAction
from partners.models import SavedSearch

FILTERS_HELP = (
    "The creator list's query parameters as an object of strings (numbers are accepted): `q`, `category`, "
    "`country`, `followers_min`, `followers_max`, `<index>_min`, `<index>_max`, `impact_category`, `impact_min` "
    "and `ordering`, exactly as `GET /api/v1/creators/` and `/creators/` take them. An unknown name, an invalid "
    "value or a field outside the partner's tiers is a 400 naming it."
)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "example": {"category": "beauty", "overall_min": "60", "ordering": "-overall"},
    }
)
class FiltersField(serializers.JSONField):
    """The search's parameters (documented as an object of strings)."""


class DroppedFilterSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The parameter removed (`care_min`, `ordering`...).")
    value = serializers.CharField(help_text="The value it had (for `ordering`: the sort keys removed).")
    reason = serializers.CharField(help_text="Why: the list's own message (e.g. the field is no longer available).")


class SavedSearchSerializer(serializers.Serializer):
    """A saved search with its current counts (read from ``partners.saved_searches.SearchSummary``)."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=saved_searches.NAME_MAX_LENGTH, help_text="Unique among your searches.")
    filters = FiltersField(required=False, help_text=FILTERS_HELP)
    shared = serializers.BooleanField(
        required=False, default=False, help_text="Shown to every user of your organisation (read-only for them)."
    )
    subscribed = serializers.BooleanField(
        required=False, default=False, help_text="You receive the alerts digest of its new matches."
    )
    owner = serializers.CharField(read_only=True, help_text="Username of the user who saved it.")
    editable = serializers.BooleanField(read_only=True, help_text="True when it is yours (you may change it).")
    count = serializers.IntegerField(
        read_only=True, help_text="Creators matching now, in the published run (at most 10,000: see `count_more`)."
    )
    count_more = serializers.BooleanField(read_only=True, help_text="More than `count` creators match.")
    new_since_seen = serializers.IntegerField(
        read_only=True,
        help_text="Creators matching now that did not match in the run you last opened it at (on `/searches/`); "
        "0 before the first opening. At most 10,000 (see `new_more`).",
    )
    new_more = serializers.BooleanField(read_only=True, help_text="More than `new_since_seen` are new.")
    dropped_filters = DroppedFilterSerializer(
        many=True, read_only=True,
        help_text="Filters removed because your organisation can no longer use them (a tier or category left its "
        "grant): the search now matches without them.",
    )
    creators_url = serializers.CharField(read_only=True, help_text="`GET /api/v1/creators/` with these filters.")
    list_url = serializers.CharField(read_only=True, help_text="The dashboard's list with these filters.")


def search_item(summary: saved_searches.SearchSummary) -> dict[str, Any]:
    search = summary.search
    query = f"?{summary.query}" if summary.query else ""
    return {
        "id": search.pk,
        "name": search.name,
        "filters": dict(search.filters),
        "shared": search.shared,
        "subscribed": summary.subscribed,
        "owner": search.created_by.get_username(),
        "editable": summary.editable,
        "count": summary.count,
        "count_more": summary.count_more,
        "new_since_seen": summary.new_since_seen,
        "new_more": summary.new_more,
        "dropped_filters": [
            {"name": d.get("name", ""), "value": d.get("value", ""), "reason": d.get("reason", "")}
            for d in search.dropped_filters or []
        ],
        "creators_url": reverse("api:creator-list") + query,
        "list_url": reverse("creators:list") + query,
    }


def field_errors(errors: dict[str, list[str]]) -> dict[str, Any]:
    """The name's errors under ``name``; those of the list's parameters under ``filters``, by parameter."""
    out: dict[str, Any] = {}
    if "name" in errors:
        out["name"] = errors["name"]
    params = {name: messages for name, messages in errors.items() if name != "name"}
    if params:
        out["filters"] = params
    return out


NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No saved search of yours or shared in your organisation with this id."
)
NOT_YOURS = OpenApiResponse(
    ErrorSerializer, description="A colleague's shared search: only `subscribed` may change, and it cannot be deleted."
)
EXAMPLE = OpenApiExample(
    "save", value={"name": "Beauty, overall 60+", "filters": {"category": "beauty", "overall_min": "60",
                                                               "ordering": "-overall"}, "shared": True},
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(
        operation_id="saved_searches_list", tags=["saved searches"], summary="Your and your organisation's searches",
        description="Your own saved searches and those your colleagues shared, with their counts. Not paginated.",
        responses={200: SavedSearchSerializer(many=True)},
    ),
    create=extend_schema(
        operation_id="saved_searches_create", tags=["saved searches"], summary="Save a search",
        description="Saves the filters under a name (yours; `shared` shows it to your colleagues). Counts as opened "
        "now: `new_since_seen` starts at 0.",
        request=SavedSearchSerializer, examples=[EXAMPLE], responses={201: SavedSearchSerializer},
    ),
    retrieve=extend_schema(
        operation_id="saved_searches_retrieve", tags=["saved searches"], summary="A saved search",
        responses={200: SavedSearchSerializer, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        operation_id="saved_searches_update", tags=["saved searches"], summary="Change a saved search",
        description="Your own search: `name`, `filters`, `shared`, `subscribed`. A colleague's shared search: "
        "`subscribed` only (403 otherwise). New `filters` clear `dropped_filters`.",
        request=SavedSearchSerializer, responses={200: SavedSearchSerializer, 403: NOT_YOURS, 404: NOT_FOUND},
    ),
    destroy=extend_schema(
        operation_id="saved_searches_destroy", tags=["saved searches"], summary="Delete a saved search",
        description="Your own searches only (403 for a colleague's shared search).",
        responses={204: None, 403: NOT_YOURS, 404: NOT_FOUND},
    ),
)
class SavedSearchViewSet(
    PartnerViewSetBase,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    """Saved searches of the request's user and partner."""

    serializer_class = SavedSearchSerializer
    pagination_class = None
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    # DRF's ``format`` is the only query parameter these endpoints read.
    KNOWN_PARAMS: frozenset[str] = frozenset()  # no query parameter of its own

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # Unknown query parameters are a 400 naming them (DESIGN 7), as on every partner endpoint: a search's
        # filters go in the body, never in the query string.
        self.reject_params_except(request, self.KNOWN_PARAMS)

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no access
            return SavedSearch.objects.none()
        return saved_searches.visible_searches(self.access)

    def get_object(self) -> SavedSearch:
        # An id beyond a bigint names no row: a 404 without asking the database (which would refuse the number).
        if not 0 < int(self.kwargs["pk"]) < 2**63:
            raise NotFound()
        return super().get_object()

    def _item(self, search: SavedSearch) -> dict[str, Any]:
        return search_item(saved_searches.summary_for(search, access=self.access))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.audit_action = AuditAction.SAVED_SEARCH_LIST
        rows = saved_searches.summaries(self.get_queryset(), access=self.access)
        self.audit_row_count = len(rows)
        return Response([search_item(row) for row in rows])

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.audit_action = AuditAction.SAVED_SEARCH_LIST
        search = self.get_object()
        self.audit_row_count = 1
        return Response(self._item(search))

    def _validated(self, request: Request, *, partial: bool) -> dict[str, Any]:
        unknown = sorted(set(request.data) - set(SavedSearchSerializer().fields)) if hasattr(request.data, "keys") \
            else []
        if unknown:
            raise ValidationError({name: [f"Unknown field: {name}."] for name in unknown})
        serializer = SavedSearchSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        filters = data.get("filters")
        if "filters" in request.data and not isinstance(filters, dict):
            raise ValidationError({"filters": ["Give an object of query parameters."]})
        return data

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.audit_action = AuditAction.SAVED_SEARCH_CHANGE
        data = self._validated(request, partial=False)
        try:
            search = saved_searches.saved_search_create(
                access=self.access, name=data["name"], filters=data.get("filters") or {}, shared=data["shared"]
            )
        except saved_searches.SavedSearchInvalid as exc:
            raise ValidationError(field_errors(exc.errors)) from exc
        if data.get("subscribed"):
            saved_searches.subscribe(search, user=self.access.user, on=True)
        return Response(self._item(search), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.audit_action = AuditAction.SAVED_SEARCH_CHANGE
        search = self.get_object()
        data = self._validated(request, partial=True)
        owned = {"name", "filters", "shared"} & set(data)
        if owned and not saved_searches.is_owner(search, self.access):
            raise PermissionDenied("Only the person who saved this search can change it; you may set `subscribed`.")
        if owned:
            try:
                saved_searches.saved_search_update(
                    search, access=self.access, name=data.get("name"), filters=data.get("filters"),
                    shared=data.get("shared"),
                )
            except saved_searches.SavedSearchInvalid as exc:
                raise ValidationError(field_errors(exc.errors)) from exc
            except DjangoValidationError as exc:
                raise ValidationError({"name": exc.messages}) from exc
        if "subscribed" in data:
            saved_searches.subscribe(search, user=self.access.user, on=data["subscribed"])
        return Response(self._item(search))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.audit_action = AuditAction.SAVED_SEARCH_CHANGE
        search = self.get_object()
        if not saved_searches.is_owner(search, self.access):
            raise PermissionDenied("Only the person who saved this search can delete it.")
        search.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
