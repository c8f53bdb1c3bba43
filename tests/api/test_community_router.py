"""HTTP contract of /events/{id}/resources, /pledges, /photos and /comments: statuses, bodies, bad input."""

import io
import random

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from mutiroes.events.models import Comment, EventPhoto, Pledge, Resource
from tests.events.photo_samples import image_bytes, metadata_of, phone_jpeg, upload
from tests.support.api import assert_error, openapi_document

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]  # uploads go to a temp dir

EVENTS = "/api/v1/events"
GLOVES = {"name": "Luvas", "resource_type": "material", "quantity_needed": 10, "unit": "pares"}


@pytest.fixture
def stranger(user_factory):
    return user_factory()


@pytest.fixture
def draft(event_factory):
    return event_factory(status="draft")


def _resource(api_client, event, **fields):
    response = api_client.post(f"{EVENTS}/{event.id}/resources", GLOVES | fields, user=event.organizer)
    assert response.status_code == 201, response.content
    return response.json()


# --- resources and pledges ----------------------------------------------------------------------------


def test_organizer_manages_resources(api_client, event):
    created = _resource(api_client, event)
    assert created | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "event_id": event.id,
        "name": "Luvas",
        "description": "",
        "resource_type": "material",
        "quantity_needed": "10.00",
        "unit": "pares",
        "quantity_pledged": "0.00",
        "surplus": "0.00",
        "my_pledge": None,
        "created_at": "",
        "updated_at": "",
    }
    path = f"{EVENTS}/{event.id}/resources/{created['id']}"

    patched = api_client.patch(path, {"quantity_needed": "12.5"}, user=event.organizer)
    assert (patched.status_code, patched.json()["quantity_needed"]) == (200, "12.50")

    assert api_client.delete(path, user=event.organizer).status_code == 204
    assert not Resource.objects.exists()


def test_resource_list_is_public_and_paginated(api_client, event):
    for n in range(3):
        _resource(api_client, event, name=f"item {n}")
    body = api_client.get(f"{EVENTS}/{event.id}/resources", params={"page_size": 2}).json()
    assert (body["count"], [r["name"] for r in body["items"]]) == (3, ["item 0", "item 1"])


def test_resources_of_an_invisible_event_are_404_for_others(api_client, draft, stranger):
    assert_error(api_client.get(f"{EVENTS}/{draft.id}/resources"), 404)
    assert_error(api_client.post(f"{EVENTS}/{draft.id}/resources", GLOVES, user=stranger), 404)
    assert api_client.get(f"{EVENTS}/{draft.id}/resources", user=draft.organizer).status_code == 200


def test_only_the_organizer_writes_resources(api_client, event, participant, stranger):
    resource = _resource(api_client, event)
    path = f"{EVENTS}/{event.id}/resources/{resource['id']}"
    for user in (participant, stranger):
        assert_error(api_client.post(f"{EVENTS}/{event.id}/resources", GLOVES, user=user), 403, "not_organizer")
        assert_error(api_client.patch(path, {"name": "Pás"}, user=user), 403)
        assert_error(api_client.delete(path, user=user), 403)
    assert_error(api_client.post(f"{EVENTS}/{event.id}/resources", GLOVES), 401)
    assert Resource.objects.get().name == "Luvas"


@pytest.mark.parametrize(
    "body",
    [
        GLOVES | {"quantity_needed": 0},
        GLOVES | {"quantity_needed": -1},
        GLOVES | {"quantity_needed": "NaN"},
        GLOVES | {"quantity_needed": "Infinity"},
        GLOVES | {"quantity_needed": 1.234},
        GLOVES | {"quantity_needed": 10**12},
        GLOVES | {"resource_type": "vehicle"},
        GLOVES | {"name": ""},
        GLOVES | {"name": "L" * 121},
        GLOVES | {"name": "Lu\x00vas"},
        GLOVES | {"event_id": 99},
        GLOVES | {"quantity_pledged": 5},
        {"name": "Luvas"},
    ],
    ids=lambda body: ",".join(f"{k}={str(v)[:12]!r}" for k, v in body.items() if GLOVES.get(k) != v) or "missing",
)
def test_bad_resource_input_is_422(api_client, event, body):
    assert_error(api_client.post(f"{EVENTS}/{event.id}/resources", body, user=event.organizer), 422)
    assert not Resource.objects.exists()


def test_patch_cannot_null_a_field(api_client, event):
    resource = _resource(api_client, event)
    response = api_client.patch(f"{EVENTS}/{event.id}/resources/{resource['id']}", {"unit": None}, user=event.organizer)
    assert_error(response, 422)


