"""Partner dashboard routes outside ``/creators/``: shortlists, methodology, manager pages."""

from __future__ import annotations

from django.urls import include, path

from creators.exports import Format
from partners import views_dashboard as views
from partners import views_shortlists

shortlist_patterns = [
    path("", views_shortlists.ShortlistListView.as_view(), name="list"),
    path("add/", views_shortlists.ShortlistAddView.as_view(), name="add"),
    path("<int:pk>/", views_shortlists.ShortlistDetailView.as_view(), name="detail"),
    path("<int:pk>/export.csv", views_shortlists.ShortlistExportView.as_view(), name="export"),
    path("<int:pk>/export.xlsx", views_shortlists.ShortlistExportView.as_view(fmt=Format.XLSX), name="export-xlsx"),
]

partner_patterns = [
    path("users/", views.PartnerUsersView.as_view(), name="users"),
    path("audit/", views.PartnerAuditView.as_view(), name="audit"),
]

urlpatterns = [
    path("shortlists/", include((shortlist_patterns, "shortlists"))),
    path("partner/", include((partner_patterns, "partner"))),
    path("methodology/", views.MethodologyView.as_view(), name="methodology"),
]
