"""Rotating ``SECRET_KEY`` with the old key in ``SECRET_KEY_FALLBACKS`` keeps users logged in (runbook)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

OLD_KEY = "old-" + "k" * 60
NEW_KEY = "new-" + "n" * 60


@pytest.fixture
def logged_in(client, settings):
    settings.SECRET_KEY = OLD_KEY
    settings.SECRET_KEY_FALLBACKS = []
    staff = get_user_model().objects.create_user("rotator", password="pw-rotator-1234", is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    return client


@pytest.mark.django_db
def test_sessions_survive_a_rotation_with_the_old_key_as_fallback(logged_in, settings):
    settings.SECRET_KEY = NEW_KEY
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]
    assert logged_in.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_rotation_without_fallback_logs_everyone_out(logged_in, settings):
    settings.SECRET_KEY = NEW_KEY
    response = logged_in.get("/admin/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]

