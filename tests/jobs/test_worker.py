"""One worker assembly for ``mutiroes worker`` (jobs.boot) and the in-process worker of ``mutiroes dev``."""

import threading

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries

from mutiroes.infra.breaker_report import Publisher
from mutiroes.infra.broker import build_broker
from mutiroes.jobs import worker
from mutiroes.jobs.middleware.consul import ConsulRegistration
from mutiroes.jobs.middleware.ledger import RunLedger
from mutiroes.jobs.middleware.metrics import WorkerMetrics
from mutiroes.jobs.middleware.relay import OutboxCompletion, OutboxRelay
from mutiroes.jobs.outbox import RelayLoop

WORKER_MIDDLEWARE = {OutboxRelay, ConsulRegistration, RunLedger, WorkerMetrics, OutboxCompletion}


@pytest.fixture
def broker(settings) -> StubBroker:
    """A broker of its own: the worker middleware must not reach the process broker other tests use."""
    return build_broker({**settings.DRAMATIQ, "url": "stub://"})


def test_assembly_installs_every_worker_middleware_once(broker):
    worker.assemble(broker)
    worker.assemble(broker)

    installed = [type(m) for m in broker.middleware]
    assert set(installed) >= WORKER_MIDDLEWARE
    assert all(installed.count(kind) == 1 for kind in WORKER_MIDDLEWARE)
    # The ones that read message.failed run their after_* hooks once Retries has decided.
    retries = installed.index(Retries)
    assert all(installed.index(kind) < retries for kind in (RunLedger, WorkerMetrics, OutboxCompletion))


@pytest.mark.django_db(transaction=True)
def test_a_started_worker_runs_the_relay_loop_and_the_breaker_report(broker):
    worker.assemble(broker)
    started = dramatiq.Worker(broker, worker_threads=1)
    started.start()
    try:
        threads = {thread.name for thread in threading.enumerate()}
        assert {RelayLoop.thread_name, Publisher.thread_name} <= threads
    finally:
        started.stop()
    assert RelayLoop.thread_name not in {thread.name for thread in threading.enumerate()}


def test_the_embedded_worker_is_the_assembled_one(monkeypatch, broker):
    monkeypatch.setattr("mutiroes.infra.broker.get_broker", lambda: broker)
    monkeypatch.setattr(dramatiq.Worker, "start", lambda self: None)

    embedded = worker.start_embedded()

    assert embedded.broker is broker
    assert {type(m) for m in broker.middleware} >= WORKER_MIDDLEWARE
