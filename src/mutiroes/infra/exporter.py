"""``mutiroes exporter``: the figures no application process owns, for Prometheus, on METRICS_HOST:METRICS_PORT.

- the gateway: nginx's ``stub_status`` page (connections and requests), read from ``--nginx-status``;
- PostgreSQL streaming replication, as the primary sees it (``pg_stat_replication``: which standbys stream,
  and their replay lag; reading it needs a superuser or the ``pg_monitor`` role);
- Redis Sentinel: whether each Sentinel answers and agrees there is a quorum to fail the master over.

One small process rather than three Go exporters (nginx-prometheus-exporter, postgres_exporter, redis_exporter):
these few series are all the alerts need, it reads the application's own settings, and it runs wherever the
application does. Each source is read at scrape time; one that cannot be read shows as ``*_up 0``.
"""

from __future__ import annotations

import argparse
import logging
import re
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from mutiroes.infra import metrics

logger = logging.getLogger(__name__)
TIMEOUT_S = 2.0
STUB_STATUS = re.compile(
    r"Active connections:\s*(?P<active>\d+).*?(?P<accepted>\d+)\s+(?P<handled>\d+)\s+(?P<requests>\d+)\s*"
    r"Reading:\s*(?P<reading>\d+)\s*Writing:\s*(?P<writing>\d+)\s*Waiting:\s*(?P<waiting>\d+)",
    re.S,
)
REPLICATION_SQL = (
    "SELECT application_name, state, COALESCE(EXTRACT(EPOCH FROM replay_lag), 0)::float FROM pg_stat_replication"
)


def parse_stub_status(text: str) -> dict[str, int]:
    match = STUB_STATUS.search(text)
    if match is None:
        raise ValueError(f"not an nginx stub_status page: {text[:80]!r}")
    return {name: int(number) for name, number in match.groupdict().items()}


class NginxCollector(Collector):
    def __init__(self, url: str) -> None:
        self.url = url

    def collect(self) -> Iterator[Any]:
        try:
            with urllib.request.urlopen(self.url, timeout=TIMEOUT_S) as response:  # noqa: S310 - operator's URL
                status = parse_stub_status(response.read().decode())
        except (OSError, ValueError) as exc:
            logger.warning("nginx stub_status at %s not read: %s", self.url, exc)
            yield GaugeMetricFamily("mutiroes_nginx_up", "1 if nginx's stub_status page was read", value=0)
            return
        yield GaugeMetricFamily("mutiroes_nginx_up", "1 if nginx's stub_status page was read", value=1)
        connections = GaugeMetricFamily("mutiroes_nginx_connections", "Client connections by state", labels=["state"])
        for state in ("active", "reading", "writing", "waiting"):
            connections.add_metric([state], status[state])
        yield connections
        for name, help_text in (("accepted", "Client connections accepted"), ("handled", "Client connections handled"),
                                ("requests", "Client requests")):  # fmt: skip
            yield CounterMetricFamily(f"mutiroes_nginx_{name}", help_text, value=status[name])


class ReplicationCollector(Collector):
    """Streaming standbys as the primary (``default`` database) sees them."""

    def collect(self) -> Iterator[Any]:
        from django.db import close_old_connections, connections

        try:
            close_old_connections()
            with connections["default"].cursor() as cursor:
                cursor.execute(REPLICATION_SQL)
                rows = cursor.fetchall()
        except Exception as exc:  # noqa: BLE001 - the primary down is what *_up 0 says
            logger.warning("replication state not read: %s", exc)
            yield GaugeMetricFamily("mutiroes_postgres_up", "1 if the primary answered", value=0)
            return
        yield GaugeMetricFamily("mutiroes_postgres_up", "1 if the primary answered", value=1)
        streaming = [row for row in rows if row[1] == "streaming"]
        yield GaugeMetricFamily("mutiroes_postgres_replicas_streaming", "Standbys streaming", value=len(streaming))
        lag = GaugeMetricFamily(
            "mutiroes_postgres_replica_lag_seconds", "Replay lag of each standby (0 when idle)", labels=["replica"]
        )
        for name, _state, seconds in rows:
            lag.add_metric([name or "unnamed"], seconds)
        yield lag


class SentinelCollector(Collector):
    def __init__(self, sentinels: list[tuple[str, int]], master: str) -> None:
        self.sentinels, self.master = sentinels, master

    def collect(self) -> Iterator[Any]:
        import redis

        up = GaugeMetricFamily("mutiroes_sentinel_up", "1 if the Sentinel answered", labels=["sentinel"])
        quorum = GaugeMetricFamily(
            "mutiroes_sentinel_quorum_ok", "1 if the Sentinel sees enough Sentinels to fail over", labels=["sentinel"]
        )
        master = GaugeMetricFamily(
            "mutiroes_sentinel_master", "The master this Sentinel names (value 1)", labels=["sentinel", "address"]
        )
        for host, port in self.sentinels:
            name = f"{host}:{port}"
            client = redis.Redis(host=host, port=port, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
            try:
                address = client.execute_command("SENTINEL", "get-master-addr-by-name", self.master)
                try:
                    client.execute_command("SENTINEL", "CKQUORUM", self.master)
                    agreed = 1
                except redis.ResponseError:  # NOQUORUM: too few Sentinels reachable to authorise a failover
                    agreed = 0
            except redis.RedisError as exc:
                logger.warning("sentinel %s not read: %s", name, exc)
                up.add_metric([name], 0)
                continue
            finally:
                client.close()
            up.add_metric([name], 1)
            quorum.add_metric([name], agreed)
            if address:
                master.add_metric([name, ":".join(part.decode() for part in address)], 1)
        yield from (up, quorum, master)


def collectors(*, nginx_status: str | None) -> list[Collector]:
    from django.conf import settings

    found: list[Collector] = [NginxCollector(nginx_status)] if nginx_status else []
    if settings.DATABASES["default"]["ENGINE"] == "mutiroes.infra.postgresql":
        found.append(ReplicationCollector())
    if settings.REDIS_SENTINELS:
        found.append(SentinelCollector(settings.REDIS_SENTINELS, settings.REDIS_SENTINEL_MASTER))
    return found


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="mutiroes exporter", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, help="listen on METRICS_HOST:this port (default METRICS_PORT)")
    parser.add_argument("--nginx-status", help="the gateway's stub_status URL, e.g. http://127.0.0.1/nginx_status")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.conf import settings

    port = settings.METRICS_PORT if args.port is None else args.port
    if not port:
        raise SystemExit("mutiroes exporter: give --port or METRICS_PORT")
    exported = metrics.registry(collectors(nginx_status=args.nginx_status), instruments=False)
    metrics.serve(port, exported, host=settings.METRICS_HOST)
    while True:
        time.sleep(3600)
