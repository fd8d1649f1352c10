"""API throttles: per user, per token, and per address for obtaining a token.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (environment: ``API_THROTTLE_USER``,
``API_THROTTLE_TOKEN``, ``API_THROTTLE_LOGIN``). Counters live in the ``throttle`` cache: Redis when ``REDIS_URL`` is
set, so that every gunicorn worker and machine counts together. This module must not import
``rest_framework.views``: DRF imports it while defining ``APIView``.
"""

from __future__ import annotations

import hashlib
from typing import Any, cast

from django.core.cache import BaseCache, caches
from django.utils.connection import ConnectionProxy
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class _SharedCacheMixin:
    # Counters live in the "throttle" cache: Redis in production, so that all gunicorn workers and all
    # machines count together; a per-process memory cache would multiply the limit by the number of workers.
    # A proxy (as ``django.core.cache.cache`` is) so that each thread uses its own connection.
    cache = cast(BaseCache, ConnectionProxy(caches, "throttle"))


class UserThrottle(_SharedCacheMixin, UserRateThrottle):
    """Requests per authenticated user (session or token), whatever the credential; per address when anonymous."""

    scope = "user"


class TokenThrottle(_SharedCacheMixin, SimpleRateThrottle):
    """Requests per API token, so that one leaked or runaway script is held back on its own."""

    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, Token):
            return None  # session-authenticated browser calls are covered by the user throttle
        # Never put the secret itself in the cache: a digest identifies the token just as well.
        digest = hashlib.sha256(request.auth.key.encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}


class LoginThrottle(_SharedCacheMixin, AnonRateThrottle):
    """Attempts to obtain a token, per client address (django-axes also locks out per username and address)."""

    scope = "login"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
