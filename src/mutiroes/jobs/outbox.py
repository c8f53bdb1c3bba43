"""Transactional outbox: jobs are rows written with the change that causes them, then relayed to the broker.

``outbox_add`` must be called inside the transaction of the change. After commit the row is handed to
the broker at once (fast path); if the broker is down the row waits and ``relay_pending`` (a loop in
every worker process, and in the embedded server) sends it later. A row may be relayed twice if a
process dies between enqueue and marking: the actors are idempotent, so that is harmless.

The broker's "accepted" is not the end of it: Redis replicates asynchronously, and after a Sentinel
failover the old master throws away what it accepted after the promotion when it becomes a replica
(docs/reliability.md, scenario 4). So each message carries its row's id (``OUTBOX_ID``), the worker marks
the row done when the job is over (``outbox_done``), and the relay sends again a row that is still not done
``OUTBOX_REDELIVER_AFTER_S`` after it was relayed.
"""

import logging
import uuid
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import dramatiq
from django.db import transaction
from django.db.models import Count, Min
from django.db.models.functions import Coalesce
from opentelemetry.trace import SpanKind

from mutiroes.core import clock
from mutiroes.infra import tracing
from mutiroes.infra.broker import enqueue
from mutiroes.infra.broker import enqueue_many as broker_enqueue_many
from mutiroes.infra.periodic import PeriodicThread
from mutiroes.jobs.models import OutboxMessage
from mutiroes.jobs.registry import QUEUES, SEND_EVENT_NOTIFICATION_EMAIL

logger = logging.getLogger(__name__)
RELAY_BATCH = 500
OUTBOX_ID = "outbox_id"  # the message option naming its row; retries and redeliveries keep it


def outbox_add(actor_name: str, **kwargs: Any) -> OutboxMessage:
    row = OutboxMessage.objects.create(
        actor_name=actor_name, queue_name=QUEUES[actor_name], kwargs=kwargs, trace_context=tracing.carrier()
    )
    transaction.on_commit(partial(_relay_one, row.pk))
    return row


def email_enqueue(*, kind: str, user_id: int, event_id: int = 0, period: str = "") -> OutboxMessage:
    """Ask for an e-mail from inside a transaction: it is sent only if that transaction commits."""
    return outbox_add(SEND_EVENT_NOTIFICATION_EMAIL, event_id=event_id, user_id=user_id, kind=kind, period=period)


def outbox_add_many(actor_name: str, kwargs_list: list[dict[str, Any]]) -> int:
    """Many jobs in one INSERT, relayed in batches after commit."""
    queue, trace_context = QUEUES[actor_name], tracing.carrier()
    rows = [OutboxMessage(actor_name=actor_name, queue_name=queue, kwargs=kw, trace_context=trace_context)
            for kw in kwargs_list]  # fmt: skip
    OutboxMessage.objects.bulk_create(rows, batch_size=1000)
    if rows:
        transaction.on_commit(_relay_quietly)
    return len(rows)


def _relay_quietly() -> None:
    try:
        relay_pending()
    except Exception as exc:  # noqa: BLE001 - the periodic relay retries
        logger.warning("outbox relay after commit failed: %s", exc)


def _message(row: OutboxMessage) -> dramatiq.Message:
    # Deterministic id: a row relayed twice yields the same message id in the broker's logs.
    message_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"mutiroes:outbox:{row.pk}"))
    options: dict[str, Any] = {OUTBOX_ID: row.pk}
    # The row's trace context travels in the options; the relay's own span replaces it when tracing is on here.
    if row.trace_context:
        options[tracing.OPTION] = row.trace_context
    return dramatiq.Message(
        queue_name=row.queue_name, actor_name=row.actor_name, args=(), kwargs=row.kwargs, options=options,
        message_id=message_id,
    )  # fmt: skip


def enqueue_many(actor_name: str, kwargs_list: list[dict[str, Any]]) -> int:
    """Enqueue a batch directly (worker side), in one pipeline on Redis (infra.broker.enqueue_many)."""
    queue_name = QUEUES[actor_name]
    broker_enqueue_many(
        [dramatiq.Message(queue_name=queue_name, actor_name=actor_name, args=(), kwargs=kw, options={})
         for kw in kwargs_list]
    )  # fmt: skip
    return len(kwargs_list)


