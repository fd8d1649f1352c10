"""Settings for the test suite: the base settings, made fast and deterministic."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from config.env import env_str

# Under pytest-xdist each worker process has its own test database (pytest-django names it test_<name>_gwN) and,
# here, its own Redis database: the cache, the sessions, the throttle counters and the Celery broker of one worker's
# tests are never seen by another's. The environment changes, not the settings made from it, so that the base
# settings derive every Redis setting from it as in production, and the processes the tests start inherit it.
# Database 0 stays the single-process run's.
_XDIST_WORKER = env_str("PYTEST_XDIST_WORKER", "")
_REDIS_URL = env_str("REDIS_URL")
if _REDIS_URL and _XDIST_WORKER.startswith("gw"):
    _DATABASE = 1 + int(_XDIST_WORKER.removeprefix("gw"))
    os.environ["REDIS_URL"] = urlunsplit(urlsplit(_REDIS_URL)._replace(path=f"/{_DATABASE}"))

from config.settings.base import *  # noqa: E402 (after REDIS_URL is set above: the base settings read it)

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING["root"]["level"] = "WARNING"
# Serve static files from the finders; no collectstatic in tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

if USING_POSTGRES:
    # Tests never need durability: skip the WAL flush on every commit (transactional tests commit a lot).
    DATABASES["default"]["OPTIONS"]["options"] = "-c synchronous_commit=off"
