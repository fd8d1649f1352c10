"""``/healthz`` and ``/readyz``: liveness without dependencies, readiness that fails fast and names what failed."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from tests.reliability.services import REPO_ROOT, child_env


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never answers: a hung server, the worst case for a probe."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for connection in accepted:
        connection.close()
    server.close()


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_probes_work_over_plain_http_from_any_host(client, settings):
    # A load balancer probes the instance's own address over HTTP: neither the host check nor the HTTPS
    # redirect of production may turn that into a 400 or a 301.
    settings.ALLOWED_HOSTS = ["scorecards.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/", HTTP_HOST="10.1.2.3:8000").status_code == 400


@pytest.mark.django_db
def test_readyz_reports_database_and_broker_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["failed"] == []
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


@pytest.mark.django_db
def test_readyz_answers_503_naming_the_broker_when_nothing_listens(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["broker"]
    assert body["checks"]["database"]["ok"] is True
    # The error class only: no host, port or message that would leak configuration.
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_readyz_gives_up_on_a_hung_broker_within_its_timeout(client, settings, silent_port):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = f"redis://127.0.0.1:{silent_port}/0"
    settings.READYZ_TIMEOUT_SECONDS = 1
    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]
    assert elapsed < 3, f"a hung broker held the probe for {elapsed:.1f}s"


def test_readyz_refuses_other_methods(client):
    response = client.post("/readyz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


_PROBE_SCRIPT = """
import json, os, time, django
django.setup()
from django.test import Client
started = time.monotonic()
response = Client().get("/readyz")
print(json.dumps({"status": response.status_code, "body": response.json(), "elapsed": time.monotonic() - started}))
"""


def _readyz_in_child(database_url: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE_SCRIPT],
        env=child_env(DATABASE_URL=database_url, DB_CONNECT_TIMEOUT="1", REDIS_URL=None, LOG_LEVEL="CRITICAL"),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_readyz_answers_503_naming_the_database_when_postgresql_is_unreachable():
    # A separate process: the database of a Django process is fixed at start-up, as in production.
    outcome = _readyz_in_child("postgres://postgres@127.0.0.1:1/scorecards")
    assert outcome["status"] == 503
    assert outcome["body"]["failed"] == ["database"]
    assert outcome["body"]["checks"]["database"]["error"] == "OperationalError"


def test_readyz_gives_up_on_a_hung_database_within_the_connect_timeout(silent_port):
    outcome = _readyz_in_child(f"postgres://postgres@127.0.0.1:{silent_port}/scorecards")
    assert outcome["status"] == 503
    assert outcome["body"]["failed"] == ["database"]
    # DB_CONNECT_TIMEOUT=1: libpq gives up after about a second instead of the operating system's minutes.
    assert outcome["elapsed"] < 5, outcome
