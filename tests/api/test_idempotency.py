"""Idempotency-Key on POSTs: same key and body from the same user → one object and the first response again."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from ninja_jwt.tokens import RefreshToken

from mutiroes.core.models import IdempotencyRecord
from mutiroes.events.models import Event, Participation
from tests.support.api import EVENTS, assert_error, event_payload

pytestmark = pytest.mark.django_db


def _headers(user, key=None):
    headers = {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def _post(client, path, body, user, key):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, raw, content_type="application/json", headers=_headers(user, key))


def test_same_key_twice_creates_one_event_and_replays_the_response(client, user_factory):
    user = user_factory()
    body = event_payload(title="Uma vez só")
    first = _post(client, EVENTS, body, user, "criar-evento-1")
    second = _post(client, EVENTS, body, user, "criar-evento-1")

    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert second["Content-Type"].startswith("application/json")
    assert Event.objects.filter(title="Uma vez só").count() == 1


def test_without_a_key_each_post_creates(client, user_factory):
    user = user_factory()
    body = event_payload(title="Duas vezes")
    assert _post(client, EVENTS, body, user, None).status_code == 201
    assert _post(client, EVENTS, body, user, None).status_code == 201
    assert Event.objects.filter(title="Duas vezes").count() == 2


def test_same_key_with_a_different_body_is_422(client, user_factory):
    user = user_factory()
    assert _post(client, EVENTS, event_payload(title="Primeiro"), user, "k-1").status_code == 201
    response = _post(client, EVENTS, event_payload(title="Segundo"), user, "k-1")
    assert_error(response, 422, "idempotency_key_reused")
    assert list(Event.objects.values_list("title", flat=True)) == ["Primeiro"]


def test_same_key_on_another_route_is_422(client, user_factory, event_factory):
    user = user_factory()
    event = event_factory(status="published")
    assert _post(client, EVENTS, event_payload(), user, "k-2").status_code == 201
    assert_error(_post(client, f"{EVENTS}/{event.id}/join", {}, user, "k-2"), 422)
    assert not Participation.objects.filter(user=user).exists()


def test_different_users_with_the_same_key_are_independent(client, user_factory):
    alice, bruno = user_factory(), user_factory()
    a = _post(client, EVENTS, event_payload(title="Da Alice"), alice, "mesma-chave")
    b = _post(client, EVENTS, event_payload(title="Do Bruno"), bruno, "mesma-chave")
    assert (a.status_code, b.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in b
    assert a.json()["id"] != b.json()["id"]
    assert Event.objects.get(pk=a.json()["id"]).organizer_id == alice.pk
    assert Event.objects.get(pk=b.json()["id"]).organizer_id == bruno.pk
    # Even the same body: another user's key never replays someone else's response.
    same = _post(client, EVENTS, event_payload(title="Da Alice"), bruno, "mesma-chave-2")
    assert same.status_code == 201
    assert Event.objects.filter(title="Da Alice").count() == 2


def test_join_with_a_key_is_replayed(client, user_factory, event_factory):
    user = user_factory()
    event = event_factory(status="published", max_participants=5)
    first = _post(client, f"{EVENTS}/{event.id}/join", {}, user, "entrar")
    again = _post(client, f"{EVENTS}/{event.id}/join", {}, user, "entrar")
    assert (first.status_code, again.status_code) == (201, 201)  # the first answer, not a fresh 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Participation.objects.filter(event=event, user=user).count() == 1


def test_error_responses_are_replayed_too(client, user_factory):
    user = user_factory()
    body = event_payload(end_date=event_payload()["start_date"])  # invalid: ends when it starts
    first = _post(client, EVENTS, body, user, "invalido")
    second = _post(client, EVENTS, body, user, "invalido")
    assert first.status_code == second.status_code == 422
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("after", "replayed"), [(timedelta(hours=23, minutes=59), True), (timedelta(hours=24, minutes=1), False)]
)
def test_a_key_is_replayed_for_24_hours_then_expires(client, user_factory, frozen_clock, after, replayed):
    user = user_factory()
    body = event_payload(title="Diário")
    assert _post(client, EVENTS, body, user, "diaria").status_code == 201
    frozen_clock.advance(after)

    again = _post(client, EVENTS, body, user, "diaria")

    assert again.status_code == 201
    assert again.get("Idempotent-Replayed") == ("true" if replayed else None)
    assert Event.objects.filter(title="Diário").count() == (1 if replayed else 2)


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there", "nul\x00byte", "linha\nnova"])
def test_bad_keys_are_422_and_nothing_is_created(client, user_factory, key):
    user = user_factory()
    try:
        response = _post(client, EVENTS, event_payload(), user, key)
    except Exception:  # the test client itself may refuse a header with a newline
        if "\n" in key:
            return
        raise
    assert_error(response, 422)
    assert not Event.objects.exists()
    assert not IdempotencyRecord.objects.exists()


def test_anonymous_requests_with_a_key_are_not_recorded(client):
    response = client.post(
        EVENTS, json.dumps(event_payload()), content_type="application/json", headers={"Idempotency-Key": "anon"}
    )
    assert_error(response, 401)
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_the_same_key_create_one_object(user_factory):
    assert connection.vendor == "postgresql"
    user = user_factory()
    body = json.dumps(event_payload(title="Corrida"))
    headers = _headers(user, "corrida")

    def send(_):
        try:
            response = Client().post(EVENTS, body, content_type="application/json", headers=headers)
            return response.status_code, response.get("Idempotent-Replayed"), response.content
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, range(16)))

    assert Event.objects.filter(title="Corrida").count() == 1
    created = [r for r in results if r[0] == 201 and r[1] is None]
    assert len(created) == 1
    for status, replayed, content in results:
        # Everyone else saw either the first answer replayed, or "still running, retry".
        assert (status, replayed) in {(201, None), (201, "true"), (409, None)}, (status, content)
        if status == 201:
            assert json.loads(content)["id"] == json.loads(created[0][2])["id"]


@pytest.mark.django_db
def test_token_responses_are_never_stored_for_replay(client, user_factory):
    from mutiroes.core.models import IdempotencyRecord

    user = user_factory(password="segredo-muito-bom-2026")
    access = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": user.username, "password": "segredo-muito-bom-2026"}),
        content_type="application/json",
    ).json()["access"]

    response = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": user.username, "password": "segredo-muito-bom-2026"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {access}",
        HTTP_IDEMPOTENCY_KEY="login-1",
    )

    assert response.status_code == 200
    assert not IdempotencyRecord.objects.exists()
