"""PostgreSQL restarted under load: requests fail fast while it is down and the same web processes recover by
themselves once it is back (``CONN_HEALTH_CHECKS``, bounded ``CONN_MAX_AGE``, ``connect_timeout``).

Runs against a private PostgreSQL cluster started by the test (the shared server is never stopped), behind a
real gunicorn with persistent connections, under a steady stream of requests from several threads.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import dataclass

import pytest

from tests.reliability.services import (
    REPO_ROOT,
    child_env,
    gunicorn_server,
    http_get,
    postgres_cluster,
    require_real_services,
    wait_until,
)

pytestmark = pytest.mark.integration

_SESSION_SCRIPT = """
import django
django.setup()
from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
user = get_user_model().objects.create_superuser("sam", "", "restart-test-pass-1")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


@dataclass
class Sample:
    started: float
    seconds: float
    status: int


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_requests_fail_fast_while_postgresql_is_down_and_recover_without_a_restart():
    require_real_services()
    with postgres_cluster() as cluster:
        cluster.psql("CREATE DATABASE scorecards")
        env = child_env(
            DATABASE_URL=cluster.url("scorecards"),
            REDIS_URL=None,
            CONN_MAX_AGE="60",
            DB_CONNECT_TIMEOUT="2",
            DJANGO_SETTINGS_MODULE="config.settings.test",
        )
        _manage(env, "manage.py", "migrate", "--noinput")
        session_key = _manage(env, "-c", _SESSION_SCRIPT).strip().splitlines()[-1]
        web, base = gunicorn_server(env=env, workers=2)
        cookie = {"Cookie": f"sessionid={session_key}"}
        samples: list[Sample] = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    status = http_get(f"{base}/admin/", headers=cookie, timeout=30)[0]
                except OSError:
                    status = -1  # connection refused or reset: the web process itself failed
                samples.append(Sample(started, time.monotonic() - started, status))
                time.sleep(0.02)

        threads = [threading.Thread(target=load, daemon=True) for _ in range(4)]
        try:
            assert http_get(f"{base}/admin/", headers=cookie)[0] == 200
            for thread in threads:
                thread.start()
            time.sleep(2)
            down_at = time.monotonic()
            cluster.stop(mode="fast")
            time.sleep(4)
            up_at = time.monotonic()
            cluster.start()
            recovered_at = wait_until(
                lambda: http_get(f"{base}/admin/", headers=cookie, timeout=10)[0] == 200 and time.monotonic(),
                timeout=30,
                interval=0.2,
                what="the web processes to serve again",
            )
            time.sleep(2)  # keep the load on after recovery
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=40)
            web.stop()

        before = [s for s in samples if s.started + s.seconds < down_at]
        during = [s for s in samples if down_at + 0.5 < s.started < up_at]
        after = [s for s in samples if s.started > recovered_at]
        assert before and during and after, (len(before), len(during), len(after))
        assert {s.status for s in before} == {200}
        # Down: every request is answered with an error quickly; none hangs, and the processes stay up.
        assert all(s.status >= 500 for s in during), sorted({s.status for s in during})
        assert max(s.seconds for s in during) < 5, max(s.seconds for s in during)
        # Back: the same web processes serve every request again, with no restart.
        assert {s.status for s in after} == {200}, sorted({s.status for s in after})
        assert recovered_at - up_at < 15
        log = web.output()
        assert "WORKER TIMEOUT" not in log
        assert log.count("Booting worker") == 2, log[-3000:]
