"""Sessions: Django's ``cached_db`` engine on the shared cache (Redis in production), the database the record."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.cached_db import KEY_PREFIX as SESSION_CACHE_PREFIX
from django.contrib.sessions.backends.cached_db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.test import Client

from tests.conftest import PERSONA_PASSWORD

pytestmark = pytest.mark.django_db

LIST = "/creators/"


def test_the_product_uses_djangos_cached_db_sessions_on_the_default_cache():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    assert settings.SESSION_CACHE_ALIAS == "default"
    expected = RedisCache if settings.REDIS_URL else LocMemCache
    assert isinstance(caches["default"], expected)


def test_a_session_is_read_from_the_cache_and_survives_losing_it(django_assert_num_queries):
    session = SessionStore()
    session["partner"] = "Acme"
    session.create()
    with django_assert_num_queries(0):
        assert SessionStore(session.session_key).load() == {"partner": "Acme"}
    caches["default"].delete(SESSION_CACHE_PREFIX + session.session_key)
    assert SessionStore(session.session_key).load() == {"partner": "Acme"}  # from the database, the record
    assert Session.objects.filter(session_key=session.session_key).exists()


@pytest.mark.skipif(not settings.REDIS_URL, reason="one process in the embedded default: needs REDIS_URL")
def test_a_logout_in_one_process_is_seen_by_another(world):
    """A second, independent connection to the shared cache (another gunicorn worker) sees the session while it
    lives and no longer once the user has logged out."""
    client = Client()
    assert client.post("/accounts/login/", {"username": "alice", "password": PERSONA_PASSWORD}).status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    other_process = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": settings.CACHE_KEY_PREFIX})
    assert other_process.get(SESSION_CACHE_PREFIX + key) is not None
    assert client.post("/accounts/logout/").status_code == 302
    assert other_process.get(SESSION_CACHE_PREFIX + key) is None
    stolen = Client()
    stolen.cookies[settings.SESSION_COOKIE_NAME] = key
    assert stolen.get(LIST).status_code == 302  # to the login page


def test_a_tampered_session_reads_as_empty():
    session = SessionStore()
    session["partner"] = "Acme"
    session.create()
    caches["default"].delete(SESSION_CACHE_PREFIX + session.session_key)
    Session.objects.filter(session_key=session.session_key).update(session_data="not-signed")
    assert SessionStore(session.session_key).load() == {}
