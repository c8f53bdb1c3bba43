"""The stored participants_count follows every path that changes who holds a place, and lists never aggregate."""

import pytest

from mutiroes.events import selectors
from mutiroes.events.models import Event, Participation
from mutiroes.events.services import event_update, participation_join, participation_leave, participation_set_status
from mutiroes.privacy.lgpd import user_delete_account

pytestmark = [pytest.mark.domain, pytest.mark.django_db]

PASSWORD = "plantar-arvores-2026"


def stored_and_real(event: Event) -> tuple[int, int]:
    real = Participation.objects.filter(event=event, status__in=Participation.HOLDS_SPOT).count()
    return Event.objects.get(pk=event.pk).participants_count, real


def test_every_participation_path_keeps_the_stored_count(event_factory, user_factory):
    organizer = user_factory()
    event = event_factory(organizer=organizer, max_participants=2, requires_approval=True)
    first, second, third = user_factory.create_batch(3)
    history = []

    for user in (first, second, third):  # pending, pending, waitlisted
        participation_join(event_id=event.pk, user=user)
        history.append(stored_and_real(event))
    waiting = Participation.objects.get(event=event, user=third)
    participation_set_status(
        event_id=event.pk, participation_id=Participation.objects.get(event=event, user=first).pk,
        user=organizer, status="rejected",
    )  # fmt: skip
    history.append(stored_and_real(event))  # the third moves up from the waiting list
    participation_leave(event_id=event.pk, user=second)
    history.append(stored_and_real(event))
    event_update(event_id=event.pk, user=organizer, data={"max_participants": 5})
    history.append(stored_and_real(event))
    participation_set_status(event_id=event.pk, participation_id=waiting.pk, user=organizer, status="confirmed")
    history.append(stored_and_real(event))

    assert history == [(1, 1), (2, 2), (2, 2), (2, 2), (1, 1), (1, 1), (1, 1)]


def test_an_erased_account_frees_its_place_in_the_count(event_factory, user_factory):
    event = event_factory(max_participants=10)
    leaving = user_factory(password=PASSWORD)
    staying = user_factory()
    participation_join(event_id=event.pk, user=leaving)
    participation_join(event_id=event.pk, user=staying)
    assert stored_and_real(event) == (2, 2)

    user_delete_account(user=leaving, password=PASSWORD)

    assert stored_and_real(event) == (1, 1)


def test_the_event_list_reads_the_stored_count_without_aggregating(user_factory, event_factory):
    sql = str(selectors.event_list(filters=selectors.EventFilters(), user=user_factory()).query).upper()
    assert "GROUP BY" not in sql and "COUNT(" not in sql, sql
