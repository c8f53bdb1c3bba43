import dramatiq
from dramatiq.middleware import Middleware


class OutboxRelay(Middleware):
    """Runs the outbox relay loop inside each worker process, for as long as the worker runs."""

    def __init__(self) -> None:
        self._loop = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from django.conf import settings

        from mutiroes.notifications.outbox import RelayLoop

        self._loop = RelayLoop(settings.OUTBOX_RELAY_INTERVAL_S).start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if self._loop is not None:
            self._loop.stop()
