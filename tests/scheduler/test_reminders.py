"""The hourly reminder scan: each participant is reminded once, when their own lead time opens."""

from datetime import timedelta

import pytest

from mutiroes.accounts.models import NotificationSettings
from mutiroes.core import clock
from mutiroes.events.models import Participation
from mutiroes.notifications import services
from mutiroes.notifications.models import EmailDelivery
from mutiroes.scheduler.runner import Runner
from tests.support.brokers import queued

pytestmark = pytest.mark.django_db


def _lead(user, hours: int, *, email_reminder: bool = True) -> None:
    NotificationSettings.objects.update_or_create(
        user=user, defaults={"reminder_lead_hours": hours, "email_reminder": email_reminder}
    )


def _reminded(event, user) -> None:
    EmailDelivery.objects.create(kind="reminder", event_id=event.pk, user_id=user.pk, status="sent")


def test_an_event_is_due_once_some_participants_window_has_opened(event_factory, participation_factory, frozen_clock):
    now = clock.now()
    event = event_factory(start_date=now + timedelta(hours=30))
    default_lead = participation_factory(event=event)  # 24 h: opens 6 h from now
    assert services.reminders_due(now=now) == []

    early_bird = participation_factory(event=event)
    _lead(early_bird.user, 48)
    assert services.reminders_due(now=now) == [event.pk]

    _reminded(event, early_bird.user)
    assert services.reminders_due(now=now) == []
    assert services.reminders_due(now=now + timedelta(hours=6)) == [event.pk]
    _reminded(event, default_lead.user)
    assert services.reminders_due(now=now + timedelta(hours=6)) == []


def test_drafts_past_events_far_events_unconfirmed_and_opted_out_people_are_not_due(
    event_factory, participation_factory, frozen_clock
):
    now = clock.now()
    soon = now + timedelta(hours=2)
    participation_factory(event=event_factory(status="draft", start_date=soon))
    participation_factory(event=event_factory(start_date=now - timedelta(hours=1)))
    far = participation_factory(event=event_factory(start_date=now + timedelta(hours=169)))
    _lead(far.user, 168)
    participation_factory(event=event_factory(start_date=soon), status=Participation.Status.WAITLISTED)
    opted_out = participation_factory(event=event_factory(start_date=soon))
    _lead(opted_out.user, 24, email_reminder=False)

    assert services.reminders_due(now=now) == []


def test_the_fan_out_reminds_only_those_whose_window_opened_and_not_twice(
    event_factory, participation_factory, stub_broker, frozen_clock
):
    now = clock.now()
    event = event_factory(start_date=now + timedelta(hours=10), max_participants=50)
    short = participation_factory(event=event)
    _lead(short.user, 2)
    default = participation_factory(event=event)
    already = participation_factory(event=event)
    _reminded(event, already.user)

    assert services.reminders_fan_out(event_id=event.pk, now=now) == 1
    assert [m.kwargs["user_id"] for m in queued(stub_broker, "emails")] == [default.user_id]

    _reminded(event, default.user)  # the e-mail job ran
    later = now + timedelta(hours=8, minutes=30)  # 1 h 30 before the start: the 2 h window is open
    assert services.reminders_fan_out(event_id=event.pk, now=later) == 1
    assert queued(stub_broker, "emails")[-1].kwargs["user_id"] == short.user_id


def test_the_hourly_scan_enqueues_the_fan_out_of_each_due_event(
    event_factory, participation_factory, stub_broker, frozen_clock
):
    now = clock.now()
    due = event_factory(start_date=now + timedelta(hours=5))
    participation_factory(event=due)
    participation_factory(event=event_factory(start_date=now + timedelta(hours=60)))

    run = Runner().tick("scan_event_reminders", now=now)

    assert (run.state, run.messages) == ("done", 1)
    [message] = queued(stub_broker, "emails")
    assert (message.actor_name, message.kwargs) == ("send_bulk_event_reminders", {"event_id": due.pk})
    assert Runner().tick("scan_event_reminders", now=now + timedelta(minutes=20)) is None  # same hour: no-op
