"""Import jobs: an uploaded file run by a Celery task, with its outcome recorded on the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from creators.choices import ImportJobStatus
from creators.models import Creator, ImportJob
from creators.services import import_job_create, import_job_progress, import_job_run
from tests.creators.import_helpers import CREATORS_HEADER, lines, make_categories


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(text: str, name: str = "creators.csv") -> ContentFile:
    return ContentFile(text.encode(), name=name)


@pytest.mark.django_db
def test_a_job_is_queued_on_commit_then_records_its_report(django_capture_on_commit_callbacks):
    make_categories("beauty")
    with django_capture_on_commit_callbacks() as callbacks:
        job = import_job_create(kind="creators", file=upload(lines(CREATORS_HEADER, "c1,alice,beauty,,,,")))
    # The task is sent only once the job row is committed; here the test runs it in-process.
    assert len(callbacks) == 1
    assert ImportJob.objects.get(pk=job.pk).status == ImportJobStatus.PENDING
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows, job.created, job.updated, job.unchanged, job.error) == (
        ImportJobStatus.SUCCEEDED, 1, 1, 0, 0, "",
    )
    assert job.started_at is not None and job.finished_at is not None
    assert Creator.objects.filter(handle="alice").exists()


@pytest.mark.django_db
def test_a_job_that_no_longer_exists_is_ignored():
    assert import_job_run(job_id=987654) is None


@pytest.mark.django_db
def test_a_rejected_file_fails_the_job_with_its_errors():
    make_categories("beauty")
    job = import_job_create(kind="creators", file=upload(lines(CREATORS_HEADER, "c1,alice,beauty,,,,-4")))
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert job.error == "the file was rejected with 1 error; nothing was written"
    assert job.errors == [{"line": 2, "column": "followers", "message": "must not be negative, got '-4'"}]
    assert not Creator.objects.exists()


@pytest.mark.django_db
def test_a_job_that_cannot_run_is_failed_with_the_reason():
    job = import_job_create(kind="creators", file=upload(lines(CREATORS_HEADER)))
    Path(job.file.path).unlink()
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert job.error.startswith("the import could not run: [Errno 2] No such file or directory")


@pytest.mark.django_db
def test_running_a_finished_job_again_does_nothing():
    make_categories("beauty")
    job = import_job_create(kind="creators", file=upload(lines(CREATORS_HEADER, "c1,alice,beauty,,,,")))
    import_job_run(job_id=job.pk)
    first = ImportJob.objects.get(pk=job.pk)
    Creator.objects.all().delete()
    again = import_job_run(job_id=job.pk)
    assert (again.status, again.finished_at) == (ImportJobStatus.SUCCEEDED, first.finished_at)
    assert not Creator.objects.exists()


@pytest.mark.django_db
def test_an_unknown_kind_is_refused_before_anything_is_stored():
    with pytest.raises(ValueError, match="unknown import kind 'films'"):
        import_job_create(kind="films", file=upload("a\n"))
    assert not ImportJob.objects.exists()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_job_and_reports_progress(tmp_path):
    if not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")):
        pytest.skip("needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL")
    from django.conf import settings

    make_categories("beauty")
    rows = 120_000
    text = lines(CREATORS_HEADER, *(f"c{n},user{n},beauty,,,,{n}" for n in range(rows)))
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    celery = Path(sys.executable).parent / "celery"
    worker = subprocess.Popen(
        [str(celery), "-A", "config", "worker", "--pool=prefork", "--concurrency=2", "--loglevel=WARNING",
         "-n", f"imports-test-{os.getpid()}@%h"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        job = import_job_create(kind="creators", file=upload(text))
        seen_progress = set()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            job.refresh_from_db()
            seen_progress.add(import_job_progress(job))
            if job.status in (ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED):
                break
            time.sleep(0.2)
        assert job.status == ImportJobStatus.SUCCEEDED, job.error
        assert (job.rows, job.created) == (rows, rows)
        assert Creator.objects.count() == rows
        # Progress was visible while the import's own transaction was still open.
        assert any(0 < value < rows for value in seen_progress)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
