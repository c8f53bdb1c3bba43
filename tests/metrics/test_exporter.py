"""`mutiroes exporter`'s sources against real servers: nginx's stub_status, Sentinels (with and without a
quorum) and the test PostgreSQL as a primary with no standby."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from mutiroes.infra.exporter import NginxCollector, ReplicationCollector, SentinelCollector, parse_stub_status
from tests.gateway.support import Gateway, new_run_dir, remove_run_dir, request
from tests.metrics.support import value
from tests.support.processes import free_port

pytestmark = pytest.mark.system
MASTER = "mymaster"


def _text(*collectors) -> str:
    registry = CollectorRegistry()
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry).decode()


def test_stub_status_is_parsed():
    page = "Active connections: 3 \nserver accepts handled requests\n 17 16 42 \nReading: 0 Writing: 1 Waiting: 2 \n"
    assert parse_stub_status(page) == {
        "active": 3, "accepted": 17, "handled": 16, "requests": 42, "reading": 0, "writing": 1, "waiting": 2,
    }  # fmt: skip
    with pytest.raises(ValueError, match="stub_status"):
        parse_stub_status("<html>404</html>")


def test_nginx_connections_and_requests_from_a_real_gateway():
    base_dir = new_run_dir()
    (base_dir / "static").mkdir()
    (base_dir / "media").mkdir()
    gateway = Gateway(base_dir=base_dir, backends=[f"127.0.0.1:{free_port()}"], dashboard=f"127.0.0.1:{free_port()}",
                      static_root=base_dir / "static", media_root=base_dir / "media", name="exporter")  # fmt: skip
    try:
        gateway.start()
        for _ in range(3):
            request(gateway.port, "GET", "/gateway/health")
        text = _text(NginxCollector(f"http://127.0.0.1:{gateway.port}/nginx_status"))
    finally:
        gateway.stop()
        remove_run_dir(base_dir)
    assert value(text, "mutiroes_nginx_up") == 1
    assert value(text, "mutiroes_nginx_requests_total") >= 4  # three health checks and this scrape
    assert value(text, "mutiroes_nginx_connections", state="active") >= 1  # the scrape itself
    assert value(_text(NginxCollector(f"http://127.0.0.1:{free_port()}/nginx_status")), "mutiroes_nginx_up") == 0


def test_sentinels_report_the_master_and_lose_the_quorum_when_two_are_gone(redis_factory):
    master = redis_factory.server()
    sentinels = redis_factory.sentinels(master, 3, quorum=2, down_after_ms=1000, failover_timeout_ms=5000)
    collector = SentinelCollector([s.address for s in sentinels], MASTER)

    from tests.support.polling import wait_for

    wait_for(lambda: value(_text(collector), "mutiroes_sentinel_quorum_ok") == 3, timeout_s=30, what="a quorum")
    text = _text(collector)
    assert value(text, "mutiroes_sentinel_up") == 3
    assert value(text, "mutiroes_sentinel_master", address=f"127.0.0.1:{master.port}") == 3

    for sentinel in sentinels[1:]:
        sentinel.stop()
    survivor = f"127.0.0.1:{sentinels[0].port}"
    wait_for(lambda: value(_text(collector), "mutiroes_sentinel_quorum_ok", sentinel=survivor) == 0, timeout_s=30,
         what="the survivor to see no quorum")  # fmt: skip
    text = _text(collector)
    assert value(text, "mutiroes_sentinel_up") == 1
    assert value(text, "mutiroes_sentinel_up", sentinel=survivor) == 1


@pytest.mark.django_db(transaction=True)
def test_a_primary_without_standbys_reports_none_streaming():
    text = _text(ReplicationCollector())
    assert value(text, "mutiroes_postgres_up") == 1
    assert "mutiroes_postgres_replicas_streaming 0.0" in text
