"""Worker side of the outbox: the relay loop, and the completion mark that stops the relay sending a row again."""

import logging

import dramatiq
from django.db import DatabaseError
from dramatiq.middleware import Middleware

from mutiroes.jobs.middleware import add_before_retries

logger = logging.getLogger(__name__)


class OutboxRelay(Middleware):
    """Worker-process housekeeping: the outbox relay loop, and the breaker report that /health reads."""

    def __init__(self) -> None:
        self._loop = None
        self._report = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from mutiroes.infra.breaker_report import Publisher
        from mutiroes.jobs.outbox import RelayLoop

        self._loop = RelayLoop().start()
        self._report = Publisher(role="worker").start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        for housekeeping in (self._loop, self._report):
            if housekeeping is not None:
                housekeeping.stop()


class OutboxCompletion(Middleware):
    """Marks a message's outbox row done when its job is over: succeeded, failed for good, or skipped.

    Not after a failed attempt that Retries sends again: until the retry runs, the row stays watched, so a
    retry the broker loses is relayed again too. Installed before Retries (``add_before_retries``).
    """

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.Message, *, result: object = None, exception: object = None
    ) -> None:
        if exception is None or message.failed:
            self._done(message)

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        self._done(message)

    def _done(self, message: dramatiq.Message) -> None:
        from mutiroes.jobs.outbox import OUTBOX_ID, outbox_done

        row_id = message.options.get(OUTBOX_ID)
        if row_id is None:
            return  # not from the outbox (the scheduler, a fan-out enqueued by a job)
        try:
            outbox_done(row_id=row_id)
        except DatabaseError as exc:  # the row is relayed again later; the job is idempotent
            logger.warning("outbox row %s not marked done: %s", row_id, exc)


def install_outbox_completion(broker: dramatiq.Broker) -> None:
    add_before_retries(broker, OutboxCompletion())
