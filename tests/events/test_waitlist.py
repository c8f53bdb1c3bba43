"""The waiting list: full events waitlist joiners; a freed place goes to the first in line."""

from datetime import timedelta

import pytest

from mutiroes.core.exceptions import InvalidState, NotFound
from mutiroes.events.models import Participation
from mutiroes.events.services import event_update, participation_join, participation_leave, participation_set_status

pytestmark = [pytest.mark.domain, pytest.mark.django_db]


def _status(event, user) -> str:
    return Participation.objects.get(event=event, user=user).status


@pytest.fixture
def ticking_clock(frozen_clock):
    """A clock that advances one second per reading, so registration order is unambiguous."""
    frozen_clock.tick = timedelta(seconds=1)
    return frozen_clock


def test_full_event_waitlists_joiners(event_factory, user_factory):
    event = event_factory(max_participants=2, status="published")
    users = [user_factory() for _ in range(4)]
    statuses = [participation_join(event_id=event.id, user=u)[0].status for u in users]
    assert statuses == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [_status(event, u) for u in users] == statuses


def test_leave_promotes_the_first_waitlisted(event_factory, user_factory, ticking_clock):
    event = event_factory(max_participants=1, status="published")
    holder, first, second = user_factory(), user_factory(), user_factory()
    for user in (holder, first, second):
        participation_join(event_id=event.id, user=user)

    left, promoted = participation_leave(event_id=event.id, user=holder)

    assert left.status == "cancelled"
    assert [p.user_id for p in promoted] == [first.pk]
    assert (_status(event, holder), _status(event, first), _status(event, second)) == (
        "cancelled",
        "confirmed",
        "waitlisted",
    )


def test_waitlist_order_follows_registration_not_user_id(event_factory, user_factory, ticking_clock):
    event = event_factory(max_participants=1, status="published")
    holder = user_factory()
    early_id, late_id = user_factory(), user_factory()
    participation_join(event_id=event.id, user=holder)
    # The user created later registers first.
    participation_join(event_id=event.id, user=late_id)
    participation_join(event_id=event.id, user=early_id)

    participation_leave(event_id=event.id, user=holder)

    assert _status(event, late_id) == "confirmed"
    assert _status(event, early_id) == "waitlisted"


def test_leaving_the_waitlist_promotes_nobody(event_factory, user_factory):
    event = event_factory(max_participants=1, status="published")
    holder, waiting, behind = user_factory(), user_factory(), user_factory()
    for user in (holder, waiting, behind):
        participation_join(event_id=event.id, user=user)

    _, promoted = participation_leave(event_id=event.id, user=waiting)

    assert promoted == []
    assert (_status(event, holder), _status(event, waiting), _status(event, behind)) == (
        "confirmed",
        "cancelled",
        "waitlisted",
    )


def test_promotion_on_an_approval_event_is_pending(event_factory, user_factory):
    event = event_factory(max_participants=1, status="published", requires_approval=True)
    holder, waiting = user_factory(), user_factory()
    participation_join(event_id=event.id, user=holder)
    participation_join(event_id=event.id, user=waiting)
    assert _status(event, waiting) == "waitlisted"

    participation_leave(event_id=event.id, user=holder)

    assert _status(event, waiting) == "pending"


def test_rejecting_a_holder_promotes_the_next(event_factory, user_factory):
    event = event_factory(max_participants=1, status="published", requires_approval=True)
    holder, waiting = user_factory(), user_factory()
    row, _ = participation_join(event_id=event.id, user=holder)
    participation_join(event_id=event.id, user=waiting)

    participation_set_status(event_id=event.id, participation_id=row.pk, user=event.organizer, status="rejected")

    assert (_status(event, holder), _status(event, waiting)) == ("rejected", "pending")


def test_raising_capacity_promotes_the_waitlist(event_factory, user_factory):
    event = event_factory(max_participants=1, status="published")
    users = [user_factory() for _ in range(4)]
    for user in users:
        participation_join(event_id=event.id, user=user)

    event_update(event_id=event.id, user=event.organizer, data={"max_participants": 3})

    assert [_status(event, u) for u in users] == ["confirmed", "confirmed", "confirmed", "waitlisted"]


def test_capacity_cannot_drop_below_places_taken(event_factory, user_factory):
    event = event_factory(max_participants=3, status="published")
    for _ in range(3):
        participation_join(event_id=event.id, user=user_factory())

    with pytest.raises(InvalidState) as excinfo:
        event_update(event_id=event.id, user=event.organizer, data={"max_participants": 2})

    assert excinfo.value.code == "capacity_below_taken"
    event.refresh_from_db()
    assert event.max_participants == 3


def test_approving_a_waitlisted_person_needs_a_free_place(event_factory, user_factory):
    event = event_factory(max_participants=1, status="published", requires_approval=True)
    participation_join(event_id=event.id, user=user_factory())
    waiting, _ = participation_join(event_id=event.id, user=user_factory())

    with pytest.raises(InvalidState) as excinfo:
        participation_set_status(
            event_id=event.id, participation_id=waiting.pk, user=event.organizer, status="confirmed"
        )

    assert excinfo.value.code == "event_full"
    assert Participation.objects.get(pk=waiting.pk).status == "waitlisted"


def test_leave_without_participation_is_not_found(event_factory, user_factory):
    event = event_factory(status="published")
    with pytest.raises(NotFound):
        participation_leave(event_id=event.id, user=user_factory())


def test_leave_twice_is_not_found_and_promotes_once(event_factory, user_factory):
    event = event_factory(max_participants=1, status="published")
    holder, first, second = user_factory(), user_factory(), user_factory()
    for user in (holder, first, second):
        participation_join(event_id=event.id, user=user)
    participation_leave(event_id=event.id, user=holder)

    with pytest.raises(NotFound):
        participation_leave(event_id=event.id, user=holder)

    assert (_status(event, first), _status(event, second)) == ("confirmed", "waitlisted")
