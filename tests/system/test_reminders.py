"""The bulk reminder of an event with many confirmed participants: each one e-mail, once; a second run adds none."""

import time
from datetime import timedelta

import pytest
from django.db import transaction

from mutiroes.core import clock
from mutiroes.jobs import registry as jobs
from mutiroes.jobs.models import OutboxMessage
from mutiroes.jobs.outbox import outbox_add
from mutiroes.notifications.models import EmailDelivery, ReminderRun
from tests.factories import make_participants
from tests.support.polling import wait_for
from tests.system.support import deliveries, messages_in_redis

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

PARTICIPANTS = 1000


def _run_reminders(event_id: int) -> None:
    with transaction.atomic():
        outbox_add(jobs.SEND_BULK_EVENT_REMINDERS, event_id=event_id)


def test_reminders_reach_every_confirmed_participant_once_and_a_second_run_adds_none(
    event_factory, redis_server, redis_broker, smtp_server, workers, figures
):
    # Starting in 3 hours: inside everyone's reminder lead time (24 h unless a participant chose otherwise).
    event = event_factory(max_participants=PARTICIPANTS, start_date=clock.now() + timedelta(hours=3))
    make_participants(event, PARTICIPANTS, prefix="lembrete")
    client = redis_server.client()
    workers.start(redis_url=redis_server.url(), smtp_port=smtp_server.port)

    started = time.monotonic()
    _run_reminders(event.pk)
    wait_for(
        lambda: len(smtp_server.messages) >= PARTICIPANTS and messages_in_redis(client, "emails") == 0,
        timeout_s=180, what=f"{PARTICIPANTS} reminders",
    )  # fmt: skip
    took = time.monotonic() - started

    counts = deliveries(smtp_server)
    assert len(counts) == PARTICIPANTS
    assert set(counts.values()) == {1}
    assert {rcpt for rcpt, _ in counts} == {f"lembrete{i}@example.org" for i in range(PARTICIPANTS)}
    assert EmailDelivery.objects.filter(kind="reminder", status="sent").count() == PARTICIPANTS
    assert ReminderRun.objects.get(event_id=event.pk).enqueued == PARTICIPANTS

    _run_reminders(event.pk)
    wait_for(
        lambda: not OutboxMessage.objects.filter(relayed_at=None).exists() and messages_in_redis(client, "emails") == 0,
        timeout_s=30, what="the second reminder run processed",
    )  # fmt: skip
    time.sleep(1)
    assert len(smtp_server.messages) == PARTICIPANTS
    assert EmailDelivery.objects.count() == PARTICIPANTS
    figures(f"reminders: {PARTICIPANTS} e-mails in {took:.1f} s ({PARTICIPANTS / took:.0f}/s), 0 duplicates")
