"""Structured logging: one JSON object per line, each carrying the request id, the user and the partner.

Three pieces work together:

- ``RequestIdMiddleware`` takes the caller's ``X-Request-ID`` (a load balancer or another service may already
  have assigned one) or makes a new one, echoes it on the response, binds the request to this execution context
  and writes one access line per request with its status and duration.
- ``RequestContextFilter`` copies the bound request id, user and partner onto every log record, so that any line
  logged while serving a request (a query warning, an audit failure, an error trace) can be joined to it. Celery
  tasks bind their own context in ``config.task_events`` (task id, name and the id of the request that queued it).
- ``logging_config()`` builds the ``LOGGING`` dict: plain text for a developer's terminal, JSON lines in
  production (``LOG_FORMAT=json``), where a log shipper parses them.

Logging never triggers a database query: the user and partner are read only when the request has already loaded
them (authentication and the access layer cache them on the request), so that log lines cannot change the query
counts that tests pin, nor fail while the database is down.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty
from pythonjsonlogger.core import RESERVED_ATTRS

REQUEST_ID_HEADER = "X-Request-ID"
# Only a conservative alphabet is echoed back: the value ends up in headers and log lines, so nothing that could
# split a header or forge a log field is accepted from outside.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@+=/-]{1,128}$")

access_logger = logging.getLogger("scorecards.request")

_request: ContextVar[HttpRequest | None] = ContextVar("log_request", default=None)
_request_id: ContextVar[str | None] = ContextVar("log_request_id", default=None)
_task: ContextVar[dict[str, str] | None] = ContextVar("log_task", default=None)


def request_id_current() -> str | None:
    """The request id bound to this execution context (a request being served or a task it queued)."""
    return _request_id.get()


def request_id_new() -> str:
    return uuid.uuid4().hex


@contextmanager
def log_context(
    *, request_id: str | None, request: HttpRequest | None = None, task: dict[str, str] | None = None
) -> Iterator[None]:
    """Bind a request id (and the request or task it belongs to) to log records emitted inside the block."""
    tokens = (_request_id.set(request_id), _request.set(request), _task.set(task))
    try:
        yield
    finally:
        _task.reset(tokens[2])
        _request.reset(tokens[1])
        _request_id.reset(tokens[0])


def log_context_bind(*, request_id: str | None, task: dict[str, str] | None = None) -> Callable[[], None]:
    """Like ``log_context`` for code that cannot use a ``with`` block (Celery's pre/post-run signals).

    Returns the function that restores the previous context.
    """
    # The request, if any, stays bound: an eager task runs inside the request that called it.
    tokens = (_request_id.set(request_id), _task.set(task))

    def restore() -> None:
        _task.reset(tokens[1])
        _request_id.reset(tokens[0])

    return restore


def _loaded_user(request: HttpRequest) -> Any | None:
    """The request's user if authentication already loaded it; never forces the lazy object (no query)."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty:
        return None
    return wrapped


def request_user_label(request: HttpRequest) -> str | None:
    user = _loaded_user(request)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.get_username()


def request_partner_label(request: HttpRequest) -> str | None:
    """The partner of the request as the access layer resolved it, if it did (no query of its own)."""
    # ``partners.access.access_for_request`` caches the access here (on the HttpRequest, for DRF calls too).
    for attribute in ("_partner_access", "access"):
        access = request.__dict__.get(attribute)
        partner = getattr(access, "partner", None)
        if partner is not None:
            return getattr(partner, "name", None) or str(partner)
    user = _loaded_user(request)
    if user is None:
        return None
    # A membership already fetched with the user (select_related, or an earlier access) costs nothing to read.
    membership = user._state.fields_cache.get("membership") if hasattr(user, "_state") else None
    partner = membership._state.fields_cache.get("partner") if membership is not None else None
    return partner.name if partner is not None else None


class RequestContextFilter(logging.Filter):
    """Adds ``request_id``, ``user``, ``partner`` (and ``task_id``/``task`` inside Celery tasks) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = _request.get()
        request_id = _request_id.get()
        # Django logs 4xx/5xx responses after the middleware chain has returned, with the request attached.
        attached = getattr(record, "request", None)
        if isinstance(attached, HttpRequest):
            request = attached
            request_id = getattr(attached, "request_id", request_id)
        if not hasattr(record, "request_id"):
            record.request_id = request_id
        if not hasattr(record, "user"):
            record.user = request_user_label(request) if request is not None else None
        if not hasattr(record, "partner"):
            record.partner = request_partner_label(request) if request is not None else None
        task = _task.get()
        if task is not None:
            for key, value in task.items():
                if not hasattr(record, key):
                    setattr(record, key, value)
        return True


class RequestIdMiddleware:
    """Accepts or assigns ``X-Request-ID``, echoes it, and writes one access line per request with its duration.

    Placed first in ``MIDDLEWARE`` so that every response, redirects and errors included, carries the id.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else request_id_new()
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.perf_counter()
        with log_context(request_id=request_id, request=request):
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            level = logging.ERROR if response.status_code >= 500 else logging.INFO
            access_logger.log(
                level,
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
        return response


def logging_config(*, level: str, json_lines: bool) -> dict[str, Any]:
    """The ``LOGGING`` setting: JSON lines (production) or plain text (development), same fields either way."""
    formatter: dict[str, Any]
    if json_lines:
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["asctime", "levelname", "name", "message"],
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            # Django's request logger attaches the request object itself: not JSON, and the fields above say it.
            "reserved_attrs": [*RESERVED_ATTRS, "request"],
        }
    else:
        formatter = {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_context": {"()": "config.logging.RequestContextFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_context"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's default configuration also prints to its own console handler; one handler is enough.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.db.backends": {"level": "INFO"},
            # Our access line replaces the development server's own; gunicorn's access log stays off too.
            "django.server": {"handlers": [], "level": "WARNING", "propagate": True},
            # Celery's own loggers go through the root handler (the worker does not hijack the root logger).
            "celery": {"level": level},
        },
    }
