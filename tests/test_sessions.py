"""config.sessions: Django's database sessions with a plain-statement read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from config.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_the_product_uses_this_engine():
    assert settings.SESSION_ENGINE == "config.sessions"


def test_a_saved_session_reads_back_with_one_query(django_assert_num_queries):
    session = SessionStore()
    session["partner"] = "Acme"
    session["seen"] = 1.5
    session.create()
    with django_assert_num_queries(1):
        loaded = SessionStore(session.session_key).load()
    assert loaded == {"partner": "Acme", "seen": 1.5}


def test_an_expired_or_unknown_session_reads_as_empty_and_forgets_its_key():
    session = SessionStore()
    session["partner"] = "Acme"
    session.create()
    Session.objects.filter(session_key=session.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    expired = SessionStore(session.session_key)
    assert expired.load() == {}
    assert expired.session_key is None
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {} and unknown.session_key is None


def test_a_tampered_session_reads_as_empty():
    session = SessionStore()
    session["partner"] = "Acme"
    session.create()
    Session.objects.filter(session_key=session.session_key).update(session_data="not-signed")
    assert SessionStore(session.session_key).load() == {}
