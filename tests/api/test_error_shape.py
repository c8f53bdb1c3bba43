"""Validation errors always list messages under details.fields.<field>: nulls, cross-field rules, whole bodies."""

from datetime import timedelta
from decimal import Decimal

import pytest

from mutiroes.core import clock

pytestmark = pytest.mark.django_db


def _fields(response):
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    fields = body["details"]["fields"]
    assert "__root__" not in fields
    assert all(
        isinstance(messages, list) and all(isinstance(m, str) and m for m in messages) for messages in fields.values()
    )
    return fields


def test_null_for_a_field_that_cannot_be_cleared_is_that_fields_error(api_client, user_factory):
    fields = _fields(api_client.patch("/api/v1/users/me", json={"is_public": None, "state": None}, user=user_factory()))
    assert set(fields) == {"is_public", "state"}


def test_null_clears_birth_date(api_client, user_factory):
    response = api_client.patch("/api/v1/users/me", json={"birth_date": None}, user=user_factory())
    assert response.status_code == 200 and response.json()["birth_date"] is None


def test_cross_field_rules_name_every_field_involved(api_client, user_factory, event_factory):
    event = event_factory(status="published")
    user = user_factory()
    neither = _fields(api_client.post(f"/api/v1/events/{event.pk}/check-in", json={}, user=user))
    both = _fields(api_client.post(f"/api/v1/events/{event.pk}/check-in", json={"code": "X", "user_id": 1}, user=user))
    assert set(neither) == set(both) == {"code", "user_id"}
    period = _fields(api_client.get("/api/v1/impact/summary", params={"from": "2026-05-01", "to": "2026-04-01"}))
    assert set(period) == {"from", "to"}


def test_domain_rules_list_their_messages_too(api_client, user_factory, event_factory):
    organizer = user_factory()
    started = clock.now() - timedelta(hours=1)
    event = event_factory(
        organizer=organizer, status="published", start_date=started, end_date=started + timedelta(hours=3)
    )
    response = api_client.post(
        f"/api/v1/events/{event.pk}/report",
        json={"participants": 3, "trash_kg": "1", "recyclable_kg": "2"},
        user=organizer,
    )
    assert _fields(response)["recyclable_kg"] == ["must not exceed trash_kg"]


def test_a_body_that_is_not_an_object_is_reported_under_body(api_client, user_factory):
    fields = _fields(api_client.post("/api/v1/auth/token", json=[1, 2]))
    assert list(fields) == ["body"]


# 57 * 0.01 is 0.5700000000000001, as a client computing in floats sends it.
@pytest.mark.parametrize(("sent", "kept"), [(57 * 0.01, "0.57"), ("12.5", "12.50"), (3, "3.00")])
def test_a_float_within_rounding_noise_is_the_decimal_it_stands_for(
    api_client, user_factory, event_factory, sent, kept
):
    organizer = user_factory()
    event = event_factory(organizer=organizer, status="published")
    response = api_client.post(
        f"/api/v1/events/{event.pk}/resources", json={"name": "Luvas", "quantity_needed": sent}, user=organizer
    )
    assert response.status_code == 201, response.content
    assert Decimal(response.json()["quantity_needed"]) == Decimal(kept)


def test_more_decimals_than_allowed_are_still_refused(api_client, user_factory, event_factory):
    organizer = user_factory()
    event = event_factory(organizer=organizer, status="published")
    response = api_client.post(
        f"/api/v1/events/{event.pk}/resources", json={"name": "Luvas", "quantity_needed": 0.001}, user=organizer
    )
    assert "quantity_needed" in _fields(response)
