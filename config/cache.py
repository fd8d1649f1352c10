"""The shared cache's backend: Django's ``RedisCache``, failing soft.

The cache holds only what the database can give again (sessions are ``cached_db``: the database is their record;
counts and aggregates are recomputed). So when Redis is unreachable, a read is a miss and a write is skipped, with
a warning in the log, and the product keeps serving from PostgreSQL (``tests/reliability/test_redis_down.py``);
scoring requests and imports are refused by the queue gate instead (``config.queue``). Socket timeouts are short
so that a hung Redis costs a request milliseconds, not seconds.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

_UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


def _unreachable(operation: str) -> None:
    logger.warning("shared cache unreachable: %s skipped", operation, exc_info=True)


class FailSoftRedisCache(RedisCache):
    """``RedisCache`` whose reads are misses and whose writes are skipped while Redis cannot be reached."""

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except _UNREACHABLE:
            _unreachable("get")
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except _UNREACHABLE:
            _unreachable("get_many")
            return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except _UNREACHABLE:
            _unreachable("has_key")
            return False

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except _UNREACHABLE:
            _unreachable("set")

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except _UNREACHABLE:
            _unreachable("add")
            return False

    def set_many(self, data: Any, timeout: Any = None, version: int | None = None) -> list[Any]:
        try:
            return super().set_many(data, timeout, version)
        except _UNREACHABLE:
            _unreachable("set_many")
            return list(data)

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        try:
            return super().touch(key, timeout, version)
        except _UNREACHABLE:
            _unreachable("touch")
            return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except _UNREACHABLE:
            _unreachable("delete")
            return False

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        try:
            super().delete_many(keys, version)
        except _UNREACHABLE:
            _unreachable("delete_many")

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except _UNREACHABLE:
            _unreachable("incr")
            raise ValueError(f"Key {key!r} not found (shared cache unreachable)") from None
