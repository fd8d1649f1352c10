"""Production settings: secrets and hosts must come from the environment; everything is locked down."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str
from config.logging import logging_config
from config.settings.base import *

DEBUG = False

SECRET_KEY = env_str("SECRET_KEY") or ""
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters in production")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production")

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# TLS ends at the reverse proxy, which tells us the original scheme.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CELERY_TASK_ALWAYS_EAGER = False
# Production logs are JSON lines for the log shipper unless a deployment asks otherwise.
LOG_FORMAT = env_str("LOG_FORMAT", "json")
LOGGING = logging_config(level=LOG_LEVEL, json_lines=LOG_FORMAT == "json")
