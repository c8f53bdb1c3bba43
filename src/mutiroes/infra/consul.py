"""Consul: each process registers itself; the gateway's upstream list is rendered from the healthy instances.

Client: py-consul (the maintained fork of python-consul, same ``consul`` import; never install both).

- ``register_process(role)`` registers this process as one instance of its role's service (``mutiroes-api``,
  ``mutiroes-dashboard``, ``mutiroes-worker``, ``mutiroes-scheduler``). HTTP processes get an HTTP check on
  ``/liveness`` (which touches no dependency: docs/reliability.md, 15); workers and schedulers have no port, so
  they get a TTL check that a heartbeat thread passes. Both checks carry ``DeregisterCriticalServiceAfter``: an
  instance that died without deregistering (SIGKILL) is marked critical, leaves the gateway's list at the next
  render, and is reaped by Consul later. ``Registration.stop()`` deregisters on a clean shutdown.
- Consul being down never crashes or blocks a process: every call goes through the ``http`` breaker with a short
  timeout, and registration happens on a daemon thread that retries with ``backoff``'s exponential, jittered
  delays until Consul answers. The same thread re-registers when Consul forgot the instance (an agent restarted
  without its state, or a long pause got the instance reaped).
- ``healthy_instances(service)`` and ``render_upstreams(template, instances)`` feed ``mutiroes consul-render``,
  which writes the gateway's ``upstreams.conf`` and keeps the static list when Consul cannot be asked.

Nothing here reads the environment: ``ConsulConfig.from_settings()`` takes the ``CONSUL_*`` settings.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import backoff
import consul
import requests

from mutiroes.resilience.breakers import CircuitBreakerError, breaker, guarded

logger = logging.getLogger(__name__)
T = TypeVar("T")

SERVICES = {
    "api": "mutiroes-api",
    "dashboard": "mutiroes-dashboard",
    "worker": "mutiroes-worker",
    "scheduler": "mutiroes-scheduler",
}
HTTP_ROLES = frozenset({"api", "dashboard"})
LIVENESS_PATH = "/liveness"
# A TTL check turns critical after this many heartbeat intervals without a pass: one late beat is not a death.
TTL_INTERVALS = 3
_WILDCARDS = {"", "0.0.0.0", "::"}  # noqa: S104 - recognising a wildcard bind, not binding one


def _consul_unavailable(exc: BaseException) -> bool:
    """Failures that say Consul is unwell (no answer, timeout, 5xx), as opposed to a refusal of our request."""
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return True
    # py-consul raises its base ConsulException for 5xx and subclasses (BadRequest, ACLPermissionDenied...) for 4xx.
    return type(exc) is consul.ConsulException and not _is_unknown_check(exc)


def _is_unknown_check(exc: BaseException) -> bool:
    # Consul answers a pass for a check it does not know with a 500 "CheckID ... does not have associated TTL".
    return isinstance(exc, consul.ConsulException) and "does not have associated TTL" in str(exc)


http_breaker = breaker("http", failures=lambda _type, exc: _consul_unavailable(exc))


def _call(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """One Consul call through the ``http`` breaker (fails fast with CircuitBreakerError while it is open)."""
    return guarded(http_breaker, func, *args, **kwargs)


def _duration(seconds: float) -> str:
    return f"{seconds:g}s"  # a Go duration: Consul accepts "10s", "0.5s"


@dataclass(frozen=True)
class ConsulConfig:
    """Where the Consul agent is and how this process is checked; ``from_settings()`` outside the tests."""

    http_addr: str = "http://127.0.0.1:8500"
    token: str | None = None
    service_address: str | None = None  # how Consul and the gateway reach this process; default: our own address
    service_port: int | None = None  # default: the port the server is bound to
    check_interval_s: float = 10.0  # HTTP check interval, and the heartbeat interval of TTL checks
    # Consul reaps an instance critical for this long (its reaper runs every 30 s and takes 60 s at the least).
    deregister_after_s: float = 60.0
    timeout_s: float = 2.0  # per HTTP call: a dead agent costs this much at most, never a hang
    retry_max_s: float = 30.0  # the background registration's longest wait between attempts

    @classmethod
    def from_settings(cls) -> ConsulConfig:
        from django.conf import settings

        return cls(
            http_addr=settings.CONSUL_HTTP_ADDR,
            token=settings.CONSUL_TOKEN,
            service_address=settings.CONSUL_SERVICE_ADDRESS,
            service_port=settings.CONSUL_SERVICE_PORT,
            check_interval_s=settings.CONSUL_CHECK_INTERVAL_S,
            deregister_after_s=settings.CONSUL_DEREGISTER_AFTER_S,
        )

    def client(self) -> consul.Consul:
        parts = urlsplit(self.http_addr if "//" in self.http_addr else f"http://{self.http_addr}")
        scheme = parts.scheme or "http"
        return consul.Consul(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (443 if scheme == "https" else 8500),
            scheme=scheme,
            token=self.token,
            verify=True,
            connections_timeout=self.timeout_s,
        )


@dataclass(frozen=True, order=True)
class Instance:
    """One passing instance of a service, as the gateway needs it."""

    address: str
    port: int
    service_id: str = field(default="", compare=False)

    @property
    def hostport(self) -> str:
        return f"{_url_host(self.address)}:{self.port}"


def _url_host(address: str) -> str:
    try:
        return f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
    except ValueError:
        return address  # a host name


def own_address(bind_host: str | None = None) -> str:
    """The address others reach this process at: the bound host unless it is a wildcard, else this host's address."""
    if bind_host and bind_host not in _WILDCARDS:
        return bind_host
    try:
        return socket.gethostbyname(socket.gethostname())  # in a container: its address on the compose network
    except OSError:
        return "127.0.0.1"


