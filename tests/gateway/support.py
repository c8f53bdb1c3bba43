"""Real nginx (rendered from deploy/nginx) in front of real `mutiroes serve` replicas, and a small HTTP client.

Each process runs in its own session with a parent-death signal, so a test can SIGKILL a whole replica and a
killed pytest takes them along; a later run also kills what a killed run left (pgid files in the run's dir).
The client is http.client with an explicit source address, so tests can speak from 127.0.0.2 and others.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.nginx.render import GatewayConfig, check, command, render

from tests.support.polling import wait_for
from tests.support.processes import (
    LOOPBACK,
    ManagedProcess,
    free_port,
    make_temp_dir,
    port_is_open,
    reap_pid_files,
    reap_stale_dirs,
    tail,
)

PREFIX = "mutiroes-gateway"
ALLOWED_ORIGIN = "https://app.mutiroes.test"
OPERATOR_TOKEN = "operador-do-gateway-" + "x" * 32  # the replicas' HEALTH_TOKEN


# -- HTTP ------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def all(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body[:300]!r})"


def request(
    port: int,
    method: str,
    path: str,
    *,
    source: str = LOOPBACK,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    json_body: Any = None,
    token: str | None = None,
    timeout_s: float = 20,
    tls_ca: Path | None = None,
) -> Reply:
    """One request on a new connection from `source` (any 127.0.0.0/8 address). Raises OSError if none came back.

    With `tls_ca`, over TLS, trusting that certificate (the gateway's self-signed one)."""
    all_headers = dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    if json_body is not None:
        body = json.dumps(json_body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    conn = (
        http.client.HTTPSConnection(LOOPBACK, port, timeout=timeout_s, source_address=(source, 0),
                                    context=ssl.create_default_context(cafile=str(tls_ca)))
        if tls_ca
        else http.client.HTTPConnection(LOOPBACK, port, timeout=timeout_s, source_address=(source, 0))
    )  # fmt: skip
    try:
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def multipart(fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """(body, content type) of a multipart/form-data request; files are name -> (filename, type, content)."""
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content_type, content) in files.items():
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n")  # fmt: skip
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class AddressPool:
    """Fresh loopback source addresses (127.0.<block>.<n>), so one test's counters never meet another's."""

    def __init__(self, block: int) -> None:
        self.block, self.next = block, 1

    def take(self, count: int = 1) -> list[str]:
        taken = []
        for _ in range(count):
            if self.next > 254:
                self.block, self.next = self.block + 1, 1
            taken.append(f"127.0.{self.block}.{self.next}")
            self.next += 1
        return taken

    def one(self) -> str:
        return self.take(1)[0]


# -- processes -------------------------------------------------------------------------------------


class Supervised(ManagedProcess):
    """A gateway process, its pgid file in the run's directory (see reap_stale_runs)."""

    def __init__(self, name: str, cmd: list[str], *, env: dict[str, str], log_path: Path, pid_dir: Path) -> None:
        super().__init__(cmd, env=env, log_path=log_path, name=name, pid_dir=pid_dir)


class Backend(Supervised):
    """`python -m mutiroes serve` on a fixed loopback port (the same port across restarts: nginx's list is static)."""

    def __init__(self, index: int, *, env: dict[str, str], base_dir: Path, workers: int = 2) -> None:
        self.index, self.port = index, free_port()
        cmd = [sys.executable, "-m", "mutiroes", "serve", "--host", LOOPBACK, "--port", str(self.port),
               "--workers", str(workers), "--timeout", "30"]  # fmt: skip
        # PGAPPNAME names this replica's database sessions, so a test can find a request blocked in one.
        env = {**env, "PGAPPNAME": self.app_name, "MUTIROES_INSTANCE_ID": self.app_name}
        super().__init__(self.app_name, cmd, env=env, log_path=base_dir / f"{self.app_name}.log", pid_dir=base_dir)

    @property
    def app_name(self) -> str:
        return f"gw-backend-{self.index}"

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def live(self) -> bool:
        self.check_alive()
        with contextlib.suppress(OSError):
            return request(self.port, "GET", "/liveness", timeout_s=2).status == 200
        return False

    def start(self, timeout_s: float = 60) -> Backend:
        wait_for(lambda: not port_is_open(self.port), timeout_s=10, what=f"port {self.port} free")
        self.spawn()
        return self

    def wait_live(self, timeout_s: float = 60) -> None:
        wait_for(self.live, timeout_s=timeout_s, what=f"{self.name} /liveness on {self.port}", interval_s=0.2)


class Gateway(Supervised):
    """nginx with the configuration rendered from deploy/nginx, in the foreground."""

    def __init__(self, *, base_dir: Path, backends: list[str], dashboard: str, static_root: Path, media_root: Path,
                 name: str = "nginx", web: list[str] | None = None, limits: bool = True,
                 tls: tuple[Path, Path] | None = None) -> None:  # fmt: skip
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        # With web replicas, an internal listener too: where they reach the API (server-side rendering).
        self.internal_port = free_port() if web else None
        self.config = GatewayConfig(
            listen=f"{LOOPBACK}:{self.port}", backends=backends, dashboard=dashboard, static_root=static_root,
            media_root=media_root, runtime_dir=base_dir / f"{name}-run", cors_origins=[ALLOWED_ORIGIN],
            worker_processes="1", web=web or [],
            internal_listen=f"{LOOPBACK}:{self.internal_port}" if self.internal_port else None, limits=limits,
            tls_listen=f"{LOOPBACK}:{self.tls_port}" if tls else None, tls_certificate=tls[0] if tls else None,
            tls_certificate_key=tls[1] if tls else None,
        )  # fmt: skip
        self.conf = render(self.config, base_dir / f"{name}-conf")
        checked = check(self.conf, self.config)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{checked.stderr}")
        super().__init__(name, command(self.conf, self.config), env=dict(os.environ),
                         log_path=base_dir / f"{name}.out", pid_dir=base_dir)  # fmt: skip

    @property
    def error_log(self) -> Path:
        return self.config.log_dir / "error.log"

    @property
    def access_log(self) -> Path:
        return self.config.log_dir / "access.log"

    def start(self, timeout_s: float = 20) -> Gateway:
        self.spawn()

        def up() -> bool:
            self.check_alive()
            with contextlib.suppress(OSError):
                return request(self.port, "GET", "/gateway/health", timeout_s=1).status == 200
            return False

        try:
            wait_for(up, timeout_s=timeout_s, what=f"nginx on {self.port}", interval_s=0.05)
        except (TimeoutError, RuntimeError) as exc:
            raise RuntimeError(f"{exc}\n{tail(self.error_log, 30)}") from exc
        return self

    def error_log_text(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""

    def stop(self) -> None:
        """SIGQUIT: graceful shutdown; SIGKILL if it lingers."""
        if self.running:
            self.signal(signal.SIGQUIT)
            with contextlib.suppress(AssertionError):
                self.wait(timeout_s=10)
        self.kill()


@contextlib.contextmanager
def standalone_gateway(*, backends: list[str], name: str) -> Iterator[Gateway]:
    """nginx alone in a run directory of its own (empty static and media, no dashboard), removed afterwards."""
    base_dir = new_run_dir()
    (base_dir / "static").mkdir()
    (base_dir / "media").mkdir()
    gateway = Gateway(base_dir=base_dir, backends=backends, dashboard=f"{LOOPBACK}:{free_port()}",
                      static_root=base_dir / "static", media_root=base_dir / "media", name=name)  # fmt: skip
    try:
        yield gateway.start()
    finally:
        gateway.stop()
        remove_run_dir(base_dir)


def reap_stale_runs() -> None:
    """Kill what earlier, killed runs left running (their pgid files) and remove their files."""
    reap_stale_dirs(PREFIX, reap_pid_files)


def new_run_dir() -> Path:
    reap_stale_runs()
    path = make_temp_dir(PREFIX)
    path.chmod(0o755)  # nginx's workers run as nobody when the tests run as root
    return path


def remove_run_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (valid one day) and its key, made with the openssl command."""
    certificate, key = directory / "gateway.crt", directory / "gateway.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={LOOPBACK}",
         "-addext", f"subjectAltName=IP:{LOOPBACK}", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return certificate, key
