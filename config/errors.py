"""The product's own error pages (DESIGN 7: every error a person can meet is a page with its navigation).

Django's default handlers render ``404.html`` and ``403.html`` with the request (so the navigation's context
processor runs) and ``500.html`` without it, which is what a 500 needs: the database may be the thing that failed,
and no context processor (``nav_access`` reads the partner's grants) may run. Two cases need a view of their own:
the 400, which Django renders without the request (no navigation), and a CSRF failure, which Django answers with its
yellow debug-style page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: a malformed request (e.g. ``SuspiciousOperation``), as a page of the product."""
    return render(request, "400.html", status=400)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form sent without a valid token, most often from a page opened before the session
    changed (logged in elsewhere, session expired). Says so and what to do; ``reason`` is Django's technical text,
    for the server log, not for the page."""
    return render(request, "403_csrf.html", status=403)
