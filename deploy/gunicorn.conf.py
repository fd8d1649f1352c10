"""gunicorn configuration for the web process: ``gunicorn -c deploy/gunicorn.conf.py config.wsgi``.

Every value can be overridden from the environment so that one image serves every machine size.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{_int('PORT', 8000)}")
# Sync workers: each request is short (index-backed reads, streamed exports). Two per core plus one is the usual
# starting point; exports stream, so a few threads per worker keep one slow download from blocking a process.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 2)
worker_class = "gthread" if threads > 1 else "sync"
# A request that takes longer than this is killed and logged; exports of the largest sets stay well below it.
timeout = _int("GUNICORN_TIMEOUT", 120)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Recycle workers now and then so that a slow leak can never take a process down; jitter avoids all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)
# Load the application once in the master: faster start, shared memory. Database connections are opened lazily
# in each worker after the fork, so none is shared between processes.
preload_app = True
# The TLS proxy in front sets X-Forwarded-*; trust it only from the addresses named here.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The application writes one structured access line per request (config.logging), with its request id; gunicorn's
# own access log would only duplicate it. Errors still go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Worker heartbeat files in memory rather than on a possibly slow container disk.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", "/dev/shm" if os.path.isdir("/dev/shm") else None)
