"""Check-in: from 1 h before the start until the end; by the participant with the code or by the organiser."""

from datetime import timedelta

import pytest

from mutiroes.core import clock
from mutiroes.core.exceptions import Forbidden, InvalidState, NotFound
from mutiroes.events.models import Participation
from mutiroes.events.services import participation_check_in, participation_join, participation_leave

pytestmark = [pytest.mark.domain, pytest.mark.django_db]


@pytest.fixture
def event(event_factory):
    start = clock.now() + timedelta(days=3)
    return event_factory(status="published", max_participants=2, start_date=start, end_date=start + timedelta(hours=4))


@pytest.fixture
def participant(event, user_factory):
    user = user_factory()
    participation_join(event_id=event.id, user=user)
    return user


def _checked_in_at(event, user):
    return Participation.objects.get(event=event, user=user).checked_in_at


@pytest.mark.parametrize(
    "offset",
    [
        timedelta(hours=-1),  # opens exactly one hour before the start
        timedelta(minutes=-59),
        timedelta(0),
        timedelta(hours=2),
        timedelta(hours=4),  # the end itself is still inside the window
    ],
)
def test_participant_checks_in_with_code_inside_window(event, participant, frozen_clock, offset):
    frozen_clock.set(event.start_date + offset)
    result = participation_check_in(event_id=event.id, user=participant, code=event.check_in_code)
    assert result.checked_in_at == frozen_clock.now
    assert _checked_in_at(event, participant) == frozen_clock.now


@pytest.mark.parametrize(
    "offset",
    [
        timedelta(days=-1),
        timedelta(hours=-1, seconds=-1),
        timedelta(hours=4, seconds=1),
        timedelta(days=2),
    ],
)
def test_check_in_refused_outside_window(event, participant, frozen_clock, offset):
    frozen_clock.set(event.start_date + offset)
    with pytest.raises(InvalidState) as excinfo:
        participation_check_in(event_id=event.id, user=participant, code=event.check_in_code)
    assert excinfo.value.code == "check_in_closed"
    assert _checked_in_at(event, participant) is None


def test_code_is_case_and_space_insensitive(event, participant, frozen_clock):
    frozen_clock.set(event.start_date)
    participation_check_in(event_id=event.id, user=participant, code=f"  {event.check_in_code.lower()} ")
    assert _checked_in_at(event, participant) == frozen_clock.now


@pytest.mark.parametrize("code", ["", "WRONG123", None])
def test_wrong_code_is_forbidden(event, participant, frozen_clock, code):
    frozen_clock.set(event.start_date)
    with pytest.raises(Forbidden):
        participation_check_in(event_id=event.id, user=participant, code=code)
    assert _checked_in_at(event, participant) is None


def test_code_of_another_event_does_not_work(event, event_factory, participant, frozen_clock):
    other = event_factory(status="published", start_date=event.start_date, end_date=event.end_date)
    assert other.check_in_code != event.check_in_code
    frozen_clock.set(event.start_date)
    with pytest.raises(Forbidden):
        participation_check_in(event_id=event.id, user=participant, code=other.check_in_code)
    assert _checked_in_at(event, participant) is None


def test_second_check_in_keeps_the_first_time(event, participant, frozen_clock):
    frozen_clock.set(event.start_date)
    first = frozen_clock.now
    participation_check_in(event_id=event.id, user=participant, code=event.check_in_code)
    frozen_clock.set(event.start_date + timedelta(hours=1))
    participation_check_in(event_id=event.id, user=participant, code=event.check_in_code)
    assert _checked_in_at(event, participant) == first


def test_organizer_checks_in_a_participant(event, participant, frozen_clock):
    frozen_clock.set(event.start_date + timedelta(minutes=10))
    result = participation_check_in(event_id=event.id, user=event.organizer, user_id=participant.pk)
    assert result.user_id == participant.pk
    assert _checked_in_at(event, participant) == frozen_clock.now


def test_organizer_check_in_respects_the_window(event, participant, frozen_clock):
    frozen_clock.set(event.start_date - timedelta(hours=2))
    with pytest.raises(InvalidState):
        participation_check_in(event_id=event.id, user=event.organizer, user_id=participant.pk)
    assert _checked_in_at(event, participant) is None


def test_participant_cannot_check_in_someone_else(event, participant, user_factory, frozen_clock):
    other = user_factory()
    participation_join(event_id=event.id, user=other)
    frozen_clock.set(event.start_date)
    with pytest.raises(Forbidden):
        participation_check_in(event_id=event.id, user=participant, user_id=other.pk)
    assert _checked_in_at(event, other) is None


def test_stranger_with_the_code_cannot_check_in(event, user_factory, frozen_clock):
    stranger = user_factory()
    frozen_clock.set(event.start_date)
    with pytest.raises(InvalidState) as excinfo:
        participation_check_in(event_id=event.id, user=stranger, code=event.check_in_code)
    assert excinfo.value.code == "not_confirmed"
    assert not Participation.objects.filter(event=event, user=stranger).exists()


def test_waitlisted_and_pending_cannot_check_in(event, participant, user_factory, event_factory, frozen_clock):
    participation_join(event_id=event.id, user=user_factory())  # fills the second place
    waiting = user_factory()
    assert participation_join(event_id=event.id, user=waiting)[0].status == "waitlisted"
    frozen_clock.set(event.start_date)
    with pytest.raises(InvalidState):
        participation_check_in(event_id=event.id, user=waiting, code=event.check_in_code)
    assert _checked_in_at(event, waiting) is None

    approval = event_factory(
        status="published", requires_approval=True, start_date=event.start_date, end_date=event.end_date
    )
    frozen_clock.set(event.start_date - timedelta(days=1))  # registration still open
    pending_user = user_factory()
    participation_join(event_id=approval.id, user=pending_user)
    frozen_clock.set(event.start_date)
    with pytest.raises(InvalidState):
        participation_check_in(event_id=approval.id, user=pending_user, code=approval.check_in_code)
    assert _checked_in_at(approval, pending_user) is None


def test_cancelled_event_refuses_check_in(event, participant, frozen_clock):
    event.status = "cancelled"
    event.save()
    frozen_clock.set(event.start_date)
    with pytest.raises(InvalidState):
        participation_check_in(event_id=event.id, user=participant, code=event.check_in_code)
    assert _checked_in_at(event, participant) is None


def test_checked_in_participant_cannot_leave(event, participant, frozen_clock):
    frozen_clock.set(event.start_date)
    participation_check_in(event_id=event.id, user=participant, code=event.check_in_code)
    with pytest.raises(InvalidState):
        participation_leave(event_id=event.id, user=participant)
    assert Participation.objects.get(event=event, user=participant).status == "confirmed"


def test_check_in_on_invisible_event_is_not_found(event_factory, user_factory, frozen_clock):
    draft = event_factory(status="draft")
    frozen_clock.set(draft.start_date)
    with pytest.raises(NotFound):
        participation_check_in(event_id=draft.id, user=user_factory(), code=draft.check_in_code)
