"""infra/redis_broker.py against a real Redis: a batch goes in one pipeline, and an enqueue wakes an idle consumer.

The reminder fan-out's end-to-end behaviour (each participant once, a second run adds none) is
test_reminders.py's; these check the broker's two additions on their own.
"""

from __future__ import annotations

import threading

import dramatiq
import pytest

from mutiroes.infra.broker import enqueue, enqueue_many
from tests.system.support import messages_in_redis

pytestmark = [pytest.mark.system]


def _message(i: int) -> dramatiq.Message:
    return dramatiq.Message(queue_name="emails", actor_name="bench_probe", args=(), kwargs={"i": i}, options={})


def test_a_batch_puts_every_message_once_in_the_queue_with_its_own_redis_id(redis_server, redis_broker):
    client = redis_server.client()
    enqueue_many([_message(i) for i in range(1200)])

    assert messages_in_redis(client, "emails") == 1200
    stored = [dramatiq.Message.decode(raw) for raw in client.hvals("dramatiq:emails.msgs")]
    assert sorted(message.kwargs["i"] for message in stored) == list(range(1200))
    assert len({message.options["redis_message_id"] for message in stored}) == 1200
    assert client.llen("dramatiq:emails.wake") >= 1  # the hint for an idle consumer


def test_an_idle_consumer_wakes_on_an_enqueue_and_gets_the_message(redis_server, redis_broker):
    consumer = redis_broker.consume("emails", prefetch=1, timeout=1000)
    assert redis_broker.wait_for_wakeup("emails", 0.05) is False  # nothing enqueued: it waited and saw nothing

    woke: list[bool] = []
    waiting = threading.Thread(target=lambda: woke.append(redis_broker.wait_for_wakeup("emails", 1.0)))
    waiting.start()
    enqueue(_message(7))
    waiting.join(timeout=5)
    assert woke == [True]

    received = next((m for m in (next(consumer) for _ in range(50)) if m is not None), None)
    assert received is not None and received.kwargs == {"i": 7}
    consumer.ack(received)
    consumer.close()
