"""What API tests share: the JSON client (ApiClient), a valid event body, the JSON error shape, the OpenAPI document."""

from __future__ import annotations

import copy
import functools
import json as jsonlib
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

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
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200, response.content
    return response.json()


class ApiClient:
    """django.test.Client speaking JSON; `user=` sends `Authorization: Bearer <access token>` for that user.

    response = api_client.post("/api/v1/events", json={...}, user=organizer)
    response = api_client.get("/api/v1/events", params={"city": "Recife"})
    response = api_client.post(path, data={"photo": file}, user=u)               # multipart
    response = api_client.post(path, data=b"\\xff", content_type="application/json")  # raw bytes
    """

    def __init__(self, client: Client | None = None) -> None:
        self.client = client or Client()
        self._tokens: dict[int, str] = {}

    def token_for(self, user: Any) -> str:
        from ninja_jwt.tokens import RefreshToken

        if user.pk not in self._tokens:
            self._tokens[user.pk] = str(RefreshToken.for_user(user).access_token)
        return self._tokens[user.pk]

    def auth_headers(self, user: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token_for(user)}"}

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Any = None,
        content_type: str | None = None,
        params: dict[str, Any] | None = None,
        user: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        all_headers = {**(self.auth_headers(user) if user is not None else {}), **(headers or {})}
        call = getattr(self.client, method.lower())
        if method.upper() in {"GET", "HEAD"}:
            return call(path, data=params, headers=all_headers)
        if params:
            from urllib.parse import urlencode

            path = f"{path}{'&' if '?' in path else '?'}{urlencode(params, doseq=True)}"
        if data is not None:
            if content_type is None:  # Django's default: multipart, for uploads and forms
                return call(path, data=data, headers=all_headers)
            return call(path, data=data, content_type=content_type, headers=all_headers)
        body = "" if json is None else jsonlib.dumps(json, cls=DjangoJSONEncoder)
        return call(path, data=body, content_type=content_type or "application/json", headers=all_headers)

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.request("GET", path, params=params, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("PUT", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("DELETE", path, json=json, **kwargs)
