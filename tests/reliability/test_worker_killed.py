"""A worker killed with SIGKILL in the middle of a scoring chunk: partners keep seeing the published run, and the
run is either retried to completion by another worker or failed by the stale-run reaper, never left running.

The kill lands mid-chunk for certain: the test holds a lock on a table only the chunk's second query reads, waits
until the worker's backend is blocked on it, kills the worker's whole process group, then lets go.
"""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from scoring.choices import RunStatus
from scoring.models import Scorecard, ScoringChunk, ScoringRun
from scoring.services import scoring_run_request, scoring_runs_reap_stale
from tests.reliability.services import celery_worker, current_database_url, require_real_services, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Redis hands an unacknowledged task to another worker after this long (production: an hour, above the task time
# limit). Short here so that the redelivery happens within the test.
VISIBILITY_TIMEOUT = "5"
# The workers look for such tasks every second (production: every 100 s, Kombu's default), so that the redelivery
# is seen about a second after the timeout rather than up to 100 s later.
WORKER_ENV = {"CELERY_VISIBILITY_TIMEOUT": VISIBILITY_TIMEOUT, "CELERY_UNACKED_RESTORE_SECONDS": "1"}


def _published_snapshot() -> tuple[int, list[tuple[int, float | None]]]:
    run = ScoringRun.objects.get(is_published=True)
    cards = list(Scorecard.objects.filter(run=run).order_by("creator_id").values_list("creator_id", "overall"))
    return run.pk, cards


def _blocked_backends(database: str, query_like: str = "%") -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' AND query ILIKE %s",
            [database, query_like],
        )
        return cursor.fetchone()[0]


def _kill_worker_mid_chunk(redis_url: str, name: str) -> ScoringRun:
    """Starts a worker, starts a run, SIGKILLs the worker while its chunk waits on a lock; returns the run."""
    database_url = current_database_url()
    worker = celery_worker(
        database_url=database_url,
        redis_url=redis_url,
        name=name,
        concurrency=1,
        extra_env=WORKER_ENV,
    )
    blocker = psycopg.connect(database_url.replace("postgres://", "postgresql://"), autocommit=False)
    try:
        blocker.execute("LOCK TABLE creators_collaboration IN ACCESS EXCLUSIVE MODE")
        run = scoring_run_request(triggered_by="fault-test")
        database = connection.settings_dict["NAME"]
        wait_until(
            lambda: ScoringChunk.objects.filter(run=run, attempts__gte=1).exists() and _blocked_backends(database),
            timeout=60,
            interval=0.2,
            what="the chunk to be computing (blocked on the lock)",
        )
        worker.kill()
    finally:
        blocker.rollback()
        blocker.close()
        worker.stop()
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    return run


def test_a_killed_chunk_is_redelivered_and_the_run_completes(world, scorable_world):
    require_real_services()
    from django.conf import settings

    before = _published_snapshot()
    run = _kill_worker_mid_chunk(settings.REDIS_URL, "killed-1")
    # Nothing partners see changed while the run was half done.
    assert _published_snapshot() == before

    survivor = celery_worker(
        database_url=current_database_url(),
        redis_url=settings.REDIS_URL,
        name="survivor-1",
        extra_env=WORKER_ENV,
    )
    try:
        wait_until(
            lambda: ScoringRun.objects.get(pk=run.pk).status != RunStatus.RUNNING,
            timeout=120,
            interval=0.5,
            what="the redelivered chunk to finish the run",
        )
    finally:
        survivor.stop()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.is_published
    chunk = ScoringChunk.objects.get(run=run)
    assert chunk.is_done and chunk.attempts == 2
    # Exactly one published run, complete: one scorecard per creator, no duplicates from the retried chunk.
    assert ScoringRun.objects.filter(is_published=True).count() == 1
    assert Scorecard.objects.filter(run=run).count() == len(world.creators)
    assert not ScoringRun.objects.filter(pk=before[0], is_published=True).exists()


def test_a_run_whose_worker_died_is_failed_by_the_reaper_and_a_new_run_succeeds(world, scorable_world):
    require_real_services()
    from django.conf import settings

    before = _published_snapshot()
    run = _kill_worker_mid_chunk(settings.REDIS_URL, "killed-2")
    # No worker is left. The reaper (beat, every 10 minutes; and before every new request) fails the run.
    assert scoring_runs_reap_stale(stale_seconds=0) == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "no progress" in run.error
    assert _published_snapshot() == before

    worker = celery_worker(
        database_url=current_database_url(),
        redis_url=settings.REDIS_URL,
        name="after-reap",
        extra_env=WORKER_ENV,
    )
    try:
        fresh = scoring_run_request(triggered_by="fault-test-again")
        assert fresh.pk != run.pk
        wait_until(
            lambda: ScoringRun.objects.get(pk=fresh.pk).status in (RunStatus.SUCCEEDED, RunStatus.FAILED),
            timeout=120,
            interval=0.5,
            what="the new run",
        )
    finally:
        worker.stop()
    fresh.refresh_from_db()
    assert fresh.status == RunStatus.SUCCEEDED, fresh.error
    run.refresh_from_db()
    # The redelivered chunk of the failed run (if any) changed nothing: the run stays failed, unpublished.
    assert run.status == RunStatus.FAILED and not run.is_published


