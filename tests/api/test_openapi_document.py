"""docs/openapi.json is the committed contract that clients (the web app among them) are generated from.

It must be exactly what the running API serves: a schema change shows up in review as a diff of this file,
and the web client generated from it cannot silently fall behind.
"""

import json
import re
from pathlib import Path

import pytest

from tests.support.api import openapi_document

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"

pytestmark = pytest.mark.django_db


def test_committed_openapi_document_matches_the_live_schema(api_client):
    live = api_client.get("/api/openapi.json").json()
    committed = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert committed == live, "docs/openapi.json is stale: run `make schema` and commit the result"


def test_operation_ids_are_short_unique_camel_case():
    schema = openapi_document()
    ids = [operation["operationId"] for item in schema["paths"].values() for operation in item.values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", i) and len(i) <= 40 for i in ids), ids
    assert {"listEvents", "createEvent", "joinEvent", "obtainToken", "uploadPhoto"} <= set(ids)


def test_optional_body_fields_stay_optional_for_generated_clients():
    schema = openapi_document()
    join_in = schema["components"]["schemas"]["JoinIn"]
    assert "required" not in join_in
    # A `default` would make openapi-typescript type the field as always present: it is described instead.
    assert "default" not in join_in["properties"]["experience_level"]
    assert 'Default: "".' in join_in["properties"]["experience_level"]["description"]


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_has_an_id_a_declared_tag_a_description_and_its_errors():
    schema = openapi_document()
    declared = {tag["name"] for tag in schema["tags"] if tag.get("description")}
    problems = []
    for name, operation in _operations(schema):
        if not operation.get("operationId"):
            problems.append(f"{name}: no operationId")
        if not operation.get("tags") or not set(operation["tags"]) <= declared:
            problems.append(f"{name}: tags {operation.get('tags')} not among the declared {sorted(declared)}")
        description = operation.get("description", "")
        if not description.strip() or "\n" in description.strip():
            problems.append(f"{name}: no one-line description")
        if not any(str(status).startswith("4") for status in operation["responses"]):
            problems.append(f"{name}: no error response declared")
    assert not problems, "\n".join(problems)


def test_one_bearer_scheme_public_optional_and_required_operations_say_which():
    schema = openapi_document()
    assert schema["components"]["securitySchemes"] == {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": ANY_TEXT}
    }
    security = {name: operation["security"] for name, operation in _operations(schema)}
    assert security["POST /api/v1/auth/token"] == []
    assert security["GET /api/v1/categories"] == []
    assert security["GET /api/v1/events"] == [{"bearerAuth": []}, {}]
    assert security["POST /api/v1/events/{event_id}/join"] == [{"bearerAuth": []}]
    assert set(map(json.dumps, security.values())) == {"[]", '[{"bearerAuth": []}, {}]', '[{"bearerAuth": []}]'}
    staff = [operation for name, operation in _operations(schema) if name.split()[1].startswith("/api/v1/admin/")]
    assert staff and all(operation["description"].startswith("Staff only.") for operation in staff)


def test_info_servers_license_and_contact_are_declared():
    schema = openapi_document()
    assert schema["servers"] and all(server["url"] for server in schema["servers"])
    assert schema["info"]["license"]["identifier"] == "MIT"
    assert schema["info"]["contact"]["url"]


def test_no_two_paths_match_the_same_url_ambiguously():
    # A literal segment wins over a template (/users/me over /users/{username}); but /admin/jobs/{name}/run and
    # /admin/jobs/runs/{job_id} both match /admin/jobs/runs/run with neither more specific than the other.
    paths = [path.split("/") for path in openapi_document()["paths"]]

    def ambiguous(a, b):
        if len(a) != len(b) or any(x != y and "{" not in x + y for x, y in zip(a, b, strict=True)):
            return False
        a_literal = any("{" in y and "{" not in x for x, y in zip(a, b, strict=True))
        b_literal = any("{" in x and "{" not in y for x, y in zip(a, b, strict=True))
        return a_literal == b_literal

    clashes = [("/".join(a), "/".join(b)) for i, a in enumerate(paths) for b in paths[i + 1 :] if ambiguous(a, b)]
    assert not clashes, clashes


class _AnyText:
    def __eq__(self, other):
        return isinstance(other, str) and bool(other.strip())


ANY_TEXT = _AnyText()


ENUMS = {
    "EventStatus": {"draft", "published", "completed", "cancelled"},
    "ParticipationStatus": {"confirmed", "pending", "waitlisted", "cancelled", "rejected"},
    "ResourceType": {"tool", "material", "equipment", "other"},
    "ExperienceLevel": {"beginner", "intermediate", "experienced"},
    "JobRunState": {"queued", "running", "done", "failed", "missed"},
    "JobTrigger": {"schedule", "catch_up", "manual"},
}


def _refs(node):
    return re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(node))


def test_closed_sets_are_shared_enum_components():
    components = openapi_document()["components"]["schemas"]
    for name, values in ENUMS.items():
        assert set(components[name]["enum"]) == values, name
    assert len(components["BrazilianState"]["enum"]) == 27
    for name in ("BadgeCriterion", "NotificationKind", "ErrorCode"):
        assert components[name]["enum"], name
    # Input and output use the same component, not a copy each.
    assert "BrazilianState" in _refs(components["EventIn"]) and "BrazilianState" in _refs(components["EventOut"])
    assert "ResourceType" in _refs(components["ResourceIn"]) and "ResourceType" in _refs(components["ResourceOut"])
    assert "EventStatus" in _refs(components["EventOut"])


