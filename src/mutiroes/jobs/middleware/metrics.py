"""The workers' metrics: messages by actor and outcome, durations, in progress (a middleware in every worker
process), and what the broker and the outbox hold (read at scrape time).

``mutiroes worker --metrics-port N`` serves them: Dramatiq forks one extra process (the middleware's ``forks``)
that sums the worker processes' sample files (multiprocess mode) and adds the queue and outbox figures, so a
scrape never waits on a busy worker. Queue, delay-queue and dead-letter depths come from the Redis broker's own
keys; every worker reports the same figures, so dashboards and alerts take the max over workers.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from mutiroes.infra import metrics
from mutiroes.jobs.middleware import add_before_retries

logger = logging.getLogger(__name__)


class WorkerMetrics(Middleware):
    """Installed before Retries: the ``after_*`` hooks run in reverse order, so ``message.failed`` is decided."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def forks(self) -> list[Any]:
        from django.conf import settings

        return [serve] if settings.METRICS_PORT else []

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        metrics.MESSAGES_IN_PROGRESS.labels(message.queue_name, message.actor_name).inc()
        with self._lock:
            self._started[message.message_id] = time.perf_counter()

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.Message, *, result: object = None, exception: object = None
    ) -> None:
        labels = (message.queue_name, message.actor_name)
        with self._lock:
            started = self._started.pop(message.message_id, None)
        metrics.MESSAGES_IN_PROGRESS.labels(*labels).dec()
        if started is not None:
            metrics.MESSAGE_DURATION.labels(*labels).observe(time.perf_counter() - started)
        outcome = "done" if exception is None else "dead_lettered" if message.failed else "retried"
        metrics.MESSAGES.labels(*labels, outcome).inc()

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        metrics.MESSAGES.labels(message.queue_name, message.actor_name, "skipped").inc()

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        metrics.mark_process_dead(os.getpid())


def install_worker_metrics(broker: dramatiq.Broker) -> None:
    add_before_retries(broker, WorkerMetrics())


class BrokerCollector(Collector):
    """Messages waiting (or in flight) per queue, in its delay queue, and dead-lettered: the Redis broker's keys."""

    def __init__(self, broker: dramatiq.Broker, namespace: str) -> None:
        self.broker, self.namespace = broker, namespace

    def collect(self) -> Iterator[GaugeMetricFamily]:
        client = getattr(self.broker, "client", None)
        if client is None:  # the stub broker (embedded mode) keeps its queues in memory
            return
        depth = GaugeMetricFamily("mutiroes_queue_depth", "Messages enqueued, not yet acknowledged", labels=["queue"])
        delayed = GaugeMetricFamily("mutiroes_queue_delayed", "Messages in the queue's delay queue", labels=["queue"])
        dead = GaugeMetricFamily("mutiroes_queue_dead_letters", "Dead-lettered messages kept", labels=["queue"])
        try:
            for queue in sorted(self.broker.get_declared_queues()):
                prefix = f"{self.namespace}:{queue}"
                depth.add_metric([queue], client.hlen(f"{prefix}.msgs"))
                delayed.add_metric([queue], client.hlen(f"{prefix}.DQ.msgs"))
                dead.add_metric([queue], client.zcard(f"{prefix}.XQ"))
        except Exception as exc:  # noqa: BLE001 - a broker outage shows as missing series, never a failed scrape
            logger.warning("queue depths not collected: %s", exc)
            return
        yield from (depth, delayed, dead)


class OutboxCollector(Collector):
    """Rows waiting for the relay, the age of the oldest (0 when none waits), and rows relayed but not done."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db import close_old_connections

        from mutiroes.core import clock
        from mutiroes.jobs.outbox import outbox_backlog

        try:
            close_old_connections()
            rows, oldest, in_flight = outbox_backlog()
        except Exception as exc:  # noqa: BLE001 - the database down shows as missing series
            logger.warning("outbox backlog not collected: %s", exc)
            return
        age_s = (clock.now() - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily("mutiroes_outbox_backlog", "Outbox rows waiting for the relay", value=rows)
        yield GaugeMetricFamily(
            "mutiroes_outbox_oldest_age_seconds", "Age of the oldest outbox row waiting for the relay", value=age_s
        )
        yield GaugeMetricFamily(
            "mutiroes_outbox_in_flight", "Outbox rows relayed whose job has not finished yet", value=in_flight
        )


def worker_registry() -> Any:
    from django.conf import settings

    from mutiroes.infra.broker import get_broker

    return metrics.registry([BrokerCollector(get_broker(), settings.DRAMATIQ["namespace"]), OutboxCollector()])


def serve() -> None:
    """The fork process's body: Django, the broker and the actors, then /metrics until SIGTERM."""
    from django.conf import settings

    import mutiroes.jobs.boot  # noqa: F401 - settings, the broker and its declared queues

    metrics.serve(settings.METRICS_PORT, worker_registry(), host=settings.METRICS_HOST)
    while True:
        time.sleep(3600)  # Dramatiq's SIGTERM handler ends the process
