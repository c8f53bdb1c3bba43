"""Idempotency-Key when a request fails or dies halfway (api/idempotency.py).

Found by the PostgreSQL outage test: a POST cut off by the outage left its key "in progress" for five
minutes, so the client's retry was refused (409) long after the database was back; and a 503 that came
after the request's own commit would, once that timeout passed, have created a second object.
"""

from __future__ import annotations

import hashlib
import json
import threading

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import OperationalError, connection, transaction

from mutiroes.core.models import IdempotencyRecord
from mutiroes.events.models import Event
from tests.resilience.api_data import event_body

EVENTS = "/api/v1/events"
pytestmark = pytest.mark.django_db


@pytest.fixture
def body(category_factory):
    return event_body(category_factory().pk, "Mutirão na praia")


def _create(api_client, user, body, key="chave-1"):
    return api_client.post(EVENTS, json=body, user=user, headers={"Idempotency-Key": key})


def _unanswered(user, body, key="chave-1") -> IdempotencyRecord:
    """What a request leaves behind when it dies with its database connection: the committed record, no answer."""
    digest = hashlib.sha256(json.dumps(body, cls=DjangoJSONEncoder).encode()).hexdigest()
    return IdempotencyRecord.objects.create(user=user, key=key, method="POST", path=EVENTS, request_hash=digest)


def test_a_key_left_unanswered_by_a_request_that_died_is_free_at_once(api_client, user_factory, body):
    user = user_factory()
    record = _unanswered(user, body)

    response = _create(api_client, user, body)

    assert response.status_code == 201, response.content
    assert Event.objects.filter(title="Mutirão na praia").count() == 1
    record.refresh_from_db()
    assert record.status_code == 201
    assert _create(api_client, user, body)["Idempotent-Replayed"] == "true"


def test_a_key_left_unanswered_is_still_bound_to_its_request(api_client, user_factory, body):
    user = user_factory()
    _unanswered(user, body)

    response = _create(api_client, user, {**body, "title": "Outro mutirão"})

    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
    assert not Event.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_key_held_by_a_request_still_running_is_in_progress(api_client, user_factory, body):
    user = user_factory()
    record = _unanswered(user, body)
    locked, release = threading.Event(), threading.Event()

    def running_request() -> None:
        # Another request, still running: it holds the record's row lock in its open transaction.
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.select_for_update().get(pk=record.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=running_request)
    thread.start()
    try:
        assert locked.wait(10)
        busy = _create(api_client, user, body)
    finally:
        release.set()
        thread.join(10)

    assert busy.status_code == 409 and busy.json()["code"] == "request_in_progress"
    assert busy["Retry-After"] == "1"
    assert not Event.objects.exists()
    assert _create(api_client, user, body).status_code == 201  # it ended without an answer: the key is free


def test_when_the_answer_cannot_be_stored_the_writes_are_undone(api_client, user_factory, body, monkeypatch):
    user = user_factory()
    save = IdempotencyRecord.save

    def database_gone(self, *args, **kwargs):
        if "status_code" in (kwargs.get("update_fields") or ()):
            raise OperationalError("server closed the connection unexpectedly")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(IdempotencyRecord, "save", database_gone)
    failed = _create(api_client, user, body)
    monkeypatch.undo()

    # Not "201 but nothing recorded": a 503, and no event either, so the retry cannot make a second one.
    assert failed.status_code == 503 and failed.json()["code"] == "database_unavailable"
    assert "Retry-After" in failed
    assert not Event.objects.exists()
    assert _create(api_client, user, body).status_code == 201
    assert Event.objects.count() == 1


def test_a_server_error_keeps_nothing_and_frees_the_key(api_client, user_factory, body, monkeypatch):
    user = user_factory()

    def broken(*args, **kwargs):
        raise RuntimeError("a bug after the event was written")

    monkeypatch.setattr("mutiroes.api.routers.events._event_out", broken)
    failed = _create(api_client, user, body)
    monkeypatch.undo()

    assert failed.status_code == 500
    assert not Event.objects.exists()
    assert not IdempotencyRecord.objects.exists()
    assert _create(api_client, user, body).status_code == 201
    assert Event.objects.count() == 1
