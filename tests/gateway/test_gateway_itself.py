"""What nginx answers itself: /gateway/health (with no replica behind it), /nginx_status (127.0.0.1 only), and
the JSON 503 when no replica is left."""

from __future__ import annotations

import pytest

from tests.gateway.support import request, standalone_gateway
from tests.support.processes import free_port

pytestmark = pytest.mark.system


@pytest.fixture
def lone_gateway():
    """nginx whose replicas and dashboard are ports where nothing listens."""
    with standalone_gateway(backends=[f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"], name="lone") as gateway:
        yield gateway


def test_gateway_health_is_answered_by_nginx_with_nothing_behind_it(lone_gateway):
    reply = request(lone_gateway.port, "GET", "/gateway/health")
    assert reply.status == 200
    assert reply.json() == {"status": "ok", "component": "gateway"}
    assert reply.header("Content-Type") == "application/json"


def test_no_live_replica_is_a_json_503_with_retry_after(lone_gateway):
    reply = request(lone_gateway.port, "GET", "/api/v1/categories")
    assert reply.status == 503
    assert reply.json() == {
        "code": "service_unavailable",
        "message": "no replica is available, try again shortly",
        "details": {},
    }
    assert reply.header("Retry-After") == "5"
    # POST too (nothing was sent, so nginx could try both replicas; neither answered).
    assert request(lone_gateway.port, "POST", "/api/v1/events", json_body={}).status == 503


def test_nginx_status_only_from_127_0_0_1(lone_gateway):
    local = request(lone_gateway.port, "GET", "/nginx_status", source="127.0.0.1")
    assert local.status == 200
    assert local.body.startswith(b"Active connections:")
    other = request(lone_gateway.port, "GET", "/nginx_status", source="127.0.0.2")
    assert other.status == 403
