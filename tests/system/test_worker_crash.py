"""A worker dies mid-run (SIGKILL) or is stopped for a deploy (SIGTERM): docs/reliability.md, scenarios 1 and 2.

The SMTP sink takes a moment per message so that, when the signal comes, the worker holds messages in
every state: sending, prefetched, and waiting in its delay-queue prefetch.
"""

import time

import dramatiq
import pytest
from django.db import transaction

from mutiroes.jobs import registry as jobs
from mutiroes.jobs.outbox import outbox_add_many
from mutiroes.notifications.models import EmailDelivery
from tests.factories import make_participants
from tests.support.polling import wait_for
from tests.system.support import NAMESPACE, WORKER_THREADS, ack_sets, deliveries, duplicates, messages_in_redis

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

SMTP_DELAY_S = 0.2


def _email_jobs(event_id: int, user_ids: list[int], kind: str = "reminder") -> list[dict]:
    return [{"event_id": event_id, "user_id": user_id, "kind": kind, "period": ""} for user_id in user_ids]


def _enqueue_via_outbox(event_id: int, user_ids: list[int]) -> None:
    with transaction.atomic():
        outbox_add_many(jobs.SEND_EVENT_NOTIFICATION_EMAIL, _email_jobs(event_id, user_ids))


# Leases live in dramatiq:__acks__.<broker id>.<queue>; broker ids are uuid4s, queue names may have a dot (emails.DQ).
def _worker_of(ack_key: str) -> str:
    return ack_key.split("__acks__.", 1)[1].split(".", 1)[0]


def _queue_of(ack_key: str) -> str:
    return ack_key.split("__acks__.", 1)[1].split(".", 1)[1]


def _worker_ids(client) -> set[str]:
    return {_worker_of(key) for key in ack_sets(client)}


def _held_by(client, worker_ids: set[str]) -> dict[str, int]:
    """Messages leased (prefetched, delayed or in flight) by these workers, per lease key."""
    return {key: n for key, n in ack_sets(client).items() if _worker_of(key) in worker_ids}


def _busy_worker(event, participants: int, prefix: str, redis_server, smtp, workers):
    """`participants` confirmed in `event`, a worker on the slow SMTP sink, an e-mail each through the outbox."""
    smtp.delay_s = SMTP_DELAY_S
    user_ids = make_participants(event, participants, prefix=prefix)
    worker = workers.start(redis_url=redis_server.url(), smtp_port=smtp.port)
    _enqueue_via_outbox(event.pk, user_ids)
    return event, user_ids, worker


