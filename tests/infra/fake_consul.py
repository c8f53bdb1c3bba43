"""A small fake of Consul's HTTP API, for the Consul client's tests.

Consul is the one server of the design with no binary for these machines (none in Debian, none on PyPI), so
the client (mutiroes.infra.consul, over py-consul) is tested against this fake instead: a threaded
``http.server`` on a free loopback port that implements the part of the agent API the client uses, with the
semantics the client depends on (taken from Consul's documentation and source):

- ``PUT /v1/agent/service/register``: registers (or replaces) a service instance and its checks. A TTL check
  starts critical; an HTTP check starts critical until it is run (``run_http_checks()`` runs them for real).
- ``PUT /v1/agent/service/deregister/<id>``: removes the instance and its checks (404 for an unknown id).
- ``PUT /v1/agent/check/pass/<id>``: passes a TTL check for one TTL; an unknown check is Consul's 500
  ``CheckID "<id>" does not have associated TTL`` (what an agent that lost its state answers).
- ``GET /v1/agent/service/<id>``: the instance, or 404.
- ``GET /v1/health/service/<name>[?passing]``: instances with their checks (a TTL check past its TTL is
  critical); ``passing`` keeps those whose every check passes.

``stop()`` closes the listening socket (connections refused, as with a dead agent) and ``start()`` binds the
same port again; ``forget()`` is an agent restarted without its data directory. Every request is recorded.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.support.processes import LOOPBACK, free_port


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    token: str | None


@dataclass
class _Check:
    check_id: str
    service_id: str
    name: str
    definition: dict[str, Any]
    status: str = "critical"
    ttl_s: float | None = None
    expires_at: float = 0.0

    def current_status(self) -> str:
        if self.ttl_s is not None and self.status == "passing" and time.monotonic() > self.expires_at:
            return "critical"  # TTL expired: the process stopped beating
        return self.status


def _duration_s(text: str) -> float:
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    for unit in ("ms", "s", "m", "h"):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * units[unit]
    raise ValueError(f"not a duration: {text!r}")


def _ci(mapping: dict[str, Any], key: str) -> Any:
    """Consul reads definition keys case-insensitively (py-consul sends "name", the docs say "Name")."""
    for name, value in mapping.items():
        if name.lower() == key.lower():
            return value
    return None


@dataclass
class FakeConsul:
    port: int = field(default_factory=free_port)
    honour_passing: bool = True  # False: answer ?passing with every instance (a proxy that drops the parameter)
    requests: list[Recorded] = field(default_factory=list)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    checks: dict[str, _Check] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> FakeConsul:
        fake = self

        class Handler(_Handler):
            consul = fake

        deadline = time.monotonic() + 5
        while True:  # the port was free a moment ago; after stop() it may linger briefly
            try:
                self._server = ThreadingHTTPServer((LOOPBACK, self.port), Handler)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def forget(self) -> None:
        with self._lock:
            self.services.clear()
            self.checks.clear()

    # -- what tests look at and do --------------------------------------------------------------------

    def recorded(self, method: str, prefix: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def passes(self, check_id: str) -> int:
        return len(self.recorded("PUT", f"/v1/agent/check/pass/{check_id}"))

    def status(self, check_id: str) -> str | None:
        with self._lock:
            check = self.checks.get(check_id)
            return None if check is None else check.current_status()

    def set_status(self, check_id: str, status: str) -> None:
        with self._lock:
            self.checks[check_id].status = status

    def add_instance(self, service: str, service_id: str, address: str, port: int, status: str = "passing") -> None:
        """An instance registered by another process (another host's agent, as far as the client can tell)."""
        with self._lock:
            self.services[service_id] = {"ID": service_id, "Service": service, "Address": address, "Port": port,
                                         "Tags": [], "Meta": {}}  # fmt: skip
            check_id = f"service:{service_id}"
            self.checks[check_id] = _Check(check_id, service_id, f"{service} check", {}, status=status)

    def run_http_checks(self, timeout_s: float = 2.0) -> None:
        """Run every HTTP check once, as the agent does each interval: 2xx is passing, anything else critical."""
        with self._lock:
            http_checks = [c for c in self.checks.values() if _ci(c.definition, "http")]
        for check in http_checks:
            try:
                with urllib.request.urlopen(_ci(check.definition, "http"), timeout=timeout_s) as response:
                    status = "passing" if 200 <= response.status < 300 else "critical"
            except Exception:  # noqa: BLE001 - refused, reset, timed out, 5xx: what Consul calls critical
                status = "critical"
            with self._lock:
                check.status = status

    # -- the API ---------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        with self._lock:
            if method == "PUT" and path == "/v1/agent/service/register":
                return self._register(body)
            if method == "PUT" and path.startswith("/v1/agent/service/deregister/"):
                return self._deregister(unquote(path.rsplit("/", 1)[1]))
            if method == "PUT" and path.startswith("/v1/agent/check/pass/"):
                return self._pass(unquote(path[len("/v1/agent/check/pass/") :]))
            if method == "GET" and path.startswith("/v1/agent/service/"):
                service = self.services.get(unquote(path.rsplit("/", 1)[1]))
                return (200, service) if service else (404, "unknown service ID")
            if method == "GET" and path.startswith("/v1/health/service/"):
                return 200, self._health(unquote(path.rsplit("/", 1)[1]), passing="passing" in query)
        return 404, f"no fake for {method} {path}"

    def _register(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not _ci(body, "name"):
            return 400, "missing service name"
        service_id = _ci(body, "id") or _ci(body, "name")
        self._deregister(service_id)
        self.services[service_id] = {
            "ID": service_id,
            "Service": _ci(body, "name"),
            "Address": _ci(body, "address") or "",
            "Port": _ci(body, "port") or 0,
            "Tags": _ci(body, "tags") or [],
            "Meta": _ci(body, "meta") or {},
        }
        checks = _ci(body, "checks") or ([_ci(body, "check")] if _ci(body, "check") else [])
        for number, definition in enumerate(checks, start=1):
            check_id = _ci(definition, "CheckID") or (
                f"service:{service_id}" if len(checks) == 1 else f"service:{service_id}:{number}"
            )
            ttl = _ci(definition, "ttl")
            if not ttl and not _ci(definition, "http"):
                return 400, "the fake knows only TTL and HTTP checks"
            self.checks[check_id] = _Check(
                check_id, service_id, _ci(definition, "Name") or check_id, definition,
                ttl_s=_duration_s(ttl) if ttl else None,
            )  # fmt: skip
        return 200, ""

    def _deregister(self, service_id: str) -> tuple[int, Any]:
        if self.services.pop(service_id, None) is None:
            return 404, f'Unknown service ID "{service_id}"'
        for check_id in [c.check_id for c in self.checks.values() if c.service_id == service_id]:
            del self.checks[check_id]
        return 200, ""

    def _pass(self, check_id: str) -> tuple[int, Any]:
        check = self.checks.get(check_id)
        if check is None or check.ttl_s is None:
            return 500, f'CheckID "{check_id}" does not have associated TTL'
        check.status = "passing"
        check.expires_at = time.monotonic() + check.ttl_s
        return 200, ""

    def _health(self, name: str, *, passing: bool) -> list[dict[str, Any]]:
        entries = []
        for service_id, service in sorted(self.services.items()):
            if service["Service"] != name:
                continue
            checks = [{"CheckID": "serfHealth", "Name": "Serf Health Status", "Status": "passing", "ServiceID": ""}]
            checks += [
                {"CheckID": c.check_id, "Name": c.name, "Status": c.current_status(), "ServiceID": service_id}
                for c in self.checks.values()
                if c.service_id == service_id
            ]
            if passing and self.honour_passing and any(c["Status"] != "passing" for c in checks):
                continue
            entries.append({"Node": {"Node": "fake-agent", "Address": LOOPBACK}, "Service": service, "Checks": checks})
        return entries


class _Handler(BaseHTTPRequestHandler):
    consul: FakeConsul
    # HTTP/1.0: one request per connection, so stop() leaves no kept-alive connection answering for a dead agent.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            with contextlib.suppress(ValueError):
                body = json.loads(raw)
        query = parse_qs(parts.query, keep_blank_values=True)
        with self.consul._lock:
            self.consul.requests.append(Recorded(method, parts.path, query, body, self.headers.get("X-Consul-Token")))
        status, answer = self.consul.handle(method, parts.path, query, body)
        payload = (answer if isinstance(answer, str) else json.dumps(answer)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain" if isinstance(answer, str) else "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Consul-Index", "1")
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_PUT(self) -> None:
        self._serve("PUT")
