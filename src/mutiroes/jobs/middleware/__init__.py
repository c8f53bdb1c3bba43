"""The middleware of worker processes, one concern per module; ``mutiroes.jobs.worker`` installs them all."""

import dramatiq
from dramatiq.middleware import Middleware, Retries


def add_before_retries(broker: dramatiq.Broker, middleware: Middleware) -> None:
    """Add ``middleware`` once, before Retries.

    ``after_*`` hooks run in reverse order, so by the time its hooks run Retries has decided whether the
    message is retried or failed for good (``message.failed``).
    """
    if not any(type(existing) is type(middleware) for existing in broker.middleware):
        broker.add_middleware(middleware, before=Retries)


def add_once(broker: dramatiq.Broker, middleware: Middleware) -> None:
    if not any(type(existing) is type(middleware) for existing in broker.middleware):
        broker.add_middleware(middleware)
