"""Root URL configuration."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("partners.auth_urls")),
    # Partner dashboard (DESIGN 7): /creators/..., /shortlists/, /methodology/, /partner/users|audit/.
    path("creators/", include("creators.urls")),
    path("", include("partners.urls_dashboard")),
    path("api/v1/", include("config.api_urls")),
]

# The product's error pages (404, 403 and 500 are Django's handlers on our templates: see config.errors).
handler400 = "config.errors.bad_request"
