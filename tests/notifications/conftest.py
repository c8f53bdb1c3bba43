import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

import mutiroes.jobs.actors  # noqa: F401 - declares every actor on the process broker
from mutiroes.infra.broker import get_broker
from mutiroes.jobs.middleware.relay import install_outbox_completion


@pytest.fixture
def stub_broker() -> StubBroker:
    """The process's stub broker, emptied, with the middleware a worker process adds (outbox rows marked done)."""
    broker = get_broker()
    assert isinstance(broker, StubBroker), "unit tests run on the stub broker (BROKER_URL=stub://)"
    install_outbox_completion(broker)
    broker.flush_all()
    yield broker
    broker.flush_all()


@pytest.fixture
def run_jobs(stub_broker: StubBroker):
    """Process everything queued, including the jobs those jobs queue, until all queues are idle."""

    def run() -> None:
        from mutiroes.jobs.outbox import relay_pending

        worker = dramatiq.Worker(stub_broker, worker_timeout=50, worker_threads=2)
        worker.start()
        try:
            for _ in range(20):
                relay_pending()
                for queue in list(stub_broker.queues):
                    stub_broker.join(queue, fail_fast=True, timeout=30_000)
                worker.join()
                if relay_pending() == 0 and all(stub_broker.queues[q].qsize() == 0 for q in stub_broker.queues):
                    return
        finally:
            worker.stop()

    return run
