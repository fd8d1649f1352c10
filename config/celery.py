"""The Celery application. Its configuration comes from Django settings (the ``CELERY_`` namespace)."""

from __future__ import annotations

import os

from celery import Celery

# Connects the task-event log lines (queued, started, finished with duration, failed, retried) to Celery's signals.
from config import task_events  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("creator_scorecards")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