def registration_payload(
    *, role: str, service_id: str, address: str, port: int | None, config: ConsulConfig, version: str = ""
) -> dict[str, Any]:
    """Keyword arguments of ``agent.service.register`` for one process (the check included)."""
    name = SERVICES[role]
    if role in HTTP_ROLES:
        if not port:
            raise ValueError(f"{role} needs a port for its HTTP check")
        check = consul.Check.http(
            f"http://{_url_host(address)}:{port}{LIVENESS_PATH}",
            interval=_duration(config.check_interval_s),
            timeout=_duration(min(config.timeout_s, config.check_interval_s)),
            deregister=_duration(config.deregister_after_s),
        )
        check["Name"] = f"{name} liveness"
    else:
        check = consul.Check.ttl(_duration(config.check_interval_s * TTL_INTERVALS))
        check["DeregisterCriticalServiceAfter"] = _duration(config.deregister_after_s)
        check["Name"] = f"{name} heartbeat"
    check["CheckID"] = check_id_for(service_id)
    return {
        "name": name,
        "service_id": service_id,
        "address": address,
        "port": port,
        "tags": [role],
        "meta": {"role": role, "version": version, "pid": str(os.getpid())},
        "check": check,
    }


def check_id_for(service_id: str) -> str:
    return f"service:{service_id}"


