"""Settings for the test suite: the base settings, made fast and deterministic."""

from __future__ import annotations

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