def test_pledges_upsert_and_over_pledging_shows_a_surplus(
    api_client, event, participant, user_factory, participation_factory
):
    resource = _resource(api_client, event, quantity_needed=10)
    path = f"{EVENTS}/{event.id}/resources/{resource['id']}/pledges"

    first = api_client.post(path, {"quantity": 4}, user=participant)
    again = api_client.post(path, {"quantity": "6.5"}, user=participant)
    assert (first.status_code, again.status_code) == (201, 200)
    assert (again.json()["quantity_pledged"], again.json()["my_pledge"], again.json()["surplus"]) == (
        "6.50",
        "6.50",
        "0.00",
    )

    other = user_factory()
    participation_factory(event=event, user=other)
    over = api_client.post(path, {"quantity": 7}, user=other).json()
    assert (over["quantity_pledged"], over["surplus"], over["my_pledge"]) == ("13.50", "3.50", "7.00")

    listed = api_client.get(f"{EVENTS}/{event.id}/resources").json()["items"][0]
    assert (listed["quantity_pledged"], listed["surplus"], listed["my_pledge"]) == ("13.50", "3.50", None)


def test_pledge_of_zero_and_delete_withdraw(api_client, event, participant):
    resource = _resource(api_client, event)
    path = f"{EVENTS}/{event.id}/resources/{resource['id']}/pledges"
    api_client.post(path, {"quantity": 3}, user=participant)

    zero = api_client.post(path, {"quantity": 0}, user=participant)
    assert (zero.status_code, zero.json()["quantity_pledged"], zero.json()["my_pledge"]) == (200, "0.00", None)

    api_client.post(path, {"quantity": 3}, user=participant)
    assert api_client.delete(path, user=participant).status_code == 204
    assert not Pledge.objects.exists()


def test_pledge_needs_a_place_at_the_event(api_client, event, stranger, draft):
    resource = _resource(api_client, event)
    path = f"{EVENTS}/{event.id}/resources/{resource['id']}/pledges"
    assert_error(api_client.post(path, {"quantity": 1}, user=stranger), 403, "not_participant")
    assert_error(api_client.post(path, {"quantity": 1}, user=event.organizer), 403)
    assert_error(api_client.post(path, {"quantity": 1}), 401)
    assert_error(api_client.post(f"{EVENTS}/{event.id}/resources/999999/pledges", {"quantity": 1}, user=stranger), 404)
    assert_error(api_client.post(f"{EVENTS}/{draft.id}/resources/1/pledges", {"quantity": 1}, user=stranger), 404)


@pytest.mark.parametrize(
    "body", [{"quantity": -1}, {"quantity": "1e9"}, {"quantity": 0.001}, {"quantity": 1, "user_id": 3}, {}]
)
def test_bad_pledge_input_is_422(api_client, event, participant, body):
    resource = _resource(api_client, event)
    response = api_client.post(f"{EVENTS}/{event.id}/resources/{resource['id']}/pledges", body, user=participant)
    assert_error(response, 422)


def test_pledge_on_a_cancelled_event_is_409(api_client, event, participant):
    resource = _resource(api_client, event)
    event.status = "cancelled"
    event.save()
    response = api_client.post(
        f"{EVENTS}/{event.id}/resources/{resource['id']}/pledges", {"quantity": 1}, user=participant
    )
    assert_error(response, 409, "event_closed")


# --- photos -------------------------------------------------------------------------------------------


def _photo(api_client, event, user, content=None, name="photo.jpg", **fields):
    data = {"photo": upload(image_bytes() if content is None else content, name)} | fields
    return api_client.post(f"{EVENTS}/{event.id}/photos", data=data, user=user)


def test_participant_uploads_and_everyone_lists_photos(api_client, event, participant):
    response = _photo(api_client, event, participant, caption="Antes da limpeza", is_before="true")
    assert response.status_code == 201, response.content
    photo = response.json()
    assert set(photo) == {
        "id",
        "event_id",
        "url",
        "thumbnail_url",
        "caption",
        "is_before",
        "is_after",
        "uploaded_by",
        "created_at",
    }
    assert (photo["caption"], photo["is_before"], photo["is_after"]) == ("Antes da limpeza", True, False)
    assert photo["uploaded_by"] == {"id": participant.pk, "username": participant.username}
    assert photo["url"].startswith("/media/") and photo["thumbnail_url"].startswith("/media/")

    listed = api_client.get(f"{EVENTS}/{event.id}/photos").json()
    assert (listed["count"], listed["items"]) == (1, [photo])


