"""Participation over HTTP: join, waitlist, leave, participants, the CSV sign-in sheet, approvals, check-in."""

import csv
import io
from datetime import date, timedelta

import pytest

from mutiroes.events.models import Event, Participation
from tests.support.api import EVENTS, assert_error, event_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizer(user_factory):
    return user_factory()


def _create(api_client, organizer, **overrides):
    response = api_client.post(EVENTS, event_payload(**overrides), user=organizer)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def event(api_client, organizer):
    return _create(api_client, organizer, max_participants=2)


def _join(api_client, event_id, user, body=None):
    return api_client.post(f"{EVENTS}/{event_id}/join", body if body is not None else {}, user=user)


def _status(event_id, user):
    return Participation.objects.get(event_id=event_id, user=user).status


def test_join_returns_the_participation(api_client, event, user_factory):
    user = user_factory()
    response = _join(api_client, event["id"], user, {"emergency_contact": "Mãe", "experience_level": "beginner"})
    assert response.status_code == 201, response.content
    body = response.json()
    row = Participation.objects.get(event_id=event["id"], user=user)
    assert body["id"] == row.pk
    assert (body["event_id"], body["status"], body["checked_in_at"]) == (event["id"], "confirmed", None)
    assert body["user"] == {"id": user.pk, "username": user.username}
    assert "emergency_contact" not in body  # the participant's own view is the public shape
    assert (row.emergency_contact, row.experience_level) == ("Mãe", "beginner")


def test_join_without_a_body(api_client, event, user_factory):
    user = user_factory()
    response = api_client.post(f"{EVENTS}/{event['id']}/join", user=user)
    assert response.status_code == 201, response.content
    assert _status(event["id"], user) == "confirmed"


def test_repeated_join_is_200_with_the_same_row(api_client, event, user_factory):
    user = user_factory()
    first = _join(api_client, event["id"], user)
    second = _join(api_client, event["id"], user)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Participation.objects.filter(event_id=event["id"], user=user).count() == 1


def test_join_rejects_unknown_fields(api_client, event, user_factory):
    user = user_factory()
    for body in ({"status": "confirmed"}, {"user_id": 1}, {"checked_in_at": "2030-01-01T00:00:00Z"}):
        assert_error(_join(api_client, event["id"], user, body), 422)
    assert not Participation.objects.filter(event_id=event["id"]).exists()


def test_waitlist_then_promotion(api_client, event, user_factory):
    first, second, third = user_factory(), user_factory(), user_factory()
    statuses = [_join(api_client, event["id"], u).json()["status"] for u in (first, second, third)]
    assert statuses == ["confirmed", "confirmed", "waitlisted"]
    detail = api_client.get(f"{EVENTS}/{event['id']}", user=third).json()
    assert (detail["participants_count"], detail["spots_left"], detail["my_participation"]["status"]) == (
        2,
        0,
        "waitlisted",
    )

    left = api_client.post(f"{EVENTS}/{event['id']}/leave", user=first)

    assert left.status_code == 200
    assert left.json()["status"] == "cancelled"
    assert [_status(event["id"], u) for u in (first, second, third)] == ["cancelled", "confirmed", "confirmed"]


def test_waitlisted_callers_see_their_place_in_the_queue(api_client, event, user_factory):
    first, second, third, fourth = user_factory.create_batch(4)
    for user in (first, second, third, fourth):
        _join(api_client, event["id"], user)

    def mine(user):
        return api_client.get(f"{EVENTS}/{event['id']}", user=user).json()["my_participation"]

    assert mine(first)["waitlist_position"] is None  # confirmed: not in the queue
    assert [mine(third)["waitlist_position"], mine(fourth)["waitlist_position"]] == [1, 2]
    api_client.post(f"{EVENTS}/{event['id']}/leave", {}, user=first)  # third is promoted, fourth moves up
    assert (mine(third)["status"], mine(third)["waitlist_position"]) == ("confirmed", None)
    assert mine(fourth)["waitlist_position"] == 1


def test_leave_without_joining_is_404(api_client, event, user_factory):
    assert_error(api_client.post(f"{EVENTS}/{event['id']}/leave", user=user_factory()), 404)


