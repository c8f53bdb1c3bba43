"""Scenario 14: reads routed to a real PostgreSQL streaming replica, read-your-writes, replica outage.

A hot standby of the session's test cluster (pg_basebackup -R, so it holds the test database) becomes the
"replica" alias; the API runs under Django's test client with the real router and middleware. Replication is
lagged on purpose (``pg_wal_replay_pause()`` on the replica): a POST then GET by the writer must be 200 while
another client, reading from the replica, does not see the row yet. Which alias served each read is counted
on the replica's own connection. Stopping the replica must leave reads at 200, from the primary.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from mutiroes.infra import db_router
from mutiroes.infra.db_router import REPLICA_ALIAS
from tests.plugins.servers import _Session
from tests.servers.postgres import PostgresCluster, start_replica_of
from tests.support.api import ApiClient, event_payload
from tests.support.polling import seconds_until, wait_for

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

EVENTS = "/api/v1/events"


def _replayed(primary: PostgresCluster, replica: PostgresCluster, timeout_s: float = 20) -> float:
    """Wait until the replica has replayed everything written on the primary so far; the seconds it took."""
    with primary.connect() as conn:
        # A WAL record written now (its end position), after every commit so far: once the replica has replayed
        # it, it has replayed them. On an idle primary the insert position itself may lie past a page header.
        target = str(conn.execute("SELECT pg_logical_emit_message(false, 'mutiroes-test', 'sync')").fetchone()[0])

    def replayed() -> bool:
        with replica.connect() as conn:
            return bool(conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0])

    return seconds_until(replayed, timeout_s=timeout_s, what=f"replica replayed up to {target}")


@pytest.fixture
def replica(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[PostgresCluster]:
    """A streaming replica of the test database's cluster as DATABASES["replica"], for this test."""
    primary = _Session.cluster
    if primary is None or connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        pytest.skip("needs the private PostgreSQL cluster of the session (DATABASE_URL unset)")
    from mutiroes.infra.postgresql.base import DatabaseWrapper

    standby = start_replica_of(primary)
    settings_dict = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)  # NAME: the test database
    settings_dict.update(HOST=standby.host, PORT=str(standby.port), CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
    # On the handler, not in its settings, so Django's test case lets it connect ("dynamically created");
    # what DATABASE_REPLICA_URL would have configured is otherwise the same.
    connections[REPLICA_ALIAS] = DatabaseWrapper(settings_dict, alias=REPLICA_ALIAS)
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)
    try:
        _replayed(primary, standby)
        yield standby
    finally:
        connections[REPLICA_ALIAS].close()
        del connections[REPLICA_ALIAS]
        standby.cleanup()


def _read(client: ApiClient, path: str, user: Any = None) -> tuple[Any, int, float]:
    """GET path; the answer, how many queries the replica ran for it, and its latency in ms."""
    on_replica: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        on_replica.append(sql)
        return execute(sql, params, many, context)

    # An execute wrapper, not CaptureQueriesContext: that one connects, and the replica may be down.
    with connections[REPLICA_ALIAS].execute_wrapper(count):
        started = time.perf_counter()
        response = client.get(path, user=user)
        elapsed_ms = (time.perf_counter() - started) * 1000
    return response, len(on_replica), elapsed_ms


def test_post_then_get_is_200_even_with_the_replica_lagging(replica, user_factory, figures):
    organizer, other = user_factory(), user_factory()
    writer, reader = ApiClient(), ApiClient()  # separate cookie jars: two clients

    response, replica_queries, _ = _read(reader, EVENTS, user=other)  # authenticated: not the hot cache
    assert response.status_code == 200 and replica_queries > 0, "a client that did not write reads the replica"

    with replica.connect() as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
        wait_for(
            lambda: conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] == "paused",
            timeout_s=20, what="replay paused",
        )  # fmt: skip

    created = writer.post(EVENTS, event_payload(), user=organizer)
    assert created.status_code == 201, created.content
    path = f"{EVENTS}/{created.json()['id']}"

    response, replica_queries, ms = _read(writer, path, user=organizer)
    assert response.status_code == 200, response.content
    assert replica_queries == 0
    figures(f"read-your-writes GET right after POST (replay paused): 200 from the primary in {ms:.1f} ms")

    # A fresh client with the writer's token but no cookie: recognised by its Authorization header.
    response, replica_queries, _ = _read(ApiClient(), path, user=organizer)
    assert response.status_code == 200 and replica_queries == 0

    # Another client reads the replica, which has not replayed the insert: the lag is real, and routed around
    # only for the client that wrote.
    response, replica_queries, _ = _read(reader, path, user=other)
    assert response.status_code == 404 and replica_queries > 0

    # Anonymous lists go through the shared hot cache: what fills it is read from the primary, so the lag is
    # never frozen into the cache for CACHE_HOT_TTL_S (the writer, anonymous too, would then read it back).
    response, replica_queries, _ = _read(ApiClient(), EVENTS)
    assert response.status_code == 200 and replica_queries == 0
    assert created.json()["id"] in [item["id"] for item in response.json()["items"]]

    with replica.connect() as conn:
        conn.execute("SELECT pg_wal_replay_resume()")
    lag_s = _replayed(_Session.cluster, replica)
    response, replica_queries, _ = _read(reader, path, user=other)
    assert response.status_code == 200 and replica_queries > 0
    figures(f"replica caught up {lag_s:.2f} s after replay resumed; other clients then read it from the replica")


def test_replica_stopped_reads_stay_200_from_the_primary(replica, user_factory, event_factory, figures):
    from mutiroes.infra.postgresql.base import database_breaker

    event = event_factory()
    path = f"{EVENTS}/{event.pk}"
    _replayed(_Session.cluster, replica)
    reader = ApiClient()
    response, replica_queries, _ = _read(reader, path)
    assert response.status_code == 200 and replica_queries > 0

    replica.stop()
    replica_breaker = connections[REPLICA_ALIAS].breaker
    latencies = []
    for _ in range(replica_breaker._failure_threshold + 3):
        response, replica_queries, ms = _read(reader, path)
        assert response.status_code == 200, response.content
        assert replica_queries == 0
        latencies.append(ms)
    assert replica_breaker.opened, "the replica's own breaker opened"
    assert not database_breaker.opened, "the primary's breaker is untouched"
    figures(
        f"replica stopped: {len(latencies)} GETs all 200 from the primary, "
        f"first {latencies[0]:.1f} ms, after its breaker opened {latencies[-1]:.1f} ms"
    )
