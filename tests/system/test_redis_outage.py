"""Redis goes away: the outbox keeps the e-mail of a join (issue 4), and delayed messages survive a restart
(docs/reliability.md, scenario 5)."""

import time

import dramatiq
import pytest

from mutiroes.jobs import registry as jobs
from mutiroes.jobs.models import OutboxMessage
from mutiroes.notifications.models import EmailDelivery
from tests.factories import make_participants
from tests.support.polling import wait_for
from tests.system.support import NAMESPACE, RELAY_INTERVAL_S, deliveries, messages_in_redis

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]


def test_join_with_redis_down_succeeds_and_the_email_goes_out_after_redis_returns(
    api_client, user_factory, event_factory, redis_server, redis_broker, smtp_server, workers, figures
):
    workers.start(redis_url=redis_server.url(), smtp_port=smtp_server.port)
    event = event_factory(max_participants=10)
    volunteer = user_factory()
    redis_server.stop()

    started = time.monotonic()
    response = api_client.post(f"/api/v1/events/{event.pk}/join", user=volunteer)
    join_s = time.monotonic() - started

    assert response.status_code == 201, response.content
    [row] = OutboxMessage.objects.all()
    assert row.relayed_at is None
    # The worker's relay keeps trying every 0.5 s; with no broker the row waits and nothing is sent.
    time.sleep(6 * RELAY_INTERVAL_S)
    row.refresh_from_db()
    assert row.relayed_at is None
    assert smtp_server.messages == []

    redis_server.start()
    returned = time.monotonic()
    wait_for(lambda: len(smtp_server.messages) >= 1, timeout_s=60, what="the registration e-mail after Redis returned")
    sent_after = time.monotonic() - returned
    time.sleep(6 * RELAY_INTERVAL_S)
    [message] = smtp_server.messages
    assert message.rcpt_tos == [volunteer.email]
    row.refresh_from_db()
    assert row.relayed_at is not None
    [delivery] = EmailDelivery.objects.all()
    assert (delivery.kind, delivery.user_id, delivery.status) == ("registration", volunteer.pk, "sent")
    figures(f"join with Redis down answered 201 in {join_s:.2f} s; e-mail sent {sent_after:.1f} s after Redis returned")


def test_redis_restart_keeps_delayed_messages_and_each_runs_once_at_or_after_its_eta(
    event_factory, redis_factory, use_broker, smtp_server, workers, figures
):
    redis = redis_factory.server(appendonly=True)
    broker = use_broker(redis)
    client = redis.client()
    event = event_factory(max_participants=50)
    user_ids = make_participants(event, 10, prefix="eta")
    workers.start(redis_url=redis.url(), smtp_port=smtp_server.port)

    etas = {}
    for i, user_id in enumerate(user_ids):
        message = dramatiq.Message(
            queue_name="emails", actor_name=jobs.SEND_EVENT_NOTIFICATION_EMAIL, args=(),
            kwargs={"event_id": event.pk, "user_id": user_id, "kind": "reminder", "period": ""}, options={},
        )  # fmt: skip
        etas[user_id] = broker.enqueue(message, delay=10_000 + 300 * i).options["eta"]
    # The worker has fetched them into its delay-queue prefetch (unacked in Redis) when Redis goes away.
    wait_for(lambda: client.llen(f"{NAMESPACE}:emails.DQ") == 0, timeout_s=20, what="the worker to fetch the delayed")
    redis.stop()  # SIGTERM: the AOF is written on the way down
    # Down long enough for every consumer of the worker to hit the connection error, as in a real restart.
    time.sleep(3)
    redis.start()
    restarted_at_ms = time.time() * 1000
    assert client.hlen(f"{NAMESPACE}:emails.DQ.msgs") == len(user_ids), "the delayed messages did not survive"
    assert restarted_at_ms < min(etas.values())

    wait_for(
        lambda: len(smtp_server.messages) >= len(user_ids) and messages_in_redis(client, "emails") == 0,
        timeout_s=60, what="every delayed reminder",
    )  # fmt: skip
    time.sleep(2)
    assert set(deliveries(smtp_server).values()) == {1}
    assert len(deliveries(smtp_server)) == len(user_ids)
    lateness = []
    for delivery in EmailDelivery.objects.all():
        started_ms = delivery.created_at.timestamp() * 1000  # the row is created when the job starts
        assert started_ms >= etas[delivery.user_id]
        lateness.append((started_ms - etas[delivery.user_id]) / 1000)
    assert EmailDelivery.objects.filter(status="sent").count() == len(user_ids)
    figures(f"delayed messages across a Redis restart: {len(user_ids)} run once each, {min(lateness):.1f}-"
            f"{max(lateness):.1f} s after their ETA")  # fmt: skip