def _relay_one(row_id: int) -> None:
    try:
        with transaction.atomic():
            row = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=row_id, relayed_at=None).first()
            if row is not None:
                _send(row)
    except Exception as exc:  # noqa: BLE001 - the sweep retries; the request that wrote the row already succeeded
        logger.warning("outbox row %s left for the relay: %s", row_id, exc)


def _send(row: OutboxMessage) -> None:
    # A span in the trace of the change that wrote the row, however much later the relay hands it over.
    attributes = {"messaging.system": "dramatiq", "messaging.destination.name": row.queue_name, "outbox.row": row.pk}
    with tracing.span(f"{row.actor_name} relay", parent=row.trace_context, kind=SpanKind.PRODUCER,
                      attributes=attributes):  # fmt: skip
        _enqueue_row(row)


def _enqueue_row(row: OutboxMessage) -> None:
    try:
        message = enqueue(_message(row))
    except Exception as exc:
        OutboxMessage.objects.filter(pk=row.pk).update(attempts=row.attempts + 1, last_error=str(exc)[:1000])
        raise
    row.relayed_at = clock.now()
    row.message_id = message.message_id
    row.attempts += 1
    row.save(update_fields=["relayed_at", "message_id", "attempts"])


def relay_pending(*, limit: int = RELAY_BATCH) -> int:
    """Hand up to ``limit`` waiting rows to the broker, oldest first; returns how many were sent."""
    sent = 0
    with transaction.atomic():
        # skip_locked: several relays (one per worker process) share the work without blocking each other.
        rows = OutboxMessage.objects.select_for_update(skip_locked=True).filter(relayed_at=None).order_by("id")[:limit]
        for row in rows:
            try:
                _send(row)
            except Exception as exc:  # noqa: BLE001 - the broker is down: stop here, keep the rest waiting
                logger.warning("outbox relay stopped at row %s: %s", row.pk, exc)
                break
            sent += 1
    return sent


def outbox_backlog() -> tuple[int, datetime | None, int]:
    """Rows waiting for the relay, when the oldest was written (None when none waits), and rows relayed whose
    job has not finished yet (both counts use the table's partial indexes)."""
    waiting = OutboxMessage.objects.filter(relayed_at=None).aggregate(rows=Count("id"), oldest=Min("created_at"))
    in_flight = OutboxMessage.objects.filter(relayed_at__isnull=False, done_at=None).count()
    return waiting["rows"], waiting["oldest"], in_flight


def outbox_done(*, row_id: int) -> None:
    """The job of row ``row_id`` is over (done, failed for good or skipped): the relay stops watching it."""
    now = clock.now()
    # relayed_at too: a row put back as pending just before its first copy finished is not sent again.
    OutboxMessage.objects.filter(pk=row_id, done_at=None).update(done_at=now, relayed_at=Coalesce("relayed_at", now))


def outbox_redeliver_overdue(*, after_s: float) -> int:
    """Rows relayed ``after_s`` ago that no worker has finished go back to pending; returns how many."""
    cutoff = clock.now() - timedelta(seconds=after_s)
    count = OutboxMessage.objects.filter(done_at=None, relayed_at__lt=cutoff).update(relayed_at=None)
    if count:
        logger.warning("%s outbox rows relayed over %.0f s ago and not done by a worker: relayed again", count, after_s)
    return count


class RelayLoop(PeriodicThread):
    """Relays the outbox every ``OUTBOX_RELAY_INTERVAL_S`` until stopped, overdue rows first."""

    thread_name = "outbox-relay"

    def __init__(self) -> None:
        from django.conf import settings

        super().__init__(interval_s=settings.OUTBOX_RELAY_INTERVAL_S)
        self.redeliver_after_s = settings.OUTBOX_REDELIVER_AFTER_S

    def tick(self) -> None:
        from django.db import close_old_connections

        try:
            outbox_redeliver_overdue(after_s=self.redeliver_after_s)
            while relay_pending() == RELAY_BATCH and not self.stopping:
                pass  # a full batch means more are waiting
        finally:
            close_old_connections()
