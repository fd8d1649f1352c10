"""Partner dashboard routes outside ``/creators/``: shortlists, notifications, methodology, manager pages."""

from __future__ import annotations

from django.urls import include, path

from creators.exports import Format
from partners import views_alerts
from partners import views_dashboard as views

shortlist_patterns = [
    path("", views.ShortlistListView.as_view(), name="list"),
    path("add/", views.ShortlistAddView.as_view(), name="add"),
    path("<int:pk>/", views.ShortlistDetailView.as_view(), name="detail"),
    path("<int:pk>/export.csv", views.ShortlistExportView.as_view(), name="export"),
    path("<int:pk>/export.xlsx", views.ShortlistExportView.as_view(fmt=Format.XLSX), name="export-xlsx"),
]

partner_patterns = [
    path("users/", views.PartnerUsersView.as_view(), name="users"),
    path("audit/", views.PartnerAuditView.as_view(), name="audit"),
]

notification_patterns = [
    path("", views_alerts.NotificationListView.as_view(), name="list"),
    path("unsubscribe/<str:token>/", views_alerts.UnsubscribeView.as_view(), name="unsubscribe"),
]

urlpatterns = [
    path("shortlists/", include((shortlist_patterns, "shortlists"))),
    path("partner/", include((partner_patterns, "partner"))),
    path("notifications/", include((notification_patterns, "notifications"))),
    path("methodology/", views.MethodologyView.as_view(), name="methodology"),
]
