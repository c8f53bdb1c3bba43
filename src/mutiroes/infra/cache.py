"""The shared cache (Redis in the distributed setup) behind the ``cache`` breaker.

The cache is an optimisation: when Redis is down a read is a miss and a write is skipped, so the API
keeps answering from the database. Failures are counted; while the breaker is open Redis is not
even tried, so a dead cache costs nothing per request. ``/health`` shows the breaker.
"""

import hashlib
import json
import logging
from typing import Any

from django.core.cache import cache as django_cache
from redis.exceptions import RedisError

from mutiroes.resilience.breakers import CircuitBreakerError, breaker, guarded

logger = logging.getLogger(__name__)


def _failures() -> tuple[type[BaseException], ...]:
    try:
        from django_redis.exceptions import ConnectionInterrupted
    except ImportError:  # the embedded mode's local-memory cache has no network failures
        return (RedisError, OSError)
    return (RedisError, OSError, ConnectionInterrupted)


cache_breaker = breaker("cache", failures=_failures())


class SafeCache:
    """A subset of Django's cache API that never raises for an unavailable cache."""

    def _call(self, method: str, *args: Any, default: Any = None, **kwargs: Any) -> Any:
        try:
            return guarded(cache_breaker, getattr(django_cache, method), *args, **kwargs)
        except CircuitBreakerError:
            return default
        except _failures() as exc:
            logger.warning("cache %s failed: %s", method, exc)
            return default

    def get(self, key: str, default: Any = None) -> Any:
        return self._call("get", key, default, default=default)

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        self._call("set", key, value, timeout)

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        return bool(self._call("add", key, value, timeout, default=False))

    def delete(self, key: str) -> None:
        self._call("delete", key)

    def incr(self, key: str, delta: int = 1) -> int | None:
        try:
            return guarded(cache_breaker, django_cache.incr, key, delta)
        except ValueError:  # missing key
            self.set(key, delta + 1, None)
            return delta + 1
        except (CircuitBreakerError, *_failures()):
            return None

    def ping(self) -> bool:
        """A real round trip (not through the breaker: health must see recovery even while it is open)."""
        try:
            django_cache.set("health:ping", "1", 5)
            return django_cache.get("health:ping") == "1"
        except _failures():
            return False


safe_cache = SafeCache()


def version(namespace: str) -> int:
    return int(safe_cache.get(f"{namespace}:version") or 1)


def invalidate(namespace: str) -> None:
    """Every cached entry of the namespace goes stale at once: the key space moves to a new version."""
    safe_cache.incr(f"{namespace}:version")


def key_for(namespace: str, params: Any) -> str:
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"{namespace}:v{version(namespace)}:{digest}"


def last_good_key(namespace: str, params: Any) -> str:
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"{namespace}:last-good:{digest}"
