"""Celery task events in the log: queued, started, finished (with duration and state), retried, failed.

Connected to Celery's signals when ``config.celery`` is imported, so they apply in web processes (publishing),
in workers and in eager mode alike. The id of the HTTP request that queued a task travels in the message
headers, so that a request and all the work it caused share one ``request_id`` in the logs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from celery import signals

from config.logging import log_context_bind, request_id_current

logger = logging.getLogger("scorecards.tasks")

REQUEST_ID_HEADER = "scorecards_request_id"

# task id -> (monotonic start, function restoring the previous log context). A worker process runs one task at a
# time per thread, and the entry is removed when the task ends, so this stays small.
_running: dict[str, tuple[float, Callable[[], None]]] = {}


def _header(task: Any, name: str) -> str | None:
    request = getattr(task, "request", None)
    value = getattr(request, name, None) if request is not None else None
    if value is None and request is not None:
        value = (getattr(request, "headers", None) or {}).get(name)
    return value


@signals.before_task_publish.connect(weak=False)
def task_published(sender: str | None = None, headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = request_id_current()
    if headers is not None and request_id and REQUEST_ID_HEADER not in headers:
        headers[REQUEST_ID_HEADER] = request_id
    logger.info(
        "task queued %s", sender, extra={"event": "task.queued", "task": sender, "task_id": (headers or {}).get("id")}
    )


@signals.task_prerun.connect(weak=False)
def task_started(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    name = getattr(task, "name", "?")
    # Eager tasks run inside the request that called them: keep its id. Worker tasks take it from the message.
    request_id = _header(task, REQUEST_ID_HEADER) or request_id_current()
    restore = log_context_bind(request_id=request_id, task={"task_id": task_id or "", "task": name})
    _running[task_id or ""] = (time.monotonic(), restore)
    logger.info("task started %s", name, extra={"event": "task.started"})


@signals.task_postrun.connect(weak=False)
def task_finished(task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    started, restore = _running.pop(task_id or "", (None, None))
    duration_ms = round((time.monotonic() - started) * 1000, 1) if started is not None else None
    name = getattr(task, "name", "?")
    level = logging.INFO if state in ("SUCCESS", "RETRY", None) else logging.WARNING
    logger.log(
        level,
        "task finished %s %s in %sms",
        name,
        state,
        duration_ms,
        extra={"event": "task.finished", "state": state, "duration_ms": duration_ms},
    )
    if restore is not None:
        restore()


@signals.task_failure.connect(weak=False)
def task_failed(
    task_id: str | None = None, exception: BaseException | None = None, sender: Any = None, **kwargs: Any
) -> None:
    started = _running.get(task_id or "", (None, None))[0]
    duration_ms = round((time.monotonic() - started) * 1000, 1) if started is not None else None
    logger.error(
        "task failed %s: %s: %s",
        getattr(sender, "name", "?"),
        type(exception).__name__,
        exception,
        extra={
            "event": "task.failed",
            "error": type(exception).__name__,
            "duration_ms": duration_ms,
        },
    )


@signals.task_retry.connect(weak=False)
def task_retried(request: Any = None, reason: Any = None, sender: Any = None, **kwargs: Any) -> None:
    logger.warning(
        "task retry %s: %s",
        getattr(sender, "name", "?"),
        reason,
        extra={"event": "task.retry", "reason": str(reason)},
    )


@signals.task_revoked.connect(weak=False)
def task_revoked(request: Any = None, terminated: bool = False, signum: Any = None, **kwargs: Any) -> None:
    task_id = getattr(request, "id", None)
    logger.warning(
        "task revoked %s (terminated=%s, signal=%s)",
        task_id,
        terminated,
        signum,
        extra={"event": "task.revoked", "task_id": task_id},
    )
