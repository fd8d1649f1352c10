"""Routes of the REST API, mounted at ``/api/v1/`` under the namespace ``api``.

Partner endpoints (creators, categories) are built on ``partners.api.PartnerViewSetBase``; staff endpoints
(imports, scoring runs) require ``is_staff``. Anything else under ``/api/v1/`` answers a JSON 404.
"""

from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.rest import api_not_found, no_store
from creators import converters  # noqa: F401 - registers <handle:...>
from creators.api import CategoryViewSet, CreatorVideoViewSet, CreatorViewSet
from creators.api_imports import ImportCreateView, ImportDetailView
from partners.api_alerts import FollowViewSet, NotificationViewSet
from partners.api_tokens import TokenView
from scoring.api import ScoringRunCreateView, ScoringRunDetailView

app_name = "api"

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("creators/", CreatorViewSet.as_view({"get": "list"}), name="creator-list"),
    # Before the detail route: "export.csv" is not a handle.
    path("creators/export.csv", CreatorViewSet.as_view({"get": "export"}), name="creator-export"),
    path("creators/export.xlsx", CreatorViewSet.as_view({"get": "export_xlsx"}), name="creator-export-xlsx"),
    path("creators/<handle:handle>/", CreatorViewSet.as_view({"get": "retrieve"}), name="creator-detail"),
    path(
        "creators/<handle:handle>/videos/", CreatorVideoViewSet.as_view({"get": "videos"}), name="creator-videos"
    ),
    path(
        "creators/<handle:handle>/follow/",
        FollowViewSet.as_view({"post": "follow", "delete": "unfollow"}),
        name="creator-follow",
    ),
    path("notifications/", NotificationViewSet.as_view({"get": "list"}), name="notification-list"),
    path("categories/", CategoryViewSet.as_view({"get": "list"}), name="category-list"),
    path("imports/", ImportCreateView.as_view(), name="import-list"),
    path("imports/<int:pk>/", ImportDetailView.as_view(), name="import-detail"),
    path("scoring-runs/", ScoringRunCreateView.as_view(), name="scoring-run-list"),
    path("scoring-runs/<int:pk>/", ScoringRunDetailView.as_view(), name="scoring-run-detail"),
    path("schema/", no_store(SpectacularAPIView.as_view()), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (docs/?script) and our template its page style:
    # nothing inline, so the Content-Security-Policy needs no 'unsafe-inline'.
    path(
        "docs/",
        no_store(SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html")),
        name="docs",
    ),
    re_path(r"^.*$", api_not_found),
]
