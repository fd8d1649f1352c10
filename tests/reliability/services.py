"""Real services started and stopped by the tests themselves: Redis, a PostgreSQL cluster, Celery workers, gunicorn.

Fault tests stop and restart these, so they are never the shared services other test runs on this machine (or
CI's) depend on: each is a throwaway process on a free port, in a temporary directory, owned by the test that
started it. Everything here skips with a clear reason when a binary is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.1, what: str = "condition") -> Any:
    """Polls ``predicate`` until it returns a truthy value; fails the test with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception as exc:  # the service is still starting; keep polling
            last_error = exc
        else:
            if value:
                return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last_error!r})")


def require_binary(name: str, *, search: tuple[str, ...] = ()) -> str:
    found = shutil.which(name)
    if found:
        return found
    for directory in search:
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    pytest.skip(f"{name} is not installed on this machine")


def celery_binary() -> str:
    """The ``celery`` command of this interpreter's environment (skips the test without one)."""
    return require_binary("celery", search=(str(VENV_BIN),))
    raise AssertionError  # unreachable: pytest.skip raises


def _postgres_bin(name: str) -> str:
    return require_binary(name, search=tuple(sorted(map(str, Path("/usr/lib/postgresql").glob("*/bin")), reverse=True)))


class RedisServer:
    """A private ``redis-server`` on a free port with no persistence: stopping it loses everything, as a crash would."""

    def __init__(self) -> None:
        self.binary = require_binary("redis-server")
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.ping, timeout=10, what=f"redis on port {self.port}")

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


class PostgresCluster:
    """A private PostgreSQL cluster in a temporary directory, on a free port, tuned for tests (no fsync).

    Started as the ``postgres`` system user when the tests run as root (PostgreSQL refuses to run as root).
    ``stop(mode="immediate")`` is a crash: connections drop at once and the next start runs crash recovery.
    """

    def __init__(self) -> None:
        self.initdb = _postgres_bin("initdb")
        self.pg_ctl = _postgres_bin("pg_ctl")
        self.port = free_port()
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            runuser = require_binary("runuser")
            self.run_as = [runuser, "-u", "postgres", "--"]
        self.directory = Path(tempfile.mkdtemp(prefix="ops-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        if self.run_as:
            shutil.chown(self.directory, user="postgres", group="postgres")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.run_as, *args], capture_output=True, text=True, check=False, cwd=self.directory)

    def init(self) -> None:
        result = self._run(
            self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"
        )
        if result.returncode != 0:
            pytest.skip(f"initdb failed, cannot run a private PostgreSQL here: {result.stderr.strip()[:300]}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        result = self._run(
            self.pg_ctl, "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start"
        )
        if result.returncode != 0:
            raise AssertionError(f"PostgreSQL did not start: {result.stderr}\n{self.log.read_text(errors='replace')}")

    def stop(self, *, mode: str = "fast") -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def is_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def psql(self, sql: str, *, database: str = "postgres") -> str:
        result = subprocess.run(
            [_postgres_bin("psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", self.url(database), "-c", sql],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    def destroy(self) -> None:
        if self.is_up():
            self.stop(mode="immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def require_real_services() -> None:
    """Skips unless the run has the real PostgreSQL and Redis (``DATABASE_URL`` and ``REDIS_URL``), as CI does."""
    from django.db import connection

    if not os.environ.get("REDIS_URL") or connection.vendor != "postgresql":
        pytest.skip("needs the real PostgreSQL and Redis: set DATABASE_URL (postgres://...) and REDIS_URL")


def current_database_url() -> str:
    """The URL of the database this test session runs on (pytest-django's ``test_<name>``), for child processes."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        raise AssertionError("child processes can share only a PostgreSQL test database")
    password = f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else ""
    auth = quote(settings["USER"] or "postgres") + password
    return f"postgres://{auth}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


def child_env(**overrides: str | None) -> dict[str, str]:
    """The environment for a child process of the product: this interpreter's venv first on PATH, base settings.

    An override of ``None`` removes the variable.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "COV_"))}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    env["DEBUG"] = "0"
    env["PYTHONUNBUFFERED"] = "1"
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class ManagedProcess:
    """A child process whose output goes to a file (a full pipe would block it), stopped gracefully or killed."""

    def __init__(self, args: list[str], *, env: dict[str, str], name: str) -> None:
        self.log_path = Path(tempfile.mkstemp(prefix=f"ops-{name}-", suffix=".log")[1])
        self._log = self.log_path.open("wb")
        # Own process group: a signal to the group reaches the prefork children too.
        self.process = subprocess.Popen(
            args, env=env, cwd=REPO_ROOT, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, *, timeout: float = 20) -> None:
        if self.alive():
            try:
                # The main process only: a Celery worker then shuts down warmly (children finish their task),
                # gunicorn's master stops its workers gracefully.
                self.process.send_signal(signal.SIGTERM)
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        self._log.close()

    def kill(self) -> None:
        """SIGKILL to the whole process group: no handler runs, nothing is acknowledged, as in a machine crash."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def celery_worker(
    *, database_url: str, redis_url: str, name: str, concurrency: int = 2, extra_env: dict[str, str] | None = None
) -> ManagedProcess:
    """Starts ``deploy/worker.sh`` (the production command) and waits until the worker answers a ping."""
    celery_binary()  # skips without it
    env = child_env(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_CONCURRENCY=str(concurrency),
        CELERY_HOSTNAME=f"{name}@%h",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        **(extra_env or {}),
    )
    worker = ManagedProcess([str(REPO_ROOT / "deploy" / "worker.sh")], env=env, name=name)
    from celery import Celery

    # Not the current app: shared tasks resolve through the current app, and this probe must not capture them.
    probe = Celery(broker=redis_url, backend=redis_url, set_as_current=False)

    def answered() -> bool:
        if not worker.alive():
            raise AssertionError(f"worker {name} exited:\n{worker.output()[-3000:]}")
        replies = probe.control.ping(timeout=0.5)
        return any(any(host.startswith(f"{name}@") for host in reply) for reply in replies)

    try:
        wait_until(answered, timeout=60, interval=0.3, what=f"celery worker {name}")
    except BaseException:
        worker.stop()
        raise
    finally:
        probe.close()
    return worker


def http_get(
    url: str, *, timeout: float = 10, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def gunicorn_server(*, env: dict[str, str], workers: int = 1) -> tuple[ManagedProcess, str]:
    """Starts gunicorn with ``deploy/gunicorn.conf.py`` on a free port; returns it and its base URL."""
    require_binary("gunicorn", search=(str(VENV_BIN),))
    port = free_port()
    env = {**env, "PORT": str(port), "WEB_CONCURRENCY": str(workers), "GUNICORN_BIND": f"127.0.0.1:{port}"}
    server = ManagedProcess(
        [str(VENV_BIN / "gunicorn"), "-c", str(REPO_ROOT / "deploy" / "gunicorn.conf.py"), "config.wsgi"],
        env=env,
        name="gunicorn",
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if not server.alive():
            raise AssertionError(f"gunicorn exited:\n{server.output()[-3000:]}")
        return http_get(f"{base}/healthz", timeout=2)[0] == 200

    try:
        wait_until(up, timeout=60, interval=0.2, what="gunicorn")
    except BaseException:
        server.stop()
        raise
    return server, base
