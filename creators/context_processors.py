"""Template context shared by every page: the navigation needs to know who is asking, and where its links go."""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from partners.access import access_for_request

# The links of the navigation and of the list page's forms, by the name templates use (``nav_urls.<key>``).
NAV_URL_NAMES = {
    "creators": "creators:list",
    "compare": "creators:compare",
    "export": "creators:export",
    "shortlists": "shortlists:list",
    "methodology": "methodology",
    "users": "partner:users",
    "audit": "partner:audit",
    "logout": "logout",
}


@functools.lru_cache(maxsize=16)
def _nav_urls(prefix: str, urlconf: Any) -> dict[str, str | None]:
    """The navigation's URLs, reversed once per script prefix and URLconf (a dozen ``{% url %}`` tags per page
    cost a third of a millisecond each time; the answers never change while the process runs)."""
    urls: dict[str, str | None] = {}
    for key, name in NAV_URL_NAMES.items():
        try:
            urls[key] = reverse(name, urlconf=urlconf)
        except NoReverseMatch:
            urls[key] = None
    return urls


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``nav_access``: the request's ``Access`` (built once per request and cached on it, so no extra queries on
    partner pages, which have already built it); ``nav_urls``: the navigation's links."""
    return {"nav_access": access_for_request(request), "nav_urls": _nav_urls(get_script_prefix(), get_urlconf())}
