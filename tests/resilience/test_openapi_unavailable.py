"""The OpenAPI schema declares the 503 that every route answers while the database is down (clients are
generated from it), and the cached list routes say that they may serve a stale copy instead."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from mutiroes.api.main import api

    with django_db_blocker.unblock():
        return api.get_openapi_schema()


def test_the_cached_event_list_declares_503(schema):
    responses = schema["paths"]["/api/v1/events"]["get"]["responses"]

    assert 503 in responses or "503" in responses
    unavailable = responses.get(503) or responses["503"]
    assert unavailable["content"]["application/json"]["schema"]["$ref"] == ERROR_REF


def test_every_operation_declares_503(schema):
    missing = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if not ({503, "503"} & set(operation.get("responses", {})))
    ]

    assert missing == []


def test_the_schema_is_served_with_503s(client):
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    join = response.json()["paths"]["/api/v1/events/{event_id}/join"]["post"]["responses"]
    assert join["503"]["content"]["application/json"]["schema"]["$ref"] == ERROR_REF
