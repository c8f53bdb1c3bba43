"""docs/openapi.json is the committed contract that clients (the web app among them) are generated from.

It must be exactly what the running API serves: a schema change shows up in review as a diff of this file,
and the web client generated from it cannot silently fall behind.
"""

import json
import re
from pathlib import Path

import pytest

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"

pytestmark = pytest.mark.django_db


def test_committed_openapi_document_matches_the_live_schema(api_client):
    live = api_client.get("/api/openapi.json").json()
    committed = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert committed == live, "docs/openapi.json is stale: run `make schema` and commit the result"


def test_operation_ids_are_short_unique_camel_case(api_client):
    schema = api_client.get("/api/openapi.json").json()
    ids = [operation["operationId"] for item in schema["paths"].values() for operation in item.values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", i) and len(i) <= 40 for i in ids), ids
    assert {"listEvents", "createEvent", "joinEvent", "obtainToken", "uploadPhoto"} <= set(ids)


def test_optional_body_fields_stay_optional_for_generated_clients(api_client):
    schema = api_client.get("/api/openapi.json").json()
    join_in = schema["components"]["schemas"]["JoinIn"]
    assert "required" not in join_in
    # A `default` would make openapi-typescript type the field as always present: it is described instead.
    assert "default" not in join_in["properties"]["experience_level"]
    assert 'Default: "".' in join_in["properties"]["experience_level"]["description"]
