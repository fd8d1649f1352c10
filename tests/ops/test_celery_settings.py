"""The broker settings reach Kombu: ``CELERY_UNACKED_RESTORE_SECONDS`` is how often a worker puts a killed
worker's tasks back in the queue (Kombu's Redis channel sweeps every ``unacked_restore_interval`` seconds and scans
on every ``unacked_restore_throttle``-th sweep)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.reliability.services import REPO_ROOT, child_env

# Read in a child process: the settings read the environment once, at start-up.
_READ_CHANNEL = """
import json, django
django.setup()
from config.celery import app
with app.connection_for_write() as connection:
    channel = connection.default_channel
    print(json.dumps([channel.unacked_restore_interval, channel.unacked_restore_throttle,
                      channel.visibility_timeout]))
"""


@pytest.mark.integration
@pytest.mark.parametrize(
    ("seconds", "interval", "throttle"),
    [(None, 10, 10), ("1", 1, 1), ("3", 3, 1), ("25", 10, 2), ("3600", 10, 360)],
    ids=["default", "1", "3", "25", "3600"],
)
def test_the_restore_period_reaches_kombus_redis_channel(seconds, interval, throttle):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL: Kombu's Redis channel connects to Redis")
    env = child_env(CELERY_UNACKED_RESTORE_SECONDS=seconds, CELERY_VISIBILITY_TIMEOUT="7")
    result = subprocess.run(
        [sys.executable, "-c", _READ_CHANNEL], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [interval, throttle, 7]
