"""Scheduler tests: a frozen, movable clock, the stub broker with the run-ledger middleware, a worker to drain it."""

from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries

import mutiroes.jobs.actors  # noqa: F401 - declares every actor on the process broker
from mutiroes.infra import broker as broker_module
from mutiroes.infra.broker import get_broker
from mutiroes.jobs.middleware.ledger import install_run_ledger
from tests.support.clocks import FrozenClock

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@pytest.fixture
def frozen_clock(frozen_clock: FrozenClock) -> FrozenClock:
    """29 November 2026, 14:00 in São Paulo, unless the test moves it."""
    frozen_clock.set(datetime(2026, 11, 29, 14, 0, tzinfo=SAO_PAULO))
    return frozen_clock


@pytest.fixture
def stub_broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[StubBroker]:
    broker = get_broker()
    assert isinstance(broker, StubBroker), "unit tests run on the stub broker (BROKER_URL=stub://)"
    install_run_ledger(broker)
    # Retries in milliseconds, not the production seconds, so "three attempts then failed" runs in a test.
    retries = next(m for m in broker.middleware if isinstance(m, Retries))
    monkeypatch.setattr(retries, "min_backoff", 10)
    monkeypatch.setattr(retries, "max_backoff", 20)
    monkeypatch.setattr(broker_module, "ENQUEUE_RETRY_BASE_S", 0.01)
    broker.flush_all()
    yield broker
    broker.flush_all()


@pytest.fixture
def drain(stub_broker: StubBroker) -> Callable[[], None]:
    """Run every queued message (and their retries) on a real Dramatiq worker until the queues are empty."""

    def run() -> None:
        worker = dramatiq.Worker(stub_broker, worker_timeout=20, worker_threads=2)
        worker.start()
        try:
            for queue in list(stub_broker.queues):
                stub_broker.join(queue, timeout=30_000, fail_fast=False)  # failures are asserted on the ledger
            worker.join()
        finally:
            worker.stop()

    return run


def queued(broker: StubBroker, queue: str) -> list[dramatiq.Message]:
    """The messages waiting in a stub queue (decoded, not consumed)."""
    return [dramatiq.Message.decode(data) for data in list(broker.queues.get(queue, _Empty()).queue)]


class _Empty:
    queue: tuple = ()