def test_rejoin_after_leaving(api_client, event, user_factory):
    user = user_factory()
    first = _join(api_client, event["id"], user).json()
    api_client.post(f"{EVENTS}/{event['id']}/leave", user=user)
    again = _join(api_client, event["id"], user)
    assert again.status_code == 201
    assert (again.json()["id"], again.json()["status"]) == (first["id"], "confirmed")


def test_join_errors_map_to_statuses(api_client, organizer, user_factory):
    user = user_factory()
    draft = _create(api_client, organizer, status="draft")
    assert_error(_join(api_client, draft["id"], user), 404)
    assert_error(_join(api_client, 999_999_999, user), 404)
    own = _create(api_client, organizer)
    assert_error(_join(api_client, own["id"], organizer), 409, "organizer_cannot_join")
    aged = _create(api_client, organizer, min_age=18)
    assert_error(_join(api_client, aged["id"], user), 409, "birth_date_required")
    api_client.patch(
        "/api/v1/users/me", {"birth_date": (date.today() - timedelta(days=365 * 12)).isoformat()}, user=user
    )
    body = assert_error(_join(api_client, aged["id"], user), 409, "age_not_allowed")
    assert body["details"]["min_age"] == 18
    assert not Participation.objects.filter(user=user).exists()


def test_registration_deadline_over_http(api_client, organizer, user_factory, frozen_clock):
    payload = event_payload()
    start = Event._meta.get_field("start_date").to_python(payload["start_date"])
    deadline = start - timedelta(days=2)
    event = _create(api_client, organizer, registration_deadline=deadline.isoformat())
    frozen_clock.set(deadline + timedelta(seconds=1))
    user = user_factory()
    assert_error(_join(api_client, event["id"], user), 409, "registration_closed")
    assert not Participation.objects.filter(event_id=event["id"]).exists()


# --- the organiser's view -------------------------------------------------------------------------------


@pytest.fixture
def crowd(api_client, event, user_factory):
    alice = user_factory(first_name="Alice", last_name="Souza")
    bob = user_factory(first_name='=HYPERLINK("http://x")', last_name="")
    carol = user_factory(first_name="Carol", last_name="Lima")
    _join(
        api_client,
        event["id"],
        alice,
        {
            "emergency_contact": "Mãe da Alice",
            "emergency_phone": "+55 11 91111-1111",
            "special_needs": "alergia a abelhas",
            "experience_level": "experienced",
        },
    )
    _join(api_client, event["id"], bob, {"emergency_phone": "-1+1"})
    _join(api_client, event["id"], carol)  # waitlisted
    return alice, bob, carol


def test_organizer_lists_participants_with_emergency_data(api_client, event, organizer, crowd):
    alice, bob, carol = crowd
    response = api_client.get(f"{EVENTS}/{event['id']}/participants", user=organizer)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    by_user = {item["user"]["username"]: item for item in body["items"]}
    assert set(by_user) == {alice.username, bob.username, carol.username}
    assert by_user[alice.username]["emergency_contact"] == "Mãe da Alice"
    assert by_user[alice.username]["emergency_phone"] == "+55 11 91111-1111"
    assert by_user[alice.username]["special_needs"] == "alergia a abelhas"
    assert by_user[alice.username]["email"] == alice.email
    assert by_user[carol.username]["status"] == "waitlisted"


def test_participant_list_is_paginated(api_client, event, organizer, crowd):
    url = f"{EVENTS}/{event['id']}/participants"
    first = api_client.get(url, {"page_size": 2}, user=organizer).json()
    second = api_client.get(url, {"page_size": 2, "page": 2}, user=organizer).json()
    assert (len(first["items"]), len(second["items"]), first["count"], second["count"]) == (2, 1, 3, 3)
    seen = {p["id"] for p in first["items"] + second["items"]}
    assert seen == set(Participation.objects.filter(event_id=event["id"]).values_list("id", flat=True))
    assert_error(api_client.get(url, {"page_size": 10**9}, user=organizer), 422)


