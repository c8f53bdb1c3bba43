"""The Redis used as cache stops: the API keeps answering from the database, /health says degraded, and
caching resumes by itself once Redis is back (issue 6: cache through Redis, fallbacks visible in /health)."""

from __future__ import annotations

import statistics
import time

import pytest

from tests.resilience.api_data import PASSWORD, category_id, create_events, event_body, register
from tests.resilience.stack import OPERATOR_TOKEN, Http
from tests.support.polling import wait_for

pytestmark = pytest.mark.system

# The cache breaker probes Redis again after this long (10 s in production): the test waits it out once.
BREAKER_RECOVERY_S = 1


def _health(http: Http):
    return http.get("/health", token=OPERATOR_TOKEN, timeout_s=10)


def test_cache_down_then_back(start_api, redis_server, figures):
    api = start_api(
        CACHE_URL=redis_server.url(1), LOGIN_THROTTLE="5/m", CACHE_BREAKER_RECOVERY_S=str(BREAKER_RECOVERY_S)
    )
    http = Http(api.base_url)
    organizer = register(http, "organizadora")
    create_events(http, organizer, 3, prefix="Plantio no parque")
    assert http.get("/api/v1/events").status == 200
    assert wait_for(lambda: http.get("/api/v1/events").headers.get("X-Cache") == "hit", timeout_s=10, what="a hit")

    redis_server.stop()
    down_at = time.monotonic()

    lists = [http.get("/api/v1/events", timeout_s=10) for _ in range(8)]
    # Logins go on (the throttle counts in the cache: with Redis down it fails open, it does not lock out).
    logins = [http.post("/api/v1/auth/token", {"username": organizer.username, "password": PASSWORD})
              for _ in range(7)]  # fmt: skip
    # A write invalidates the cached lists (a cache call that fails): it still succeeds, and is seen at once.
    created = http.post(
        "/api/v1/events", event_body(category_id(http), "Plantio com o cache fora"), token=organizer.token
    )
    after_write = http.get("/api/v1/events", timeout_s=10)
    health = wait_for(
        lambda: (h := _health(http)).status == 200 and h.body["breakers"]["cache"]["state"] != "closed" and h,
        timeout_s=15, what="/health showing the cache breaker open",
    )  # fmt: skip
    readiness = http.get("/readiness", timeout_s=10)

    assert [a.status for a in lists] == [200] * len(lists), [(a.status, a.body) for a in lists]
    assert all(a.headers.get("X-Cache") == "miss" for a in lists)
    assert all(a.body["count"] == lists[0].body["count"] >= 3 for a in lists)
    assert [a.status for a in logins] == [200] * len(logins), [(a.status, a.body) for a in logins]
    assert created.status == 201, created.body
    assert after_write.status == 200 and after_write.body["count"] == lists[0].body["count"] + 1
    assert health.body["status"] == "degraded"
    assert health.body["checks"]["database"]["status"] == "ok"
    assert health.body["checks"]["cache"]["status"] == "down"
    assert health.body["breakers"]["cache"]["state"] in {"open", "half_open"}
    assert health.body["fallbacks"]["cache_bypassed"] is True
    assert readiness.status == 200  # the cache is not needed to serve

    redis_server.start()
    up_at = time.monotonic()
    # Two anonymous reads in a row: the first fills the cache once the breaker lets calls through again,
    # the second is served from it (either gunicorn worker may answer either one).
    wait_for(
        lambda: http.get("/api/v1/events").status == 200 and http.get("/api/v1/events").headers.get("X-Cache") == "hit",
        timeout_s=30, what="a cache hit after Redis returned", interval_s=0.5,
    )  # fmt: skip
    hit_after_s = time.monotonic() - up_at
    healthy = wait_for(lambda: (h := _health(http)).body.get("status") == "ok" and h, timeout_s=30, what="/health ok")
    assert healthy.body["checks"]["cache"]["status"] == "ok"

    figures(
        f"Redis (cache) down {up_at - down_at:.1f} s: {len(lists)} list reads all 200 from the database"
        f" (median {statistics.median(a.latency_s for a in lists) * 1000:.0f} ms,"
        f" max {max(a.latency_s for a in lists) * 1000:.0f} ms), {len(logins)} logins all 200 with LOGIN_THROTTLE=5/m"
        f" (fail open); caching resumed {hit_after_s:.1f} s after Redis returned (cache breaker recovery"
        f" {BREAKER_RECOVERY_S} s)"
    )
