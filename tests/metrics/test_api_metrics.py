"""The API's metrics in one process (Django's test client): requests by route template, latency, queries per
request, in-flight, cache hits, idempotent replays, throttled requests, breakers and business counters."""

from datetime import timedelta

import pytest

from mutiroes.core import clock
from mutiroes.resilience.breakers import breaker, guarded
from tests.metrics.support import label_values, own_metrics, value
from tests.support.api import EVENTS, event_payload

pytestmark = pytest.mark.django_db
JOIN_ROUTE = "api/v1/events/<event_id>/join"


@pytest.fixture
def event(api_client, user_factory):
    response = api_client.post(EVENTS, event_payload(), user=user_factory())
    assert response.status_code == 201, response.content
    return response.json()


def test_a_join_counts_the_request_its_queries_and_the_business_figure(
    client, api_client, event, user_factory, django_capture_on_commit_callbacks
):
    before = own_metrics(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"{EVENTS}/{event['id']}/join", {}, user=user_factory())
    assert response.status_code == 201, response.content

    after = own_metrics(client)
    labels = {"route": JOIN_ROUTE, "method": "POST"}
    assert value(after, "mutiroes_http_requests_total", **labels, status="201") == (
        value(before, "mutiroes_http_requests_total", **labels, status="201") + 1
    )
    assert value(after, "mutiroes_http_request_duration_seconds_count", **labels) == (
        value(before, "mutiroes_http_request_duration_seconds_count", **labels) + 1
    )
    queries = value(after, "mutiroes_http_db_queries_sum", route=JOIN_ROUTE) - value(
        before, "mutiroes_http_db_queries_sum", route=JOIN_ROUTE
    )
    assert queries >= 3  # the token's user, the event's row lock, the participation
    assert value(after, "mutiroes_http_db_seconds_count", route=JOIN_ROUTE) == (
        value(before, "mutiroes_http_db_seconds_count", route=JOIN_ROUTE) + 1
    )
    assert value(after, "mutiroes_joins_total") == value(before, "mutiroes_joins_total") + 1
    assert value(after, "mutiroes_http_requests_in_flight") == 0


def test_routes_are_templates_never_the_paths_clients_send(client, api_client, user_factory):
    api_client.get(f"{EVENTS}/987654", user=user_factory())
    api_client.get("/api/v1/no-such-thing/123456")

    routes = label_values(own_metrics(client), "mutiroes_http_requests_total", "route")
    assert "api/v1/events/<event_id>" in routes
    assert "unmatched" in routes
    assert not any("987654" in route or "123456" in route for route in routes), routes


def test_hot_reads_count_cache_misses_then_hits(client, event):
    before = own_metrics(client)
    client.get(EVENTS)
    client.get(EVENTS)

    after = own_metrics(client)
    for result in ("miss", "hit"):
        assert value(after, "mutiroes_cache_lookups_total", namespace="events", result=result) == (
            value(before, "mutiroes_cache_lookups_total", namespace="events", result=result) + 1
        ), result


def test_an_idempotent_replay_is_counted(client, api_client, user_factory):
    organizer = user_factory()
    before = own_metrics(client)
    payload = event_payload()  # built once: its dates come from the clock, and a replay must be the same request
    for _ in range(2):
        response = api_client.post(EVENTS, payload, user=organizer, headers={"Idempotency-Key": "k-1"})
        assert response.status_code == 201, response.content

    after = own_metrics(client)
    assert value(after, "mutiroes_idempotent_replays_total") == value(before, "mutiroes_idempotent_replays_total") + 1


def test_throttled_sign_ins_are_counted_by_route(client, settings):
    settings.LOGIN_THROTTLE = "2/m"
    route = "api/v1/auth/token"
    before = own_metrics(client)
    statuses = [
        client.post(
            "/api/v1/auth/token", {"username": "nobody", "password": "wrong"}, content_type="application/json"
        ).status_code
        for _ in range(4)
    ]

    after = own_metrics(client)
    assert 429 in statuses, statuses
    throttled = value(after, "mutiroes_throttled_requests_total", route=route) - value(
        before, "mutiroes_throttled_requests_total", route=route
    )
    assert throttled == statuses.count(429)


def test_a_breaker_reports_its_state_and_each_transition(client):
    target = breaker("metrics-test", failures=ConnectionError, threshold=2, recovery_s=60)
    assert value(own_metrics(client), "mutiroes_breaker_state", breaker="metrics-test") == 0

    def fail():
        raise ConnectionError("down")

    for _ in range(2):
        with pytest.raises(ConnectionError):
            guarded(target, fail)
    opened = own_metrics(client)
    assert value(opened, "mutiroes_breaker_state", breaker="metrics-test") == 2
    assert value(opened, "mutiroes_breaker_transitions_total", breaker="metrics-test", state="open") >= 1

    target.reset()
    closed = own_metrics(client)
    assert value(closed, "mutiroes_breaker_state", breaker="metrics-test") == 0
    assert value(closed, "mutiroes_breaker_transitions_total", breaker="metrics-test", state="closed") == (
        value(opened, "mutiroes_breaker_transitions_total", breaker="metrics-test", state="closed") + 1
    )


def test_registrations_check_ins_and_reports_are_counted_once_each(
    client, api_client, event_factory, participation_factory, user_factory, django_capture_on_commit_callbacks
):
    figures = ("mutiroes_registrations_total", "mutiroes_check_ins_total", "mutiroes_reports_filed_total")
    event = event_factory(start_date=clock.now() - timedelta(hours=1), end_date=clock.now() + timedelta(hours=2))
    volunteer = participation_factory(event=event, user=user_factory()).user
    account = {"username": "contada", "email": "contada@example.org", "password": "mutirao-contado-2026"}
    report = {"participants": 1, "trash_kg": "12.5"}
    check_in, file_report = f"{EVENTS}/{event.pk}/check-in", f"{EVENTS}/{event.pk}/report"
    before = own_metrics(client)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/api/v1/auth/register", account, content_type="application/json").status_code == 201
        assert api_client.post(check_in, {"code": event.check_in_code}, user=volunteer).status_code == 200
        assert api_client.post(file_report, report, user=event.organizer).status_code == 201
    # Repeats count nothing: the same account again (409), a second check-in (answered as done), a second POST.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/api/v1/auth/register", account, content_type="application/json").status_code == 409
        assert api_client.post(check_in, {"code": event.check_in_code}, user=volunteer).status_code == 200
        assert api_client.post(file_report, report, user=event.organizer).status_code == 409

    after = own_metrics(client)
    assert [value(after, name) - value(before, name) for name in figures] == [1, 1, 1]
