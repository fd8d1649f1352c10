"""Minimal views built on the two base classes, exactly as the dashboard and API are meant to use them.

They let the access layer's tests exercise the base classes (404s, audit, no-store, filters) independently of the
real dashboard and API, and they are walked by the every-URL test together with the project's own routes.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views import View
from rest_framework import mixins, routers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from creators.filtersets import CreatorFilterSet
from creators.models import Category
from creators.selectors import creator_list
from partners.access import visible_fields
from partners.api import PartnerViewSetBase
from partners.choices import AuditAction
from partners.services import export_quota_consume
from partners.views import PartnerAccessMixin


class SampleListView(PartnerAccessMixin, View):
    audit_action = AuditAction.CREATOR_LIST

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset = CreatorFilterSet(request.GET, queryset=creator_list(access=self.access), request=request)
        errors = {} if filterset.is_valid() else {k: [str(m) for m in v] for k, v in filterset.errors.items()}
        rows = list(filterset.qs[:50])
        self.audit_row_count = filterset.qs.count()
        columns = [spec.name for spec in visible_fields(self.access)]
        return JsonResponse({"columns": columns, "rows": rows, "errors": errors, "count": self.audit_row_count})


class SampleDetailView(PartnerAccessMixin, View):
    audit_action = AuditAction.CREATOR_VIEW

    def get(self, request: HttpRequest, handle: str) -> HttpResponse:
        creator = self.get_creator_or_404(handle)
        self.audit_object_handle = creator.handle
        return JsonResponse({"handle": creator.handle, "display_name": creator.display_name})


class SampleExportView(PartnerAccessMixin, View):
    required_capability = "export"

    def get(self, request: HttpRequest) -> HttpResponse:
        queryset = creator_list(access=self.access).order_by("creator_id")
        # Count first, then consume the quota (records the export event, or raises -> 429), then stream.
        export_quota_consume(self.access, queryset.count(), request=request, export_id="sample-export")
        return JsonResponse({"rows": len(list(queryset))})


class SampleCreatorViewSet(PartnerViewSetBase, mixins.ListModelMixin):
    filterset_class = CreatorFilterSet
    audit_action = AuditAction.CREATOR_LIST
    lookup_field = "handle"

    def get_queryset(self) -> Any:
        return creator_list(access=self.access)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        rows = list(queryset[:50])
        return Response({"count": queryset.count(), "results": rows})

    def retrieve(self, request: Request, handle: str | None = None) -> Response:
        creator = self.get_creator_or_404(handle or "")
        return Response({"handle": creator.handle})

    @action(detail=False, url_path="export")
    def export(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        export_quota_consume(self.access, queryset.count(), request=request, export_id="sample-api-export")
        return Response({"rows": len(list(queryset))})


class SampleCategoryViewSet(PartnerViewSetBase, mixins.ListModelMixin):
    queryset = Category.objects.all()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response({"results": list(self.get_queryset().values_list("slug", flat=True))})


router = routers.SimpleRouter()
router.register("creators", SampleCreatorViewSet, basename="sample-creator")
router.register("categories", SampleCategoryViewSet, basename="sample-category")

sample_patterns = [
    path("sample/creators/", SampleListView.as_view(), name="sample-list"),
    path("sample/creators/<str:handle>/", SampleDetailView.as_view(), name="sample-detail"),
    path("sample/export/", SampleExportView.as_view(), name="sample-export"),
    path("sample/api/", include(router.urls)),
]
