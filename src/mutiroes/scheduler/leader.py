"""Who fires: one leader among any number of scheduler processes.

The lock is a PostgreSQL session advisory lock (``pg_try_advisory_lock``) held on a dedicated connection
whose session has ``idle_session_timeout`` = TTL. The leader renews by running a query every TTL/3, so
its session is never idle that long. If the leader dies, its connection closes and PostgreSQL releases
the lock at once; if it hangs (SIGSTOP, a frozen VM) or is cut off, PostgreSQL ends the idle session
after the TTL and releases the lock; a standby polling every TTL/3 takes over within about TTL + TTL/3.
A resumed former leader finds its connection gone before it fires (``is_leader`` asks the server, not a
flag) and steps down; should it still slip through between that check and its claim, the run ledger's
UNIQUE (job, period) key rejects the second fire.

Why PostgreSQL rather than a Redis lock through Sentinel: Redis replication is asynchronous, so a lock
written to the master can vanish in a failover and two schedulers would both believe they lead; the
ledger that decides "already ran" lives in PostgreSQL anyway, so the lock there adds no dependency and
fails together with the thing it protects. The embedded mode (SQLite, one process) needs no lock at all.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any, Protocol

from mutiroes.infra import metrics
from mutiroes.infra.periodic import PeriodicThread

logger = logging.getLogger(__name__)
# One 64-bit key for the whole cluster; advisory locks are per database, so test databases do not collide.
LOCK_KEY = zlib.crc32(b"mutiroes:scheduler:leader")
# libpq parameters worth carrying over from Django's OPTIONS to the lock's own connection.
_LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "target_session_attrs")


class Leader(Protocol):
    def is_leader(self) -> bool: ...

    def close(self) -> None: ...


class AlwaysLeader:
    """The embedded mode: one process, so it always leads."""

    def is_leader(self) -> bool:
        return True

    def poll(self) -> bool:
        return True

    def close(self) -> None:
        pass


class PostgresLeaderLock:
    """A session advisory lock on a connection of its own, released by the server when the holder goes quiet."""

    def __init__(self, *, conninfo: dict[str, Any], ttl_s: float, key: int = LOCK_KEY) -> None:
        self.conninfo = conninfo
        self.ttl_s = ttl_s
        self.key = key
        self._conn: Any = None
        self._held = False
        self._lock = threading.Lock()  # the heartbeat thread and the firing thread share the connection

    def _connect(self) -> Any:
        import psycopg

        ttl_ms = max(1000, int(self.ttl_s * 1000))
        params = dict(self.conninfo)
        # The server ends a session idle for the TTL (PostgreSQL >= 14), and with it the lock; a statement or
        # an unacknowledged send to a vanished server gives up within the TTL too.
        options = f"{params.pop('options', '')} -c idle_session_timeout={ttl_ms} -c statement_timeout={ttl_ms}"
        return psycopg.connect(
            **params,
            options=options.strip(),
            autocommit=True,
            connect_timeout=max(1, int(self.ttl_s / 3)),
            tcp_user_timeout=ttl_ms,
            application_name=f"mutiroes-scheduler:{os.getpid()}",
        )

    def _drop(self) -> None:
        conn, self._conn, self._held = self._conn, None, False
        if conn is not None:
            with contextlib.suppress(Exception):  # the connection is already broken
                conn.close()

    def poll(self) -> bool:
        """Renew the lock if held, try to take it otherwise; returns whether this process now leads."""
        with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self._drop()
                    self._conn = self._connect()
                if self._held:
                    # Any query renews (the session is no longer idle); this one also proves the lock is ours.
                    row = self._conn.execute(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                        " AND classid::int8 = %s AND objid::int8 = %s AND objsubid = 1 AND granted",
                        [(self.key >> 32) & 0xFFFFFFFF, self.key & 0xFFFFFFFF],
                    ).fetchone()
                    self._held = bool(row and row[0])
                else:
                    row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", [self.key]).fetchone()
                    self._held = bool(row and row[0])
            except Exception as exc:  # noqa: BLE001 - a dead session means we no longer lead
                if self._held:
                    logger.warning("scheduler lost the leader lock: %s", exc)
                else:
                    logger.info("scheduler leader lock unavailable: %s", exc)
                self._drop()
            return self._held

    def is_leader(self) -> bool:
        """Asks the server: a process resumed after a pause must not trust what it believed before."""
        return self.poll()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._held:
                with contextlib.suppress(Exception):  # closing the session releases it anyway
                    self._conn.execute("SELECT pg_advisory_unlock(%s)", [self.key])
            self._drop()


def conninfo_from_django(alias: str = "default") -> dict[str, Any]:
    """psycopg keyword arguments for the same database Django uses."""
    from django.db import connections

    settings_dict = connections[alias].settings_dict
    params: dict[str, Any] = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
    }
    options = settings_dict.get("OPTIONS") or {}
    params |= {name: options[name] for name in _LIBPQ_OPTIONS if name in options}
    return {name: value for name, value in params.items() if value is not None}


def leader_for_database(*, ttl_s: float, alias: str = "default") -> Leader:
    from django.db import connections

    if connections[alias].vendor != "postgresql":
        logger.info("scheduler: %s database, single process: always the leader", connections[alias].vendor)
        return AlwaysLeader()
    return PostgresLeaderLock(conninfo=conninfo_from_django(alias), ttl_s=ttl_s)


class Heartbeat(PeriodicThread):
    """Polls the lock every TTL/3; calls ``on_elected`` each time this process becomes leader."""

    thread_name = "scheduler-leader"

    def __init__(self, lock: PostgresLeaderLock | AlwaysLeader, *, interval_s: float, on_elected: Callable[[], None]):
        super().__init__(interval_s=interval_s)
        self.lock = lock
        self.on_elected = on_elected
        self._was_leader = False

    def tick(self) -> None:
        self.beat()

    def beat(self) -> bool:
        leads = self.lock.poll()
        if leads and not self._was_leader:
            logger.info("scheduler became the leader (%.3f)", time.time())
            try:
                self.on_elected()
            except Exception:  # the next election or tick tries again
                logger.exception("catch-up after election failed")
        elif self._was_leader and not leads:
            logger.warning("scheduler is no longer the leader")
        if leads != self._was_leader:
            metrics.SCHEDULER_LEADER_CHANGES.inc()
        metrics.SCHEDULER_LEADER.set(1 if leads else 0)
        self._was_leader = leads
        return leads
