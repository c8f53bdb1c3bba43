"""/health: the detail only for operators, the SMTP reachability check and the workers' breaker reports."""

import socket

import pytest

from mutiroes.infra import breaker_report
from mutiroes.resilience.breakers import breaker

pytestmark = pytest.mark.django_db
OPERATOR = "operador-" + "x" * 40


@pytest.fixture(autouse=True)
def _operator_token(settings):
    settings.HEALTH_TOKEN = OPERATOR


def _health(client, token=OPERATOR):
    return client.get("/health", headers={"Authorization": f"Bearer {token}"} if token else {})


def test_anonymous_callers_get_only_the_overall_status(client, api_client, user_factory):
    volunteer = user_factory()
    for headers in ({}, api_client.auth_headers(volunteer), {"Authorization": "Bearer chute"}):
        response = client.get("/health", headers=headers)
        assert (response.status_code, response.json()) == (200, {"status": "ok"}), headers


def test_staff_and_the_operator_token_see_the_detail(client, api_client, user_factory, settings):
    staff = user_factory(is_staff=True)
    for headers in (api_client.auth_headers(staff), {"Authorization": f"Bearer {OPERATOR}"}):
        body = client.get("/health", headers=headers).json()
        assert {"instance", "checks", "breakers", "workers", "fallbacks"} <= set(body), headers
    settings.HEALTH_TOKEN = ""  # unset: no token opens the detail, an empty bearer included
    assert set(client.get("/health", headers={"Authorization": "Bearer "}).json()) == {"status"}
    assert set(_health(client, OPERATOR).json()) == {"status"}


def test_liveness_and_readiness_stay_open(client):
    assert client.get("/liveness").json() == {"status": "ok"}
    assert client.get("/readiness").json()["checks"]["database"]["status"] == "ok"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_smtp_down_makes_health_degraded_not_unavailable(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()

    response = _health(client)

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["smtp"]["status"] == "down"
    assert body["fallbacks"]["emails_delayed"] is True


def test_smtp_reachable_is_ok(client, settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.host, smtp_server.port

    body = _health(client).json()

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

    workers = _health(client).json()["workers"]

    assert list(workers) == ["worker-b:2"]
    assert workers["worker-b:2"]["breakers"]["smtp"]["state"] == "closed"


def test_a_workers_open_breaker_is_visible(client, settings):
    smtp = breaker("smtp", failures=OSError)
    for _ in range(smtp._failure_threshold):
        with pytest.raises(OSError), smtp:
            raise OSError("connection refused")
    settings.INSTANCE_ID = "worker-c:3"
    breaker_report.publish(role="worker")

    report = _health(client).json()["workers"]["worker-c:3"]

    assert report["role"] == "worker"
    assert report["breakers"]["smtp"]["state"] == "open"
    assert report["breakers"]["smtp"]["opened_at"] is not None
