"""/health: the SMTP reachability check and the workers' breaker reports."""

import socket

import pytest

from mutiroes.infra import breaker_report
from mutiroes.resilience.breakers import breaker

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_smtp_down_makes_health_degraded_not_unavailable(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()

    response = client.get("/health")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["smtp"]["status"] == "down"
    assert body["fallbacks"]["emails_delayed"] is True


def test_smtp_reachable_is_ok(client, settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.host, smtp_server.port

    body = client.get("/health").json()

    assert body["checks"]["smtp"]["status"] == "ok"
    assert body["fallbacks"]["emails_delayed"] is False


def test_health_shows_each_live_workers_breakers_and_forgets_dead_ones(client, settings, monkeypatch):
    smtp = breaker("smtp", failures=OSError)
    for _ in range(smtp._failure_threshold):
        with pytest.raises(OSError), smtp:
            raise OSError("connection refused")
    settings.INSTANCE_ID = "worker-a:1"
    breaker_report.publish(role="worker", now=1000.0)
    smtp.reset()
    settings.INSTANCE_ID = "worker-b:2"
    breaker_report.publish(role="worker", now=1000.0 + breaker_report.TTL_S + 1)  # worker-a has aged out of the index

    workers = client.get("/health").json()["workers"]

    assert list(workers) == ["worker-b:2"]
    assert workers["worker-b:2"]["breakers"]["smtp"]["state"] == "closed"


def test_a_workers_open_breaker_is_visible(client, settings):
    smtp = breaker("smtp", failures=OSError)
    for _ in range(smtp._failure_threshold):
        with pytest.raises(OSError), smtp:
            raise OSError("connection refused")
    settings.INSTANCE_ID = "worker-c:3"
    breaker_report.publish(role="worker")

    report = client.get("/health").json()["workers"]["worker-c:3"]

    assert report["role"] == "worker"
    assert report["breakers"]["smtp"]["state"] == "open"
    assert report["breakers"]["smtp"]["opened_at"] is not None
