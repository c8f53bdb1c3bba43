"""docs/openapi.json is the committed contract that clients (the web app among them) are generated from.

It must be exactly what the running API serves: a schema change shows up in review as a diff of this file,
and the web client generated from it cannot silently fall behind.
"""

import json
from pathlib import Path

import pytest

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"

pytestmark = pytest.mark.django_db


def test_committed_openapi_document_matches_the_live_schema(api_client):
    live = api_client.get("/api/openapi.json").json()
    committed = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert committed == live, "docs/openapi.json is stale: run `make schema` and commit the result"
