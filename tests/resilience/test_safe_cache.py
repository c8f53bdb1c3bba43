"""SafeCache (infra/cache.py) on a Redis that is up, refuses connections, or accepts and never answers.

The cache settings are the production ones (django-redis, 0.5 s timeouts, no retries at this hop),
pointed at a real redis-server or at a dead port; each test gets a fresh cache connection.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.test import override_settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from mutiroes.infra import cache
from mutiroes.infra.cache import cache_breaker, safe_cache
from tests.support.processes import LOOPBACK, free_port

TIMEOUT_S = 0.5


def _redis_cache(url: str) -> dict:
    """The CACHES of config/settings.py when CACHE_URL is set."""
    options = {
        "SOCKET_CONNECT_TIMEOUT": TIMEOUT_S,
        "SOCKET_TIMEOUT": TIMEOUT_S,
        "CONNECTION_POOL_KWARGS": {"retry": Retry(NoBackoff(), 0)},
    }
    return {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url, "OPTIONS": options,
                        "KEY_PREFIX": "mutiroes"}}  # fmt: skip


@contextlib.contextmanager
def cache_at(url: str) -> Iterator[None]:
    # override_settings(CACHES=...) makes Django drop its cache connections: the next use connects anew.
    with override_settings(CACHES=_redis_cache(url)):
        yield
        caches["default"].close()


class SilentServer:
    """Accepts connections and never answers (a hung Redis); counts the connections."""

    def __init__(self) -> None:
        self.port = free_port()
        self.connections: list[socket.socket] = []
        self._sock = socket.create_server((LOOPBACK, self.port))
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                conn, _ = self._sock.accept()
                self.connections.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self.connections:
            conn.close()
        self._sock.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def test_a_reachable_redis_is_used(redis_server):
    with cache_at(redis_server.url(1)):
        safe_cache.set("k", {"v": 1}, 30)
        assert safe_cache.get("k") == {"v": 1}
        assert safe_cache.add("k", "other", 30) is False
        assert safe_cache.incr("n") == 2 and safe_cache.incr("n") == 3  # a missing counter starts after 1
        assert safe_cache.ping() is True
        safe_cache.delete("k")
        assert safe_cache.get("k", "gone") == "gone"
    assert cache_breaker.state == "closed"


def test_invalidate_moves_every_cached_entry_of_a_namespace_to_a_new_version(redis_server):
    with cache_at(redis_server.url(1)):
        before = cache.key_for("events", {"page": 1})
        cache.invalidate("events")
        after = cache.key_for("events", {"page": 1})
        cache.invalidate("events")

        assert before != after != cache.key_for("events", {"page": 1})
        assert cache.last_good_key("events", {"page": 1}) == cache.last_good_key("events", {"page": 1})


def test_a_refused_connection_is_a_miss_and_writes_are_skipped():
    with cache_at(f"redis://{LOOPBACK}:{free_port()}/1"):
        assert safe_cache.get("k") is None
        assert safe_cache.get("k", "default") == "default"
        safe_cache.set("k", "v", 30)
        assert safe_cache.add("k", "v", 30) is False
        assert safe_cache.incr("n") is None
        safe_cache.delete("k")
        cache.invalidate("events")
        assert cache.version("events") == 1
        assert safe_cache.ping() is False
    assert cache_breaker.state == "open"


@pytest.mark.slow
def test_a_hung_redis_costs_one_timeout_per_call_until_the_breaker_opens(silent_server):
    with cache_at(f"redis://{LOOPBACK}:{silent_server.port}/1"):
        started = time.monotonic()
        misses = [safe_cache.get(f"k{i}", "miss") for i in range(3)]
        tripped_after_s = time.monotonic() - started
        connections = len(silent_server.connections)

        started = time.monotonic()
        more = [safe_cache.get(f"k{i}", "miss") for i in range(50)]
        open_s = time.monotonic() - started

    assert misses == more[:3] == ["miss"] * 3
    assert cache_breaker.state == "open"
    assert tripped_after_s < 3 * TIMEOUT_S + 1.5
    # While open, nothing is attempted: no new connection, no timeout to wait out.
    assert len(silent_server.connections) == connections
    assert open_s < 0.2


def test_calls_go_through_again_once_the_breaker_half_opens(redis_server, breaker_clock):
    with cache_at(f"redis://{LOOPBACK}:{free_port()}/1"):
        for _ in range(3):
            safe_cache.get("k")
    assert cache_breaker.state == "open"
    breaker_clock.advance(10)  # the cache breaker's recovery time
    assert cache_breaker.state == "half_open"

    with cache_at(redis_server.url(1)):
        safe_cache.set("k", "v", 30)
        assert safe_cache.get("k") == "v"
    assert cache_breaker.state == "closed"
