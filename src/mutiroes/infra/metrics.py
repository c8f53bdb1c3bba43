"""Prometheus instruments of every Mutirões process (prometheus-client), and how each process exposes them.

The API and the workers run several processes (gunicorn workers, Dramatiq worker processes): there the client
runs in multiprocess mode. ``PROMETHEUS_MULTIPROC_DIR`` is set by ``mutiroes serve`` / ``mutiroes worker``
before any process starts (the client reads it when it is imported), every process writes its samples to
files there, and one collector sums them at scrape time. Gauges say how processes combine (``livesum``:
in-flight work; ``livemax``: a breaker open anywhere). The scheduler and the exporter are single processes
and use the default registry.

Names are ``mutiroes_*``; labels never carry personal data (route templates, never paths with ids).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from http.server import ThreadingHTTPServer
from typing import Any

from django.conf import settings
from django.db import transaction
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.exposition import MetricsHandler
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
QUERY_COUNT_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100)
JOB_BUCKETS_S = (0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900)

# -- API ------------------------------------------------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "mutiroes_http_requests", "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"],
)  # fmt: skip
HTTP_DURATION = Histogram(
    "mutiroes_http_request_duration_seconds", "Time to answer, by route template and method", ["route", "method"],
    buckets=LATENCY_BUCKETS_S,
)  # fmt: skip
HTTP_IN_FLIGHT = Gauge("mutiroes_http_requests_in_flight", "Requests being answered now", multiprocess_mode="livesum")
DB_QUERIES = Histogram(
    "mutiroes_http_db_queries", "Database queries per request, by route template", ["route"],
    buckets=QUERY_COUNT_BUCKETS,
)  # fmt: skip
DB_SECONDS = Histogram(
    "mutiroes_http_db_seconds", "Time spent in database queries per request, by route template", ["route"],
    buckets=LATENCY_BUCKETS_S,
)  # fmt: skip
CACHE_LOOKUPS = Counter(
    "mutiroes_cache_lookups", "Hot-read cache lookups, by namespace and result (hit, miss)", ["namespace", "result"]
)
IDEMPOTENT_REPLAYS = Counter("mutiroes_idempotent_replays", "POSTs answered from their Idempotency-Key record")
THROTTLED = Counter("mutiroes_throttled_requests", "Requests refused with 429, by route template", ["route"])

# -- resilience (every process) -------------------------------------------------------------------------------
BREAKER_STATE = Gauge(
    "mutiroes_breaker_state", "Circuit breaker state: 0 closed, 1 half-open, 2 open (the worst live process)",
    ["breaker"], multiprocess_mode="livemax",
)  # fmt: skip
BREAKER_TRANSITIONS = Counter(
    "mutiroes_breaker_transitions", "Circuit breaker state changes, by breaker and new state", ["breaker", "state"]
)
BREAKER_STATE_VALUES = {"closed": 0, "half_open": 1, "open": 2}

# -- workers --------------------------------------------------------------------------------------------------
MESSAGES = Counter(
    "mutiroes_messages", "Messages processed, by queue, actor and outcome (done, retried, dead_lettered, skipped)",
    ["queue", "actor", "outcome"],
)  # fmt: skip
MESSAGE_DURATION = Histogram(
    "mutiroes_message_duration_seconds", "Time an actor spent on a message", ["queue", "actor"], buckets=JOB_BUCKETS_S
)
MESSAGES_IN_PROGRESS = Gauge(
    "mutiroes_messages_in_progress", "Messages being processed now", ["queue", "actor"], multiprocess_mode="livesum"
)
EMAILS = Counter(
    "mutiroes_emails", "E-mails handed to the SMTP server, by kind and result (sent, failed)", ["kind", "result"]
)

# -- scheduler ------------------------------------------------------------------------------------------------
SCHEDULER_LEADER = Gauge(
    "mutiroes_scheduler_leader", "1 while this scheduler process holds the leader lock", multiprocess_mode="livemax"
)
SCHEDULER_LEADER_CHANGES = Counter(
    "mutiroes_scheduler_leader_changes", "Times this scheduler process became or stopped being the leader"
)
SCHEDULER_MISSED = Counter(
    "mutiroes_scheduler_missed_runs", "Runs recorded as missed (no scheduler within the grace time), by job", ["job"]
)

# -- business figures (counters only; never who) ---------------------------------------------------------------
REGISTRATIONS = Counter("mutiroes_registrations", "Accounts registered")
JOINS = Counter("mutiroes_joins", "Event joins (new or renewed participations)")
CHECK_INS = Counter("mutiroes_check_ins", "Participants checked in")
REPORTS = Counter("mutiroes_reports_filed", "Event reports filed (first versions)")


def count_on_commit(counter: Counter) -> None:
    """Count a business event once its transaction commits (a rolled-back join counts nothing)."""
    transaction.on_commit(counter.inc)


def breaker_report(name: str, state: str, changed: bool) -> None:
    """The breaker listener (resilience.breakers.watch): its state now, and one more transition if it changed."""
    BREAKER_STATE.labels(name).set(BREAKER_STATE_VALUES[state])
    if changed:
        BREAKER_TRANSITIONS.labels(name, state).inc()


# -- exposition -----------------------------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return settings.PROMETHEUS_MULTIPROC_DIR


def registry(extra: Iterable[Collector] = (), *, instruments: bool = True) -> CollectorRegistry:
    """What this process serves at /metrics: the instruments above (the processes' shared files in multiprocess
    mode, else this process's own) unless ``instruments=False``, plus ``extra`` collectors read at scrape time."""
    collectors = list(extra)
    if instruments and multiprocess_dir() is None and not collectors:
        return REGISTRY
    target = CollectorRegistry(auto_describe=True)
    if instruments and multiprocess_dir() is not None:
        prometheus_multiprocess.MultiProcessCollector(target)
    elif instruments:
        target.register(_Forward(REGISTRY))
    for collector in collectors:
        target.register(collector)
    return target


class _Forward(Collector):
    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterable[Any]:
        return self.source.collect()


def render(target: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(target), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """A finished process's live gauges (in flight, breaker state) stop counting; its counters stay in the sum."""
    if multiprocess_dir() is not None:
        prometheus_multiprocess.mark_process_dead(pid, multiprocess_dir())


def serve(port: int, target: CollectorRegistry, *, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serve ``target`` at http://host:port/metrics on a daemon thread (scheduler, worker fork, exporter)."""
    server = ThreadingHTTPServer((host, port), MetricsHandler.factory(target))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    logger.info("metrics on http://%s:%s/metrics", host, server.server_address[1])
    return server
