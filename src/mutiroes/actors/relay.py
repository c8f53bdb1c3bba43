import dramatiq
from dramatiq.middleware import Middleware


class OutboxRelay(Middleware):
    """Worker-process housekeeping: the outbox relay loop, and the breaker report that /health reads."""

    def __init__(self) -> None:
        self._loop = None
        self._report = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from django.conf import settings

        from mutiroes.infra.breaker_report import Publisher
        from mutiroes.notifications.outbox import RelayLoop

        self._loop = RelayLoop(settings.OUTBOX_RELAY_INTERVAL_S).start()
        self._report = Publisher(role="worker").start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        for housekeeping in (self._loop, self._report):
            if housekeeping is not None:
                housekeeping.stop()
