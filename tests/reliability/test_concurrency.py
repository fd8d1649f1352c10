"""Two scoring runs and two imports of the same file started at the same moment, from separate processes, give one
result: one run (the second request joins the first), each imported row once, nothing duplicated."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from creators.models import Video
from scoring.choices import RunStatus
from scoring.models import Scorecard, ScoringRun
from tests.reliability.services import (
    REPO_ROOT,
    celery_worker,
    child_env,
    current_database_url,
    require_real_services,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _start_together(
    commands: list[list[str]], env: dict[str, str], *, then: Any = None
) -> list[subprocess.CompletedProcess[str]]:
    """Starts every command at once (no waiting in between) and collects them all.

    ``then``: called once every command has printed its first line (its request is made), before collecting.
    """
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", *command],
            env=env,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    first_lines = [process.stdout.readline() if then is not None and process.stdout else "" for process in processes]
    if then is not None:
        then()
    results = []
    for process, command, first in zip(processes, commands, first_lines, strict=True):
        stdout, stderr = process.communicate(timeout=240)
        results.append(subprocess.CompletedProcess(command, process.returncode, first + stdout, stderr))
    return results


def test_two_scoring_requests_at_once_make_one_run(world, scorable_world):
    require_real_services()
    from django.conf import settings

    database_url = current_database_url()
    runs_before = set(ScoringRun.objects.values_list("pk", flat=True))
    workers = []

    def start_worker() -> None:
        # Only once both requests are made: a run of 20 creators takes a fraction of a second, and on a busy
        # machine one process could otherwise request after the other's run had already finished (a new run,
        # rightly). Without a worker the first run stays pending, so the second request must join it.
        workers.append(
            celery_worker(database_url=database_url, redis_url=str(settings.REDIS_URL), name="concurrent-runs")
        )

    try:
        env = child_env(DATABASE_URL=database_url, REDIS_URL=settings.REDIS_URL)
        results = _start_together([["recompute_scores", "--wait", "--timeout", "180"]] * 2, env, then=start_worker)
    finally:
        for worker in workers:
            worker.stop()
    for result in results:
        assert result.returncode == 0, result.stderr[-2000:]
    run_ids = {int(re.search(r"scoring run (\d+)", result.stdout).group(1)) for result in results}
    assert len(run_ids) == 1, [result.stdout for result in results]
    new_runs = ScoringRun.objects.exclude(pk__in=runs_before)
    assert list(new_runs.values_list("pk", flat=True)) == list(run_ids)
    run = new_runs.get()
    assert run.status == RunStatus.SUCCEEDED and run.is_published
    assert ScoringRun.objects.filter(is_published=True).count() == 1
    assert Scorecard.objects.filter(run=run).count() == len(world.creators)


def _videos_file(path: Path, world, rows: int) -> Path:
    handles = sorted(world.creators)
    now = timezone.now()
    lines = ["external_id,creator,posted_at,views,likes,comments,shares"]
    for i in range(rows):
        posted = (now - timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"conc-{i},{handles[i % len(handles)]},{posted},{1000 + i},{i % 50},{i % 7},{i % 3}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_two_imports_of_the_same_file_at_once_write_each_row_once(world, tmp_path):
    require_real_services()
    rows = 20_000
    path = _videos_file(tmp_path / "videos.csv", world, rows)
    # No broker needed: the imports run in the command processes; the scoring run they queue is not under test.
    env = child_env(DATABASE_URL=current_database_url(), REDIS_URL=None)
    results = _start_together([["import_data", "videos", str(path)]] * 2, env)
    for result in results:
        assert result.returncode == 0, result.stderr[-2000:]
    assert Video.objects.filter(external_id__startswith="conc-").count() == rows
    created = [int(re.search(r"([\d,]+) created", result.stdout).group(1).replace(",", "")) for result in results]
    unchanged = [int(re.search(r"([\d,]+) unchanged", result.stdout).group(1).replace(",", "")) for result in results]
    # The imports were serialised: one created every row, the other found them all unchanged.
    assert sorted(created) == [0, rows], [result.stdout for result in results]
    assert sorted(unchanged) == [0, rows]
