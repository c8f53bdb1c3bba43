"""A daemon thread doing one small job every few seconds (outbox relay, leader heartbeat, breaker report)."""

import logging
import threading

logger = logging.getLogger(__name__)


class PeriodicThread:
    """Calls ``tick()`` every ``interval_s`` seconds until ``stop()``; a failing tick is logged, never fatal."""

    thread_name = "periodic"

    def __init__(self, *, interval_s: float) -> None:
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)

    def tick(self) -> None:
        raise NotImplementedError

    def start(self) -> "PeriodicThread":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval_s + 5)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # the next tick tries again
                logger.exception("%s failed", self.thread_name)
            self._stop.wait(self.interval_s)