def test_an_import_killed_mid_apply_writes_nothing_and_a_replay_completes(world, tmp_path):
    """The importing process dies (SIGKILL) after its videos are inserted but before its transaction commits:
    PostgreSQL rolls everything back; replaying the same file then imports it whole, once."""
    require_real_services()
    import signal
    import subprocess
    import sys
    import time

    from creators.models import Video
    from tests.reliability.services import REPO_ROOT, child_env

    handles = sorted(world.creators)
    lines = ["external_id,creator,posted_at,views,likes,comments,shares"]
    lines += [f"killed-{i},{handles[i % len(handles)]},2024-06-01T12:00:00Z,{100 + i},1,1,1" for i in range(5_000)]
    path = tmp_path / "videos.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    database_url = current_database_url()
    env = child_env(DATABASE_URL=database_url, REDIS_URL=None)
    locked = world.creators[handles[0]]

    # Hold one creator row: the import inserts its videos, then waits to touch that creator's data_updated_at.
    blocker = psycopg.connect(database_url.replace("postgres://", "postgresql://"), autocommit=False)
    try:
        blocker.execute("SELECT id FROM creators_creator WHERE id = %s FOR UPDATE", [locked.pk])
        importer = subprocess.Popen(
            [sys.executable, "manage.py", "import_data", "videos", str(path)],
            env=env,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        database = connection.settings_dict["NAME"]
        wait_until(
            # Its videos are inserted (uncommitted); it waits in the last statement of the apply step.
            lambda: (
                _blocked_backends(database, "%UPDATE%creators_creator%data_updated_at%") or importer.poll() is not None
            ),
            timeout=60,
            interval=0.1,
            what="the import to be applying (blocked on the creator row)",
        )
        assert importer.poll() is None, importer.communicate()
        importer.send_signal(signal.SIGKILL)
        importer.wait(timeout=10)
    finally:
        blocker.rollback()
        blocker.close()
    # The orphaned backend finishes its statement, finds its client gone and rolls back.
    wait_until(lambda: not _blocked_backends(connection.settings_dict["NAME"]), timeout=30, what="the rollback")
    time.sleep(0.5)
    assert Video.objects.filter(external_id__startswith="killed-").count() == 0

    replay = subprocess.run(
        [sys.executable, "manage.py", "import_data", "videos", str(path)],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert replay.returncode == 0, replay.stderr[-2000:]
    assert "5,000 created" in replay.stdout
    assert Video.objects.filter(external_id__startswith="killed-").count() == 5_000


def test_a_worker_killed_mid_import_job_leaves_nothing_and_the_redelivered_job_completes(world, tmp_path, settings):
    """An uploaded import runs on a worker that is SIGKILLed mid-apply: nothing is written, the job is not lost;
    another worker takes the redelivered task, runs the import again from the start and finishes it, once."""
    require_real_services()
    from django.core.files import File

    from creators.choices import ImportJobStatus
    from creators.models import ImportJob, Video
    from creators.services import import_job_create

    settings.MEDIA_ROOT = tmp_path / "media"
    handles = sorted(world.creators)
    path = tmp_path / "videos.csv"
    rows = [f"job-{i},{handles[i % len(handles)]},2024-06-01T12:00:00Z,{100 + i},1,1,1" for i in range(3_000)]
    path.write_text("external_id,creator,posted_at,views,likes,comments,shares\n" + "\n".join(rows) + "\n")
    database_url = current_database_url()
    worker_env = {**WORKER_ENV, "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    worker = celery_worker(
        database_url=database_url,
        redis_url=settings.REDIS_URL,
        name="import-killed",
        concurrency=1,
        extra_env=worker_env,
    )
    blocker = psycopg.connect(database_url.replace("postgres://", "postgresql://"), autocommit=False)
    try:
        blocker.execute("SELECT id FROM creators_creator WHERE id = %s FOR UPDATE", [world.creators[handles[0]].pk])
        with path.open("rb") as handle:
            job = import_job_create(kind="videos", file=File(handle, name="videos.csv"))
        database = connection.settings_dict["NAME"]
        wait_until(
            lambda: _blocked_backends(database, "%UPDATE%creators_creator%data_updated_at%"),
            timeout=60,
            interval=0.1,
            what="the import job to be applying (blocked on the creator row)",
        )
        worker.kill()
    finally:
        blocker.rollback()
        blocker.close()
        worker.stop()
    wait_until(lambda: not _blocked_backends(connection.settings_dict["NAME"]), timeout=30, what="the rollback")
    assert Video.objects.filter(external_id__startswith="job-").count() == 0
    assert ImportJob.objects.get(pk=job.pk).status == ImportJobStatus.RUNNING

    survivor = celery_worker(
        database_url=database_url, redis_url=settings.REDIS_URL, name="import-survivor", extra_env=worker_env
    )
    try:
        wait_until(
            lambda: ImportJob.objects.get(pk=job.pk).status in (ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED),
            timeout=120,
            interval=0.5,
            what="the redelivered import job",
        )
    finally:
        survivor.stop()
    job.refresh_from_db()
    assert job.status == ImportJobStatus.SUCCEEDED, job.error
    assert job.created == 3_000
    assert Video.objects.filter(external_id__startswith="job-").count() == 3_000
