"""What API tests share: a valid event body, the JSON error shape, and the OpenAPI document the API serves."""

from __future__ import annotations

import copy
import functools
from datetime import timedelta
from typing import Any

from mutiroes.core import clock
from mutiroes.events.models import Category

EVENTS = "/api/v1/events"
ERROR_KEYS = {"code", "message", "details"}


def event_payload(**overrides: Any) -> dict[str, Any]:
    """A valid POST /events body (category from the seeded catalogue, or created)."""
    category, _ = Category.objects.get_or_create(slug="limpeza", defaults={"name": "Limpeza"})
    return event_body(category.pk) | overrides  # category_id may be overridden too


def event_body(category_id: int, /, **overrides: Any) -> dict[str, Any]:
    """A valid POST /events body in `category_id`, starting in two weeks (for a server with its own database)."""
    start = (clock.now() + timedelta(days=14)).replace(microsecond=0)
    body = {
        "title": "Limpeza do Rio Pinheiros",
        "description": "Retirada de lixo das margens",
        "category_id": category_id,
        "address": "Av. das Nações Unidas, 1000",
        "city": "São Paulo",
        "state": "SP",
        "latitude": -23.5505,
        "longitude": -46.6333,
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(hours=3)).isoformat(),
        "max_participants": 10,
        "status": "published",
    }
    return body | overrides


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is `status` with the error shape every endpoint answers with; its body is returned."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    if code is not None:
        assert body["code"] == code, body
    return body


def openapi_document() -> dict[str, Any]:
    """GET /api/openapi.json, a copy of the test process's first answer.

    The schema does not change while a process runs, and building it takes seconds: fetched once, not per test
    (test_openapi_document.py still compares a fresh fetch with the committed file).
    """
    return copy.deepcopy(_served_document())


@functools.cache
def _served_document() -> dict[str, Any]:
    from django.test import Client

    response = Client().get("/api/openapi.json")
    assert response.status_code == 200, response.content
    return response.json()