class Registration:
    """This process in Consul, kept there by a daemon thread until ``stop()``.

    The thread registers (retrying with exponential, jittered backoff while Consul is unreachable), then every
    ``check_interval_s`` passes the TTL check (workers, schedulers) or verifies that the agent still knows the
    instance (HTTP processes, whose check Consul runs itself), registering again when it does not.
    """

    def __init__(
        self,
        *,
        role: str,
        service_id: str,
        address: str,
        port: int | None = None,
        config: ConsulConfig | None = None,
        version: str = "",
    ) -> None:
        self.config = config or ConsulConfig()
        self.role = role
        self.service_id = service_id
        self.check_id = check_id_for(service_id)
        self.ttl = role not in HTTP_ROLES
        self.payload = registration_payload(
            role=role, service_id=service_id, address=address, port=port, config=self.config, version=version
        )
        self._client = self.config.client()
        self._stopping = threading.Event()
        self._registered = threading.Event()
        # Held around register and deregister, so that a registration in flight cannot land after stop().
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"consul-{role}", daemon=True)
        self._unreachable_since_logged = False

    @property
    def registered(self) -> bool:
        return self._registered.is_set()

    def start(self) -> Registration:
        self._thread.start()
        return self

    def wait_registered(self, timeout_s: float) -> bool:
        return self._registered.wait(timeout_s)

    def stop(self, *, join_timeout_s: float | None = None) -> None:
        """Stop the thread and deregister (one bounded call; skipped when never registered or Consul is away)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(join_timeout_s if join_timeout_s is not None else self.config.timeout_s * 2)
        with self._lock:
            if not self._registered.is_set():
                logger.info("consul: %s %s stopping, was not registered", self.payload["name"], self.service_id)
                return
            try:
                _call(self._client.agent.service.deregister, self.service_id)
            except Exception as exc:  # noqa: BLE001 - shutting down: Consul's check and reaper will catch up
                logger.warning("consul: could not deregister %s (%s); its check will go critical", self.service_id, exc)
            else:
                logger.info("consul: deregistered %s %s", self.payload["name"], self.service_id)
            self._registered.clear()

    # -- the thread ------------------------------------------------------------------------------------

    def _run(self) -> None:
        delays: Iterator[float] | None = None
        while not self._stopping.is_set():
            try:
                self._step()
            except Exception as exc:  # noqa: BLE001 - whatever happens to Consul, this process carries on
                if delays is None:
                    delays = _retry_delays(self.config.retry_max_s)
                self._log_failure(exc)
                # Not yet registered: back off. Registered: keep the heartbeat's pace, the TTL is counting down.
                wait_s = next(delays) if not self._registered.is_set() else self.config.check_interval_s
                self._stopping.wait(wait_s)
                continue
            if delays is not None:
                logger.info("consul: reachable again at %s", self.config.http_addr)
                delays, self._unreachable_since_logged = None, False
            self._stopping.wait(self.config.check_interval_s)

    def _step(self) -> None:
        if not self._registered.is_set():
            self._register()
        elif self.ttl:
            self._heartbeat()
        elif _call(self._client.agent.service_definition, self.service_id) is None:
            logger.warning("consul: agent no longer knows %s; registering again", self.service_id)
            self._registered.clear()
            self._register()

    def _register(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            if not _call(self._client.agent.service.register, **self.payload):
                raise consul.ConsulException(f"registration of {self.service_id} not accepted")
            self._registered.set()
        logger.info(
            "consul: registered %s %s at %s:%s (%s check)", self.payload["name"], self.service_id,
            self.payload["address"], self.payload["port"], "TTL" if self.ttl else "HTTP",
        )  # fmt: skip
        if self.ttl:
            self._heartbeat()  # passing at once, rather than critical until the first beat

    def _heartbeat(self) -> None:
        try:
            passed = _call(self._client.agent.check.ttl_pass, self.check_id, notes=f"pid {os.getpid()} alive")
        except consul.ConsulException as exc:
            if not _is_unknown_check(exc):
                raise
            passed = False
        if not passed:  # the agent forgot the check (restarted without state, or reaped us): register again
            logger.warning("consul: agent does not know check %s; registering again", self.check_id)
            self._registered.clear()
            self._register()

    def _log_failure(self, exc: Exception) -> None:
        if isinstance(exc, CircuitBreakerError) or _consul_unavailable(exc):
            if not self._unreachable_since_logged:  # once per outage, not once per attempt
                logger.warning(
                    "consul: unreachable at %s (%s); %s carries on and retries in the background",
                    self.config.http_addr, exc, self.service_id,
                )  # fmt: skip
                self._unreachable_since_logged = True
        elif isinstance(exc, consul.ConsulException):
            logger.error("consul: %s refused for %s: %s", self.config.http_addr, self.service_id, exc)
        else:
            logger.exception("consul: unexpected failure for %s", self.service_id)


def _retry_delays(max_s: float) -> Iterator[float]:
    """backoff's exponential wait generator (0.5 s, 1 s, 2 s ... up to ``max_s``) with full jitter."""
    delays = backoff.expo(base=2, factor=0.5, max_value=max_s)
    next(delays)  # backoff's generators are primed with a send(None) first
    for delay in delays:
        yield backoff.full_jitter(delay) if delay > 0 else 0.0


# -- the processes ---------------------------------------------------------------------------------------


def process_service_id(role: str, instance_id: str) -> str:
    """The instance id, made unique per process where one instance runs several (Dramatiq's worker processes)."""
    pid = str(os.getpid())
    if role == "worker" and instance_id.rsplit(":", 1)[-1] != pid:
        return f"{instance_id}:{pid}"
    return instance_id


