"""Scoring runs on real PostgreSQL, real Redis and two real Celery worker processes.

Skipped unless DATABASE_URL points at PostgreSQL and REDIS_URL is set (CI sets both). The workers are started
as subprocesses against the test database; the test process only enqueues (``task_always_eager`` off).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from config.celery import app as celery_app
from scoring import services
from scoring.models import CategoryImpact, Scorecard, ScoringChunk, ScoringRun
from scoring.selectors import published_run
from tests.reliability.services import celery_binary, current_database_url
from tests.scoring.builders import days_before, make_collaboration, make_creator, make_video, make_videos

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (settings.USING_POSTGRES and settings.REDIS_URL),
        reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL: real database, broker and Celery workers",
    ),
]

CHUNK_SIZE = 10  # 31 creators: 4 chunks, so that both workers take some
# A run's own values: the changes against the run before it (and what it recorded) differ between two runs.
COMPARED = [
    f.attname for f in Scorecard._meta.concrete_fields
    if f.name not in ("id", "run", "is_new", "followers_previous") and not f.name.endswith("_change")
]


class Workers:
    """Two ``celery worker`` processes, each in its own process group so that a test can SIGKILL one whole."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []
        self.log_files: list = []

    def start(self, count: int = 2) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": current_database_url(),
            "REDIS_URL": str(settings.REDIS_URL),
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "SCORING_CHUNK_SIZE": str(CHUNK_SIZE),
            "CELERY_TASK_ALWAYS_EAGER": "0",
        }
        for i in range(count):
            log = open(self.log_dir / f"worker{i}.log", "wb")  # closed in stop()
            self.log_files.append(log)
            self.processes.append(subprocess.Popen(
                [celery_binary(), "-A", "config", "worker", "--pool=prefork", "--concurrency=1",
                 "-n", f"scoring-test-{i}-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
                 "--loglevel=INFO"],
                cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            ))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            replies = celery_app.control.ping(timeout=0.5) or []
            mine = [r for r in replies if any(f"-{os.getpid()}@" in name for name in r)]
            if len(mine) >= count:
                return
            assert all(p.poll() is None for p in self.processes), self.logs()
        raise AssertionError(f"workers did not start:\n{self.logs()}")

    def kill(self, index: int) -> None:
        """SIGKILL a worker: its main process and its pool children, mid-task."""
        os.killpg(self.processes[index].pid, signal.SIGKILL)
        self.processes[index].wait(10)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        for log in self.log_files:
            log.close()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.log_dir.glob("worker*.log")))


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    celery_app.control.purge()  # nothing left over in this helper's Redis database
    pool = Workers(tmp_path)
    pool.start()
    try:
        yield pool
    finally:
        pool.stop()
        celery_app.control.purge()


def _population() -> None:
    for i in range(30):
        category = ("beauty", "gaming", "pets")[i % 3]
        creator = make_creator(f"p{i:02d}", followers=2_000 * (i + 1) ** 3, category=category)
        make_videos(creator, list(range(0, 2 * (i % 9) + 1, 2)), views=1000 + 37 * i, likes=3 * i + 1,
                    shoppable=i % 4 == 0, sponsored=i % 5 == 0)
        make_video(creator, days_before(i % 7), views=700 + i, category="fashion",
                   gmv=f"{i}.25" if i % 3 == 0 else None, orders=i if i % 3 == 0 else None)
        if i % 2:
            due = days_before(2)
            make_collaboration(creator, days_before(10 + i), status=("accepted", "completed")[i % 4 // 2],
                               responded_after_h=7 * i, due_at=due, delivered_at=due if i % 3 else None)
    make_creator("silent")


def _snapshot(run: ScoringRun) -> dict:
    cards = {row["creator_id"]: row for row in Scorecard.objects.filter(run=run).values(*COMPARED)}
    impacts = set(CategoryImpact.objects.filter(run=run).values_list("creator_id", "category_id", "impact", "views",
                                                                   "gmv", "videos"))
    return {"cards": cards, "impacts": impacts, "medians": run.medians}


def _eager_run(settings_fixture) -> ScoringRun:
    settings_fixture.SCORING_CHUNK_SIZE = 1_000
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        run = services.scoring_run_request(triggered_by="eager")
    finally:
        celery_app.conf.task_always_eager = previous
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    return run


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str, workers: Workers) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{workers.logs()}")


def _finished(run_id: int) -> Callable[[], bool]:
    return lambda: ScoringRun.objects.get(pk=run_id).status in ("succeeded", "failed")


def test_two_workers_produce_exactly_the_eager_scorecards(workers, settings):
    _population()
    eager = _eager_run(settings)
    run = services.scoring_run_request(triggered_by="workers")
    _wait_for(_finished(run.pk), 120, "the run on the workers", workers)
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    assert run.is_published and run.chunks_total == run.chunks_done == 4
    assert _snapshot(run) == _snapshot(eager)
    attempts = set(ScoringChunk.objects.filter(run=run).values_list("attempts", flat=True))
    assert attempts == {1}  # every chunk computed once


def test_two_runs_requested_at_once_produce_one_computation(workers):
    _population()
    barrier = threading.Barrier(2)
    ids: list[int] = []

    def request() -> None:
        try:
            barrier.wait()
            ids.append(services.scoring_run_request(triggered_by="race").pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(ids) == 2 and ids[0] == ids[1]
    _wait_for(_finished(ids[0]), 120, "the joined run", workers)
    assert ScoringRun.objects.count() == 1
    assert ScoringRun.objects.get().status == "succeeded"
    assert set(ScoringChunk.objects.values_list("attempts", flat=True)) == {1}


def test_a_killed_worker_leaves_the_published_run_and_a_later_run_completes(workers, settings):
    _population()
    published = _eager_run(settings)
    before = _snapshot(published)
    # Hold the chunks mid-computation: they wait for this lock on the collaborations they read.
    blocker = connections.create_connection("default")
    blocker.set_autocommit(False)
    with blocker.cursor() as cursor:
        cursor.execute("LOCK TABLE creators_collaboration IN ACCESS EXCLUSIVE MODE")
    try:
        run = services.scoring_run_request(triggered_by="doomed")
        _wait_for(lambda: ScoringChunk.objects.filter(run_id=run.pk, attempts__gte=1).count() >= 2, 60,
                  "both workers inside a chunk", workers)
        workers.kill(0)
        assert published_run() == published
    finally:
        blocker.rollback()
        blocker.close()
    # The surviving worker finishes what it holds; the killed worker's chunk never reports.
    time.sleep(3)
    run.refresh_from_db()
    if run.status == "running":
        assert services.scoring_runs_reap_stale(stale_seconds=2) == [run.pk]
        run.refresh_from_db()
        assert run.status == "failed" and "no progress" in run.error
    assert published_run() == published or run.status == "succeeded"
    assert _snapshot(ScoringRun.objects.get(pk=published.pk)) == before
    later = services.scoring_run_request(triggered_by="later")
    assert later.pk != run.pk or run.status != "failed"
    _wait_for(_finished(later.pk), 120, "the later run", workers)
    later.refresh_from_db()
    assert later.status == "succeeded", later.error
    assert published_run() == later
    assert _snapshot(later)["cards"] == before["cards"]
