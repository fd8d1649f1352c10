"""The production process definitions in ``deploy/`` are valid and actually start the product."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.reliability.services import (
    REPO_ROOT,
    VENV_BIN,
    ManagedProcess,
    child_env,
    gunicorn_server,
    http_get,
    redis_server,
    wait_until,
)

DEPLOY = REPO_ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
COMPOSE_ENV = {"SECRET_KEY": "s" * 60, "POSTGRES_PASSWORD": "compose-test-password"}


def _compose_command() -> list[str]:
    """``docker compose`` (v2 plugin) when installed, else the standalone ``docker-compose``; skip without either."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    pytest.skip("neither the docker compose plugin nor docker-compose is installed (apt-get install docker-compose)")
    raise AssertionError  # unreachable


def _compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {key: value for key, value in os.environ.items() if key not in COMPOSE_ENV}
    return subprocess.run(
        [*_compose_command(), "-f", str(COMPOSE_FILE), "config"],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=DEPLOY,
    )


def test_the_compose_file_validates_with_compose():
    result = _compose_config(COMPOSE_ENV)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(resolved["services"])
    web = resolved["services"]["web"]["environment"]
    assert web["DATABASE_URL"] == "postgres://scorecards:compose-test-password@postgres:5432/scorecards"
    assert web["REDIS_URL"] == "redis://redis:6379/0"


def test_the_compose_file_refuses_to_start_without_its_secrets():
    result = _compose_config({})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr or "POSTGRES_PASSWORD must be set" in result.stderr


def test_the_compose_services_run_the_commands_this_repository_ships():
    # Independent of any compose binary: every service that runs the product uses a command that exists here.
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    for name in ("migrate", "web", "worker", "beat"):
        command = services[name]["command"]
        entry = command[0]
        if entry.startswith("deploy/"):
            script = REPO_ROOT / entry
            assert script.exists() and os.access(script, os.X_OK), f"{name}: {entry} is missing or not executable"
        else:
            assert entry in {"python", "gunicorn"}, f"{name}: unexpected command {command}"
    assert services["web"]["command"][:3] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    # The scheduler must never be scaled: exactly one beat service, without replicas.
    assert "deploy" not in services["beat"]
    # The image the services build exists and starts gunicorn with the same configuration.
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert 'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"]' in dockerfile
    assert services["web"]["build"]["dockerfile"] == "deploy/Dockerfile"


def test_the_procfile_names_commands_that_exist():
    processes = dict(line.split(":", 1) for line in (DEPLOY / "Procfile").read_text().splitlines() if line.strip())
    assert set(processes) == {"release", "web", "worker", "beat"}
    for name, command in processes.items():
        entry = command.split()[0]
        if entry.startswith("deploy/"):
            assert os.access(REPO_ROOT / entry, os.X_OK), name
        else:
            assert (VENV_BIN / entry).exists() or shutil.which(entry), f"{name}: {entry} not found"


@pytest.mark.parametrize("script", ["worker.sh", "beat.sh"])
def test_the_process_scripts_are_valid_shell(script):
    result = subprocess.run(["sh", "-n", str(DEPLOY / script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_gunicorn_accepts_its_configuration():
    result = subprocess.run(
        [str(VENV_BIN / "gunicorn"), "--check-config", "-c", str(DEPLOY / "gunicorn.conf.py"), "config.wsgi"],
        env=child_env(WEB_CONCURRENCY="3", GUNICORN_THREADS="4"),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_gunicorn_serves_the_probes_with_request_ids_and_json_access_lines(tmp_path: Path):
    env = child_env(DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}", REDIS_URL=None, LOG_FORMAT="json")
    server, base = gunicorn_server(env=env, workers=2)
    try:
        status, headers, body = http_get(f"{base}/readyz", headers={"X-Request-ID": "gunicorn-probe-1"})
        assert status == 200, body
        assert json.loads(body)["status"] == "ok"
        # A request that needs neither migrations nor collected static files: the API refuses it unauthenticated.
        status, headers, _ = http_get(f"{base}/api/v1/creators/", headers={"X-Request-ID": "gunicorn-home-1"})
        assert status == 401
        assert headers["X-Request-ID"] == "gunicorn-home-1"
        access = wait_until(
            lambda: [line for line in server.output().splitlines() if '"gunicorn-home-1"' in line],
            timeout=10,
            what="the access line",
        )
    finally:
        server.stop()
    record = json.loads(access[0])
    assert record["logger"] == "scorecards.request"
    assert record["status"] == 401
    assert record["path"] == "/api/v1/creators/"
    # The master stopped its workers gracefully on SIGTERM.
    assert server.process.returncode == 0, server.output()[-2000:]


def test_beat_starts_with_the_schedule_against_a_broker(tmp_path: Path):
    with redis_server() as redis:
        env = child_env(
            REDIS_URL=redis.url(0),
            DATABASE_URL=f"sqlite:///{tmp_path / 'beat.sqlite3'}",
            CELERY_BEAT_STATE_DIR=str(tmp_path / "beat"),
            LOG_FORMAT="json",
        )
        beat = ManagedProcess([str(DEPLOY / "beat.sh")], env=env, name="beat")
        try:
            state = tmp_path / "beat"

            def started() -> bool:
                assert beat.alive(), beat.output()[-2000:]
                # The schedule's state file appears once the scheduler has loaded the schedule.
                return state.is_dir() and any(re.match(r"celerybeat-schedule", p.name) for p in state.iterdir())

            wait_until(started, timeout=60, what="celery beat to start with its schedule")
            assert "beat: Starting" in beat.output()
        finally:
            beat.stop()


def test_production_settings_log_json_lines():
    script = "from django.conf import settings; print(settings.LOG_FORMAT, settings.CELERY_WORKER_HIJACK_ROOT_LOGGER)"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        env=child_env(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            SECRET_KEY="p" * 60,
            ALLOWED_HOSTS="scorecards.example.com",
            LOG_FORMAT=None,
        ),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["json", "False"]
