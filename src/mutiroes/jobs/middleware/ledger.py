"""Worker side of the scheduler's run ledger: a message that carries ``options["run_id"]`` reports its run's state."""

import logging

import dramatiq
from dramatiq.middleware import Middleware

from mutiroes.jobs.middleware import add_before_retries

logger = logging.getLogger(__name__)


class RunLedger(Middleware):
    """running before each attempt, done after success, failed once the last attempt failed (retries exhausted).

    Installed before Retries (``add_before_retries``), so it sees whether a failed attempt was the last.
    """

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        run_id = message.options.get("run_id")
        if run_id is not None:
            from django.db import close_old_connections

            from mutiroes.jobs import ledger

            close_old_connections()  # this hook runs before DatabaseConnections' own
            ledger.run_started(run_id=run_id)

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.Message, *, result: object = None, exception: object = None
    ) -> None:
        run_id = message.options.get("run_id")
        if run_id is None:
            return
        from mutiroes.jobs import ledger

        if exception is None:
            ledger.run_done(run_id=run_id)
        elif message.failed:
            ledger.run_failed(run_id=run_id, error=f"{type(exception).__name__}: {exception}")
            logger.warning("run %s failed for good after %s attempt(s)", run_id, message.options.get("retries", 0))

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        run_id = message.options.get("run_id")
        if run_id is not None:
            from mutiroes.jobs import ledger

            ledger.run_failed(run_id=run_id, error="skipped by the worker (message too old or cancelled)")


def install_run_ledger(broker: dramatiq.Broker) -> None:
    add_before_retries(broker, RunLedger())
