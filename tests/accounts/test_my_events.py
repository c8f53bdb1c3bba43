"""GET /users/me/events: organiser view (drafts included) and participant view (active or attended)."""

from datetime import timedelta

import pytest

from mutiroes.core import clock
from mutiroes.events.models import Event, Participation

URL = "/api/v1/users/me/events"


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.django_db
def test_organizer_role_lists_own_events_with_drafts_newest_first(acc_user, acc_event, acc_client):
    me = acc_user()
    old = acc_event(organizer=me, start_date=clock.now() - timedelta(days=30))
    draft = acc_event(organizer=me, status=Event.Status.DRAFT, start_date=clock.now() + timedelta(days=5))
    cancelled = acc_event(organizer=me, status=Event.Status.CANCELLED)
    private = acc_event(organizer=me, is_public=False)
    acc_event()  # someone else's
    response = acc_client(me).get(URL, role="organizer")
    # Newest start first; equal starts: the latest created first.
    assert _ids(response) == [draft.pk, private.pk, cancelled.pk, old.pk]
    assert response.json()["count"] == 4
    # The organiser sees their check-in code.
    assert all(item["check_in_code"] for item in response.json()["items"])


@pytest.mark.django_db
def test_participant_role_lists_active_and_attended_events(acc_user, acc_event, acc_participation, acc_client):
    me = acc_user()
    statuses = Participation.Status
    confirmed = acc_event()
    acc_participation(confirmed, me)
    pending = acc_event()
    acc_participation(pending, me, status=statuses.PENDING)
    waitlisted = acc_event()
    acc_participation(waitlisted, me, status=statuses.WAITLISTED)
    attended = acc_event(status=Event.Status.COMPLETED)
    acc_participation(attended, me, checked_in=True)
    left = acc_event()
    acc_participation(left, me, status=statuses.CANCELLED)
    rejected = acc_event()
    acc_participation(rejected, me, status=statuses.REJECTED)
    acc_event(organizer=me)  # organising is not participating
    others = acc_event()
    acc_participation(others, acc_user())
    ids = _ids(acc_client(me).get(URL, role="participant"))
    assert set(ids) == {confirmed.pk, pending.pk, waitlisted.pk, attended.pk}


@pytest.mark.django_db
def test_participant_is_the_default_role_and_shows_my_participation(acc_user, acc_event, acc_participation, acc_client):
    me = acc_user()
    event = acc_event()
    participation = acc_participation(event, me, checked_in=True)
    items = acc_client(me).get(URL).json()["items"]
    assert [i["id"] for i in items] == [event.pk]
    assert items[0]["my_participation"]["id"] == participation.pk
    assert items[0]["my_participation"]["status"] == "confirmed"
    assert items[0]["my_participation"]["checked_in_at"] is not None
    assert items[0]["check_in_code"] is None  # not the organiser
    assert items[0]["participants_count"] == 1


@pytest.mark.django_db
def test_private_events_i_take_part_in_are_listed(acc_user, acc_event, acc_participation, acc_client):
    me = acc_user()
    private = acc_event(is_public=False)
    acc_participation(private, me)
    assert _ids(acc_client(me).get(URL, role="participant")) == [private.pk]


@pytest.mark.django_db
def test_pagination(acc_user, acc_event, acc_client):
    me = acc_user()
    for days in range(5):
        acc_event(organizer=me, start_date=clock.now() - timedelta(days=days + 1))
    client = acc_client(me)
    first = client.get(URL, role="organizer", page=1, page_size=2).json()
    third = client.get(URL, role="organizer", page=3, page_size=2).json()
    assert first["count"] == third["count"] == 5
    assert len(first["items"]) == 2 and len(third["items"]) == 1
    assert client.get(URL, role="organizer", page=9, page_size=2).json()["items"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"role": "admin"},
        {"role": ""},
        {"role": "organizer\x00"},
        {"page": 0},
        {"page_size": 101},
        {"page_size": 10**9},
        {"page": "x"},
    ],
)
def test_bad_parameters_are_rejected(acc_user, acc_client, params):
    response = acc_client(acc_user()).get(URL, **params)
    assert 400 <= response.status_code < 500
    assert response.status_code in (400, 422)
    assert "code" in response.json()


@pytest.mark.django_db
def test_my_events_require_authentication(acc_client):
    assert acc_client().get(URL).status_code == 401
