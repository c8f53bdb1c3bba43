"""Bad input anywhere is a 4xx JSON error {"code", "message", "details"}, never a 500, and changes nothing."""

import json
import re

import pytest
from ninja_jwt.tokens import RefreshToken

from mutiroes.events.models import Event, Participation
from tests.events.photo_samples import image_bytes
from tests.support.api import EVENTS, assert_error, event_payload, openapi_document

pytestmark = pytest.mark.django_db

DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
MALFORMED = [
    b'{"title": ',
    b"{'title': 'aspas simples'}",
    b'{"title": "x",}',
    b"{title: 1}",
    b"\x00",
    b'{"title": "a\x00b"}',  # a raw NUL inside a JSON string is not JSON
    b"\xff\xfe\xfd",  # not UTF-8
    b'{"title": "\xc3\x28"}',  # invalid UTF-8 sequence inside a string
    b"\xef\xbb\xbf\xff",
    DEEP_OBJECT,
    DEEP_ARRAY,
    b'{"n": ' + b"9" * 10_000 + b"}",  # more digits than Python converts
    b"{" * 10,
]


def _bearer(user):
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


@pytest.fixture
def actor(user_factory):
    return user_factory()


@pytest.fixture
def event(event_factory):
    return event_factory(status="published")


def _json_body_operations():
    """(method, path template, documented statuses) of every operation that takes a JSON body (OpenAPI)."""
    schema = openapi_document()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                yield method, path, {int(status) for status in operation["responses"]}


def _operations():
    """(method, path template, documented statuses) of every operation in the OpenAPI schema."""
    schema = openapi_document()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method, path, {int(status) for status in operation["responses"]}


def _fill(path, event_id):
    path = path.replace("{event_id}", str(event_id))
    return re.sub(r"\{[a-z_]+\}", "1", path)


def assert_client_error_json(response, context=""):
    assert 400 <= response.status_code < 500, (context, response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), context
    body = response.json()
    assert set(body) == {"code", "message", "details"}, (context, body)
    assert isinstance(body["details"], dict)
    return body


def test_every_json_route_answers_malformed_bodies_with_400(client, actor, user_factory, event):
    operations = list(_json_body_operations())
    assert len(operations) >= 8  # the walk really covers the API
    staff = user_factory(is_staff=True)
    before = (Event.objects.count(), Participation.objects.count())
    for method, template, documented in operations:
        path = _fill(template, event.id)
        for body in MALFORMED:
            for caller, turned_away in ((staff, set()), (actor, {403}), (None, {401})):
                headers = _bearer(caller) if caller else {}
                response = getattr(client, method)(path, body, content_type="application/json", headers=headers)
                result = assert_client_error_json(response, (method, template, body[:20]))
                # Staff passes every gate, so the body is read: 400. Others may be turned away before that.
                assert response.status_code in {400} | turned_away, (method, template, body[:20], result)
                # Clients are generated from the schema: every status a route returns is declared there.
                assert response.status_code in documented, (method, template, response.status_code, documented)
        # Python's parser accepts the non-standard NaN; it must still be refused, as any non-object body is.
        assert_client_error_json(
            getattr(client, method)(path, b"NaN", content_type="application/json", headers=_bearer(actor))
        )
    assert (Event.objects.count(), Participation.objects.count()) == before


def test_wrong_types_are_422_with_field_details(client, actor):
    cases = {
        "title": 123,
        "max_participants": "muitos",
        "latitude": "norte",
        "is_public": "talvez",
        "start_date": "amanhã",
        "category_id": 1.5,
        "tools_needed": ["pá"],
        "requires_approval": {"sim": True},
    }
    for field, value in cases.items():
        response = client.post(
            EVENTS, event_payload(**{field: value}), content_type="application/json", headers=_bearer(actor)
        )
        body = assert_error(response, 422)
        assert field in body["details"]["fields"], (field, body)
    for body in ([], "texto", 42, None, True):
        response = client.post(EVENTS, json.dumps(body), content_type="application/json", headers=_bearer(actor))
        assert_error(response, 422)
    assert not Event.objects.exists()


