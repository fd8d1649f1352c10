"""The Celery application. Its configuration comes from Django settings (the ``CELERY_`` namespace)."""

from __future__ import annotations

import os

from celery import Celery, Task

# Connects the task-event log lines (queued, started, finished with duration, failed, retried) to Celery's signals.
from config import task_events  # noqa: F401 - imported for its signal receivers

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("creator_scorecards")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def task_named(name: str) -> Task:
    """The task registered under ``name``, for a service that queues it without importing its tasks module.

    Tasks import services, never the reverse; a service looks its task up by name when it queues it. A web
    process has not imported the apps' ``tasks`` modules (only a worker does, at start), so the first look-up
    runs the autodiscovery. A task (not ``send_task``) so that eager mode (the tests, ``CELERY_TASK_ALWAYS_EAGER``)
    still runs it in process.
    """
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]
