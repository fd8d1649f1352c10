"""Liveness and readiness probes for load balancers and orchestrators.

- ``GET /healthz``: the process is up and answers. Touches nothing else, so a database outage never makes an
  orchestrator restart healthy web processes (which would not help and would drop the requests in flight).
- ``GET /readyz``: the database and the broker are reachable, each with a short timeout; ``503`` names the ones
  that failed, so that a load balancer stops routing to an instance that cannot serve and an operator sees why.

Both are answered by ``HealthCheckMiddleware``, placed before everything else in ``MIDDLEWARE``: probes come over
plain HTTP from the machine's or the pod's own address, so they must not be redirected to HTTPS, refused by the
``ALLOWED_HOSTS`` check, nor need a session. The bodies name the failing dependency and its error class only,
never a host, a port or a message that could leak configuration; the full error goes to the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger("scorecards.health")

HEALTHZ_PATH = "/healthz"
READYZ_PATH = "/readyz"


def _timed(check: Callable[[], str | None]) -> dict[str, Any]:
    """Runs one dependency check; a check returns an optional detail or raises."""
    started = time.perf_counter()
    try:
        detail = check()
    except Exception as exc:  # every failure of a dependency is a "not ready", whatever its type
        logger.warning("readiness check %s failed: %s", check.__name__, exc, exc_info=False)
        result: dict[str, Any] = {"ok": False, "error": type(exc).__name__}
    else:
        result = {"ok": True}
        if detail:
            result["detail"] = detail
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def database_check() -> str | None:
    """``SELECT 1`` on the default database; the driver's ``connect_timeout`` bounds a dead server."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        # Drop the broken connection now so that the next probe (or request) starts from a fresh one.
        connection.close()
        raise
    return None


def broker_check() -> str | None:
    """A Redis ``PING`` with short connect and read timeouts; in the embedded set-up there is no broker."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.REDIS_URL:
        return "eager: tasks run in-process"
    timeout = settings.READYZ_TIMEOUT_SECONDS
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()
    return None


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    checks = {"database": _timed(database_check), "broker": _timed(broker_check)}
    failed = sorted(name for name, result in checks.items() if not result["ok"])
    body = {"status": "unavailable" if failed else "ok", "failed": failed, "checks": checks}
    return JsonResponse(body, status=503 if failed else 200)


_PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {HEALTHZ_PATH: healthz, READYZ_PATH: readyz}


class HealthCheckMiddleware:
    """Answers ``/healthz`` and ``/readyz`` before host validation, HTTPS redirects, sessions and access logs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = _PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response: HttpResponse = JsonResponse({"status": "method not allowed"}, status=405)
            response["Allow"] = "GET, HEAD"
        else:
            response = probe(request)
        response["Cache-Control"] = "no-store"
        return response
