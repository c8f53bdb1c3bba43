"""The broker may lose a message it accepted (a Redis failover, docs/reliability.md scenario 4): the outbox row
stays watched until a worker has finished its job, and is relayed again when that takes too long."""

import threading

import dramatiq
import pytest
from django.core import mail

from mutiroes.events import services as event_services
from mutiroes.jobs.models import OutboxMessage
from mutiroes.jobs.outbox import outbox_redeliver_overdue, relay_pending
from mutiroes.notifications.models import EmailDelivery

pytestmark = pytest.mark.django_db(transaction=True)
QUEUE = "outbox-redelivery-test"
attempts_seen: dict[str, list[bool]] = {"flaky": []}
_lock = threading.Lock()


class Boom(Exception):
    pass


@dramatiq.actor(actor_name="outbox_test_flaky", queue_name=QUEUE, max_retries=1, min_backoff=1, max_backoff=10)
def flaky(row_id: int) -> None:
    """Fails its first attempt; records whether its row was already marked done when each attempt began."""
    done = OutboxMessage.objects.get(pk=row_id).done_at is not None
    with _lock:
        attempts_seen["flaky"].append(done)
        first = len(attempts_seen["flaky"]) == 1
    if first:
        raise Boom("first attempt")


@dramatiq.actor(actor_name="outbox_test_doomed", queue_name=QUEUE, max_retries=0)
def doomed(row_id: int) -> None:
    raise Boom("always")


def _row(actor_name: str) -> OutboxMessage:
    row = OutboxMessage.objects.create(actor_name=actor_name, queue_name=QUEUE)
    row.kwargs = {"row_id": row.pk}
    row.save(update_fields=["kwargs"])
    return row


def _work(broker) -> None:
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
    worker.start()
    try:
        broker.join(QUEUE, fail_fast=False, timeout=30_000)
        worker.join()
    finally:
        worker.stop()


def test_a_message_the_broker_lost_is_relayed_again_once_overdue_and_sent_once(
    event_factory, user_factory, stub_broker, run_jobs
):
    volunteer = user_factory()
    event_services.participation_join(event_id=event_factory().pk, user=volunteer)  # relayed after commit
    assert OutboxMessage.objects.get().relayed_at is not None
    stub_broker.flush_all()  # accepted, then lost (the old master resynced from the new one)

    assert outbox_redeliver_overdue(after_s=3600) == 0, "not overdue yet: no second copy"
    assert outbox_redeliver_overdue(after_s=0) == 1
    run_jobs()

    row = OutboxMessage.objects.get()
    assert (row.attempts, row.relayed_at is not None, row.done_at is not None) == (2, True, True)
    assert [m.to for m in mail.outbox] == [[volunteer.email]]
    assert EmailDelivery.objects.get().status == EmailDelivery.Status.SENT
    assert outbox_redeliver_overdue(after_s=0) == 0, "a finished job is never relayed again"


def test_a_row_is_done_after_its_last_attempt_not_after_one_that_is_retried(stub_broker):
    attempts_seen["flaky"].clear()
    retried, failed = _row("outbox_test_flaky"), _row("outbox_test_doomed")
    assert relay_pending() == 2

    _work(stub_broker)

    assert attempts_seen["flaky"] == [False, False], "the row was marked done before its retry ran"
    retried.refresh_from_db()
    failed.refresh_from_db()
    assert retried.done_at is not None, "succeeded on its retry"
    assert failed.done_at is not None, "failed for good (dead-lettered): nothing left to relay"
    assert outbox_redeliver_overdue(after_s=0) == 0
