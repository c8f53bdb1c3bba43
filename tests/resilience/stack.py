"""Real processes for the fault tests: the API under gunicorn, a Dramatiq worker, a counting dead SMTP port.

Each runs as production runs it (`python -m mutiroes serve|worker|migrate`) in its own session, so a
test can kill the whole group at teardown, with its output in a log file printed when a check fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.support.polling import wait_for
from tests.support.processes import LOOPBACK, ManagedProcess, child_env, children, free_port, mutiroes, tail

# The servers' HEALTH_TOKEN: /health shows its detail (breakers, fallbacks) only with it.
OPERATOR_TOKEN = "operador-dos-testes-de-resiliencia"


def server_env(**overrides: str) -> dict[str, str]:
    defaults = {"LOG_LEVEL": "INFO", "MUTIROES_MODE": "embedded", "EMBEDDED_WORKER": "false",
                "EMBEDDED_SCHEDULER": "false", "HEALTH_TOKEN": OPERATOR_TOKEN}  # fmt: skip
    return child_env(**{**defaults, **overrides})


def migrate(env: dict[str, str], log_path: Path, timeout_s: float = 120) -> None:
    """`mutiroes migrate` in a subprocess, as the deploy's migrate job does."""
    with log_path.open("ab") as log:
        result = subprocess.run(
            mutiroes("migrate", "--noinput", "-v", "0"), env=env, stdout=log,
            stderr=subprocess.STDOUT, timeout=timeout_s, check=False,
        )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"migrate failed ({result.returncode}):\n{tail(log_path, 40)}")


class ApiServer(ManagedProcess):
    """`mutiroes serve` (gunicorn, sync workers) on a free loopback port."""

    def __init__(self, *, env: dict[str, str], log_path: Path, workers: int = 2) -> None:
        self.port = free_port()
        command = mutiroes("serve", "--host", LOOPBACK, "--port", str(self.port), "--workers", str(workers),
                           "--timeout", "30")  # fmt: skip
        super().__init__(command, env=env, log_path=log_path)

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout_s: float = 60) -> ApiServer:
        self.spawn()
        wait_for(self._live, timeout_s=timeout_s, what=f"the API on port {self.port}", interval_s=0.2)
        return self

    def _live(self) -> bool:
        self.check_alive()
        with contextlib.suppress(requests.RequestException):
            return requests.get(f"{self.base_url}/liveness", timeout=2).status_code == 200
        return False


# -- a PostgreSQL that stops answering -------------------------------------------------------------


@contextlib.contextmanager
def frozen(cluster: Any) -> Iterator[None]:
    """SIGSTOP the postmaster *and* every backend (each runs in its own session, so signalling the postmaster's
    group, as PostgresCluster.pause() does, leaves open connections answering): a hung database server."""
    pids = [cluster.pid, *children(cluster.pid)]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


# -- HTTP ------------------------------------------------------------------------------------------


@dataclass
class Answer:
    """One HTTP exchange, timed: status None and `error` set when no response came back."""

    method: str
    path: str
    started: float
    ended: float
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    error: str | None = None
    tag: dict[str, Any] = field(default_factory=dict)

    @property
    def latency_s(self) -> float:
        return self.ended - self.started

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None


class Http:
    """Plain HTTP to the API; never raises for a failed exchange (an outage test records every outcome)."""

    def __init__(self, base_url: str, *, timeout_s: float = 30) -> None:
        self.base_url, self.timeout_s = base_url, timeout_s

    def call(self, method: str, path: str, *, json: Any = None, token: str | None = None,
             headers: dict[str, str] | None = None, timeout_s: float | None = None, **tag: Any) -> Answer:  # fmt: skip
        all_headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
        started = time.monotonic()
        try:
            response = requests.request(method, f"{self.base_url}{path}", json=json, headers=all_headers,
                                        timeout=timeout_s or self.timeout_s)  # fmt: skip
        except requests.RequestException as exc:
            return Answer(method, path, started, time.monotonic(), None, error=f"{type(exc).__name__}: {exc}", tag=tag)
        ended = time.monotonic()
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:500]
        return Answer(method, path, started, ended, response.status_code, dict(response.headers), body, tag=tag)

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Answer:
        return self.call("POST", path, json=json, **kwargs)


# -- a dead SMTP server that counts who knocks -----------------------------------------------------


class CountingDeadSmtp:
    """Listens on the SMTP sink's port while the sink is down: answers every connection "421" and hangs up.

    That is what a mail server that is shutting down or overloaded says; each accepted connection is one
    outbound attempt by the worker, counted with the time it came.
    """

    REPLY = b"421 4.3.2 Service not available, closing transmission channel\r\n"

    def __init__(self, port: int) -> None:
        self.port = port
        self.attempts: list[float] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> CountingDeadSmtp:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        wait_for(lambda: _try_bind(sock, self.port), timeout_s=10, what=f"port {self.port} free for the dead SMTP")
        sock.listen(64)
        sock.settimeout(0.2)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name="dead-smtp", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.attempts.append(time.monotonic())
            with contextlib.suppress(OSError), conn:
                conn.sendall(self.REPLY)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def _try_bind(sock: socket.socket, port: int) -> bool:
    try:
        sock.bind((LOOPBACK, port))
    except OSError:
        return False
    return True
