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
from creators.api_similar import CreatorSimilarViewSet
from partners.api_alerts import FollowViewSet, NotificationViewSet
from partners.api_searches import SavedSearchViewSet
from partners.api_shortlists import ShortlistViewSet
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
        "creators/<handle:handle>/similar/", CreatorSimilarViewSet.as_view({"get": "similar"}), name="creator-similar"
    ),
    path(
        "creators/<handle:handle>/follow/",
        FollowViewSet.as_view({"post": "follow", "delete": "unfollow"}),
        name="creator-follow",
    ),
    path("notifications/", NotificationViewSet.as_view({"get": "list"}), name="notification-list"),
    path("categories/", CategoryViewSet.as_view({"get": "list"}), name="category-list"),
    path(
        "saved-searches/", SavedSearchViewSet.as_view({"get": "list", "post": "create"}), name="saved-search-list"
    ),
    path(
        "saved-searches/<int:pk>/",
        SavedSearchViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="saved-search-detail",
    ),
    path("shortlists/", ShortlistViewSet.as_view({"get": "index", "post": "create"}), name="shortlist-list"),
    path("shortlists/<int:pk>/", ShortlistViewSet.as_view({"get": "retrieve"}), name="shortlist-detail"),
    path("shortlists/<int:pk>/entries/", ShortlistViewSet.as_view({"post": "entries"}), name="shortlist-entries"),
    path(
        "shortlists/<int:pk>/entries/<handle:handle>/",
        ShortlistViewSet.as_view({"patch": "entry_update", "delete": "entry_remove"}),
        name="shortlist-entry",
    ),
    path("shortlists/<int:pk>/export.csv", ShortlistViewSet.as_view({"get": "export"}), name="shortlist-export"),
    path(
        "shortlists/<int:pk>/export.xlsx",
        ShortlistViewSet.as_view({"get": "export_xlsx"}),
        name="shortlist-export-xlsx",
    ),
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
