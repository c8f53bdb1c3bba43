"""E-mails caused by the product's own flows, on the stub broker with an in-process worker."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction

from mutiroes.accounts.models import NotificationSettings
from mutiroes.core import clock
from mutiroes.events import services as event_services
from mutiroes.events.models import Participation
from mutiroes.jobs.models import OutboxMessage
from mutiroes.notifications import services
from mutiroes.notifications.models import EmailDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def _mails_to(user) -> list:
    return [m for m in mail.outbox if user.email in m.to]


def test_join_sends_one_registration_email_with_the_calendar_invite(event_factory, user_factory, run_jobs):
    event = event_factory()
    volunteer = user_factory()

    event_services.participation_join(event_id=event.pk, user=volunteer)
    event_services.participation_join(event_id=event.pk, user=volunteer)  # a retried request
    run_jobs()

    [message] = _mails_to(volunteer)
    assert event.title in message.subject
    assert "confirmada" in message.body
    assert [name for name, _content, _type in message.attachments] == ["mutirao.ics"]
    assert EmailDelivery.objects.get(user_id=volunteer.pk).status == EmailDelivery.Status.SENT


def test_a_redelivered_job_does_not_send_again(event_factory, participation_factory, stub_broker):
    participation = participation_factory(event=event_factory())
    key = {"event_id": participation.event_id, "user_id": participation.user_id, "kind": "reminder"}

    first = services.notification_send(**key)
    second = services.notification_send(**key)

    assert (first, second) == ("sent", "sent")
    assert len(mail.outbox) == 1


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks need PostgreSQL")
def test_the_same_job_twice_at_once_sends_one_email(event_factory, participation_factory):
    participation = participation_factory(event=event_factory())
    key = {"event_id": participation.event_id, "user_id": participation.user_id, "kind": "reminder"}

    def send(_: int) -> str:
        try:
            return services.notification_send(**key)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(send, range(8)))

    assert results == ["sent"] * 8
    assert len(mail.outbox) == 1
    assert EmailDelivery.objects.count() == 1


def test_a_rolled_back_join_leaves_no_job(event_factory, user_factory, run_jobs):
    event = event_factory()
    volunteer = user_factory()

    with pytest.raises(RuntimeError), transaction.atomic():
        event_services.participation_join(event_id=event.pk, user=volunteer)
        raise RuntimeError("the request failed after joining")
    run_jobs()

    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_join_succeeds_while_the_broker_is_down_and_the_email_follows(
    event_factory, user_factory, stub_broker, run_jobs, monkeypatch
):
    from mutiroes.jobs.outbox import relay_pending

    event = event_factory()
    volunteer = user_factory()

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(stub_broker, "enqueue", broker_down)
        participation, _ = event_services.participation_join(event_id=event.pk, user=volunteer)
        assert relay_pending() == 0

    row = OutboxMessage.objects.get()
    assert participation.status == Participation.Status.CONFIRMED
    assert row.relayed_at is None and row.attempts >= 1 and "unreachable" in row.last_error

    run_jobs()
    row.refresh_from_db()
    assert row.relayed_at is not None
    assert len(_mails_to(volunteer)) == 1


def test_leaving_promotes_the_first_waitlisted_and_tells_them(event_factory, user_factory, run_jobs):
    event = event_factory(max_participants=1)
    first, second, third = user_factory(), user_factory(), user_factory()
    for user in (first, second, third):
        event_services.participation_join(event_id=event.pk, user=user)

    event_services.participation_leave(event_id=event.pk, user=first)
    run_jobs()

    promoted = EmailDelivery.objects.filter(kind="waitlist_promoted", status="sent")
    assert list(promoted.values_list("user_id", flat=True)) == [second.pk]
    # Its registration (waitlisted) e-mail and this one are sent by two worker threads: either may come last.
    assert any("saiu da lista de espera" in m.body for m in _mails_to(second))
    assert not EmailDelivery.objects.filter(kind="waitlist_promoted", user_id=third.pk).exists()


def test_cancelling_tells_everyone_still_taking_part(event_factory, user_factory, run_jobs):
    event = event_factory(max_participants=1)
    confirmed, waitlisted, gone = user_factory(), user_factory(), user_factory()
    event_services.participation_join(event_id=event.pk, user=gone)
    event_services.participation_leave(event_id=event.pk, user=gone)
    event_services.participation_join(event_id=event.pk, user=confirmed)
    event_services.participation_join(event_id=event.pk, user=waitlisted)

    event_services.event_cancel(event_id=event.pk, user=event.organizer)
    run_jobs()

    told = set(EmailDelivery.objects.filter(kind="cancellation", status="sent").values_list("user_id", flat=True))
    assert told == {confirmed.pk, waitlisted.pk}


def test_a_new_date_is_news_a_new_title_is_not(event_factory, user_factory, run_jobs):
    event = event_factory()
    volunteer = user_factory()
    event_services.participation_join(event_id=event.pk, user=volunteer)

    event_services.event_update(event_id=event.pk, user=event.organizer, data={"title": "Outro título"})
    run_jobs()
    assert not EmailDelivery.objects.filter(kind="update").exists()

    later = {"start_date": event.start_date + timedelta(days=1), "end_date": event.end_date + timedelta(days=1)}
    event_services.event_update(event_id=event.pk, user=event.organizer, data=later)
    run_jobs()
    assert EmailDelivery.objects.filter(kind="update", user_id=volunteer.pk, status="sent").count() == 1


def test_a_switched_off_kind_is_skipped_not_sent(event_factory, user_factory, run_jobs):
    event = event_factory()
    volunteer = user_factory()
    NotificationSettings.objects.filter(user=volunteer).update(email_registration=False)

    event_services.participation_join(event_id=event.pk, user=volunteer)
    run_jobs()

    assert EmailDelivery.objects.get(user_id=volunteer.pk).status == EmailDelivery.Status.SKIPPED
    assert _mails_to(volunteer) == []


def test_reminders_reach_each_confirmed_participant_once_per_event(event_factory, participation_factory, run_jobs):
    from mutiroes.jobs import outbox
    from mutiroes.jobs import registry as jobs

    # Within everyone's reminder lead time (24 h by default): a reminder waits for the participant's window.
    event = event_factory(max_participants=50, start_date=clock.now() + timedelta(hours=12))
    confirmed = [participation_factory(event=event) for _ in range(5)]
    participation_factory(event=event, status=Participation.Status.CANCELLED)

    for _ in range(2):
        with transaction.atomic():
            outbox.outbox_add(jobs.SEND_BULK_EVENT_REMINDERS, event_id=event.pk)
        run_jobs()

    reminded = list(EmailDelivery.objects.filter(kind="reminder", status="sent").values_list("user_id", flat=True))
    assert sorted(reminded) == sorted(p.user_id for p in confirmed)
    assert len([m for m in mail.outbox if "Lembrete" in m.subject]) == 5


def test_cleanup_completes_past_events_then_updates_stats_and_awards_badges(
    event_factory, user_factory, run_jobs, frozen_clock, seeded
):
    from mutiroes.accounts.models import UserBadge, UserStats
    from mutiroes.jobs import outbox
    from mutiroes.jobs import registry as jobs

    event = event_factory()
    volunteer = user_factory()
    event_services.participation_join(event_id=event.pk, user=volunteer)
    during = event.start_date + timedelta(minutes=30)
    frozen_clock.set(during)
    event_services.participation_check_in(event_id=event.pk, user=volunteer, code=event.check_in_code)
    frozen_clock.set(event.end_date + timedelta(hours=1))

    with transaction.atomic():
        outbox.outbox_add(jobs.CLEANUP_EXPIRED_EVENTS)
    run_jobs()

    event.refresh_from_db()
    assert event.status == "completed"
    assert UserStats.objects.get(user=volunteer).events_attended == 1
    earned = set(UserBadge.objects.filter(user=volunteer).values_list("badge__slug", flat=True))
    assert earned, "attending a first event earns a badge"
    emailed = set(
        EmailDelivery.objects.filter(kind="badge_earned", user_id=volunteer.pk, status="sent").values_list(
            "period", flat=True
        )
    )
    assert emailed == earned
