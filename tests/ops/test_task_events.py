"""Celery task events in the log: started and finished with duration and state, failures with their error, and the
id of the request that queued the task, in eager mode and on a real worker."""

from __future__ import annotations

import json
import logging
import time

import pytest

from config.celery import app
from config.logging import log_context
from tests.reliability.services import celery_worker, current_database_url, require_real_services


@app.task(name="tests.ops.sleepy")
def sleepy(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


@app.task(name="tests.ops.broken")
def broken() -> None:
    raise LookupError("nothing here")


def test_a_task_logs_its_start_and_its_duration(json_log):
    with log_context(request_id="req-eager"):
        assert sleepy.apply(args=(0.05,)).get() == "done"
    started = json_log.find(event="task.started")
    finished = json_log.find(event="task.finished")
    assert len(started) == 1 and len(finished) == 1
    assert started[0]["task"] == "tests.ops.sleepy"
    assert finished[0]["task"] == "tests.ops.sleepy"
    assert finished[0]["state"] == "SUCCESS"
    assert finished[0]["duration_ms"] >= 50
    assert started[0]["task_id"] == finished[0]["task_id"]
    # Work done for a request is logged under that request's id.
    assert {started[0]["request_id"], finished[0]["request_id"]} == {"req-eager"}


def test_a_failing_task_logs_its_error_and_its_state(json_log):
    result = broken.apply(throw=False)
    assert result.failed()
    [failed] = json_log.find(event="task.failed")
    assert failed["error"] == "LookupError"
    assert failed["level"] == "ERROR"
    assert failed["task"] == "tests.ops.broken"
    [finished] = json_log.find(event="task.finished")
    assert finished["state"] == "FAILURE"
    assert finished["level"] == "WARNING"
    assert finished["duration_ms"] is not None


def test_the_log_context_is_restored_after_a_task(json_log):
    with log_context(request_id="outer"):
        sleepy.apply(args=(0,))
        logging.getLogger("scorecards.test").warning("after the task")
    [after] = json_log.find(logger="scorecards.test")
    assert after["request_id"] == "outer"
    assert "task_id" not in after


def _json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return lines


@pytest.mark.integration
@pytest.mark.django_db
def test_a_real_worker_logs_task_events_as_json_with_the_queuing_request_id():
    require_real_services()
    from django.conf import settings

    redis_url = settings.REDIS_URL  # this test process's Redis database (one per pytest-xdist worker)
    worker = celery_worker(database_url=current_database_url(), redis_url=redis_url, name="ops-events")
    try:
        # The publishing side's signal handler puts the request id in the message headers.
        with log_context(request_id="req-worker-1"):
            ok = app.send_task("celery.accumulate", args=[1, 2])
            bad = app.send_task("celery.accumulate", args=[1], kwargs={"index": 5})
        assert ok.get(timeout=30) == [1, 2]
        with pytest.raises(IndexError):
            bad.get(timeout=30)
    finally:
        worker.stop()
    events = [line for line in _json_lines(worker.output()) if line.get("event", "").startswith("task.")]
    by_task = {}
    for line in events:
        by_task.setdefault(line.get("task_id"), []).append(line)
    ok_events = {line["event"]: line for line in by_task[ok.id]}
    assert ok_events["task.finished"]["state"] == "SUCCESS"
    assert ok_events["task.finished"]["duration_ms"] >= 0
    assert ok_events["task.started"]["request_id"] == "req-worker-1"
    assert ok_events["task.finished"]["request_id"] == "req-worker-1"
    bad_events = {line["event"]: line for line in by_task[bad.id]}
    assert bad_events["task.failed"]["error"] == "IndexError"
    assert bad_events["task.finished"]["state"] == "FAILURE"
