"""The broker middleware of every process (infra.broker): Django connections, log context, trace context.

The middleware only worker processes add (run ledger, outbox, metrics, Consul) is in ``mutiroes.jobs.middleware``.
"""

import threading

import dramatiq
from dramatiq.middleware import Middleware
from opentelemetry import propagate
from opentelemetry.trace import SpanKind

from mutiroes.infra import logs, tracing


class DatabaseConnections(Middleware):
    """Workers are long-lived: drop broken or expired DB connections around each message, as Django does per request."""

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        from django.db import close_old_connections

        close_old_connections()

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.Message, *, result=None, exception=None
    ) -> None:
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
    ) -> None:
        tokens = getattr(self._tokens, "value", None)
        if tokens is not None:
            logs.unbind(tokens)
            self._tokens.value = None

    after_skip_message = after_process_message


class Tracing(Middleware):
    """The trace context across the broker: written into the message's options when it is enqueued, and the
    parent of the actor's span (kind CONSUMER) while it is processed. A message without one starts a trace."""

    def __init__(self) -> None:
        self._current = threading.local()  # one message at a time per worker thread

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int | None) -> None:
        headers = tracing.carrier()
        if headers:  # else keep what the message came with (an outbox row's context, relayed outside any span)
            message.options[tracing.OPTION] = headers

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        parent = propagate.extract(dict(message.options.get(tracing.OPTION) or {}))
        span = tracing.tracer().start_span(
            f"{message.actor_name} process", context=parent, kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "dramatiq", "messaging.destination.name": message.queue_name,
                        "messaging.message.id": message.message_id,
                        "messaging.dramatiq.retries": message.options.get("retries", 0)},
        )  # fmt: skip
        self._current.value = (span, tracing.attach(span))

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.Message, *, result=None, exception=None
    ) -> None:
        current = getattr(self._current, "value", None)
        if current is None:
            return
        span, token = current
        self._current.value = None
        if exception is not None:
            tracing.record_failure(span, exception)
        span.end()
        tracing.detach(token)

    after_skip_message = after_process_message