def test_values_of_another_json_type_are_not_coerced(client, actor):
    """What the schema says a value is, it must be on the wire: lax parsing would take all of these."""
    cases = {
        "max_participants": "12",
        "category_id": "1",
        "latitude": "-23.5",
        "is_public": 1,
        "requires_approval": "true",
        "min_age": True,
        "start_date": 1_900_000_000,
        "end_date": "1900000000",
    }
    for field, value in cases.items():
        response = client.post(
            EVENTS, event_payload(**{field: value}), content_type="application/json", headers=_bearer(actor)
        )
        assert field in assert_error(response, 422)["details"]["fields"], (field, value)
    assert not Event.objects.exists()
    # An integral float is the integer JSON Schema says it is.
    response = client.post(EVENTS, event_payload(max_participants=12.0), content_type="application/json",
                           headers=_bearer(actor))  # fmt: skip
    assert response.status_code == 201, response.content
    # Query values are text, but a date is still not a number of seconds.
    for query in ("starts_before=0.5", "starts_after=1700000000"):
        assert "starts" in next(iter(assert_error(client.get(f"{EVENTS}?{query}"), 422)["details"]["fields"]))
    assert "to" in assert_error(client.get("/api/v1/impact/summary?to=0"), 422)["details"]["fields"]
    profile = client.patch("/api/v1/users/me", {"show_stats": 0}, content_type="application/json",
                           headers=_bearer(actor))  # fmt: skip
    assert "show_stats" in assert_error(profile, 422)["details"]["fields"]


def test_unknown_fields_are_422_everywhere(client, actor, event):
    url = f"{EVENTS}/{event.id}"
    cases = [
        ("post", EVENTS, event_payload(surpresa=1)),
        ("patch", url, {"title": "Novo", "surpresa": 1}),
        ("post", f"{url}/join", {"surpresa": 1}),
        ("post", f"{url}/check-in", {"code": "X", "surpresa": 1}),
        ("patch", "/api/v1/users/me", {"surpresa": 1}),
        (
            "post",
            "/api/v1/auth/register",
            {"username": "a1", "email": "a1@example.org", "password": "x" * 12, "surpresa": 1},
        ),
        ("post", "/api/v1/auth/token", {"username": "a", "password": "b", "surpresa": 1}),
        ("post", "/api/v1/auth/token/refresh", {"refresh": "x", "surpresa": 1}),
    ]
    for method, path, body in cases:
        response = getattr(client, method)(path, body, content_type="application/json", headers=_bearer(actor))
        result = assert_error(response, 422)
        assert "surpresa" in json.dumps(result["details"]), (path, result)
    assert Event.objects.get(pk=event.pk).title == event.title
    assert not Participation.objects.exists()


def test_nul_bytes_in_json_strings_are_422(client, actor, event):
    for field in ("title", "description", "address", "city", "tools_needed"):
        response = client.post(
            EVENTS, event_payload(**{field: "lixo\x00aqui"}), content_type="application/json", headers=_bearer(actor)
        )
        body = assert_error(response, 422)
        assert field in body["details"]["fields"]
    patch = client.patch(
        f"{EVENTS}/{event.id}", {"title": "a\x00b"}, content_type="application/json", headers=_bearer(event.organizer)
    )
    assert_error(patch, 422)
    assert_error(
        client.patch("/api/v1/users/me", {"bio": "\x00"}, content_type="application/json", headers=_bearer(actor)), 422
    )
    assert_error(
        client.post("/api/v1/auth/token", {"username": "a\x00", "password": "b"}, content_type="application/json"), 422
    )
    assert not Event.objects.exclude(pk=event.pk).exists()
    assert Event.objects.get(pk=event.pk).title == event.title


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/events?q=%00",
        "/api/v1/events?city=S%C3%A3o%00Paulo",
        "/api/v1/events?near=-23.5%00,-46.6",
        "/api/v1/events?%00=1",
        "/api/v1/events/1%00",
        "/api/v1/events/%00/join",
        "/api/v1/users/jo%00ana",
        "/api/v1/users/%00",
    ],
)
def test_nul_bytes_in_url_are_400(client, actor, url):
    for headers in (_bearer(actor), {}):
        body = assert_client_error_json(client.get(url, headers=headers), url)
        assert body["code"] in {"bad_request", "validation_error", "not_found"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_participants", 10**30),
        ("max_participants", 2**63),
        ("max_participants", 1e300),
        ("max_participants", -(10**30)),
        ("category_id", 10**40),
        ("min_age", 2**31),
        ("latitude", 1e308),
        ("longitude", -1e308),
    ],
)
def test_huge_numbers_in_the_body_are_422(client, actor, field, value):
    response = client.post(
        EVENTS, event_payload(**{field: value}), content_type="application/json", headers=_bearer(actor)
    )
    body = assert_error(response, 422)
    assert field in body["details"]["fields"]
    assert not Event.objects.exists()


