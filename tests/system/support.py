"""Real Dramatiq worker processes, a slow SMTP sink and Redis probes for the system tests of the background work.

The workers are what production runs: `python -m mutiroes worker` (which execs Dramatiq's CLI on
mutiroes.jobs.boot), in their own session so a test can SIGKILL or SIGTERM the whole group, pointed at
the pytest-django test database, a Redis the test started and an SMTP sink in the test process.
"""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from tests.servers.smtp import SmtpSink, _Handler
from tests.support.brokers import HEARTBEAT_TIMEOUT_MS, MAX_BACKOFF_MS, MIN_BACKOFF_MS
from tests.support.processes import (
    LOOPBACK,
    WorkerProcess,
    child_env,
    database_url,
    make_temp_dir,
    reap_pid_files,
    reap_stale_dirs,
)

WORKER_THREADS = 4
RELAY_INTERVAL_S = 0.5
# The workers' broker breaker lets a call through again after this long (10 s in production), so a worker that
# saw Redis go away relays again within a second or so of its return.
BROKER_BREAKER_RECOVERY_S = 1
NAMESPACE = "dramatiq"
# <prefix>-<pytest pid>-*: a later run kills the workers of a run that was itself killed (their pgid files).
PID_DIR_PREFIX = "mutiroes-worker"


# -- configuration ---------------------------------------------------------------------------------


def worker_env(*, redis_url: str, smtp_port: int, data_dir: Path, metrics_port: int = 0) -> dict[str, str]:
    env = child_env(
        DATABASE_URL=database_url(),
        BROKER_URL=redis_url,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=LOOPBACK,
        EMAIL_PORT=str(smtp_port),
        DRAMATIQ_HEARTBEAT_TIMEOUT_MS=str(HEARTBEAT_TIMEOUT_MS),
        DRAMATIQ_MIN_BACKOFF_MS=str(MIN_BACKOFF_MS),
        DRAMATIQ_MAX_BACKOFF_MS=str(MAX_BACKOFF_MS),
        OUTBOX_RELAY_INTERVAL_S=str(RELAY_INTERVAL_S),
        BROKER_BREAKER_RECOVERY_S=str(BROKER_BREAKER_RECOVERY_S),
        MUTIROES_DATA_DIR=str(data_dir),
        METRICS_PORT=str(metrics_port),
        LOG_LEVEL="INFO",
    )
    if metrics_port:  # `mutiroes worker` empties it and its processes share it (multiprocess metrics)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(data_dir / "metrics")
    return env


# -- worker processes ------------------------------------------------------------------------------


class WorkerPool:
    def __init__(self, base_dir: Path) -> None:
        reap_stale_dirs(PID_DIR_PREFIX, reap_pid_files)
        self.base_dir = base_dir
        self.pid_dir = make_temp_dir(PID_DIR_PREFIX)
        self.started: list[WorkerProcess] = []

    def start(
        self, *, redis_url: str, smtp_port: int, processes: int = 1, threads: int = WORKER_THREADS, wait: bool = True,
        metrics_port: int = 0, extra_env: dict[str, str] | None = None,
    ) -> WorkerProcess:  # fmt: skip
        data_dir = self.base_dir / f"worker-{len(self.started)}"
        data_dir.mkdir(parents=True, exist_ok=True)
        env = worker_env(redis_url=redis_url, smtp_port=smtp_port, data_dir=data_dir, metrics_port=metrics_port)
        env.update(extra_env or {})
        worker = WorkerProcess(
            env=env, log_path=data_dir / "worker.log", processes=processes, threads=threads, pid_dir=self.pid_dir
        )
        self.started.append(worker)
        return worker.start(wait=wait)

    def cleanup(self) -> None:
        for worker in self.started:
            worker.cleanup()
        shutil.rmtree(self.pid_dir, ignore_errors=True)


# -- SMTP ------------------------------------------------------------------------------------------


class _SlowHandler(_Handler):
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        # Like a real MTA, the message is taken (queued) first and the reply comes after: a sender killed
        # meanwhile never learns that it was, and sends it again when its job is redelivered.
        reply = await super().handle_DATA(server, session, envelope)
        if self.sink.delay_s:
            await asyncio.sleep(self.sink.delay_s)
        return reply


class SlowSmtpSink(SmtpSink):
    """The shared SMTP sink, taking `delay_s` seconds to answer each message (so sends are in flight)."""

    def __init__(self, *, delay_s: float = 0.0, port: int | None = None) -> None:
        super().__init__(port=port)
        self.delay_s = delay_s

    def start(self) -> SlowSmtpSink:
        if self._controller is None:
            controller = Controller(_SlowHandler(self), hostname=LOOPBACK, port=self.port, ready_timeout=10)
            controller.start()
            self._controller = controller
        return self


def deliveries(sink: SmtpSink) -> Counter[tuple[str, str]]:
    """How many times each (recipient, subject) arrived: one business key each in these tests."""
    return Counter((",".join(sorted(m.rcpt_tos)), m.subject) for m in sink.messages)


def duplicates(sink: SmtpSink) -> int:
    return sum(count - 1 for count in deliveries(sink).values())


# -- Redis -----------------------------------------------------------------------------------------


def ack_sets(client: Any) -> dict[str, int]:
    """Fetched-but-unacknowledged messages per (worker, queue): `dramatiq:__acks__.<broker id>.<queue>`."""
    return {key.decode(): int(client.scard(key)) for key in client.scan_iter(f"{NAMESPACE}:__acks__.*")}


def messages_in_redis(client: Any, queue: str) -> int:
    """Messages not yet acknowledged on a queue and its delay queue (waiting, prefetched or in flight)."""
    return int(client.hlen(f"{NAMESPACE}:{queue}.msgs")) + int(client.hlen(f"{NAMESPACE}:{queue}.DQ.msgs"))


def dead_letters(client: Any, queue: str) -> list[str]:
    return [m.decode() for m in client.zrange(f"{NAMESPACE}:{queue}.XQ", 0, -1)]
