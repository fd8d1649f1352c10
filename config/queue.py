"""The task queue as a dependency that can be down: check it before writing anything that needs it.

When Redis is unreachable, reads keep working from PostgreSQL, but an import or a scoring request cannot be
carried out. Such a request must then fail *before* it writes anything (no run left ``pending`` for ever, no
upload stored without a task to process it) and say so clearly. ``queue_check()`` is that gate, and
``QueueUnavailable`` the one error every entry point renders in its own way:

- the REST API answers ``503`` with ``{"detail": "...try again..."}`` and ``Retry-After`` (it is a DRF
  ``APIException``);
- a management command exits with status 1 and the message (it is also a ``CommandError``);
- an HTML page, the admin included, shows the message and returns to the page (``QueueUnavailableMiddleware``).

In the embedded set-up (eager tasks, no broker) the check always passes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis
from django.conf import settings
from django.contrib import messages
from django.core.management.base import CommandError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework import status
from rest_framework.exceptions import APIException

logger = logging.getLogger("scorecards.queue")

QUEUE_RETRY_AFTER_SECONDS = 30


class QueueUnavailable(APIException, CommandError):
    """The broker cannot be reached: nothing was started or written; the caller should try again shortly."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The task queue is unavailable, so nothing was started or changed. Try again in a minute."
    default_code = "queue_unavailable"
    # DRF turns ``wait`` into a Retry-After header; Django's command runner reads ``returncode``.
    wait = QUEUE_RETRY_AFTER_SECONDS
    returncode = 1


def broker_reachable(*, timeout: float | None = None) -> bool:
    """A Redis ``PING`` with short timeouts. Always true in the embedded set-up, which has no broker."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.REDIS_URL:
        return True
    seconds = settings.READYZ_TIMEOUT_SECONDS if timeout is None else timeout
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=seconds, socket_timeout=seconds)
    try:
        return bool(client.ping())
    except redis.RedisError as exc:
        logger.warning("task queue unreachable: %s", exc, extra={"event": "queue.unavailable"})
        return False
    finally:
        client.close()


def queue_check() -> None:
    """Raise ``QueueUnavailable`` unless the broker answers. Call it before writing what a task will process."""
    if not broker_reachable():
        raise QueueUnavailable()


class QueueUnavailableMiddleware:
    """Turns ``QueueUnavailable`` raised by an HTML view (the admin's "start scoring run", an upload form) into
    an error message on the page the user came from, instead of a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, QueueUnavailable):
            return None
        message = str(exception.detail)
        back = request.headers.get("Referer", "")
        if back and back != request.build_absolute_uri() and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            messages.error(request, message)
            response: HttpResponse = HttpResponseRedirect(back)
        else:
            # No page to return to (or it is this one): answer the message itself rather than loop.
            response = HttpResponse(
                render_to_string("queue_unavailable.html", {"message": message}),
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        response["Retry-After"] = str(QUEUE_RETRY_AFTER_SECONDS)
        return response