def test_infinite_floats_in_the_body_are_422(client, actor):
    # 1e999 is valid JSON but overflows to infinity.
    raw = json.dumps(event_payload()).replace('"latitude": -23.5505', '"latitude": 1e999')
    assert_error(client.post(EVENTS, raw, content_type="application/json", headers=_bearer(actor)), 422)
    raw = json.dumps(event_payload()).replace('"longitude": -46.6333', '"longitude": -1e999')
    assert_error(client.post(EVENTS, raw, content_type="application/json", headers=_bearer(actor)), 422)
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/events/99999999999999999999999999999",
        "/api/v1/events/9223372036854775808",
        "/api/v1/events/-1",
        "/api/v1/events/0",
        "/api/v1/events/1e9",
        "/api/v1/events/abc",
        "/api/v1/events/99999999999999999999999999999/calendar.ics",
        "/api/v1/events/1/participants/99999999999999999999999999",
    ],
)
def test_huge_or_bad_ids_in_the_path_are_4xx(client, actor, path):
    body = assert_client_error_json(client.get(path, headers=_bearer(actor)), path)
    assert body["code"] in {"validation_error", "not_found", "method_not_allowed"}


def test_largest_valid_id_is_a_clean_404(client, actor):
    assert_error(client.get(f"{EVENTS}/{2**63 - 1}", headers=_bearer(actor)), 404)
    assert_error(
        client.post(f"{EVENTS}/{2**63 - 1}/join", {}, content_type="application/json", headers=_bearer(actor)), 404
    )


@pytest.mark.parametrize(
    "query",
    [
        {"page_size": 10**9},
        {"page_size": 101},
        {"page_size": 0},
        {"page_size": -1},
        {"page": 0},
        {"page": 10**30},
        {"page": "primeira"},
        {"radius_km": "1e999"},
        {"radius_km": "nan"},
        {"radius_km": -5},
        {"radius_km": 10**12},
        {"near": "91,0"},
        {"near": "0,181"},
        {"near": "nan,nan"},
        {"near": "inf,0"},
        {"near": "1,2,3"},
        {"near": "norte"},
        {"category": 10**30},
        {"starts_after": "ontem"},
        {"starts_after": "2030-01-01T00:00:00"},  # no offset
        {"starts_after": "0001-01-01T00:00:00Z"},
        {"starts_before": "9999-12-31T23:59:59Z"},
        {"status": "apagado"},
        {"state": "ZZ"},
        {"ordering": "title; DROP TABLE events_event"},
        {"q": "x" * 10_000},
    ],
)
def test_bad_query_parameters_are_422(client, query):
    body = assert_error(client.get(EVENTS, query), 422)
    assert set(query) & set(body["details"]["fields"]), body


def test_405_has_allow_header_and_json_body(client, actor, event):
    for method, path, allowed in [
        ("put", EVENTS, {"GET", "POST"}),
        ("delete", EVENTS, {"GET", "POST"}),
        ("put", f"{EVENTS}/{event.id}", {"GET", "PATCH", "DELETE"}),
        ("get", f"{EVENTS}/{event.id}/join", {"POST"}),
        ("post", "/api/v1/categories", {"GET"}),
    ]:
        response = getattr(client, method)(path, {}, content_type="application/json", headers=_bearer(actor))
        body = assert_error(response, 405)
        assert {m.strip() for m in response["Allow"].split(",")} == allowed, (method, path)
        assert body["code"] == "method_not_allowed"
    assert Event.objects.filter(pk=event.pk).exists()


def test_unknown_api_route_is_json_404(client):
    for path in ("/api/v1/nothing", "/api/v2/events", f"{EVENTS}/1/nothing", "/api/"):
        assert_error(client.get(path), 404)