def test_sign_in_sheet_csv(api_client, event, organizer, crowd, frozen_clock):
    alice, bob, carol = crowd
    row = Event.objects.get(pk=event["id"])
    frozen_clock.set(row.start_date)
    api_client.post(f"{EVENTS}/{event['id']}/check-in", {"code": row.check_in_code}, user=alice)

    response = api_client.get(f"{EVENTS}/{event['id']}/participants.csv", user=organizer)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    header, data = rows[0], rows[1:]
    assert len(data) == 3
    assert len({len(r) for r in rows}) == 1
    records = [dict(zip(header, r, strict=True)) for r in data]
    by_user = {r["usuario"]: r for r in records}
    assert by_user[alice.username]["nome"] == "Alice Souza"
    assert by_user[alice.username]["e-mail"] == alice.email
    assert by_user[alice.username]["status"] == "confirmed"
    assert by_user[alice.username]["contato de emergencia"] == "Mãe da Alice"
    assert by_user[alice.username]["check-in"].startswith(str(row.start_date.date()))
    assert by_user[carol.username]["status"] == "waitlisted"
    assert by_user[carol.username]["check-in"] == ""
    # Cells that a spreadsheet would run as formulas are neutralised.
    assert not by_user[bob.username]["nome"].startswith("=")
    assert not by_user[bob.username]["telefone de emergencia"].startswith("-")
    assert "assinatura" in header


def test_others_get_403_for_participants_and_csv(api_client, event, crowd, user_factory):
    alice, _, _ = crowd
    for user in (alice, user_factory()):
        for path in ("participants", "participants.csv"):
            response = api_client.get(f"{EVENTS}/{event['id']}/{path}", user=user)
            assert_error(response, 403)
            assert "Mãe da Alice" not in response.content.decode()


def test_organizer_approves_and_rejects(api_client, organizer, user_factory):
    event = _create(api_client, organizer, requires_approval=True, max_participants=5)
    a, b = user_factory(), user_factory()
    pa = _join(api_client, event["id"], a).json()
    pb = _join(api_client, event["id"], b).json()
    assert (pa["status"], pb["status"]) == ("pending", "pending")
    url = f"{EVENTS}/{event['id']}/participants"

    approved = api_client.patch(f"{url}/{pa['id']}", {"status": "confirmed"}, user=organizer)
    rejected = api_client.patch(f"{url}/{pb['id']}", {"status": "rejected"}, user=organizer)

    assert (approved.status_code, approved.json()["status"]) == (200, "confirmed")
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    assert (_status(event["id"], a), _status(event["id"], b)) == ("confirmed", "rejected")
    assert_error(api_client.patch(f"{url}/{pa['id']}", {"status": "waitlisted"}, user=organizer), 422)
    assert_error(api_client.patch(f"{url}/{pa['id']}", {"status": "cancelled"}, user=organizer), 422)
    assert_error(api_client.patch(f"{url}/999999", {"status": "confirmed"}, user=organizer), 404)


def test_others_cannot_approve(api_client, organizer, user_factory):
    event = _create(api_client, organizer, requires_approval=True)
    a = user_factory()
    pa = _join(api_client, event["id"], a).json()
    for user in (a, user_factory()):
        response = api_client.patch(
            f"{EVENTS}/{event['id']}/participants/{pa['id']}", {"status": "confirmed"}, user=user
        )
        assert_error(response, 403)
    assert _status(event["id"], a) == "pending"


def test_participation_of_another_event_cannot_be_managed(api_client, organizer, user_factory):
    mine = _create(api_client, organizer, requires_approval=True)
    other_organizer = user_factory()
    theirs = _create(api_client, other_organizer, requires_approval=True)
    volunteer = user_factory()
    their_row = _join(api_client, theirs["id"], volunteer).json()
    response = api_client.patch(
        f"{EVENTS}/{mine['id']}/participants/{their_row['id']}", {"status": "rejected"}, user=organizer
    )
    assert_error(response, 404)
    assert _status(theirs["id"], volunteer) == "pending"


# --- check-in -----------------------------------------------------------------------------------------------


@pytest.fixture
def at(frozen_clock):
    def move(when):
        frozen_clock.set(when)

    return move