def register_process(role: str, *, bind_host: str | None = None, port: int | None = None) -> Registration | None:
    """Register this process in the background when ``CONSUL_ENABLED`` (never in the embedded mode).

    Returns at once; call ``stop()`` on the result at shutdown. ``None`` when Consul is not in use.
    """
    from django.conf import settings

    if settings.EMBEDDED or not settings.CONSUL_ENABLED:
        logger.debug("consul: not in use (%s), %s not registered", settings.MODE, role)
        return None
    config = ConsulConfig.from_settings()
    registration = Registration(
        role=role,
        service_id=process_service_id(role, settings.INSTANCE_ID),
        address=config.service_address or own_address(bind_host),
        port=config.service_port or port,
        config=config,
        version=settings.VERSION,
    )
    return registration.start()


# -- discovery and the gateway's upstreams ----------------------------------------------------------------


def healthy_instances(service: str, *, config: ConsulConfig | None = None) -> list[Instance]:
    """Instances of ``service`` whose every check passes, sorted. Raises when Consul cannot be asked."""
    config = config or ConsulConfig.from_settings()
    _index, entries = _call(config.client().health.service, service, passing=True)
    instances = set()
    for entry in entries or []:
        # ?passing filters on the server; checking again costs nothing and keeps a critical one out regardless.
        if any(check.get("Status") != "passing" for check in entry.get("Checks") or []):
            continue
        svc = entry.get("Service") or {}
        address = svc.get("Address") or (entry.get("Node") or {}).get("Address")
        if address and svc.get("Port"):
            instances.add(Instance(address=address, port=int(svc["Port"]), service_id=svc.get("ID", "")))
    return sorted(instances)


_UPSTREAM_BLOCK = re.compile(r"^(?P<indent>[ \t]*)upstream[ \t]+(?P<name>[\w.-]+)[ \t]*\{(?P<body>[^{}]*)\}", re.M)
_SERVER_LINE = re.compile(r"^(?P<indent>[ \t]*)server[ \t]+(?P<address>[^\s;]+)(?P<params>[^;]*);[^\n]*\n?", re.M)
_PER_SERVER_ONLY = {"backup", "down"}


def upstream_names(template: str) -> list[str]:
    return [match["name"] for match in _UPSTREAM_BLOCK.finditer(template)]


def render_upstreams(template: str, instances: Mapping[str, Sequence[Instance]]) -> str:
    """The nginx upstreams include with the servers of each named upstream replaced by ``instances[name]``.

    ``template`` is the static include (valid nginx as it is, and the fallback). For each ``upstream NAME { }``
    block named in ``instances`` with at least one instance, its ``server`` lines are replaced by one line per
    instance, keeping the indentation and the parameters of the first static server (``max_fails=...``, not
    ``backup``/``down``); the block's other directives (zone, least_conn, keepalive) stay. An upstream with no
    healthy instance keeps its static servers: nginx refuses an upstream without servers, and when Consul
    sees none alive the static list is the better guess.
    """

    def replace(block: re.Match[str]) -> str:
        chosen = instances.get(block["name"])
        servers = list(_SERVER_LINE.finditer(block["body"]))
        if not chosen or not servers:
            return block.group(0)
        first = servers[0]
        params = " ".join(p for p in first["params"].split() if p not in _PER_SERVER_ONLY)
        suffix = f" {params}" if params else ""
        lines = "".join(f"{first['indent']}server {instance.hostport}{suffix};\n" for instance in sorted(chosen))
        body = block["body"]
        # The new servers go where the first static one was; the other static server lines go.
        new_body = body[: first.start()] + lines
        position = first.end()
        for server in servers[1:]:
            new_body += body[position : server.start()]
            position = server.end()
        new_body += body[position:]
        return block.group(0).replace(block["body"], new_body, 1)

    return _UPSTREAM_BLOCK.sub(replace, template)


@dataclass
class RenderResult:
    text: str
    source: str  # "consul" or "static"
    message: str


def render_from_consul(
    template: str, services: Mapping[str, str], *, config: ConsulConfig | None, enabled: bool = True
) -> RenderResult:
    """Ask Consul for each upstream's service (``services``: upstream name -> service name) and render.

    Falls back to the static list (the template unchanged) when Consul is disabled or cannot be asked, and says so.
    """
    if not enabled or config is None:
        return RenderResult(template, "static", "Consul disabled (CONSUL_ENABLED is off): static upstream list")
    found: dict[str, list[Instance]] = {}
    try:
        for upstream, service in services.items():
            found[upstream] = healthy_instances(service, config=config)
    except Exception as exc:  # noqa: BLE001 - any failure to ask Consul means the static list
        return RenderResult(
            template, "static", f"Consul unreachable at {config.http_addr} ({exc}): static upstream list kept"
        )
    counts = ", ".join(f"{services[name]}: {len(found[name])} passing" for name in services)
    empty = [services[name] for name in services if not found[name]]
    message = f"rendered from Consul ({counts})"
    if empty:
        message += f"; no healthy instance of {', '.join(empty)}, static servers kept there"
    return RenderResult(render_upstreams(template, found), "consul", message)


