"""Local helpers for the accounts tests, until the shared fixtures (tests/conftest.py, tests/factories.py) land.

Prefixed ``acc_`` so they never shadow the shared ``user_factory`` / ``event_factory`` / ``api_client``.
"""

import importlib
import itertools
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from ninja_jwt.tokens import RefreshToken

from mutiroes.accounts.models import User
from mutiroes.core import clock
from mutiroes.events.models import Category, Event, Participation

PASSWORD = "senha-forte-para-testes-9"
_seq = itertools.count(1)


@pytest.fixture
def acc_user(db: None) -> Callable[..., User]:
    def make(**fields: Any) -> User:
        n = next(_seq)
        fields.setdefault("username", f"acc-user-{n}")
        fields.setdefault("email", f"acc-user-{n}@example.org")
        return User.objects.create_user(password=fields.pop("password", PASSWORD), **fields)

    return make


@pytest.fixture
def acc_category(db: None) -> Category:
    return Category.objects.get_or_create(slug="limpeza", defaults={"name": "Limpeza"})[0]


@pytest.fixture
def acc_event(acc_user: Callable[..., User], acc_category: Category) -> Callable[..., Event]:
    """A published 3-hour event that ended yesterday, unless told otherwise."""

    def make(**fields: Any) -> Event:
        start = fields.pop("start_date", None) or clock.now() - timedelta(days=1, hours=3)
        hours = fields.pop("hours", 3)
        if fields.get("organizer") is None:
            fields["organizer"] = acc_user()
        values = {
            "title": "Mutirão de limpeza",
            "description": "Limpeza da praia",
            "category": acc_category,
            "address": "Praia do Futuro",
            "city": "Fortaleza",
            "state": "CE",
            "latitude": -3.74,
            "longitude": -38.45,
            "start_date": start,
            "end_date": start + timedelta(hours=hours),
            "max_participants": 50,
            "status": Event.Status.PUBLISHED,
        } | fields
        return Event.objects.create(**values)

    return make


@pytest.fixture
def acc_participation() -> Callable[..., Participation]:
    """A participation row written directly (the join rules are the events app's business)."""

    def make(event: Event, user: User, *, checked_in: bool = False, **fields: Any) -> Participation:
        values = {
            "status": Participation.Status.CONFIRMED,
            "registered_at": event.start_date - timedelta(days=2),
            "checked_in_at": event.start_date if checked_in else None,
        } | fields
        return Participation.objects.create(event=event, user=user, **values)

    return make


class JsonClient:
    """Django's test client speaking JSON, optionally as a user (bearer access token)."""

    def __init__(self, user: User | None = None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            self.headers["Authorization"] = f"Bearer {RefreshToken.for_user(user).access_token}"

    def _send(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        call = getattr(self.client, method)
        if body is None:
            return call(path, data=params or None, headers=self.headers)
        return call(path, data=json.dumps(body), content_type="application/json", headers=self.headers)

    def get(self, path: str, **params: Any) -> Any:
        return self._send("get", path, **params)

    def post(self, path: str, body: Any = None) -> Any:
        return self._send("post", path, body if body is not None else {})

    def put(self, path: str, body: Any) -> Any:
        return self._send("put", path, body)

    def delete(self, path: str, body: Any = None) -> Any:
        return self._send("delete", path, body)

    def raw(self, method: str, path: str, data: str | bytes, content_type: str = "application/json") -> Any:
        return getattr(self.client, method)(path, data=data, content_type=content_type, headers=self.headers)


@pytest.fixture
def acc_client() -> Callable[..., JsonClient]:
    return JsonClient


@pytest.fixture
def acc_frozen_now(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    def freeze(at: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: at)

    return freeze


@pytest.fixture
def acc_catalogue(db: None) -> None:
    """The seeded badge catalogue, restored in case a transactional test's flush removed it."""
    importlib.import_module("mutiroes.accounts.migrations.0003_seed_badges_backfill_settings").seed_badges(apps, None)
