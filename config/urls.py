"""Root URL configuration."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from partners.views_home import home_page

urlpatterns = [
    # A partner user's home page of what changed; the welcome card for anyone else.
    path("", home_page, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("partners.auth_urls")),
    # Partner dashboard (DESIGN 7): /creators/..., /shortlists/, /methodology/, /partner/users|audit/.
    path("creators/", include("creators.urls")),
    path("", include("partners.urls_dashboard")),
    path("api/v1/", include("config.api_urls")),
]

# The product's error pages (404, 403 and 500 are Django's handlers on our templates: see config.errors).
handler400 = "config.errors.bad_request"
