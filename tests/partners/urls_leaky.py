"""A deliberately leaky urlconf: proves that the every-URL walker catches a view that bypasses the access layer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from creators.models import Creator


def leaky_detail(request: HttpRequest, handle: str) -> HttpResponse:
    # What NOT to do: an unrestricted lookup.
    creator = Creator.objects.get(handle=handle)
    return JsonResponse({"handle": creator.handle, "display_name": creator.display_name})


urlpatterns = [path("leaky/<str:handle>/", leaky_detail)]
