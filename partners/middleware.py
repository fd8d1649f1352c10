"""Session security for every request: idle timeout, absolute lifetime, and no caching of private pages."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

# Session keys (seconds since the epoch).
SESSION_STARTED_KEY = "_security_started_at"
SESSION_SEEN_KEY = "_security_seen_at"
# Writing the session on every request would cost a write per page; activity is refreshed at most this often.
SEEN_RESOLUTION_SECONDS = 30


class SessionSecurityMiddleware:
    """Log out a session idle for ``SESSION_IDLE_SECONDS`` or older than ``SESSION_COOKIE_AGE`` (absolute).

    Django's own ``SESSION_COOKIE_AGE`` slides forward whenever the session is saved; the absolute lifetime is
    enforced here from the time the session was first seen authenticated. A logged-out request then continues as
    anonymous (login page for HTML, 401/403 for the API). Every response to an authenticated user and every API
    response gets ``Cache-Control: no-store`` (and friends), so that no browser or proxy keeps partner data.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        authenticated = bool(user is not None and user.is_authenticated)
        if authenticated and self._expired(request):
            logout(request)
        response = self.get_response(request)
        if authenticated or request.path.startswith("/api/") or getattr(request, "_partner_access", None):
            add_never_cache_headers(response)
        return response

    def _expired(self, request: HttpRequest) -> bool:
        session = request.session
        now = time.time()
        started = session.get(SESSION_STARTED_KEY)
        seen = session.get(SESSION_SEEN_KEY)
        if started is None:
            session[SESSION_STARTED_KEY] = now
            session[SESSION_SEEN_KEY] = now
            return False
        if now - started > settings.SESSION_COOKIE_AGE:
            return True
        if seen is not None and now - seen > settings.SESSION_IDLE_SECONDS:
            return True
        if seen is None or now - seen > SEEN_RESOLUTION_SECONDS:
            session[SESSION_SEEN_KEY] = now
        return False
