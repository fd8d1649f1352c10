"""Stale import jobs: a job no worker finished in time is failed with a reason, never left pending/running."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from creators.choices import ImportJobStatus
from creators.models import ImportJob
from creators.services import import_jobs_reap_stale
from creators.tasks import import_jobs_reap_stale_task

pytestmark = pytest.mark.django_db


def _job(status: str, *, age_seconds: float) -> ImportJob:
    job = ImportJob.objects.create(kind="videos", file="imports/x.csv", status=status)
    moment = timezone.now() - timedelta(seconds=age_seconds)
    ImportJob.objects.filter(pk=job.pk).update(created_at=moment, started_at=moment)
    return job


def test_it_fails_jobs_stuck_beyond_the_threshold_and_leaves_the_rest():
    stuck_running = _job(ImportJobStatus.RUNNING, age_seconds=7200)
    stuck_pending = _job(ImportJobStatus.PENDING, age_seconds=7200)
    recent = _job(ImportJobStatus.RUNNING, age_seconds=60)
    done = _job(ImportJobStatus.SUCCEEDED, age_seconds=7200)
    assert sorted(import_jobs_reap_stale(stale_seconds=3600)) == sorted([stuck_running.pk, stuck_pending.pk])
    stuck_running.refresh_from_db()
    assert stuck_running.status == ImportJobStatus.FAILED
    assert "upload the file again" in stuck_running.error
    assert stuck_running.finished_at is not None
    assert ImportJob.objects.get(pk=recent.pk).status == ImportJobStatus.RUNNING
    assert ImportJob.objects.get(pk=done.pk).status == ImportJobStatus.SUCCEEDED


def test_the_default_threshold_waits_for_the_broker_to_redeliver():
    # A job whose worker died comes back after the visibility timeout; it must not be reaped before that.
    assert settings.IMPORT_STALE_SECONDS > settings.CELERY_BROKER_VISIBILITY_TIMEOUT + settings.CELERY_TASK_TIME_LIMIT
    running = _job(ImportJobStatus.RUNNING, age_seconds=settings.CELERY_BROKER_VISIBILITY_TIMEOUT + 60)
    assert import_jobs_reap_stale() == []
    assert ImportJob.objects.get(pk=running.pk).status == ImportJobStatus.RUNNING


def test_beat_runs_the_reaper():
    entry = settings.CELERY_BEAT_SCHEDULE["import-jobs-reap-stale"]
    assert entry["task"] == import_jobs_reap_stale_task.name
    stuck = _job(ImportJobStatus.RUNNING, age_seconds=settings.IMPORT_STALE_SECONDS + 60)
    assert import_jobs_reap_stale_task.apply().get() == [stuck.pk]
