"""Consul registration of each Dramatiq worker process (a TTL check passed by a heartbeat thread)."""

import logging

import dramatiq
from dramatiq.middleware import Middleware

logger = logging.getLogger(__name__)


class ConsulRegistration(Middleware):
    """Registers the worker process once it has booted and deregisters it before it shuts down.

    A no-op unless CONSUL_ENABLED; Consul being down never delays the boot (registration retries in the background).
    """

    def __init__(self) -> None:
        self._registration = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from mutiroes.infra.consul import register_process

        try:
            self._registration = register_process("worker")
        except Exception:  # a broken Consul setup must not keep the worker from consuming
            logger.exception("consul: worker registration not started")

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if self._registration is not None:
            self._registration.stop()
            self._registration = None
