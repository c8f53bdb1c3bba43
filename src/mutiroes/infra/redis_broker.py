"""Dramatiq's Redis broker with two gaps closed (leased messages never given back) and two costs removed.

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

Costs:

3. An idle consumer polls its queue with a growing sleep, up to the worker timeout (1 s): a job enqueued on an
   idle worker waited up to a second (join -> e-mail p50 about 200 ms). Here every enqueue also pushes a token on
   the queue's wake-up list, and an idle consumer waits on that list (BLPOP) for as long as it would have slept:
   it fetches as soon as something arrives, and an idle worker still makes one Redis call a second per queue.
   The token is only a hint: the message itself is in the queue, so a lost token costs one poll interval.
4. ``enqueue_many`` writes a batch with two commands per queue in one round trip, instead of a Lua call and a
   round trip per message: the reminder fan-out of 10,000 participants enqueued at about 1,400 messages/s.
"""

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

import redis
from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker as DramatiqRedisBroker
from dramatiq.brokers.redis import _RedisConsumer
from dramatiq.common import compute_backoff, current_millis
from dramatiq.errors import ConnectionClosed

logger = logging.getLogger(__name__)
RELEASE_CHUNK = 1000
WAKE_TOKENS_KEPT = 16  # more waiting consumers than this on one queue wake by their own poll
WAKE_TTL_S = 60


class _Consumer(_RedisConsumer):
    connection_lost = False

    def __next__(self) -> Any:
        try:
            return self._next()
        except ConnectionClosed:
            # The consumer thread now drops every delayed message it holds (dramatiq.worker.ConsumerThread.run).
            self.connection_lost = True
            raise
        except redis.ConnectionError as exc:
            self.connection_lost = True
            raise ConnectionClosed(exc) from None

    def _next(self) -> Any:
        """Dramatiq's __next__ (redis.py, _RedisConsumer), with the idle sleep replaced by a wait for a token."""
        if self.message_cache:
            return super().__next__()  # the fast path, unchanged
        if self.outstanding_message_count < self.prefetch:
            self.message_cache = self.broker.do_fetch(self.queue_name, self.prefetch - self.outstanding_message_count)
        if self.message_cache:
            return super().__next__()
        self.misses, backoff_ms = compute_backoff(self.misses, max_backoff=self.timeout)
        if self.outstanding_message_count < self.prefetch:
            if self.broker.wait_for_wakeup(self.queue_name, backoff_ms / 1000):
                self.misses = 0  # something arrived: poll quickly again while it lasts
        else:
            time.sleep(backoff_ms / 1000)  # every slot is taken: nothing to fetch, whatever arrives
        return None


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

    def wake_key(self, queue_name: str) -> str:
        return f"{self.namespace}:{queue_name}.wake"

    def wait_for_wakeup(self, queue_name: str, timeout_s: float) -> bool:
        """Block until a message is enqueued on the queue (True) or `timeout_s` passes (False)."""
        # At most 1 s: well inside the client's socket timeout (REDIS_SOCKET_TIMEOUT_S, 2 s by default).
        return self.client.blpop([self.wake_key(queue_name)], timeout=min(max(timeout_s, 0.01), 1.0)) is not None

    def _wake(self, pipe: Any, queue_names: Iterable[str]) -> None:
        for queue_name in set(queue_names):
            key = self.wake_key(queue_name)
            pipe.lpush(key, 1)
            pipe.ltrim(key, 0, WAKE_TOKENS_KEPT - 1)
            pipe.expire(key, WAKE_TTL_S)

    def enqueue(self, message: Message, *, delay: int | None = None) -> Message:
        enqueued = super().enqueue(message, delay=delay)
        self._send_wakeups([enqueued.queue_name])
        return enqueued

    def _send_wakeups(self, queue_names: Iterable[str]) -> None:
        # After the message is in Redis; a failure here only loses the hint (the consumer polls anyway).
        try:
            pipe = self.client.pipeline(transaction=False)
            self._wake(pipe, queue_names)
            pipe.execute()
        except redis.RedisError as exc:
            logger.debug("wake-up not sent: %s", exc)

    def enqueue_many(self, messages: list[Message]) -> list[Message]:
        """Enqueue messages (no delay) in one MULTI: per queue, one HSET of every message and one RPUSH of their ids.

        What Dramatiq's enqueue script does per message (dispatch.lua, "enqueue": HSET then RPUSH), for the whole
        batch at once; the data is written before the ids, so a consumer never pops an id without its message.
        The script's other steps (the caller's heartbeat, maintenance by chance) concern consumers, not senders.
        """
        # Dramatiq gives each enqueue a fresh Redis id because a retry enqueues the same message again; a batch
        # holds new messages only (their ids are fresh uuid4s), so each one's own id is unique already.
        prepared = [message.copy(options={"redis_message_id": message.message_id}) for message in messages]
        by_queue: dict[str, dict[str, bytes]] = {}
        for message in prepared:
            self.emit_before("enqueue", message, None)
            by_queue.setdefault(message.queue_name, {})[message.options["redis_message_id"]] = message.encode()
        pipe = self.client.pipeline(transaction=True)
        for queue_name, entries in by_queue.items():
            key = f"{self.namespace}:{queue_name}"
            pipe.hset(f"{key}.msgs", mapping=entries)
            pipe.rpush(key, *entries)
        self._wake(pipe, by_queue)
        pipe.execute()
        for message in prepared:
            self.emit_after("enqueue", message, None)
        return prepared

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