def test_outputs_require_every_field_and_patch_bodies_none():
    schema = openapi_document()
    components = schema["components"]["schemas"]
    event_out = components["EventOut"]
    assert set(event_out["required"]) == set(event_out["properties"])  # my_participation and distance_km too
    assert {"type": "null"} in event_out["properties"]["my_participation"]["anyOf"]
    patch = components["EventPatch"]
    assert "required" not in patch
    nullable = {name for name, field in patch["properties"].items() if "null" in json.dumps(field)}
    assert nullable == {"registration_deadline", "min_age", "max_age"}  # the fields null clears
    assert not any("default" in field for field in patch["properties"].values())


def test_fields_are_typed_as_they_are():
    components = openapi_document()["components"]["schemas"]
    assert components["MeOut"]["properties"]["date_joined"]["format"] == "date-time"
    assert components["PublicProfileWithStatsOut"]["properties"]["date_joined"]["format"] == "date-time"
    trees = [
        props["trees_planted"]
        for props in (c.get("properties", {}) for c in components.values())
        if "trees_planted" in props
    ]
    assert len(trees) >= 4 and all(field["type"] == "integer" for field in trees), trees
    assert components["ReportOut"]["properties"]["trash_kg"]["format"] == "decimal"
    hours = components["ReportIn"]["properties"]["hours"]["anyOf"]
    assert {branch["type"] for branch in hours} == {"number", "string"}
    assert next(b for b in hours if b["type"] == "string")["format"] == "decimal"
    assert components["PhotoOut"]["properties"]["url"]["format"] == "uri-reference"
    assert components["RegisterIn"]["properties"]["password"]["minLength"] == 8


def test_pages_have_plain_names_and_every_component_is_used():
    schema = openapi_document()
    names = set(schema["components"]["schemas"])
    assert {"EventPage", "ParticipantPage", "ResourcePage", "PhotoPage", "CommentThreadPage"} <= names
    assert not [name for name in names if not re.fullmatch(r"[A-Z][A-Za-z0-9]+", name)]
    used, pending = set(), set(_refs(schema["paths"]))
    while pending:
        name = pending.pop()
        used.add(name)
        pending |= set(_refs(schema["components"]["schemas"][name])) - used
    assert names == used, names - used


def test_every_error_code_in_the_sources_is_in_the_error_code_enum():
    enum = set(openapi_document()["components"]["schemas"]["ErrorCode"]["enum"])
    sources = "\n".join(path.read_text() for path in (DOCUMENT.parents[1] / "src" / "mutiroes").rglob("*.py"))
    literal = set(re.findall(r'\bcode(?:=|: |\s=\s)"([a-z_]+)"', sources))
    not_found = {f"{entity}_not_found" for entity in re.findall(r'NotFound\("([a-z_]+)"', sources)}
    assert literal and not_found and not (literal | not_found) - enum, (literal | not_found) - enum


def test_headers_downloads_and_uploads_are_declared():
    schema = openapi_document()
    assert {"RetryAfter", "IdempotentReplayed", "XRequestID"} <= set(schema["components"]["headers"])
    operations = dict(_operations(schema))
    for name, operation in operations.items():
        for status, response in operation["responses"].items():
            assert "X-Request-ID" in response["headers"], (name, status)
            if status in {"429", "503"}:
                assert "Retry-After" in response["headers"], (name, status)
    assert "Idempotent-Replayed" in operations["POST /api/v1/events"]["responses"]["201"]["headers"]
    for name, media in [
        ("GET /api/v1/impact/monthly.csv", "text/csv"),
        ("GET /api/v1/events/{event_id}/participants.csv", "text/csv"),
        ("GET /api/v1/events/{event_id}/calendar.ics", "text/calendar"),
    ]:
        assert operations[name]["responses"]["200"]["content"] == {media: {"schema": {"type": "string"}}}, name
    upload = operations["POST /api/v1/events/{event_id}/photos"]["requestBody"]["content"]["multipart/form-data"]
    assert upload["encoding"]["photo"]["contentType"] == "image/jpeg, image/png, image/webp"
    json_bodies = [
        op for op in operations.values() if "application/json" in op.get("requestBody", {}).get("content", {})
    ]
    assert json_bodies and all("415" in op["responses"] for op in json_bodies)


def test_created_objects_link_to_their_sub_resources():
    schema = openapi_document()
    operations = {operation["operationId"]: (path, operation) for path, item in schema["paths"].items()
                  for operation in item.values()}  # fmt: skip
    components = schema["components"]["schemas"]
    links_of = {}
    for name, (_, operation) in operations.items():
        for status, response in operation["responses"].items():
            for link in response.get("links", {}).values():
                links_of.setdefault(name, set()).add(link["operationId"])
                target_path, _ = operations[link["operationId"]]
                # Every path parameter of the target is supplied: from the created body or the producer's own path.
                assert set(link["parameters"]) == set(re.findall(r"{(\w+)}", target_path)), (name, link)
                body = components[response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
                for expression in link["parameters"].values():
                    if expression.startswith("$response.body#/"):
                        assert expression.removeprefix("$response.body#/") in body["required"], (name, status)
                    else:
                        assert expression.removeprefix("$request.path.") in re.findall(r"{(\w+)}", operations[name][0])
    assert {"joinEvent", "listParticipants", "createReport", "listResources", "listPhotos", "listComments"} <= links_of[
        "createEvent"
    ]
    # What does not exist until something else happens is linked from that: a report once filed.
    assert "getReport" not in links_of["createEvent"] and links_of["createReport"] == {"getReport"}
    assert links_of["joinEvent"] == {"updateParticipant", "adjustHours", "revokeCertificate"}
    assert {"pledgeResource", "deleteResource"} <= links_of["createResource"]
    assert links_of["uploadPhoto"] == {"deletePhoto"} and links_of["createComment"] == {"deleteComment"}
