"""Partner dashboard routes outside ``/creators/``: shortlists, saved searches, notifications, methodology, manager
pages."""

from __future__ import annotations

from django.urls import include, path

from creators.exports import Format
from partners import views_alerts, views_searches, views_shortlists
from partners import views_dashboard as views

shortlist_patterns = [
    path("", views_shortlists.ShortlistListView.as_view(), name="list"),
    path("add/", views_shortlists.ShortlistAddView.as_view(), name="add"),
    path("<int:pk>/", views_shortlists.ShortlistDetailView.as_view(), name="detail"),
    path("<int:pk>/export.csv", views_shortlists.ShortlistExportView.as_view(), name="export"),
    path("<int:pk>/export.xlsx", views_shortlists.ShortlistExportView.as_view(fmt=Format.XLSX), name="export-xlsx"),
]

search_patterns = [
    path("", views_searches.SavedSearchListView.as_view(), name="list"),
    path("<int:pk>/", views_searches.SavedSearchDetailView.as_view(), name="detail"),
    path("<int:pk>/open/", views_searches.SavedSearchOpenView.as_view(), name="open"),
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
    path("searches/", include((search_patterns, "searches"))),
    path("partner/", include((partner_patterns, "partner"))),
    path("notifications/", include((notification_patterns, "notifications"))),
    path("methodology/", views.MethodologyView.as_view(), name="methodology"),
]
