"""Log out through a page of its own.

The header of every page links here instead of carrying a POST form: a form needs the CSRF token, a per-request
value, and the 404 of a hidden creator must be byte-identical to the 404 of a missing one (DESIGN 7). The GET
shows the confirmation with the POST form; the POST is Django's ``LogoutView``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse


class LogoutConfirmView(auth_views.LogoutView):
    """``/accounts/logout/``: GET asks for confirmation, POST logs out (Django's view)."""

    http_method_names = ["get", "post", "options"]
    template_name = "registration/logout_confirm.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return TemplateResponse(request, self.template_name, {})