def test_sigkill_mid_run_redelivers_every_message_and_sends_each_email_once(
    event_factory, redis_server, redis_broker, slow_smtp_server, workers, figures
):
    client = redis_server.client()
    event, user_ids, first = _busy_worker(
        event_factory(max_participants=500), 200, "kill", redis_server, slow_smtp_server, workers
    )
    # 20 update e-mails due in 8 s: the worker fetches them into its delay-queue prefetch and dies holding them.
    etas = {}
    for user_id in user_ids[:20]:
        message = dramatiq.Message(
            queue_name="emails", actor_name=jobs.SEND_EVENT_NOTIFICATION_EMAIL, args=(),
            kwargs={"event_id": event.pk, "user_id": user_id, "kind": "update", "period": "v2"}, options={},
        )  # fmt: skip
        etas[user_id] = redis_broker.enqueue(message, delay=8000).options["eta"]
    wait_for(
        lambda: len(slow_smtp_server.messages) >= 30 and sum(_held_by(client, _worker_ids(client)).values()) >= 20,
        timeout_s=60, what="the first worker busy with reminders and holding the delayed updates",
    )  # fmt: skip

    old_ids = _worker_ids(client)
    first.kill()
    killed_at = time.monotonic()
    held = _held_by(client, old_ids)
    sent_before = len(slow_smtp_server.messages)
    assert held, "the killed worker held no unacknowledged messages: the test would prove nothing"

    workers.start(redis_url=redis_server.url(), smtp_port=slow_smtp_server.port)
    second_ready = time.monotonic() - killed_at
    requeued_after: dict[str, float] = {}  # per queue: when maintenance gave the dead worker's messages back
    expected = len(user_ids) + len(etas)
    deadline = time.monotonic() + 120
    while True:
        now = time.monotonic()
        still_held = _held_by(client, old_ids)
        for key in set(held) - set(still_held):
            requeued_after.setdefault(_queue_of(key), now - killed_at)
        if not still_held and len(deliveries(slow_smtp_server)) == expected and not messages_in_redis(client, "emails"):
            break
        assert now < deadline, (
            f"after 120 s: {len(deliveries(slow_smtp_server))}/{expected} delivered, "
            f"{messages_in_redis(client, 'emails')} messages left, dead worker still holds {still_held}"
        )
        time.sleep(0.1)
    all_delivered = time.monotonic() - killed_at
    # Bounded redelivery: heartbeat timeout (3 s) plus the workers' maintenance period (1.5 s), with a wide margin.
    assert max(requeued_after.values()) < 20, requeued_after

    counts = deliveries(slow_smtp_server)
    assert {rcpt for rcpt, _ in counts} == {f"kill{i}@example.org" for i in range(200)}
    assert len(counts) == expected  # every business key: 200 reminders and 20 updates
    assert EmailDelivery.objects.count() == expected
    assert set(EmailDelivery.objects.values_list("status", flat=True)) == {EmailDelivery.Status.SENT}
    for delivery in EmailDelivery.objects.filter(kind="update"):
        assert delivery.created_at.timestamp() * 1000 >= etas[delivery.user_id]  # redelivered, still not early
    # Only an e-mail the SMTP server took while the worker died before committing can go out twice.
    dupes = duplicates(slow_smtp_server)
    assert dupes <= WORKER_THREADS
    assert client.zcard(f"{NAMESPACE}:emails.XQ") == 0
    held_per_queue = {_queue_of(key): n for key, n in held.items()}
    requeued = {queue: round(seconds, 1) for queue, seconds in requeued_after.items()}
    figures(
        f"SIGKILL holding {held_per_queue} unacked ({sent_before} e-mails sent before); "
        f"requeued by maintenance after {requeued} s "
        f"(heartbeat timeout 3 s; second worker ready after {second_ready:.1f} s); all {expected} keys delivered "
        f"{all_delivered:.1f} s after the kill; duplicate e-mails: {dupes} (bound: {WORKER_THREADS} threads)"
    )


def test_sigterm_during_work_requeues_prefetched_messages_and_loses_nothing(
    event_factory, redis_server, redis_broker, slow_smtp_server, workers, figures
):
    client = redis_server.client()
    event, user_ids, first = _busy_worker(
        event_factory(max_participants=100), 60, "term", redis_server, slow_smtp_server, workers
    )
    wait_for(lambda: len(slow_smtp_server.messages) >= 8, timeout_s=60, what="the worker busy")

    old_ids = _worker_ids(client)
    held = sum(_held_by(client, old_ids).values())
    first.terminate()
    signalled = time.monotonic()
    assert first.wait(timeout_s=60) == 0
    stopped_after = time.monotonic() - signalled

    # Prefetched messages went back to the queue at once (no heartbeat timeout involved), and every message
    # that was being sent finished: each e-mail that left has its delivery row marked sent.
    assert _held_by(client, old_ids) == {}
    sent_rows = set(EmailDelivery.objects.filter(status="sent").values_list("recipient", flat=True))
    assert {rcpt for rcpt, _ in deliveries(slow_smtp_server)} == sent_rows
    assert not EmailDelivery.objects.exclude(status="sent").exists()
    sent_at_stop = len(slow_smtp_server.messages)

    workers.start(redis_url=redis_server.url(), smtp_port=slow_smtp_server.port)
    wait_for(
        lambda: len(deliveries(slow_smtp_server)) == len(user_ids) and messages_in_redis(client, "emails") == 0,
        timeout_s=90, what="every reminder after the restart",
    )  # fmt: skip
    assert EmailDelivery.objects.filter(status="sent").count() == len(user_ids)
    assert duplicates(slow_smtp_server) == 0
    figures(
        f"SIGTERM with {held} messages held: worker stopped in {stopped_after:.1f} s, "
        f"{sent_at_stop} e-mails sent by then, 0 duplicates, {len(user_ids)} of {len(user_ids)} delivered after restart"
    )
