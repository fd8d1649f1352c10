"""A test URLconf: a view that goes through the access layer and logs, as every partner view does."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.urls import path

from partners.access import access_for_request


def partner_view(request: HttpRequest) -> HttpResponse:
    access = access_for_request(request)
    logging.getLogger("scorecards.test").warning("inside the partner view")
    return HttpResponse(str(access.is_partner))


urlpatterns = [path("partner-view/", partner_view)]
