"""Fixtures of the API tests."""

from __future__ import annotations

import pytest
from django.core.cache import caches


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Every test starts with empty caches: throttle counters and the access layer's cached choices (keyed by
    grant scope, which repeats from one test's world to the next) must not leak between tests."""
    for alias in ("default", "throttle"):
        caches[alias].clear()
    yield
    for alias in ("default", "throttle"):
        caches[alias].clear()
