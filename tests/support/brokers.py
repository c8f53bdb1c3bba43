"""The Dramatiq brokers of the tests: the process's stub broker set up as a worker process sets up its broker,
a real worker that runs what it holds, and a broker on a Redis the test started.

The fixtures (tests/conftest.py): `stub_broker`, `fast_retries`, `run_jobs`, `use_broker`, `redis_broker`.
"""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker

# Imported with this module (tests/conftest.py imports it before any test module): the process broker is then
# installed, with every actor on it, before a test module declares actors of its own with @dramatiq.actor.
import mutiroes.jobs.actors  # noqa: F401

# The Redis brokers' timings in the system tests (production: 60 s heartbeat, backoffs of 5 s to 5 min): a killed
# worker's messages come back within seconds, and retries happen within a test.
HEARTBEAT_TIMEOUT_MS = 3000
MIN_BACKOFF_MS = 200
MAX_BACKOFF_MS = 1000


def process_stub_broker() -> StubBroker:
    """This process's broker (BROKER_URL=stub://), with the middleware a worker process adds that its tests read:
    the outbox completion mark (rows done) and the run ledger (scheduler runs' states). Both act only on messages
    that carry their option, so one broker serves the notification and the scheduler tests alike."""
    from mutiroes.infra.broker import get_broker
    from mutiroes.jobs.middleware.ledger import install_run_ledger
    from mutiroes.jobs.middleware.relay import install_outbox_completion

    broker = get_broker()
    assert isinstance(broker, StubBroker), "unit tests run on the stub broker (BROKER_URL=stub://)"
    install_outbox_completion(broker)
    install_run_ledger(broker)
    return broker


def run_until_idle(broker: StubBroker, *, relay: bool = True, fail_fast: bool = True) -> None:
    """Run every queued message on a real Dramatiq worker (2 threads) until the queues are empty.

    With `relay`, the outbox is relayed first and again after each round, so the jobs those jobs queue run too.
    Without `fail_fast`, a failed message does not raise here (the test asserts the failure where it is recorded).
    """
    from mutiroes.jobs.outbox import relay_pending

    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=2)
    worker.start()
    try:
        for _ in range(20):
            if relay:
                relay_pending()
            for queue in list(broker.queues):
                broker.join(queue, fail_fast=fail_fast, timeout=30_000)
            worker.join()
            if (not relay or relay_pending() == 0) and all(q.qsize() == 0 for q in broker.queues.values()):
                return
    finally:
        worker.stop()


def queued(broker: StubBroker, queue: str) -> list[dramatiq.Message]:
    """The messages waiting in a stub queue (decoded, not consumed)."""
    waiting = broker.queues.get(queue)
    return [] if waiting is None else [dramatiq.Message.decode(data) for data in list(waiting.queue)]


def redis_broker_config(redis_url: str) -> dict[str, Any]:
    """The settings of a Redis broker built in the test process, the same as the worker processes get."""
    from django.conf import settings

    return {
        **settings.DRAMATIQ,
        "url": redis_url,
        "heartbeat_timeout_ms": HEARTBEAT_TIMEOUT_MS,
        "min_backoff_ms": MIN_BACKOFF_MS,
        "max_backoff_ms": MAX_BACKOFF_MS,
    }
