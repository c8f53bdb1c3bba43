"""The same e-mail job twice at the same time: one e-mail (docs/reliability.md, scenario 7)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import dramatiq
import pytest
from django.db import connection

from mutiroes.jobs import registry as jobs
from mutiroes.notifications.models import EmailDelivery
from mutiroes.notifications.services import notification_send
from tests.support.polling import wait_for
from tests.system.support import NAMESPACE, messages_in_redis

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]


def test_two_threads_sending_the_same_notification_send_one_email(participation_factory, slow_smtp_server):
    # Slow enough that every thread reaches the delivery row while the first one is still sending.
    slow_smtp_server.delay_s = 0.5
    participation = participation_factory()
    copies = 4
    barrier = threading.Barrier(copies)

    def send(_: int) -> str:
        barrier.wait(timeout=10)
        try:
            return notification_send(event_id=participation.event_id, user_id=participation.user_id, kind="reminder")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=copies) as pool:
        results = list(pool.map(send, range(copies)))

    assert results == ["sent"] * copies  # the others found it sent: a redelivery is not an error
    [message] = slow_smtp_server.messages
    assert message.rcpt_tos == [participation.user.email]
    [delivery] = EmailDelivery.objects.all()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_the_same_message_enqueued_five_times_sends_one_email(
    participation_factory, redis_server, redis_broker, slow_smtp_server, workers
):
    slow_smtp_server.delay_s = 0.5
    participation = participation_factory()
    workers.start(redis_url=redis_server.url(), smtp_port=slow_smtp_server.port)
    message = dramatiq.Message(
        queue_name="emails", actor_name=jobs.SEND_EVENT_NOTIFICATION_EMAIL, args=(),
        kwargs={"event_id": participation.event_id, "user_id": participation.user_id, "kind": "reminder"}, options={},
    )  # fmt: skip
    for _ in range(5):  # the worker's 4 threads take them together
        redis_broker.enqueue(message)

    client = redis_server.client()
    wait_for(lambda: messages_in_redis(client, "emails") == 0, timeout_s=30, what="all five copies processed")
    time.sleep(1)
    [sent] = slow_smtp_server.messages
    assert sent.rcpt_tos == [participation.user.email]
    [delivery] = EmailDelivery.objects.all()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert client.zcard(f"{NAMESPACE}:emails.XQ") == 0  # the copies succeeded as no-ops, none failed
