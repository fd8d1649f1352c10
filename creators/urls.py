"""Partner dashboard routes under ``/creators/`` (DESIGN section 7). Literal paths come before ``<handle>/``."""

from __future__ import annotations

from django.urls import path

from creators import (
    converters,  # noqa: F401 - registers <handle:...>
    views,
)
from creators.exports import Format
from partners.views_alerts import FollowView

app_name = "creators"

urlpatterns = [
    path("", views.CreatorListView.as_view(), name="list"),
    path("compare/", views.CreatorCompareView.as_view(), name="compare"),
    path("export.csv", views.CreatorExportView.as_view(), name="export"),
    path("export.xlsx", views.CreatorExportView.as_view(fmt=Format.XLSX), name="export-xlsx"),
    path("<handle:handle>/", views.CreatorDetailView.as_view(), name="detail"),
    path("<handle:handle>/follow/", FollowView.as_view(), name="follow"),
]
