"""Hot public reads: cached in the shared cache, invalidated on writes, and served stale if the database is down.

Only anonymous reads are cached (they are the same for everyone). A fresh copy lives ``CACHE_HOT_TTL_S``
under a versioned key that every write moves on (``infra.cache.invalidate``); a last-good copy lives
for days under a stable key and is served, marked ``Mutiroes-Stale: true``, only when the database is
unavailable. Without cache and without database the caller gets the usual 503.
"""

from collections.abc import Callable
from typing import Any

from circuitbreaker import CircuitBreakerError
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

from mutiroes.infra import cache, metrics
from mutiroes.infra.db_router import primary_reads
from mutiroes.resilience.fallback import with_last_good

STALE_HEADER = "Mutiroes-Stale"
DATABASE_DOWN = (OperationalError, InterfaceError, CircuitBreakerError)


class _Store:
    def get(self, key: str) -> Any:
        return cache.safe_cache.get(key)

    def set(self, key: str, value: Any, ttl_s: int) -> None:
        cache.safe_cache.set(key, value, ttl_s)


def _from_primary(compute: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with primary_reads():
            return compute()

    return run


def public_read(namespace: str, params: dict[str, Any], compute: Callable[[], Any]) -> JsonResponse:
    """The JSON response of ``compute()`` (already serialised), through the hot cache and the last-good fallback."""
    fresh_key = cache.key_for(namespace, params)
    cached = cache.safe_cache.get(fresh_key)
    if cached is not None:
        metrics.CACHE_LOOKUPS.labels(namespace, "hit").inc()
        return JsonResponse(cached, headers={"X-Cache": "hit"})
    metrics.CACHE_LOOKUPS.labels(namespace, "miss").inc()
    # What goes into the shared cache comes from the primary, never from a lagging replica (infra/db_router.py).
    served = with_last_good(_Store(), cache.last_good_key(namespace, params), _from_primary(compute),
                            unavailable=DATABASE_DOWN)  # fmt: skip
    if served.stale:
        return JsonResponse(served.value, headers={STALE_HEADER: "true", "Cache-Control": "no-store"})
    cache.safe_cache.set(fresh_key, served.value, settings.CACHE_HOT_TTL_S)
    return JsonResponse(served.value, headers={"X-Cache": "miss"})