def test_uploaded_jpeg_keeps_no_gps(api_client, event, participant):
    response = _photo(api_client, event, participant, phone_jpeg())
    assert response.status_code == 201, response.content
    stored = EventPhoto.objects.get(pk=response.json()["id"])
    with default_storage.open(stored.image.name) as handle:
        assert metadata_of(handle.read())["gps"] == {}


def test_ten_megabyte_upload_is_a_json_413(api_client, event, participant):
    big = image_bytes(size=(64, 64)) + b"\0" * (10 * 1024 * 1024)
    body = assert_error(_photo(api_client, event, participant, big), 413, "photo_too_large")
    assert body["details"]["max_bytes"] == 8 * 1024 * 1024
    assert not EventPhoto.objects.exists()


def test_ten_megabyte_upload_with_an_idempotency_key_is_a_json_413(api_client, event, participant):
    big = {"photo": upload(b"\xff\xd8" + b"\0" * (10 * 1024 * 1024))}
    response = api_client.post(
        f"{EVENTS}/{event.id}/photos", data=big, user=participant, headers={"Idempotency-Key": "k-big"}
    )
    assert_error(response, 413)


def test_upload_above_the_in_memory_limit_works_with_an_idempotency_key(api_client, event, participant, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10_000
    noisy = Image.frombytes("RGB", (300, 300), random.Random(7).randbytes(300 * 300 * 3))  # does not compress
    buffer = io.BytesIO()
    noisy.save(buffer, format="PNG")
    content = buffer.getvalue()
    assert len(content) > 10_000
    headers = {"Idempotency-Key": "k-photo-1"}

    first = api_client.post(
        f"{EVENTS}/{event.id}/photos", data={"photo": upload(content, "a.png")}, user=participant, headers=headers
    )
    replay = api_client.post(
        f"{EVENTS}/{event.id}/photos", data={"photo": upload(content, "a.png")}, user=participant, headers=headers
    )

    assert (first.status_code, replay.status_code, replay.json()) == (201, 201, first.json())
    assert EventPhoto.objects.count() == 1


def test_non_image_named_jpg_is_415(api_client, event, participant):
    response = _photo(api_client, event, participant, b"#!/bin/sh\necho not a photo\n" * 50, name="beach.jpg")
    assert_error(response, 415, "unsupported_image")


def test_decompression_bomb_is_422(api_client, event, participant):
    response = _photo(api_client, event, participant, image_bytes("PNG", size=(8000, 6000), mode="1"))
    assert_error(response, 422)


@pytest.mark.parametrize(
    "fields",
    [
        {"is_before": "true", "is_after": "true"},
        {"caption": "x" * 501},
        {"caption": "a\x00b"},
        {"is_before": "maybe"},
        {"uploaded_by": "1"},
    ],
    ids=["before-and-after", "long-caption", "nul-caption", "bad-bool", "unknown-field"],
)
def test_bad_photo_fields_are_422(api_client, event, participant, fields):
    assert_error(_photo(api_client, event, participant, **fields), 422)
    assert not EventPhoto.objects.exists()


def test_missing_photo_file_is_422(api_client, event, participant):
    response = api_client.post(f"{EVENTS}/{event.id}/photos", data={"caption": "sem foto"}, user=participant)
    assert_error(response, 422)


def test_photo_upload_permissions(api_client, event, stranger, user_factory, participation_factory, draft):
    pending = user_factory()
    participation_factory(event=event, user=pending, status="pending")
    assert_error(_photo(api_client, event, stranger), 403, "not_participant")
    assert_error(_photo(api_client, event, pending), 403)
    assert_error(_photo(api_client, event, None), 401)
    assert_error(_photo(api_client, draft, stranger), 404)
    assert _photo(api_client, event, event.organizer).status_code == 201


def test_photo_deletion_rules(api_client, event, participant, user_factory, participation_factory, draft):
    photo = _photo(api_client, event, participant).json()
    path = f"{EVENTS}/{event.id}/photos/{photo['id']}"
    other = user_factory()
    participation_factory(event=event, user=other)

    assert_error(api_client.delete(path, user=other), 403, "not_owner")
    assert_error(api_client.delete(f"{EVENTS}/{draft.id}/photos/{photo['id']}", user=other), 404)
    assert api_client.delete(path, user=participant).status_code == 204
    assert_error(api_client.delete(path, user=participant), 404)

    moderated = _photo(api_client, event, other).json()
    assert api_client.delete(f"{EVENTS}/{event.id}/photos/{moderated['id']}", user=event.organizer).status_code == 204
    assert not EventPhoto.objects.exists()


def test_photo_list_of_an_invisible_event_is_404(api_client, draft):
    assert_error(api_client.get(f"{EVENTS}/{draft.id}/photos"), 404)


def test_openapi_declares_the_upload_statuses(api_client):
    operation = openapi_document()["paths"][f"{EVENTS}/{{event_id}}/photos"]["post"]
    assert {"201", "401", "403", "404", "409", "413", "415", "422"} <= set(operation["responses"])
    assert "multipart/form-data" in operation["requestBody"]["content"]


# --- comments -----------------------------------------------------------------------------------------


def _comment(api_client, event, user, content="Alguém tem carona?", parent_id=None):
    body = {"content": content} | ({"parent_id": parent_id} if parent_id else {})
    return api_client.post(f"{EVENTS}/{event.id}/comments", body, user=user)


def test_threaded_comments(api_client, event, stranger, participant):
    top = _comment(api_client, event, stranger)
    assert top.status_code == 201, top.content
    top = top.json()
    reply = _comment(api_client, event, participant, "Eu levo você", parent_id=top["id"]).json()
    assert (reply["parent_id"], reply["author"]["username"]) == (top["id"], participant.username)

    body = api_client.get(f"{EVENTS}/{event.id}/comments").json()

    assert body["count"] == 1
    thread = body["items"][0]
    assert (thread["id"], thread["content"], thread["is_deleted"]) == (top["id"], "Alguém tem carona?", False)
    assert [r["content"] for r in thread["replies"]] == ["Eu levo você"]


def test_reply_to_a_reply_is_422(api_client, event, stranger):
    top = _comment(api_client, event, stranger).json()
    reply = _comment(api_client, event, stranger, parent_id=top["id"]).json()
    body = assert_error(_comment(api_client, event, stranger, parent_id=reply["id"]), 422)
    assert "parent_id" in body["details"]["fields"]


@pytest.mark.parametrize(
    "body",
    [
        {"content": ""},
        {"content": "   "},
        {"content": "x" * 2001},
        {"content": "oi\x00"},
        {"content": "oi", "author_id": 1},
        {"content": "oi", "parent_id": 0},
    ],
    ids=["empty", "blank", "too-long", "nul", "unknown-field", "bad-parent"],
)
def test_bad_comment_input_is_422(api_client, event, stranger, body):
    assert_error(api_client.post(f"{EVENTS}/{event.id}/comments", body, user=stranger), 422)
    assert not Comment.objects.exists()


def test_comment_permissions(api_client, event, stranger, draft):
    assert_error(_comment(api_client, event, None), 401)
    assert_error(_comment(api_client, draft, stranger), 404)
    assert_error(api_client.get(f"{EVENTS}/{draft.id}/comments"), 404)


def test_comment_deletion_and_moderation(api_client, event, stranger, participant):
    top = _comment(api_client, event, stranger).json()
    reply = _comment(api_client, event, participant, "spam spam", parent_id=top["id"]).json()

    assert_error(api_client.delete(f"{EVENTS}/{event.id}/comments/{top['id']}", user=participant), 403, "not_owner")
    assert api_client.delete(f"{EVENTS}/{event.id}/comments/{top['id']}", user=stranger).status_code == 204
    # A removed comment with replies stays as a marker, so the thread keeps its shape.
    kept = _comment(api_client, event, participant, "outra pergunta").json()
    api_client.delete(f"{EVENTS}/{event.id}/comments/{reply['id']}", user=event.organizer)
    thread = api_client.get(f"{EVENTS}/{event.id}/comments").json()["items"]
    assert [t["id"] for t in thread] == [kept["id"]]  # the removed top comment lost its only reply: gone

    _comment(api_client, event, participant, "resposta", parent_id=kept["id"])
    api_client.delete(f"{EVENTS}/{event.id}/comments/{kept['id']}", user=event.organizer)
    marker = api_client.get(f"{EVENTS}/{event.id}/comments").json()["items"][0]
    assert (marker["is_deleted"], marker["content"], marker["author"]) == (True, "[comentário removido]", None)
    assert [r["content"] for r in marker["replies"]] == ["resposta"]


# --- stats --------------------------------------------------------------------------------------------


def test_stats_count_photos_and_covered_resources(api_client, event, participant):
    covered = _resource(api_client, event, quantity_needed=1)
    _resource(api_client, event, quantity_needed=100)
    api_client.post(f"{EVENTS}/{event.id}/resources/{covered['id']}/pledges", {"quantity": 2}, user=participant)
    _photo(api_client, event, participant)

    stats = api_client.get(f"{EVENTS}/{event.id}/stats").json()

    assert (stats["photos"], stats["resources_total"], stats["resources_covered"]) == (1, 2, 1)
