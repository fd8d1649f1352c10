"""Template context shared by every page: the navigation needs to know who is asking."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from partners.access import access_for_request


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``nav_access``: the request's ``Access`` (built once per request and cached on it, so no extra queries on
    partner pages, which have already built it)."""
    return {"nav_access": access_for_request(request)}
