"""The ceiling view of the dashboard benchmark (see ``bench/ceiling_settings.py``)."""

from __future__ import annotations

import functools
import os

from django.contrib.auth import get_user_model
from django.http import HttpRequest, JsonResponse
from django.urls import path

from creators.filtersets import CreatorFilterSet
from creators.selectors import creator_list
from partners.access import Access, access_for_user


@functools.cache
def _access() -> Access:
    # Built once per process: the ceiling pays no per-request authentication or access lookup.
    user = get_user_model().objects.get(username=os.environ.get("BENCH_USERNAME", "bench-analyst"))
    return access_for_user(user)


def ceiling(request: HttpRequest) -> JsonResponse:
    access = _access()
    rows = CreatorFilterSet(request.GET, queryset=creator_list(access=access), access=access).qs[:50]
    return JsonResponse({"results": list(rows)})


urlpatterns = [path("ceiling/", ceiling)]
