"""Joining an event: admission status, capacity (confirmed + pending), repeats, re-joins, and concurrency."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from mutiroes.core.exceptions import InvalidState, NotFound
from mutiroes.events.models import Participation
from mutiroes.events.services import participation_join, participation_leave, participation_set_status

CONFIRMED, PENDING, WAITLISTED, CANCELLED, REJECTED = "confirmed", "pending", "waitlisted", "cancelled", "rejected"


def _statuses(event) -> dict[str, int]:
    rows = Participation.objects.filter(event=event)
    return {status: rows.filter(status=status).count() for status in (CONFIRMED, PENDING, WAITLISTED, CANCELLED)}


@pytest.mark.domain
@pytest.mark.django_db
def test_join_open_event_confirms_and_stores_details(event_factory, user_factory):
    event = event_factory(max_participants=3, status="published")
    user = user_factory()

    participation, joined = participation_join(
        event_id=event.id, user=user, details={"emergency_contact": "Ana", "emergency_phone": "+55 11 99999-0000"}
    )

    assert joined is True
    row = Participation.objects.get(event=event, user=user)
    assert row.pk == participation.pk
    assert row.status == CONFIRMED
    assert row.emergency_contact == "Ana"
    assert row.checked_in_at is None


@pytest.mark.domain
@pytest.mark.django_db
def test_join_requiring_approval_is_pending(event_factory, user_factory):
    event = event_factory(max_participants=3, status="published", requires_approval=True)
    participation, _ = participation_join(event_id=event.id, user=user_factory())
    assert Participation.objects.get(pk=participation.pk).status == PENDING


@pytest.mark.domain
@pytest.mark.django_db
def test_capacity_counts_confirmed_and_pending(event_factory, user_factory):
    event = event_factory(max_participants=3, status="published", requires_approval=True)
    first, second = user_factory(), user_factory()
    participation_join(event_id=event.id, user=first)
    participation_join(event_id=event.id, user=second)
    # The organiser confirms one; the other stays pending. Both hold a place.
    own = Participation.objects.get(event=event, user=first)
    participation_set_status(event_id=event.id, participation_id=own.pk, user=event.organizer, status=CONFIRMED)

    third, _ = participation_join(event_id=event.id, user=user_factory())
    fourth, _ = participation_join(event_id=event.id, user=user_factory())

    assert Participation.objects.get(pk=third.pk).status == PENDING
    assert Participation.objects.get(pk=fourth.pk).status == WAITLISTED
    assert _statuses(event) == {CONFIRMED: 1, PENDING: 2, WAITLISTED: 1, CANCELLED: 0}


@pytest.mark.domain
@pytest.mark.django_db
def test_cancelled_and_rejected_do_not_hold_a_place(event_factory, user_factory):
    event = event_factory(max_participants=2, status="published", requires_approval=True)
    leaver, rejected = user_factory(), user_factory()
    participation_join(event_id=event.id, user=leaver)
    rejected_row, _ = participation_join(event_id=event.id, user=rejected)
    participation_leave(event_id=event.id, user=leaver)
    participation_set_status(event_id=event.id, participation_id=rejected_row.pk, user=event.organizer, status=REJECTED)

    a, _ = participation_join(event_id=event.id, user=user_factory())
    b, _ = participation_join(event_id=event.id, user=user_factory())

    assert {Participation.objects.get(pk=a.pk).status, Participation.objects.get(pk=b.pk).status} == {PENDING}


@pytest.mark.domain
@pytest.mark.django_db
def test_repeated_join_returns_the_same_row_unchanged(event_factory, user_factory):
    event = event_factory(max_participants=1, status="published")
    user = user_factory()
    first, joined_first = participation_join(event_id=event.id, user=user, details={"special_needs": "cadeira"})

    again, joined_again = participation_join(event_id=event.id, user=user, details={"special_needs": "outra"})

    assert (joined_first, joined_again) == (True, False)
    assert again.pk == first.pk
    assert Participation.objects.filter(event=event, user=user).count() == 1
    row = Participation.objects.get(pk=first.pk)
    assert (row.status, row.special_needs) == (CONFIRMED, "cadeira")


@pytest.mark.domain
@pytest.mark.django_db
def test_user_who_left_can_rejoin(event_factory, user_factory):
    event = event_factory(max_participants=2, status="published")
    user = user_factory()
    first, _ = participation_join(event_id=event.id, user=user)
    participation_leave(event_id=event.id, user=user)
    assert Participation.objects.get(pk=first.pk).status == CANCELLED

    again, joined = participation_join(event_id=event.id, user=user, details={"experience_level": "beginner"})

    assert joined is True
    assert again.pk == first.pk  # the same row is reused: (event, user) is unique
    row = Participation.objects.get(pk=first.pk)
    assert (row.status, row.experience_level) == (CONFIRMED, "beginner")
    assert row.registered_at >= first.registered_at


@pytest.mark.domain
@pytest.mark.django_db
def test_rejoin_goes_to_the_back_of_a_full_event(event_factory, user_factory):
    event = event_factory(max_participants=1, status="published")
    user, other = user_factory(), user_factory()
    participation_join(event_id=event.id, user=user)
    participation_leave(event_id=event.id, user=user)
    participation_join(event_id=event.id, user=other)  # takes the freed place

    again, _ = participation_join(event_id=event.id, user=user)

    assert Participation.objects.get(pk=again.pk).status == WAITLISTED
    assert Participation.objects.get(event=event, user=other).status == CONFIRMED


@pytest.mark.domain
@pytest.mark.django_db
def test_rejected_user_cannot_rejoin(event_factory, user_factory):
    event = event_factory(max_participants=2, status="published", requires_approval=True)
    user = user_factory()
    row, _ = participation_join(event_id=event.id, user=user)
    participation_set_status(event_id=event.id, participation_id=row.pk, user=event.organizer, status=REJECTED)

    with pytest.raises(InvalidState) as excinfo:
        participation_join(event_id=event.id, user=user)

    assert excinfo.value.code == "registration_rejected"
    assert Participation.objects.get(pk=row.pk).status == REJECTED


@pytest.mark.domain
@pytest.mark.django_db
def test_organizer_cannot_join_own_event(event_factory):
    event = event_factory(status="published")
    with pytest.raises(InvalidState) as excinfo:
        participation_join(event_id=event.id, user=event.organizer)
    assert excinfo.value.code == "organizer_cannot_join"
    assert not Participation.objects.filter(event=event).exists()


@pytest.mark.domain
@pytest.mark.django_db
@pytest.mark.parametrize("status", ["cancelled", "completed"])
def test_closed_event_refuses_joins(event_factory, user_factory, status):
    event = event_factory(status=status)
    with pytest.raises(InvalidState) as excinfo:
        participation_join(event_id=event.id, user=user_factory())
    assert excinfo.value.code == "event_not_open"
    assert not Participation.objects.filter(event=event).exists()


@pytest.mark.domain
@pytest.mark.django_db
@pytest.mark.parametrize("kwargs", [{"status": "draft"}, {"status": "published", "is_public": False}])
def test_invisible_event_cannot_be_joined(event_factory, user_factory, kwargs):
    event = event_factory(**kwargs)
    with pytest.raises(NotFound):
        participation_join(event_id=event.id, user=user_factory())
    assert not Participation.objects.filter(event=event).exists()


@pytest.mark.domain
@pytest.mark.django_db
def test_join_missing_event_is_not_found(user_factory):
    with pytest.raises(NotFound):
        participation_join(event_id=987654321, user=user_factory())


def _in_thread(fn, *args):
    # Each thread has its own connection; close it so the test database can be dropped afterwards.
    try:
        return fn(*args)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_joins_never_overbook(event_factory, user_factory):
    assert connection.vendor == "postgresql", "row locks are only meaningful against PostgreSQL"
    event = event_factory(max_participants=5, status="published")
    users = [user_factory() for _ in range(24)]

    def join(user):
        return _in_thread(lambda: participation_join(event_id=event.id, user=user)[0].status)

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(join, users))

    assert statuses.count(CONFIRMED) == 5
    assert statuses.count(WAITLISTED) == 19
    assert _statuses(event) == {CONFIRMED: 5, PENDING: 0, WAITLISTED: 19, CANCELLED: 0}


@pytest.mark.django_db(transaction=True)
def test_concurrent_leaves_promote_exactly_the_freed_places(event_factory, user_factory):
    assert connection.vendor == "postgresql"
    event = event_factory(max_participants=4, status="published")
    holders = [user_factory() for _ in range(4)]
    waiting = [user_factory() for _ in range(8)]
    for user in holders + waiting:
        participation_join(event_id=event.id, user=user)
    late = [user_factory() for _ in range(6)]

    def leave(user):
        return _in_thread(lambda: participation_leave(event_id=event.id, user=user))

    def join(user):
        return _in_thread(lambda: participation_join(event_id=event.id, user=user))

    with ThreadPoolExecutor(max_workers=10) as pool:
        futures = [pool.submit(leave, u) for u in holders] + [pool.submit(join, u) for u in late]
        for future in futures:
            future.result()

    counts = _statuses(event)
    assert counts[CONFIRMED] == 4
    assert counts[CANCELLED] == 4
    assert counts[WAITLISTED] == 8 + 6 - 4
    # The freed places went to the first four on the waiting list, in order.
    promoted = set(Participation.objects.filter(event=event, status=CONFIRMED).values_list("user_id", flat=True))
    assert promoted == {u.pk for u in waiting[:4]}
