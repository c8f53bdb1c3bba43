"""Joining an event through the API, a real worker process, a real SMTP server: one registration e-mail."""

import time

import pytest

from mutiroes.jobs.models import OutboxMessage
from mutiroes.notifications.models import EmailDelivery
from tests.support.brokers import MAX_BACKOFF_MS
from tests.support.polling import wait_for
from tests.system.support import RELAY_INTERVAL_S, dead_letters

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]


def test_joining_sends_exactly_one_registration_email(
    api_client, user_factory, event_factory, redis_server, redis_broker, smtp_server, workers
):
    workers.start(redis_url=redis_server.url(), smtp_port=smtp_server.port)
    event = event_factory(max_participants=10)
    volunteer = user_factory()

    response = api_client.post(f"/api/v1/events/{event.pk}/join", user=volunteer)

    assert response.status_code == 201, response.content
    wait_for(lambda: len(smtp_server.messages) >= 1, timeout_s=30, what="the registration e-mail")
    # A second copy would come from the relay sending the row again or a redelivery: give both a few rounds.
    time.sleep(6 * RELAY_INTERVAL_S)
    [message] = smtp_server.messages
    assert message.rcpt_tos == [volunteer.email]
    assert event.title in message.subject
    assert any(part.get_filename() == "mutirao.ics" for part in message.message.iter_attachments())
    [delivery] = EmailDelivery.objects.all()
    assert (delivery.kind, delivery.event_id, delivery.user_id) == ("registration", event.pk, volunteer.pk)
    assert delivery.status == EmailDelivery.Status.SENT
    assert delivery.attempts == 1
    [row] = OutboxMessage.objects.all()
    assert row.relayed_at is not None


def test_an_email_the_server_refuses_is_tried_once_and_recorded_failed(
    api_client, user_factory, event_factory, redis_server, redis_broker, smtp_server, workers
):
    smtp_server.reply = "550 5.1.1 mailbox unavailable"
    worker = workers.start(redis_url=redis_server.url(), smtp_port=smtp_server.port)
    event = event_factory(max_participants=10)
    volunteer = user_factory()

    response = api_client.post(f"/api/v1/events/{event.pk}/join", user=volunteer)

    assert response.status_code == 201, response.content
    client = redis_server.client()
    [dead] = wait_for(lambda: dead_letters(client, "emails"), timeout_s=30, what="the refused e-mail dead-lettered")
    # Several backoff periods later there is still no second attempt: a 5xx is final (throws=), not retried.
    time.sleep(5 * MAX_BACKOFF_MS / 1000)
    [delivery] = EmailDelivery.objects.all()
    assert delivery.status == EmailDelivery.Status.FAILED
    assert delivery.attempts == 1
    assert "550" in delivery.last_error and "mailbox unavailable" in delivery.last_error
    log = worker.log()
    assert log.count("Aborting message") == 1 and "Retrying message" not in log, worker.log_tail()
    assert dead_letters(client, "emails") == [dead]
    assert smtp_server.messages == []
    # The job is over, failed for good: the relay stops watching its outbox row.
    [row] = OutboxMessage.objects.all()
    wait_for(lambda: OutboxMessage.objects.filter(pk=row.pk, done_at__isnull=False).exists(), timeout_s=10,
             what="the outbox row marked done")  # fmt: skip
