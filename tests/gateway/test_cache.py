"""nginx's proxy cache: anonymous GETs of the hot public reads are shared for a few seconds; authenticated ones
never are (their answers are personal)."""

from __future__ import annotations

import uuid

import pytest
from ninja_jwt.tokens import RefreshToken

from tests.gateway.support import request

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]


def test_anonymous_event_lists_are_cached_and_authenticated_ones_are_not(stack, user_factory, event_factory):
    city = f"Olinda {uuid.uuid4().hex[:8]}"  # a URL nobody else asked for: the cache starts empty for it
    event_factory(city=city)
    path = f"/api/v1/events?city={city.replace(' ', '%20')}&page_size=7"
    source = stack.addresses.one()

    first = request(stack.port, "GET", path, source=source)
    second = request(stack.port, "GET", path, source=source)
    assert first.status == second.status == 200, (first, second)
    assert first.header("X-Cache-Status") == "MISS"
    assert second.header("X-Cache-Status") == "HIT"
    assert second.body == first.body
    assert first.json()["count"] == 1

    token = str(RefreshToken.for_user(user_factory()).access_token)
    personal = [request(stack.port, "GET", path, source=source, token=token) for _ in range(2)]
    assert [reply.status for reply in personal] == [200, 200]
    assert [reply.header("X-Cache-Status") for reply in personal] == ["BYPASS", "BYPASS"]
    assert all(item["my_participation"] is None for item in personal[0].json()["items"])


def test_anonymous_impact_summary_is_cached(stack):
    path = f"/api/v1/impact/summary?city=Recife{uuid.uuid4().hex[:8]}"
    statuses = [request(stack.port, "GET", path, source=stack.addresses.one()) for _ in range(2)]
    assert [reply.status for reply in statuses] == [200, 200]
    assert [reply.header("X-Cache-Status") for reply in statuses] == ["MISS", "HIT"]