def write_if_changed(path: os.PathLike[str] | str, text: str) -> bool:
    """Atomically replace ``path`` with ``text`` (nginx never reads half a file); False when nothing changed."""
    from pathlib import Path

    target = Path(path)
    if target.exists() and target.read_text() == text:
        return False
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, target)
    return True


# -- `mutiroes consul-render` ------------------------------------------------------------------------------

# Upstream names that do not spell their service (``upstream mutiroes_api`` and ``mutiroes-api`` match anyway).
UPSTREAM_ALIASES = {"mutiroes_backends": "mutiroes-api", "backends": "mutiroes-api", "backend": "mutiroes-api",
                    "api": "mutiroes-api", "dashboard": "mutiroes-dashboard"}  # fmt: skip


def services_for(template: str, explicit: Sequence[str] = ()) -> dict[str, str]:
    """Upstream name -> Consul service: ``NAME=SERVICE`` pairs, else the template's upstreams named after a service."""
    if explicit:
        pairs = [item.split("=", 1) for item in explicit]
        if any(len(pair) != 2 or not all(pair) for pair in pairs):
            raise ValueError("--upstream takes NAME=SERVICE")
        return {name: service for name, service in pairs}
    known = set(SERVICES.values())
    found = {}
    for name in upstream_names(template):
        candidate = UPSTREAM_ALIASES.get(name, name.replace("_", "-"))
        if candidate in known:
            found[name] = candidate
    return found


def render_command(argv: Sequence[str]) -> int:
    """``mutiroes consul-render``: write the gateway's upstreams include once, or every ``--watch`` seconds."""
    import argparse
    import shlex
    import subprocess
    import sys
    from pathlib import Path

    parser = argparse.ArgumentParser(
        prog="mutiroes consul-render",
        description="Write the gateway's upstreams include from Consul's healthy instances. The template is the "
        "static include; it is written unchanged (and the command says so) when Consul is off or unreachable.",
    )
    parser.add_argument("--template", required=True, type=Path, help="the static upstreams include (valid nginx)")
    parser.add_argument("--output", required=True, type=Path, help="the include nginx reads (replaced atomically)")
    parser.add_argument(
        "--upstream",
        action="append",
        default=[],
        metavar="NAME=SERVICE",
        help="upstream block -> Consul service (default: upstreams named after a service)",
    )
    parser.add_argument("--watch", type=float, default=0, metavar="SECONDS", help="render again every SECONDS")
    parser.add_argument("--on-change", metavar="COMMAND", help='run after each change, e.g. "nginx -s reload"')
    args = parser.parse_args(list(argv))
    if args.template.resolve() == args.output.resolve():
        parser.error("--output must differ from --template: the template is the static fallback")

    from django.conf import settings

    config = ConsulConfig.from_settings() if settings.CONSUL_ENABLED else None
    stop = threading.Event()
    while True:
        if not args.template.exists():  # in compose, the gateway renders it at its start
            print(f"consul-render: no template at {args.template} yet", file=sys.stderr, flush=True)
            if args.watch <= 0:
                return 1
            stop.wait(args.watch)
            continue
        template = args.template.read_text()
        services = services_for(template, args.upstream)
        result = render_from_consul(template, services, config=config, enabled=settings.CONSUL_ENABLED)
        changed = write_if_changed(args.output, result.text)
        print(f"consul-render: {result.message}; {args.output} {'updated' if changed else 'unchanged'}",
              file=sys.stderr if result.source == "static" else sys.stdout, flush=True)  # fmt: skip
        if changed and args.on_change:
            completed = subprocess.run(shlex.split(args.on_change), check=False)  # noqa: S603 - operator's command
            if completed.returncode != 0:
                print(f"consul-render: {args.on_change!r} exited {completed.returncode}", file=sys.stderr)
        if args.watch <= 0:
            return 0
        stop.wait(args.watch)
