"""Local helpers for the impact tests, until the shared fixtures (tests/conftest.py, tests/factories.py) land.

Named so they never shadow the shared ``user_factory`` / ``event_factory`` / ``api_client``.
"""

import itertools
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from ninja_jwt.tokens import RefreshToken

from mutiroes.accounts.models import User
from mutiroes.core import clock
from mutiroes.events.models import Category, Event

_seq = itertools.count(1)


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(**fields: Any) -> User:
        n = next(_seq)
        fields.setdefault("username", f"impact-user-{n}")
        fields.setdefault("email", f"impact-user-{n}@example.org")
        return User.objects.create_user(password="not-used-here-1", **fields)

    return make


@pytest.fixture
def category(db: None) -> Category:
    return Category.objects.get_or_create(slug="limpeza", defaults={"name": "Limpeza"})[0]


@pytest.fixture
def make_event(make_user: Callable[..., User], category: Category) -> Callable[..., Event]:
    """An event that started an hour ago, published, unless told otherwise."""

    def make(**fields: Any) -> Event:
        start = fields.pop("start_date", None) or clock.now() - timedelta(hours=1)
        if "organizer" not in fields:
            fields["organizer"] = make_user()
        values = {
            "title": "Mutirão de limpeza",
            "description": "Limpeza da praia",
            "category": category,
            "address": "Praia do Futuro",
            "city": "Fortaleza",
            "state": "CE",
            "latitude": -3.74,
            "longitude": -38.45,
            "start_date": start,
            "end_date": start + timedelta(hours=3),
            "max_participants": 50,
            "status": Event.Status.PUBLISHED,
        } | fields
        return Event.objects.create(**values)

    return make


class JsonClient:
    """Django's test client speaking JSON, optionally as a user (bearer access token)."""

    def __init__(self, user: User | None = None) -> None:
        self.client = Client()
        self.headers = {}
        if user is not None:
            self.headers["Authorization"] = f"Bearer {RefreshToken.for_user(user).access_token}"

    def _send(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        call = getattr(self.client, method)
        if body is None:
            return call(path, data=params or None, headers=self.headers)
        return call(path, data=json.dumps(body), content_type="application/json", headers=self.headers)

    def get(self, path: str, **params: Any) -> Any:
        return self._send("get", path, **params)

    def post(self, path: str, body: Any) -> Any:
        return self._send("post", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self._send("put", path, body)


@pytest.fixture
def impact_client() -> Callable[..., JsonClient]:
    return JsonClient


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Move the domain clock (mutiroes.core.clock.now) to a fixed instant."""

    def freeze(at: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: at)

    return freeze
