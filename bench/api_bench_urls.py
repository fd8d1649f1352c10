"""The product's URLs plus the API benchmark's ceiling view (see ``bench/api_bench.py``)."""

from __future__ import annotations

import functools
import os

from django.contrib.auth import get_user_model
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from creators.filtersets import CreatorFilterSet
from creators.selectors import creator_list, creator_list_count
from partners.access import access_for_user


@functools.cache
def _user_id() -> int:
    return get_user_model().objects.get(username=os.environ["BENCH_USERNAME"]).pk


def ceiling(request: HttpRequest) -> JsonResponse:
    """The API list's query for the benchmark partner, bare: count and one 50-row page of ``.values()``."""
    # The grant is read per request, as the product must (a revoked grant counts from the next request).
    access = access_for_user(get_user_model()(pk=_user_id(), is_active=True))
    queryset = CreatorFilterSet(request.GET, queryset=creator_list(access=access), access=access).qs
    names = ("creator_id", "handle", "display_name", "country", "categories", "followers", "overall", "collaboration",
             "care", "volume", "effectiveness", "sales", "consistency")
    # Counted as the product counts (creator_list_count: cached per published run revision and query), so that
    # the ceiling does the same database work as the API and differs only by the API's own layers.
    return JsonResponse({"count": creator_list_count(queryset), "results": list(queryset.values(*names)[:50])})


urlpatterns = [
    path("bench/ceiling/", ceiling),
    path("", include("config.urls")),
]
