"""The scheduler's metrics, served by ``mutiroes scheduler`` on METRICS_PORT (one process: no multiprocess mode).

Its own instruments (leader or not, leader changes, missed runs) plus the run ledger read at scrape time:
runs by job and state, and the seconds since each job's last successful run. The ledger is shared, so every
scheduler process reports the same ledger figures; alerts take the max.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from mutiroes.infra import metrics

logger = logging.getLogger(__name__)


class LedgerCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db import close_old_connections

        from mutiroes.core import clock
        from mutiroes.jobs import ledger

        try:
            close_old_connections()
            by_state, successes = ledger.runs_by_state(), ledger.last_success_by_job()
        except Exception as exc:  # noqa: BLE001 - the database down shows as missing series, not a failed scrape
            logger.warning("run ledger not collected: %s", exc)
            return
        runs = GaugeMetricFamily(
            "mutiroes_scheduler_runs", "Runs in the ledger, by job and state", labels=["job", "state"]
        )
        for job, state, count in by_state:
            runs.add_metric([job, state], count)
        since = GaugeMetricFamily(
            "mutiroes_scheduler_seconds_since_success", "Seconds since the job's last successful run", labels=["job"]
        )
        now = clock.now()
        for job, finished_at in sorted(successes.items()):
            since.add_metric([job], (now - finished_at).total_seconds())
        yield from (runs, since)


def serve_scheduler_metrics(port: int) -> None:
    from django.conf import settings

    metrics.serve(port, metrics.registry([LedgerCollector()]), host=settings.METRICS_HOST)