def test_check_in_with_code_in_the_window(api_client, event, user_factory, at):
    user = user_factory()
    _join(api_client, event["id"], user)
    row = Event.objects.get(pk=event["id"])
    url = f"{EVENTS}/{event['id']}/check-in"

    at(row.start_date - timedelta(hours=2))
    body = assert_error(api_client.post(url, {"code": row.check_in_code}, user=user), 409, "check_in_closed")
    assert "opens_at" in body["details"]
    assert Participation.objects.get(event=row, user=user).checked_in_at is None

    at(row.start_date - timedelta(minutes=30))
    assert_error(api_client.post(url, {"code": "ERRADO"}, user=user), 403)
    response = api_client.post(url, {"code": row.check_in_code}, user=user)
    assert response.status_code == 200, response.content
    assert response.json()["checked_in_at"] is not None
    assert Participation.objects.get(event=row, user=user).checked_in_at == row.start_date - timedelta(minutes=30)


def test_outside_the_window_a_right_code_and_a_wrong_one_get_the_same_answer(api_client, event, user_factory, at):
    user, outsider = user_factory(), user_factory()
    _join(api_client, event["id"], user)
    row = Event.objects.get(pk=event["id"])
    url = f"{EVENTS}/{event['id']}/check-in"
    for when in (row.start_date - timedelta(days=1), row.end_date + timedelta(minutes=1)):
        at(when)
        right, wrong = (api_client.post(url, {"code": code}, user=user) for code in (row.check_in_code, "ERRADO"))
        assert (right.status_code, right.json()) == (wrong.status_code, wrong.json()) == (409, right.json())
        assert right.json()["code"] == "check_in_closed"
    at(row.start_date)  # inside the window, someone not taking part cannot test codes either
    right, wrong = (api_client.post(url, {"code": code}, user=outsider) for code in (row.check_in_code, "ERRADO"))
    assert (right.status_code, right.json()) == (wrong.status_code, wrong.json())
    assert right.json()["code"] == "not_confirmed"


def test_wrong_codes_are_throttled_per_person_and_event(api_client, organizer, user_factory, at, settings):
    settings.CHECK_IN_CODE_THROTTLE = "3/h"
    first, second = _create(api_client, organizer), _create(api_client, organizer)
    guesser, neighbour = user_factory(), user_factory()
    for event in (first, second):
        _join(api_client, event["id"], guesser)
    _join(api_client, first["id"], neighbour)
    row = Event.objects.get(pk=first["id"])
    at(row.start_date)
    url = f"{EVENTS}/{first['id']}/check-in"

    statuses = [api_client.post(url, {"code": f"CHUTE{n}"}, user=guesser).status_code for n in range(3)]
    throttled = api_client.post(url, {"code": row.check_in_code}, user=guesser)

    assert statuses == [403, 403, 403]
    body = assert_error(throttled, 429, "throttled")
    assert 0 < int(throttled["Retry-After"]) <= 3600 and body["details"]["retry_after_s"] > 0
    assert Participation.objects.get(event=row, user=guesser).checked_in_at is None
    # Someone else at the same event, and the guesser at another event, are not held back.
    assert api_client.post(url, {"code": row.check_in_code}, user=neighbour).status_code == 200
    other = Event.objects.get(pk=second["id"])
    at(other.start_date)
    second_url = f"{EVENTS}/{second['id']}/check-in"
    assert api_client.post(second_url, {"code": other.check_in_code}, user=guesser).status_code == 200


def test_organizer_checks_in_by_user_id(api_client, event, organizer, user_factory, at):
    user, stranger = user_factory(), user_factory()
    _join(api_client, event["id"], user)
    row = Event.objects.get(pk=event["id"])
    at(row.start_date + timedelta(minutes=5))
    url = f"{EVENTS}/{event['id']}/check-in"

    assert_error(api_client.post(url, {"user_id": user.pk}, user=stranger), 403)
    assert Participation.objects.get(event=row, user=user).checked_in_at is None
    response = api_client.post(url, {"user_id": user.pk}, user=organizer)
    assert response.status_code == 200
    assert response.json()["user"]["id"] == user.pk
    assert Participation.objects.get(event=row, user=user).checked_in_at is not None


def test_check_in_body_needs_exactly_one_of_code_and_user_id(api_client, event, user_factory):
    user = user_factory()
    url = f"{EVENTS}/{event['id']}/check-in"
    for body in ({}, {"code": "A", "user_id": 1}, {"code": "A", "extra": 1}, {"user_id": "x"}):
        assert_error(api_client.post(url, body, user=user), 422)
