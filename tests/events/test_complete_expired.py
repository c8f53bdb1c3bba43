"""The nightly cleanup: expired published events become completed, and each person whose statistics change
(checked-in participants, organisers) gets one statistics job, however many of the events they were in."""

from datetime import timedelta

import pytest

from mutiroes.core import clock
from mutiroes.events import services
from mutiroes.events.models import Event
from mutiroes.jobs import registry
from mutiroes.jobs.models import OutboxMessage

pytestmark = [pytest.mark.domain, pytest.mark.django_db]


def test_expired_events_complete_and_each_person_is_recounted_once(event_factory, participation_factory, user_factory):
    past = clock.now() - timedelta(days=1)
    organiser, regular, absent = user_factory(), user_factory(), user_factory()
    expired = [event_factory(organizer=organiser, start_date=past, end_date=past + timedelta(hours=2))
               for _ in range(3)]  # fmt: skip
    upcoming = event_factory()
    for event in expired:
        participation_factory(event=event, user=regular, status="confirmed", checked_in_at=past)
    participation_factory(event=expired[0], user=absent, status="confirmed")

    done = services.events_complete_expired()

    assert sorted(done) == sorted(e.pk for e in expired)
    assert set(Event.objects.filter(pk__in=done).values_list("status", flat=True)) == {"completed"}
    assert Event.objects.get(pk=upcoming.pk).status == "published"
    queued = OutboxMessage.objects.filter(actor_name=registry.UPDATE_USER_STATISTICS)
    assert sorted(row.kwargs["user_id"] for row in queued) == sorted([organiser.pk, regular.pk])
    assert services.events_complete_expired() == []
