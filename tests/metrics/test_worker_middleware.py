"""The worker middleware in one process (a stub broker and a Dramatiq worker thread, as `mutiroes dev` runs it):
outcomes done, retried and dead-lettered, durations, nothing left in progress."""

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries

from mutiroes.jobs.middleware.metrics import WorkerMetrics, install_worker_metrics
from tests.metrics.support import own_metrics, value


@pytest.fixture
def broker():
    broker = StubBroker(middleware=[Retries(max_retries=1, min_backoff=1, max_backoff=1)])
    install_worker_metrics(broker)
    install_worker_metrics(broker)  # once only
    broker.emit_after("process_boot")
    worker = dramatiq.Worker(broker, worker_timeout=50)
    worker.start()
    yield broker
    worker.stop()
    broker.close()


def test_outcomes_durations_and_in_progress(broker, client, db):
    attempts = {"flaky": 0}

    @dramatiq.actor(broker=broker, queue_name="metrics-test", actor_name="metrics_ok")
    def ok():
        pass

    @dramatiq.actor(broker=broker, queue_name="metrics-test", actor_name="metrics_flaky")
    def flaky():
        attempts["flaky"] += 1
        if attempts["flaky"] == 1:
            raise ConnectionError("transient")

    @dramatiq.actor(broker=broker, queue_name="metrics-test", actor_name="metrics_poison")
    def poison():
        raise ValueError("never works")

    assert sum(isinstance(m, WorkerMetrics) for m in broker.middleware) == 1
    before = own_metrics(client)
    for actor in (ok, flaky, poison):
        actor.send()
    broker.join("metrics-test", fail_fast=False)

    after = own_metrics(client)

    def delta(actor_name, outcome):
        labels = {"queue": "metrics-test", "actor": actor_name, "outcome": outcome}
        return value(after, "mutiroes_messages_total", **labels) - value(before, "mutiroes_messages_total", **labels)

    assert (delta("metrics_ok", "done"), delta("metrics_ok", "retried")) == (1, 0)
    assert (delta("metrics_flaky", "retried"), delta("metrics_flaky", "done")) == (1, 1)
    assert (delta("metrics_poison", "retried"), delta("metrics_poison", "dead_lettered")) == (1, 1)
    assert value(after, "mutiroes_message_duration_seconds_count", actor="metrics_flaky") == 2
    assert value(after, "mutiroes_messages_in_progress", queue="metrics-test") == 0