def test_body_over_the_limit_is_413(client, actor, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    big = json.dumps(event_payload(description="x" * (128 * 1024)))
    documented = {(method, path): statuses for method, path, statuses in _json_body_operations()}
    for path, headers in [
        (EVENTS, _bearer(actor)),
        (EVENTS, _bearer(actor) | {"Idempotency-Key": "grande"}),
        ("/api/v1/auth/token", {}),
        ("/api/v1/auth/register", {}),
    ]:
        assert_error(client.post(path, big, content_type="application/json", headers=headers), 413)
        assert 413 in documented[("post", path)]
    assert not Event.objects.exists()


def test_other_content_types_are_refused(client, actor):
    for content_type, body in [
        ("text/plain", "title=x"),
        ("application/x-www-form-urlencoded", "title=x&city=y"),
        ("application/xml", "<event/>"),
    ]:
        response = client.post(EVENTS, body, content_type=content_type, headers=_bearer(actor))
        assert_error(response, 415)
        assert response.json()["code"] == "unsupported_media_type"
    # Even a body that is valid JSON: the declared type is what counts.
    response = client.post(EVENTS, json.dumps(event_payload()), content_type="text/plain", headers=_bearer(actor))
    assert_error(response, 415)
    assert not Event.objects.exists()


def test_every_json_body_operation_declares_415(client):
    assert all(415 in statuses for _method, _path, statuses in _json_body_operations())


def test_every_error_in_this_module_had_the_contract_shape(client, actor, event):
    """A sweep of unrelated failures: each non-2xx response carries exactly code, message, details."""
    responses = [
        client.get(f"{EVENTS}/{event.id}", headers={"Authorization": "Bearer x"}),
        client.get("/api/v1/users/me"),
        client.post(f"{EVENTS}/{event.id}/publish", headers=_bearer(actor)),
        client.post(f"{EVENTS}/{event.id}/leave", headers=_bearer(actor)),
        client.post(f"{EVENTS}/{event.id}/join", {}, content_type="application/json", headers=_bearer(event.organizer)),
        client.get(EVENTS, {"page_size": 10**9}),
        client.get("/api/v1/nothing"),
        client.put(EVENTS),
        client.post(EVENTS, b"{", content_type="application/json", headers=_bearer(actor)),
    ]
    statuses = sorted({r.status_code for r in responses})
    assert statuses == [400, 401, 403, 404, 405, 409, 422]
    for response in responses:
        assert_client_error_json(response)


def test_errors_raised_before_the_api_are_json_too(client):
    # Django refuses an unknown Host in its own middleware, before any view runs.
    body = assert_error(client.get(EVENTS, HTTP_HOST="evil.example.com"), 400)
    assert body["code"] == "bad_request"


def test_replaced_error_bodies_keep_the_security_headers(client):
    for response in (client.get("/api/v1/nothing"), client.put(EVENTS), client.get(EVENTS, {"page_size": 10**9})):
        assert_client_error_json(response)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("bad_id", ["0", "abc", "99999999999999999999999"])
def test_bad_path_ids_are_422_and_documented_on_every_route(client, user_factory, bad_id):
    staff = user_factory(is_staff=True)
    checked = 0
    for method, template, documented in _operations():
        if not re.search(r"\{[a-z_]*id\}", template):
            continue
        path = re.sub(r"\{[a-z_]*id\}", bad_id, template)
        response = getattr(client, method)(path, {}, content_type="application/json", headers=_bearer(staff))
        body = assert_error(response, 422)
        assert any("id" in field for field in body["details"]["fields"]), (method, template, body)
        assert 422 in documented, (method, template, documented)
        checked += 1
    assert checked >= 10


PHOTO_PART = (
    b'--b\r\nContent-Disposition: form-data; name="photo"; filename="%s"\r\nContent-Type: image/jpeg\r\n\r\n%s\r\n'
)
FIELD_PART = b'--b\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n'


def _multipart(parts: list[bytes]) -> bytes:
    return b"".join(parts) + b"--b--\r\n"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b'--b\r\nContent-Disposition: form-data; name="photo"\r\n\r\nx\r\n--b--\r\n'),
        ("multipart/form-data; boundary=", b"--\r\n"),
        ("multipart/form-data; boundary=b", _multipart([PHOTO_PART % (b"a" * 20_000 + b".jpg", image_bytes())])),
        ("multipart/form-data; boundary=b", _multipart([FIELD_PART % n for n in range(1_500)])),
        ("multipart/form-data; boundary=b", _multipart([PHOTO_PART % (b"p%d.jpg" % n, b"x") for n in range(150)])),
        ("multipart/form-data; boundary=b", b"--b\r\nsem cabecalho\r\n"),
    ],
    ids=["no-boundary", "empty-boundary", "overlong-filename", "too-many-fields", "too-many-files", "truncated"],
)
def test_malformed_multipart_bodies_are_4xx(client, user_factory, event_factory, media_root, content_type, body):
    organizer = user_factory()
    event = event_factory(status="published", organizer=organizer)
    response = client.post(f"{EVENTS}/{event.id}/photos", body, content_type=content_type, headers=_bearer(organizer))
    assert_client_error_json(response, content_type)
    assert not event.photos.exists()


def test_a_long_but_acceptable_filename_is_stored_under_a_name_of_our_own(client, event_factory, media_root):
    event = event_factory(status="published")
    body = _multipart([PHOTO_PART % (b"foto-" * 150 + b".jpg", image_bytes())])
    response = client.post(
        f"{EVENTS}/{event.id}/photos", body, content_type="multipart/form-data; boundary=b",
        headers=_bearer(event.organizer),
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert len(event.photos.get().image.name) <= 100


def test_more_than_a_thousand_query_parameters_are_400(client):
    query = "&".join(f"p{n}=1" for n in range(1_001))
    for path in (EVENTS, "/api/v1/impact/summary", "/api/v1/categories"):
        body = assert_client_error_json(client.get(f"{path}?{query}"), path)
        assert body["code"] == "bad_request"


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"])
@pytest.mark.parametrize("bound", ["from", "to"])
def test_extreme_dates_on_the_impact_filters_are_422(client, bound, day):
    body = assert_client_error_json(client.get("/api/v1/impact/summary", {bound: day}))
    assert list(body["details"]["fields"]) == [bound]
    assert client.get("/api/v1/impact/summary", {bound: "2200-12-31"}).status_code == 200
