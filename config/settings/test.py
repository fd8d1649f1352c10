"""Settings for the test suite: the base settings, made fast and deterministic."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from config.settings import base as _base
from config.settings.base import *

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

# Under pytest-xdist each worker process has its own test database (pytest-django names it test_<name>_gwN) and,
# here, its own Redis database: the cache, the sessions, the throttle counters and the Celery broker of one worker's
# tests (and of the processes they start) are never seen by another's. Database 0 stays the single-process run's.
_XDIST_WORKER = env_str("PYTEST_XDIST_WORKER", "")
if _base.REDIS_URL and _XDIST_WORKER.startswith("gw"):
    REDIS_URL = urlunsplit(urlsplit(_base.REDIS_URL)._replace(path=f"/{1 + int(_XDIST_WORKER.removeprefix('gw'))}"))
    CELERY_BROKER_URL = CELERY_RESULT_BACKEND = REDIS_URL
    for _cache in CACHES.values():
        _cache["LOCATION"] = REDIS_URL
