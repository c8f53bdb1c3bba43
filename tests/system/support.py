"""Real Dramatiq worker processes, a slow SMTP sink and Redis probes for the system tests of the background work.

The workers are what production runs: `python -m mutiroes worker` (which execs Dramatiq's CLI on
mutiroes.jobs.boot), in their own session so a test can SIGKILL or SIGTERM the whole group, pointed at
the pytest-django test database, a Redis the test started and an SMTP sink in the test process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiosmtpd.controller import Controller

from tests.servers._process import (
    LOOPBACK,
    kill_group,
    make_temp_dir,
    pid_alive,
    reap_stale_dirs,
    tail,
    wait_until,
    want_pdeathsig,
)
from tests.servers.smtp import SmtpSink, _Handler

WORKER_THREADS = 4
HEARTBEAT_TIMEOUT_MS = 3000
MIN_BACKOFF_MS = 200
MAX_BACKOFF_MS = 1000
RELAY_INTERVAL_S = 0.5
NAMESPACE = "dramatiq"
READY_LINE = "Worker process is ready for action."
# <prefix>-<pytest pid>-*: a later run kills the workers of a run that was itself killed (their pgid files).
PID_DIR_PREFIX = "mutiroes-worker"


# -- configuration ---------------------------------------------------------------------------------


def database_url() -> str:
    """The URL of the database this test process uses (pytest-django's test database once it is set up)."""
    from django.db import connection

    sd = connection.settings_dict
    user, password = quote(sd.get("USER") or "", safe=""), quote(sd.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{sd.get('HOST') or LOOPBACK}:{sd.get('PORT') or 5432}/{quote(sd['NAME'], safe='')}"


def broker_config(redis_url: str) -> dict[str, Any]:
    """The workers' broker settings, for a broker built in the test process on the same Redis."""
    from django.conf import settings

    return {
        **settings.DRAMATIQ,
        "url": redis_url,
        "heartbeat_timeout_ms": HEARTBEAT_TIMEOUT_MS,
        "min_backoff_ms": MIN_BACKOFF_MS,
        "max_backoff_ms": MAX_BACKOFF_MS,
    }


def worker_env(*, redis_url: str, smtp_port: int, data_dir: Path, metrics_port: int = 0) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_SENTINELS", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DATABASE_URL=database_url(),
        BROKER_URL=redis_url,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=LOOPBACK,
        EMAIL_PORT=str(smtp_port),
        DRAMATIQ_HEARTBEAT_TIMEOUT_MS=str(HEARTBEAT_TIMEOUT_MS),
        DRAMATIQ_MIN_BACKOFF_MS=str(MIN_BACKOFF_MS),
        DRAMATIQ_MAX_BACKOFF_MS=str(MAX_BACKOFF_MS),
        OUTBOX_RELAY_INTERVAL_S=str(RELAY_INTERVAL_S),
        MUTIROES_DATA_DIR=str(data_dir),
        METRICS_PORT=str(metrics_port),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    if metrics_port:  # `mutiroes worker` empties it and its processes share it (multiprocess metrics)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(data_dir / "metrics")
    return env


# -- worker processes ------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _status_kb(pid: int, field: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


def _is_running(pid: int) -> bool:
    # A zombie (dead, not yet reaped) has no VmRSS line.
    return pid_alive(pid) and _status_kb(pid, "VmRSS") > 0


class WorkerProcess:
    """`mutiroes worker --processes P --threads T` in its own session; the group is killed at teardown."""

    def __init__(
        self, *, env: dict[str, str], log_path: Path, processes: int = 1, threads: int = WORKER_THREADS,
        pid_dir: Path | None = None,
    ) -> None:  # fmt: skip
        self.env, self.log_path, self.pid_dir = env, log_path, pid_dir
        self.processes, self.threads = processes, threads
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def pid(self) -> int:
        assert self.proc is not None, "worker not started"
        return self.proc.pid

    def start(self, *, wait: bool = True, timeout_s: float = 60) -> WorkerProcess:
        self._log = self.log_path.open("ab")
        command = [sys.executable, "-m", "mutiroes", "worker", "--processes", str(self.processes),
                   "--threads", str(self.threads)]  # fmt: skip
        if want_pdeathsig():  # the main process dies with this one (its worker processes are reaped next run)
            command = ["setpriv", "--pdeathsig=KILL", "--", *command]
        self.proc = subprocess.Popen(
            command, env=self.env, cwd=self.log_path.parent, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        if self.pid_dir is not None:
            (self.pid_dir / f"{self.proc.pid}.pgid").write_text(str(self.proc.pid))
        if wait:
            self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s: float = 60) -> None:
        wait_until(self._ready, timeout_s=timeout_s, what=f"worker {self.pid} ready", interval_s=0.1)

    def _ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"worker exited with {self.proc.returncode}:\n{tail(self.log_path, 40)}")
        return self.log().count(READY_LINE) >= self.processes

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def worker_pids(self) -> list[int]:
        """The Dramatiq worker processes (children of the main process)."""
        return _children(self.pid) if self.proc is not None and self.proc.poll() is None else []

    def peak_rss_kb(self) -> dict[int, int]:
        """VmHWM (peak resident set) of each worker process, in KiB; read it before the worker exits."""
        return {pid: _status_kb(pid, "VmHWM") for pid in self.worker_pids()}

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and every worker process die at once."""
        if self.proc is None:
            return
        pids = [self.pid, *self.worker_pids()]
        kill_group(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=20)
        # The worker processes are in the group too; make sure none survives its parent.
        wait_until(lambda: not any(_is_running(p) for p in pids), timeout_s=20, what="worker processes gone")
        self._close_log()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """SIGSTOP the whole group (nothing fetched, acked or relayed) until the block ends, then SIGCONT."""
        kill_group(self.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            kill_group(self.pid, signal.SIGCONT)

    def terminate(self) -> None:
        """SIGTERM to the main process, as a process supervisor does on deploy; Dramatiq forwards it."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)

    def wait(self, timeout_s: float) -> int:
        assert self.proc is not None
        code = self.proc.wait(timeout=timeout_s)
        self._close_log()
        return code

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def cleanup(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            kill_group(self.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=20)
        self._close_log()


def _reap_workers(path: Path) -> None:
    for pgid_file in path.glob("*.pgid"):
        with contextlib.suppress(ValueError, OSError):
            kill_group(int(pgid_file.read_text().strip()))


class WorkerPool:
    def __init__(self, base_dir: Path) -> None:
        reap_stale_dirs(PID_DIR_PREFIX, _reap_workers)
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


# -- data ------------------------------------------------------------------------------------------


def make_participants(event: Any, count: int, *, prefix: str) -> list[int]:
    """`count` users confirmed in `event`, in two INSERTs (no signals: no profile, default notification settings)."""
    from mutiroes.accounts.models import User
    from mutiroes.core import clock
    from mutiroes.events.models import Participation

    users = User.objects.bulk_create(
        [User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.org", password="!") for i in range(count)],
        batch_size=1000,
    )
    now = clock.now()
    Participation.objects.bulk_create(
        [
            Participation(event=event, user=user, status=Participation.Status.CONFIRMED, registered_at=now)
            for user in users
        ],
        batch_size=1000,
    )
    return [user.pk for user in users]


# -- Redis -----------------------------------------------------------------------------------------


def ack_sets(client: Any) -> dict[str, int]:
    """Fetched-but-unacknowledged messages per (worker, queue): `dramatiq:__acks__.<broker id>.<queue>`."""
    return {key.decode(): int(client.scard(key)) for key in client.scan_iter(f"{NAMESPACE}:__acks__.*")}


def messages_in_redis(client: Any, queue: str) -> int:
    """Messages not yet acknowledged on a queue and its delay queue (waiting, prefetched or in flight)."""
    return int(client.hlen(f"{NAMESPACE}:{queue}.msgs")) + int(client.hlen(f"{NAMESPACE}:{queue}.DQ.msgs"))


def dead_letters(client: Any, queue: str) -> list[str]:
    return [m.decode() for m in client.zrange(f"{NAMESPACE}:{queue}.XQ", 0, -1)]


def poll(predicate: Any, *, timeout_s: float, what: str, interval_s: float = 0.2) -> float:
    """Wait (bounded) until `predicate()` is true; returns the seconds it took."""
    started = time.monotonic()
    wait_until(predicate, timeout_s=timeout_s, what=what, interval_s=interval_s)
    return time.monotonic() - started
