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
def test_organizer_role_lists_own_events_with_drafts_newest_first(user_factory, past_event, api_client):
    me = user_factory()
    old = past_event(organizer=me, start_date=clock.now() - timedelta(days=30))
    draft = past_event(organizer=me, status=Event.Status.DRAFT, start_date=clock.now() + timedelta(days=5))
    cancelled = past_event(organizer=me, status=Event.Status.CANCELLED)
    private = past_event(organizer=me, is_public=False)
    past_event()  # someone else's
    response = api_client.get(URL, params={"role": "organizer"}, user=me)
    # Newest start first; equal starts: the latest created first.
    assert _ids(response) == [draft.pk, private.pk, cancelled.pk, old.pk]
    assert response.json()["count"] == 4
    # The organiser sees their check-in code.
    assert all(item["check_in_code"] for item in response.json()["items"])


@pytest.mark.django_db
def test_participant_role_lists_active_and_attended_events(user_factory, past_event, attend, api_client):
    me = user_factory()
    statuses = Participation.Status
    confirmed = past_event()
    attend(confirmed, me)
    pending = past_event()
    attend(pending, me, status=statuses.PENDING)
    waitlisted = past_event()
    attend(waitlisted, me, status=statuses.WAITLISTED)
    attended = past_event(status=Event.Status.COMPLETED)
    attend(attended, me, checked_in=True)
    left = past_event()
    attend(left, me, status=statuses.CANCELLED)
    rejected = past_event()
    attend(rejected, me, status=statuses.REJECTED)
    past_event(organizer=me)  # organising is not participating
    others = past_event()
    attend(others, user_factory())
    ids = _ids(api_client.get(URL, params={"role": "participant"}, user=me))
    assert set(ids) == {confirmed.pk, pending.pk, waitlisted.pk, attended.pk}


@pytest.mark.django_db
def test_participant_is_the_default_role_and_shows_my_participation(user_factory, past_event, attend, api_client):
    me = user_factory()
    event = past_event()
    participation = attend(event, me, checked_in=True)
    items = api_client.get(URL, user=me).json()["items"]
    assert [i["id"] for i in items] == [event.pk]
    assert items[0]["my_participation"]["id"] == participation.pk
    assert items[0]["my_participation"]["status"] == "confirmed"
    assert items[0]["my_participation"]["checked_in_at"] is not None
    assert items[0]["check_in_code"] is None  # not the organiser
    assert items[0]["participants_count"] == 1


@pytest.mark.django_db
def test_private_events_i_take_part_in_are_listed(user_factory, past_event, attend, api_client):
    me = user_factory()
    private = past_event(is_public=False)
    attend(private, me)
    assert _ids(api_client.get(URL, params={"role": "participant"}, user=me)) == [private.pk]


@pytest.mark.django_db
def test_pagination(user_factory, past_event, api_client):
    me = user_factory()
    for days in range(5):
        past_event(organizer=me, start_date=clock.now() - timedelta(days=days + 1))
    first = api_client.get(URL, params={"role": "organizer", "page": 1, "page_size": 2}, user=me).json()
    third = api_client.get(URL, params={"role": "organizer", "page": 3, "page_size": 2}, user=me).json()
    assert first["count"] == third["count"] == 5
    assert len(first["items"]) == 2 and len(third["items"]) == 1
    assert api_client.get(URL, params={"role": "organizer", "page": 9, "page_size": 2}, user=me).json()["items"] == []


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
def test_bad_parameters_are_rejected(user_factory, api_client, params):
    response = api_client.get(URL, params=params, user=user_factory())
    assert 400 <= response.status_code < 500
    assert response.status_code in (400, 422)
    assert "code" in response.json()


@pytest.mark.django_db
def test_my_events_require_authentication(api_client):
    assert api_client.get(URL).status_code == 401
