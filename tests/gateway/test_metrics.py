"""The API replicas' /metrics under gunicorn (multiprocess mode, two workers each), behind the real gateway.

A join through the gateway shows in the replicas' metrics whichever worker answered it; /metrics is served on
each replica's own port and never through the gateway.
"""

from __future__ import annotations

import pytest
from ninja_jwt.tokens import RefreshToken

from mutiroes.events.models import Event
from tests.gateway.support import request
from tests.metrics.support import scrape, value
from tests.support.api import event_payload

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]
JOIN_ROUTE = "api/v1/events/<event_id>/join"


def _replicas_metrics(stack) -> list[str]:
    return [scrape(f"http://{backend.address}/metrics") for backend in stack.backends]


def _total(texts: list[str], name: str, **labels: str) -> float:
    return sum(value(text, name, **labels) for text in texts)


def test_a_join_through_the_gateway_is_counted_by_the_replica_that_served_it(stack, user_factory, api_client):
    organizer, volunteer = user_factory(), user_factory()
    created = api_client.post("/api/v1/events", event_payload(), user=organizer)
    assert created.status_code == 201, created.content
    event_id = created.json()["id"]
    token = str(RefreshToken.for_user(volunteer).access_token)
    before = _replicas_metrics(stack)

    joined = request(stack.port, "POST", f"/api/v1/events/{event_id}/join", json_body={}, token=token)
    assert joined.status == 201, joined

    after = _replicas_metrics(stack)
    labels = {"route": JOIN_ROUTE, "method": "POST", "status": "201"}
    assert (
        _total(after, "mutiroes_http_requests_total", **labels)
        == _total(before, "mutiroes_http_requests_total", **labels) + 1
    )
    assert _total(after, "mutiroes_joins_total") == _total(before, "mutiroes_joins_total") + 1
    assert (
        _total(after, "mutiroes_http_db_queries_count", route=JOIN_ROUTE)
        == _total(before, "mutiroes_http_db_queries_count", route=JOIN_ROUTE) + 1
    )
    assert Event.objects.get(pk=event_id).participants_count == 1


def test_metrics_are_not_served_through_the_gateway(stack):
    through_gateway = request(stack.port, "GET", "/metrics")
    assert through_gateway.status == 404, through_gateway
    assert b"mutiroes_http_requests_total" not in through_gateway.body
    direct = scrape(f"http://{stack.backends[0].address}/metrics")
    assert "mutiroes_http_requests_total" in direct or "mutiroes_http_requests_in_flight" in direct
