"""Settings shared by every environment.

The defaults are the embedded set-up: SQLite next to the code and Celery tasks executed eagerly in-process.
Setting ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` switches to the production shape: real database, real
broker and real workers. Every value a deployment may change is read through ``config.env``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab

from config.env import env_bool, env_int, env_list, env_str
from config.logging import logging_config

# Lets the type-checked code write ``admin.ModelAdmin[ScoringRun]`` or ``models.Field[Any, Any]`` (django-stubs'
# generics) in class bases: Django's own classes are not subscriptable at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "django-insecure-embedded-development-key-change-me")
# Rotation: the previous key(s) keep sessions and signed links valid until they expire (docs/operations.md).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "config.apps.ProjectAdminConfig",  # django.contrib.admin with the project site (config.admin)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "creators",
    "scoring",
    "partners",
]

MIDDLEWARE = [
    # Probes first: answered over plain HTTP from any address, without sessions or access-log noise.
    "config.health.HealthCheckMiddleware",
    # Next the request id, so that every response (redirects and errors included) carries one and is logged.
    "config.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, whose static responses skip every middleware below it: they carry the headers too.
    "csp.middleware.CSPMiddleware",
    "config.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A request that needs the task queue while Redis is down: a message on the page, not a 500.
    "config.queue.QueueUnavailableMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Idle timeout, absolute session lifetime and no-store for every authenticated response.
    "partners.middleware.SessionSecurityMiddleware",
    # django-axes must come last: it inspects the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The navigation's ``nav_access`` (the request's Access, built once per request).
                "creators.context_processors.navigation",
            ],
        },
    },
    {
        # Only for the creator table (creators.jinja2): Django's engine took ~15 ms of CPU to render its 50 rows,
        # Jinja2 ~3 ms (docs/performance.md). Every other template is a Django template.
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "creators.jinja2.environment"},
    },
]

# --- Database -------------------------------------------------------------------------------------------------
# Health checks let a long-lived connection notice a PostgreSQL restart and reconnect on the next request
# instead of failing until the process is restarted.
_DEFAULT_SQLITE = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASE_URL = env_str("DATABASE_URL") or _DEFAULT_SQLITE
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if USING_POSTGRES:
    DATABASES["default"].setdefault("OPTIONS", {})
    # Fail fast while the database is down rather than hanging a worker for the OS default.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 3))
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend that loads the session user with its membership (one query less per partner request).
    "partners.backends.MemberBackend",
    # Sessions record the backend that logged them in: sessions opened before MemberBackend existed keep working.
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# A partner user lands on its home page of what changed since the last run.
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation -------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names (served by WhiteNoise with a year's max-age and "immutable") and a gzip and a brotli copy of
    # each file (the ``brotli`` package), served to browsers that accept them: plotly.js is most of a scorecard.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"

# --- Celery ---------------------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without a broker the embedded set-up runs every task in-process, synchronously.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", REDIS_URL is None)
# The queue tasks go to by default; a separate queue lets a benchmark share a broker with other work.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TRACK_STARTED = True
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_RESULT_EXPIRES = timedelta(days=1)
# Tasks must finish (or be killed) well before Redis would hand an unacknowledged message to another worker.
CELERY_BROKER_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
# How often a worker looks for messages whose visibility timeout has passed (a killed worker's tasks): Kombu's
# Redis transport sweeps every ``unacked_restore_interval`` seconds but scans only every ``throttle``-th sweep, so
# its default period is 10 s x 10 = 100 s. The period is one setting (in steps of 10 s above 10 s); sweeps stay
# at most 10 s apart. tests/ops/test_celery_settings.py reads the result back from Kombu's channel.
CELERY_UNACKED_RESTORE_SECONDS = max(1, env_int("CELERY_UNACKED_RESTORE_SECONDS", 100))
_RESTORE_INTERVAL = min(10, CELERY_UNACKED_RESTORE_SECONDS)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": _RESTORE_INTERVAL,
    "unacked_restore_throttle": max(1, CELERY_UNACKED_RESTORE_SECONDS // _RESTORE_INTERVAL),
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 1800)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 1500)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "nightly-scoring-run": {
        "task": "scoring.tasks.scoring_run_nightly",
        "schedule": crontab(hour=env_int("SCORING_NIGHTLY_HOUR", 2), minute=0),
    },
    "scoring-reap-stale-runs": {
        "task": "scoring.tasks.scoring_runs_reap_stale",
        "schedule": crontab(minute="*/10"),
    },
    "import-jobs-reap-stale": {
        "task": "config.maintenance.import_jobs_reap_stale",
        "schedule": crontab(minute="*/10"),
    },
    "audit-retention-prune": {
        "task": "config.maintenance.audit_prune",
        "schedule": crontab(hour=3, minute=30),
    },
    # The alerts digest of the published run. Publishing a run queues it at once; this catches a run whose task
    # was lost. Each run's digest is built once (partners.models.DigestRun), so most of these find nothing to do.
    "alerts-digest": {
        "task": "partners.tasks.digest_published_run",
        "schedule": crontab(minute=f"*/{env_int('DIGEST_BEAT_MINUTES', 15)}"),
    },
}

# --- Email (the alerts digest) ---------------------------------------------------------------------------------
# Django's email framework. The embedded default prints messages on the console; production sets an SMTP server.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Creator Scorecards <alerts@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# The address of the product as people reach it: emails (sent by workers, without a request) link to it.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Product limits -------------------------------------------------------------------------------------------
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 2 * 1024**3)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 50_000_000)
# PostgreSQL: an import inserting at least this many rows, and at least a quarter of the rows already in the
# table, drops the table's secondary indexes and foreign keys and rebuilds them after the insert (see
# Importer.bulk_load for the locking trade-off).
IMPORT_BULK_MIN_ROWS = env_int("IMPORT_BULK_MIN_ROWS", 100_000)
# PostgreSQL: the fast path of videos imports resolves creators from maps held in memory (about 150 bytes per
# creator); with more creators than this the exact validator imports the file instead.
IMPORT_DIRECT_MAX_CREATORS = env_int("IMPORT_DIRECT_MAX_CREATORS", 2_000_000)
SCORING_WINDOW_DAYS = env_int("SCORING_WINDOW_DAYS", 90)
SCORING_RUNS_KEPT = env_int("SCORING_RUNS_KEPT", 60)
# Creators per chunk task of a scoring run. Each chunk scans the video window once, so chunks should be few
# and large: about the number of creators divided by the number of workers (see docs/performance.md).
SCORING_CHUNK_SIZE = env_int("SCORING_CHUNK_SIZE", 500_000)
# An active run without progress for this long is failed by the reaper; above the task time limit, so that a
# chunk that is merely slow is never reaped.
SCORING_STALE_SECONDS = env_int("SCORING_STALE_SECONDS", CELERY_TASK_TIME_LIMIT + 300)
EXPORT_DAILY_ROW_QUOTA = env_int("EXPORT_DAILY_ROW_QUOTA", 2_000_000)
# The ISO 4217 currency GMV is recorded in: the pages show amounts with its symbol ("$12,345").
GMV_CURRENCY = env_str("GMV_CURRENCY", "USD")

# --- Sessions and security ------------------------------------------------------------------------------------
# Django's cached database sessions: read from the shared cache (Redis in production, so a logout in one process
# is seen by all), written through to the database, which stays the record.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A refused form is a page of the product that says what happened and what to do (not Django's yellow page).
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Django's SecurityMiddleware sends it (this is its default, stated so that it is not lost): a page opened from
# ours gets no handle on our window, and ours none on it.
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The browser features the product never uses, refused for every page (config.security.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen", "geolocation",
        "gyroscope", "magnetometer", "microphone", "midi", "payment", "picture-in-picture", "publickey-credentials-get",
        "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    )
}
# Content-Security-Policy (django-csp) on every response, static files and API answers included: scripts, styles,
# images, fonts and fetches from the project's own origin only (static files are served by WhiteNoise from the
# same origin, never a CDN); no inline script or style, no inline event handler, no eval; nothing may frame us.
# Plotly: the dashboard's partial bundle (static/vendor/plotly-dashboard.min.js: core, bar, scatterpolar; no
# WebGL trace, so none of regl's generated functions) needs no 'unsafe-eval': the browser tests run it under this
# policy. It styles the charts through the CSSOM (element.style, allowed by style-src), except for its global
# rules (modebar, hover labels, notifier), which it adds with insertRule to a <style> element that it creates
# empty (Lib.addStyleRule). Chromium checks an inline style element's text, so the one inline style allowed is
# the hash of the empty text (PLOTLY_EMPTY_STYLE): an injected <style> with any content is still refused, and
# style="" attributes are refused too (a hash never covers attributes without 'unsafe-hashes').
# Its "download as PNG" button draws the chart into a data: image, hence img-src data:.
# Swagger UI (drf-spectacular-sidecar, /api/v1/docs/) is served as split files (SpectacularSwaggerSplitView) so
# that its start-up script is a file too; its logos are data: images as well.
PLOTLY_EMPTY_STYLE = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", PLOTLY_EMPTY_STYLE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- REST framework -------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: DRF answers an unauthenticated request with the first class's challenge, and only a
    # challenge turns "not authenticated" into a 401 (with session first it would be a 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "config.rest.ApiAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only (the export chooses CSV by its URL): no "?format=" switch that could answer 404 for a bad value.
    "URL_FORMAT_OVERRIDE": None,
    "EXCEPTION_HANDLER": "config.rest.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["config.throttles.UserThrottle", "config.throttles.TokenThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_THROTTLE_USER", "600/min"),
        "token": env_str("API_THROTTLE_TOKEN", "600/min"),
        "login": env_str("API_THROTTLE_LOGIN", "20/min"),
    },
    "NUM_PROXIES": env_int("API_PROXY_COUNT", 0),
}
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 50)
API_MAX_PAGE_SIZE = 200
SPECTACULAR_SETTINGS = {
    "TITLE": "Creator Scorecards API",
    "DESCRIPTION": "Partner-facing creator scorecards and staff automation. See docs/api.md for a walkthrough.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # API users only (analysts, managers, staff): viewers and users without a partner get 403.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated", "partners.api.IsAPIUserOrStaff"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ConfidenceEnum": "scoring.choices.Confidence",
        "EntryStatusEnum": "partners.choices.EntryStatus",
        # The import jobs and scoring runs share these four values, named once.
        "JobStatusEnum": "scoring.choices.RunStatus",
    },
}
# The shared cache: sessions, counts and the published run's aggregates are the same for every web and worker
# process, so they live in Redis when there is one (a change made by one process is seen by all); local memory
# only in the embedded, single-process default. Throttle counters have a cache of their own (own key prefix).
CACHE_KEY_PREFIX = "scorecards"
# Redis unreachable: reads are misses and writes are skipped (config/cache.py), within half a second.
_REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
CACHES = {
    "default": (
        {
            "BACKEND": "config.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": _REDIS_CACHE_OPTIONS,
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    "throttle": (
        {
            "BACKEND": "config.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "throttle",
            "OPTIONS": _REDIS_CACHE_OPTIONS,
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    ),
}

# --- django-axes ----------------------------------------------------------------------------------------------
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Behind a reverse proxy the client address comes from X-Forwarded-For; the number of trusted proxies is set
# per deployment so that a client cannot spoof its address. With no proxy (AXES_PROXY_COUNT=0) the header is
# not trusted at all: anyone can send it. django-ipware does the parsing (axes ignores these settings without it).
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT > 0 else ["REMOTE_ADDR"]
)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- Logging --------------------------------------------------------------------------------------------------
# JSON lines with request id, user and partner in production (``LOG_FORMAT=json``); the same fields as plain text
# in development. See ``config/logging.py``.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
LOGGING = logging_config(level=LOG_LEVEL, json_lines=LOG_FORMAT == "json")
# Workers log through the configuration above (JSON in production) instead of Celery's own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Operations -----------------------------------------------------------------------------------------------
# Each dependency check of /readyz gives up after this many seconds (the database also has DB_CONNECT_TIMEOUT).
READYZ_TIMEOUT_SECONDS = env_int("READYZ_TIMEOUT_SECONDS", 2)
# Audit events older than this are deleted every night (partners.tasks); 0 keeps them for ever.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 730)
# An import job that no worker finished after this long is failed (its message was lost); above the broker's
# redelivery (visibility timeout) plus the task time limit, so a redelivered job is never reaped while it runs.
IMPORT_STALE_SECONDS = env_int(
    "IMPORT_STALE_SECONDS", CELERY_BROKER_VISIBILITY_TIMEOUT + CELERY_TASK_TIME_LIMIT + 300
)
