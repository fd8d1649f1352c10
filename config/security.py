"""Browser hardening headers that Django does not send itself.

``Content-Security-Policy`` comes from django-csp (``CONTENT_SECURITY_POLICY`` in the settings), and
``Referrer-Policy`` and ``Cross-Origin-Opener-Policy`` from Django's ``SecurityMiddleware``; this module adds
``Permissions-Policy``, which Django 5.2 has no setting for.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """``{"camera": [], "fullscreen": ["self"]}`` as ``camera=(), fullscreen=(self)``: an empty list refuses the
    feature to every origin, ours included."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())


class PermissionsPolicyMiddleware:
    """Send ``Permissions-Policy`` (``settings.PERMISSIONS_POLICY``) on every response that has none yet.

    Placed before WhiteNoise in ``MIDDLEWARE`` so that static files carry it too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.header = permissions_policy_header(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response
