"""Dramatiq's Redis broker with two gaps closed, both about messages leased to a worker and never given back.

A worker leases the messages it fetches (a per-worker "acks" set in Redis); only "maintenance" gives the
leases of a dead worker (no heartbeat for ``heartbeat_timeout``) back to their queue.

1. Maintenance by chance (dramatiq #527): Dramatiq runs it on a random fraction of the commands that touch
   *that* queue. An idle delay queue is polled about once a second, so after a worker dies its delayed
   messages come back after a random wait with no upper bound (12-24 s measured with a 3 s heartbeat
   timeout). Here each worker process also runs it on every queue it consumes, every half heartbeat timeout.
2. A delay-queue consumer that loses its connection (Redis restarted) forgets the delayed messages it held
   in memory, but in Redis they stay leased to this worker, which is alive and keeps its heartbeat, so no
   maintenance ever returns them: they would wait for the worker process to exit. When such a consumer is
   recreated, its leases go back on the delay queue first (docs/reliability.md, scenario 5).
"""

import logging
import threading
from typing import Any

import redis
from dramatiq.brokers.redis import RedisBroker as DramatiqRedisBroker
from dramatiq.brokers.redis import _RedisConsumer
from dramatiq.common import current_millis
from dramatiq.errors import ConnectionClosed

logger = logging.getLogger(__name__)
RELEASE_CHUNK = 1000


class _Consumer(_RedisConsumer):
    connection_lost = False

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except ConnectionClosed:
            # The consumer thread now drops every delayed message it holds (dramatiq.worker.ConsumerThread.run).
            self.connection_lost = True
            raise


class RedisBroker(DramatiqRedisBroker):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._consumers: dict[str, _Consumer] = {}
        self._maintenance: threading.Thread | None = None
        self._closed = threading.Event()
        self._start_lock = threading.Lock()

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> _Consumer:
        previous = self._consumers.get(queue_name)
        if previous is not None and previous.connection_lost and queue_name.endswith(".DQ"):
            self._release_leases(queue_name)  # raises ConnectionClosed while Redis is still away: retried later
        consumer = _Consumer(self, queue_name, prefetch, timeout)
        self._consumers[queue_name] = consumer
        self._start_maintenance()
        return consumer

    def _release_leases(self, queue_name: str) -> None:
        key = f"{self.namespace}:__acks__.{self.broker_id}.{queue_name}"
        try:
            ids = [member.decode() for member in self.client.smembers(key)]
            for start in range(0, len(ids), RELEASE_CHUNK):
                self.do_requeue(queue_name, *ids[start : start + RELEASE_CHUNK])
        except redis.ConnectionError as exc:
            raise ConnectionClosed(exc) from None
        if ids:
            logger.warning("%s delayed messages put back on %s after a lost connection", len(ids), queue_name)

    def maintain(self, queue_name: str) -> None:
        """Run Dramatiq's maintenance on one queue now: dead workers' leases back to it, old dead letters out."""
        # "requeue" with no message ids does nothing itself; the 1 forces the maintenance step before it.
        self.scripts["dispatch"](
            keys=[self.namespace],
            args=["requeue", current_millis(), queue_name, self.broker_id, self.heartbeat_timeout,
                  self.dead_message_ttl, 1, self._max_unpack_size()],
        )  # fmt: skip

    def _start_maintenance(self) -> None:
        # Started by the first consumer, so only processes that consume (workers) run it.
        with self._start_lock:
            if self._maintenance is None:
                self._maintenance = threading.Thread(
                    target=self._maintain_forever, name="redis-maintenance", daemon=True
                )
                self._maintenance.start()

    def _maintain_forever(self) -> None:
        interval_s = max(self.heartbeat_timeout / 2000, 0.5)
        while not self._closed.wait(interval_s):
            for queue_name in list(self._consumers):
                try:
                    self.maintain(queue_name)
                except redis.RedisError as exc:
                    logger.debug("maintenance of %s skipped: %s", queue_name, exc)

    def close(self) -> None:
        self._closed.set()
        super().close()
