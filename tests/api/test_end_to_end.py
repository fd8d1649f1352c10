"""End to end through the API, on real PostgreSQL, real Redis and a real Celery worker.

Staff upload a ``videos`` file (``POST /api/v1/imports/``), follow the job to ``succeeded``, start a scoring run
(``POST /api/v1/scoring-runs/``) and follow it; then an analyst sees the new scores of the creator
(``GET /api/v1/creators/<handle>/``). The worker is a ``celery worker`` subprocess (prefork, two processes) on the
test database; this process only enqueues. Skipped without ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from config.celery import app as celery_app
from tests.reliability.services import celery_worker, current_database_url

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (settings.USING_POSTGRES and settings.REDIS_URL),
        reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL: real database, broker and Celery worker",
    ),
]

VIDEOS_HEADER = "external_id,creator,posted_at,views,likes,comments,shares,is_shoppable"
TIMEOUT = 120


@pytest.fixture
def worker(tmp_path: Path, settings) -> Iterator[Path]:
    """One worker (``deploy/worker.sh``, prefork, 2 processes) on the test database, sharing the uploads folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    celery_app.control.purge()
    worker = celery_worker(
        database_url=current_database_url(),
        redis_url=settings.REDIS_URL,
        name=f"api-e2e-{os.getpid()}",
        extra_env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "MEDIA_ROOT": str(settings.MEDIA_ROOT)},
    )
    try:
        yield worker.log_path
    finally:
        worker.stop(timeout=30)
        celery_app.control.purge()


def _follow(client: APIClient, url: str, worker_log: Path) -> dict:
    """Poll a job or run until it ends; return its last state."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["status"] in ("succeeded", "failed"):
            return body
        time.sleep(0.3)
    raise AssertionError(f"{url} did not finish: {body}\n{worker_log.read_text(errors='replace')[-3000:]}")


def test_upload_import_score_and_read_the_new_scores(world, worker):
    staff = _client_with_token(world.users["sam"])
    alice = _client_with_token(world.users["alice"])
    handle = world.handles_a[0]
    before = alice.get(f"/api/v1/creators/{handle}/").json()
    assert before["metrics"]["videos"] != 7  # the fixture's made-up scorecard

    # 1. Upload a videos file: 7 videos of one creator, two of them shoppable, over two weeks.
    rows = [f"e2e-{i},{handle},2026-03-{i + 1:02d}T12:00:00Z,{1000 * (i + 1)},{50 + i},{5 + i},{i},{i < 2}"
            for i in range(7)]
    upload = SimpleUploadedFile("videos.csv", ("\n".join([VIDEOS_HEADER, *rows]) + "\n").encode())
    response = staff.post("/api/v1/imports/", {"kind": "videos", "file": upload}, format="multipart")
    assert response.status_code == 202, response.json()
    job = _follow(staff, response["Location"], worker)
    assert job["status"] == "succeeded", job
    assert (job["rows"], job["created"], job["progress_percent"]) == (7, 7, 100)

    # 2. Start a scoring run and follow it (while the run that the import queued is still going, the request
    #    joins that one: either way the answer is the run that scores the new videos).
    response = staff.post("/api/v1/scoring-runs/", {}, format="json")
    assert response.status_code == 202, response.json()
    run = _follow(staff, response["Location"], worker)
    assert run["status"] == "succeeded", run
    assert run["is_published"] is True
    assert run["as_of"] == "2026-03-07"  # the newest imported video

    # 3. The analyst sees the new scores.
    after = alice.get(f"/api/v1/creators/{handle}/").json()
    assert after["as_of"] == "2026-03-07"
    assert after["metrics"]["videos"] == 7
    assert after["metrics"]["views"] == sum(1000 * (i + 1) for i in range(7))
    assert after["metrics"]["shoppable_share"] == pytest.approx(2 / 7)
    assert after["scores"]["volume"] is not None
    assert run["id"] in [point["run_id"] for point in after["history"]]
    listed = alice.get("/api/v1/creators/", {"q": handle}).json()["results"]
    assert listed[0]["scores"]["volume"] == after["scores"]["volume"]


def _client_with_token(user) -> APIClient:
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client
