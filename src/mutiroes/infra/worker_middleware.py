"""Dramatiq middleware for Django processes."""

import threading

import dramatiq
from dramatiq.middleware import Middleware, Retries

from mutiroes.infra import logs


class DatabaseConnections(Middleware):
    """Workers are long-lived: drop broken or expired DB connections around each message, as Django does per request."""

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        from django.db import close_old_connections

        close_old_connections()

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.Message, *, result=None, exception=None
    ) -> None:  # noqa: ANN001
        from django.db import close_old_connections

        close_old_connections()

    after_skip_message = after_process_message


class LogContext(Middleware):
    """The actor's name (``job``) and the message id on every log line written while a message is processed."""

    def __init__(self) -> None:
        self._tokens = threading.local()  # one message at a time per worker thread

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        self._tokens.value = logs.bind(job=message.actor_name, message_id=message.message_id)

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.Message, *, result=None, exception=None
    ) -> None:  # noqa: ANN001
        tokens = getattr(self._tokens, "value", None)
        if tokens is not None:
            logs.unbind(tokens)
            self._tokens.value = None

    after_skip_message = after_process_message


def add_before_retries(broker: dramatiq.Broker, middleware: Middleware) -> None:
    """Add ``middleware`` once, before Retries.

    ``after_*`` hooks run in reverse order, so by the time its hooks run Retries has decided whether the
    message is retried or failed for good (``message.failed``).
    """
    if not any(type(existing) is type(middleware) for existing in broker.middleware):
        broker.add_middleware(middleware, before=Retries)
