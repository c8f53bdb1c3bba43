"""Consul registration, discovery and the gateway's upstreams (mutiroes.infra.consul) against a fake Consul.

No Consul binary exists for these machines (none in Debian or on PyPI), so the real client (py-consul) talks
HTTP to tests/infra/fake_consul.py, a small fake of Consul's agent API on a loopback port. What is checked here
is our side of the contract: the registration payload, heartbeats, deregistration, behaviour while Consul is
down, filtering of critical instances and the rendering of nginx upstreams. Consul's own behaviour (running the
checks on its schedule, reaping after DeregisterCriticalServiceAfter) is only as faithful as the fake.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mutiroes.infra import consul as consul_module
from mutiroes.infra.consul import (
    ConsulConfig,
    Instance,
    Registration,
    healthy_instances,
    http_breaker,
    process_service_id,
    register_process,
    render_command,
    render_from_consul,
    render_upstreams,
    services_for,
)
from tests.infra.fake_consul import FakeConsul
from tests.support.polling import wait_for
from tests.support.processes import LOOPBACK, ManagedProcess, child_env, free_port, mutiroes

ROOT = Path(__file__).resolve().parents[2]

TEMPLATE = """\
# Static list of the local cluster; `mutiroes consul-render` replaces the servers from Consul.
upstream mutiroes_api {
    zone mutiroes_api 64k;
    least_conn;
    server 127.0.0.1:8001 max_fails=1 fail_timeout=5s;
    server 127.0.0.1:8002 max_fails=1 fail_timeout=5s;
    server 127.0.0.1:8003 max_fails=1 fail_timeout=5s backup;
    keepalive 16;
}

upstream mutiroes_dashboard {
    zone mutiroes_dashboard 32k;
    server 127.0.0.1:5555;
}
"""


@pytest.fixture
def fake_consul() -> Iterator[FakeConsul]:
    fake = FakeConsul().start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _closed_http_breaker() -> Iterator[None]:
    # A test that takes Consul down opens the process-wide `http` breaker; the next one starts closed.
    http_breaker.reset()
    yield
    http_breaker.reset()


@pytest.fixture
def registrations() -> Iterator[list[Registration]]:
    started: list[Registration] = []
    yield started
    for registration in started:
        registration.stop()


def fast(url: str, **overrides: object) -> ConsulConfig:
    values: dict = {"http_addr": url, "check_interval_s": 0.1, "timeout_s": 0.5, "retry_max_s": 0.1}
    return ConsulConfig(**(values | overrides))


def start(registrations: list[Registration], **kwargs: object) -> Registration:
    registration = Registration(**kwargs).start()
    registrations.append(registration)
    return registration


# -- registration ------------------------------------------------------------------------------------


def test_an_api_process_registers_with_an_http_check_on_liveness(fake_consul, registrations):
    config = fast(fake_consul.url, token="s3cret", check_interval_s=5, deregister_after_s=90)
    registration = start(
        registrations, role="api", service_id="backend-1", address=LOOPBACK, port=8001, config=config, version="9.9"
    )

    assert registration.wait_registered(5)
    [request] = fake_consul.recorded("PUT", "/v1/agent/service/register")
    body = request.body
    assert (body["name"], body["id"], body["address"], body["port"]) == ("mutiroes-api", "backend-1", LOOPBACK, 8001)
    assert body["meta"]["role"] == "api" and body["meta"]["version"] == "9.9"
    [check] = body["checks"]
    # /liveness touches no dependency (docs/reliability.md, scenario 15)
    assert check["http"] == f"http://{LOOPBACK}:8001/liveness"
    assert check["interval"] == "5s" and check["timeout"] == "0.5s"
    assert check["DeregisterCriticalServiceAfter"] == "90s"
    assert check["CheckID"] == "service:backend-1"
    assert "ttl" not in check
    assert request.token == "s3cret"


def test_a_dashboard_registers_as_its_own_service(fake_consul, registrations):
    registration = start(
        registrations, role="dashboard", service_id="dash-1", address=LOOPBACK, port=5555, config=fast(fake_consul.url)
    )
    assert registration.wait_registered(5)
    assert fake_consul.services["dash-1"]["Service"] == "mutiroes-dashboard"


def test_a_worker_registers_with_a_ttl_check_and_its_heartbeats_arrive(fake_consul, registrations):
    config = fast(fake_consul.url, check_interval_s=0.1, deregister_after_s=60)
    registration = start(registrations, role="worker", service_id="worker-1:42", address=LOOPBACK, config=config)

    assert registration.wait_registered(5)
    [request] = fake_consul.recorded("PUT", "/v1/agent/service/register")
    assert request.body["name"] == "mutiroes-worker" and "port" not in request.body  # no port to check
    [check] = request.body["checks"]
    assert check["ttl"] == "0.3s"  # three heartbeat intervals
    assert check["DeregisterCriticalServiceAfter"] == "60s"
    assert "http" not in check

    wait_for(lambda: fake_consul.passes("service:worker-1:42") >= 5, timeout_s=10, what="five TTL passes")
    assert fake_consul.status("service:worker-1:42") == "passing"


def test_a_scheduler_heartbeats_too(fake_consul, registrations):
    registration = start(
        registrations, role="scheduler", service_id="sched-1", address=LOOPBACK, config=fast(fake_consul.url)
    )
    assert registration.wait_registered(5)
    wait_for(lambda: fake_consul.status("service:sched-1") == "passing", timeout_s=5, what="a passing TTL check")
    assert fake_consul.services["sched-1"]["Service"] == "mutiroes-scheduler"


def test_stop_deregisters_and_ends_the_heartbeats(fake_consul):
    registration = Registration(role="worker", service_id="w-1", address=LOOPBACK, config=fast(fake_consul.url))
    registration.start()
    assert registration.wait_registered(5)
    wait_for(lambda: fake_consul.passes("service:w-1") >= 2, timeout_s=5, what="heartbeats")

    registration.stop()

    assert [r.path for r in fake_consul.recorded("PUT", "/v1/agent/service/deregister/")] == [
        "/v1/agent/service/deregister/w-1"
    ]
    assert "w-1" not in fake_consul.services and fake_consul.status("service:w-1") is None
    passes = fake_consul.passes("service:w-1")
    time.sleep(0.4)  # four heartbeat intervals: none may come after the stop
    assert fake_consul.passes("service:w-1") == passes
    assert not registration.registered


def test_a_dead_worker_stops_beating_and_its_check_goes_critical(fake_consul, registrations):
    registration = start(registrations, role="worker", service_id="w-2", address=LOOPBACK, config=fast(fake_consul.url))
    wait_for(lambda: fake_consul.status("service:w-2") == "passing", timeout_s=5, what="a passing TTL check")

    # What a SIGKILL leaves behind: the heartbeat thread gone, no deregistration.
    registration._stopping.set()
    registration._thread.join(2)

    wait_for(lambda: fake_consul.status("service:w-2") == "critical", timeout_s=5, what="the TTL to expire")
    assert healthy_instances("mutiroes-worker", config=fast(fake_consul.url)) == []
    registration._registered.clear()  # nothing to deregister in the fixture's stop()


# -- Consul down ------------------------------------------------------------------------------------


def test_consul_down_never_blocks_and_the_process_registers_once_consul_is_back(monkeypatch, registrations):
    fake = FakeConsul()  # its port is reserved, nothing listens: connections are refused
    monkeypatch.setattr(http_breaker, "_recovery_timeout", 0.5)

    started = time.monotonic()
    registration = start(
        registrations, role="api", service_id="b-1", address=LOOPBACK, port=8001, config=fast(fake.url)
    )
    assert time.monotonic() - started < 0.2  # start() returns at once: the retries run in the background

    # The process keeps working while registration retries with backoff, through the `http` breaker.
    wait_for(lambda: http_breaker.opened, timeout_s=10, what="the http breaker to open")
    assert not registration.registered
    assert sum(range(10_000)) == 49_995_000  # this thread is free to do its work

    fake.start()
    try:
        assert registration.wait_registered(10), "not registered after Consul came back"
        assert fake.services["b-1"]["Service"] == "mutiroes-api"
        assert http_breaker.closed
    finally:
        registration.stop()
        fake.stop()


def test_stop_while_consul_is_down_returns_promptly_without_raising():
    fake = FakeConsul()  # never started
    registration = Registration(role="worker", service_id="w-3", address=LOOPBACK, config=fast(fake.url)).start()
    time.sleep(0.3)

    started = time.monotonic()
    registration.stop()

    assert time.monotonic() - started < 2.0
    assert not registration.registered


def test_heartbeats_resume_after_a_consul_outage(fake_consul, registrations, monkeypatch):
    monkeypatch.setattr(http_breaker, "_recovery_timeout", 0.3)
    registration = start(registrations, role="worker", service_id="w-4", address=LOOPBACK, config=fast(fake_consul.url))
    wait_for(lambda: fake_consul.status("service:w-4") == "passing", timeout_s=5, what="a passing TTL check")

    fake_consul.stop()
    time.sleep(0.5)
    assert registration.registered  # an outage is not a reason to forget what Consul knows
    before = fake_consul.passes("service:w-4")
    fake_consul.start()

    wait_for(lambda: fake_consul.passes("service:w-4") > before + 2, timeout_s=10, what="heartbeats after the outage")
    assert len(fake_consul.recorded("PUT", "/v1/agent/service/register")) == 1  # Consul kept its state: no re-register


def test_a_worker_registers_again_when_consul_lost_its_state(fake_consul, registrations):
    registration = start(registrations, role="worker", service_id="w-5", address=LOOPBACK, config=fast(fake_consul.url))
    wait_for(lambda: fake_consul.status("service:w-5") == "passing", timeout_s=5, what="a passing TTL check")

    fake_consul.forget()  # an agent restarted without its data: the next pass is a 500 "does not have associated TTL"

    wait_for(lambda: fake_consul.status("service:w-5") == "passing", timeout_s=5, what="registration again")
    assert len(fake_consul.recorded("PUT", "/v1/agent/service/register")) == 2
    assert registration.registered


def test_an_api_process_registers_again_when_consul_lost_its_state(fake_consul, registrations):
    registration = start(
        registrations, role="api", service_id="b-2", address=LOOPBACK, port=8001, config=fast(fake_consul.url)
    )
    assert registration.wait_registered(5)

    fake_consul.forget()

    wait_for(lambda: "b-2" in fake_consul.services, timeout_s=5, what="registration again")
    assert len(fake_consul.recorded("PUT", "/v1/agent/service/register")) == 2


# -- discovery and upstreams ------------------------------------------------------------------------


def test_healthy_instances_leave_out_critical_and_other_services(fake_consul):
    fake_consul.add_instance("mutiroes-api", "b-3", "10.0.0.3", 8000, status="passing")
    fake_consul.add_instance("mutiroes-api", "b-1", "10.0.0.1", 8000, status="passing")
    fake_consul.add_instance("mutiroes-api", "b-2", "10.0.0.2", 8000, status="critical")
    fake_consul.add_instance("mutiroes-api", "b-4", "10.0.0.4", 8000, status="warning")
    fake_consul.add_instance("mutiroes-dashboard", "d-1", "10.0.0.9", 5555)

    found = healthy_instances("mutiroes-api", config=fast(fake_consul.url))

    assert found == [Instance("10.0.0.1", 8000), Instance("10.0.0.3", 8000)]
    assert [i.service_id for i in found] == ["b-1", "b-3"]
    [query] = [r.query for r in fake_consul.recorded("GET", "/v1/health/service/mutiroes-api")]
    assert "passing" in query


def test_healthy_instances_filter_critical_ones_even_if_consul_returns_them(fake_consul):
    fake_consul.honour_passing = False  # as if the ?passing parameter were lost on the way
    fake_consul.add_instance("mutiroes-api", "b-1", "10.0.0.1", 8000, status="passing")
    fake_consul.add_instance("mutiroes-api", "b-2", "10.0.0.2", 8000, status="critical")

    assert healthy_instances("mutiroes-api", config=fast(fake_consul.url)) == [Instance("10.0.0.1", 8000)]


def test_render_replaces_the_servers_and_keeps_the_other_directives():
    rendered = render_upstreams(
        TEMPLATE, {"mutiroes_api": [Instance("10.0.0.2", 8000), Instance("10.0.0.1", 8000), Instance("::1", 8000)]}
    )

    api_block = rendered.split("upstream mutiroes_dashboard")[0]
    assert api_block.count("server ") == 3
    assert "    server 10.0.0.1:8000 max_fails=1 fail_timeout=5s;\n" in api_block
    assert "    server 10.0.0.2:8000 max_fails=1 fail_timeout=5s;\n" in api_block
    assert "    server [::1]:8000 max_fails=1 fail_timeout=5s;\n" in api_block
    assert api_block.index("10.0.0.1") < api_block.index("10.0.0.2")  # sorted: a stable file, reloads only on change
    assert "127.0.0.1:800" not in api_block and "backup" not in api_block
    for directive in ("zone mutiroes_api 64k;", "least_conn;", "keepalive 16;"):
        assert directive in api_block
    assert rendered.split("upstream mutiroes_dashboard")[1] == TEMPLATE.split("upstream mutiroes_dashboard")[1]


def test_an_upstream_with_no_healthy_instance_keeps_its_static_servers():
    assert render_upstreams(TEMPLATE, {"mutiroes_api": [], "mutiroes_dashboard": []}) == TEMPLATE


def test_render_from_consul_uses_the_healthy_instances(fake_consul):
    fake_consul.add_instance("mutiroes-api", "b-1", "10.0.0.1", 8000)
    fake_consul.add_instance("mutiroes-api", "b-2", "10.0.0.2", 8000, status="critical")

    result = render_from_consul(TEMPLATE, services_for(TEMPLATE), config=fast(fake_consul.url))

    assert result.source == "consul"
    assert "server 10.0.0.1:8000" in result.text and "10.0.0.2" not in result.text
    assert "server 127.0.0.1:5555;" in result.text  # no dashboard in Consul: its static server stays
    assert "mutiroes-api: 1 passing" in result.message and "static servers kept" in result.message


def test_render_falls_back_to_the_static_list_when_consul_is_unreachable():
    unreachable = FakeConsul()  # nothing listens on its port

    result = render_from_consul(TEMPLATE, services_for(TEMPLATE), config=fast(unreachable.url))

    assert result.source == "static"
    assert result.text == TEMPLATE
    assert "unreachable" in result.message and unreachable.url in result.message


def test_upstreams_are_matched_to_services_by_name():
    assert services_for(TEMPLATE) == {"mutiroes_api": "mutiroes-api", "mutiroes_dashboard": "mutiroes-dashboard"}
    assert services_for("upstream backend {\n server a:1;\n}\n") == {"backend": "mutiroes-api"}
    assert services_for(TEMPLATE, ["mutiroes_api=other"]) == {"mutiroes_api": "other"}
    with pytest.raises(ValueError):
        services_for(TEMPLATE, ["nonsense"])


def test_consul_render_command_writes_from_consul(fake_consul, tmp_path, settings, capsys):
    settings.CONSUL_ENABLED, settings.CONSUL_HTTP_ADDR = True, fake_consul.url
    fake_consul.add_instance("mutiroes-api", "b-1", "10.0.0.1", 8000)
    template, output = tmp_path / "upstreams.static.conf", tmp_path / "upstreams.conf"
    template.write_text(TEMPLATE)

    assert render_command(["--template", str(template), "--output", str(output)]) == 0
    assert "server 10.0.0.1:8000 max_fails=1 fail_timeout=5s;" in output.read_text()
    assert "rendered from Consul" in capsys.readouterr().out

    assert render_command(["--template", str(template), "--output", str(output)]) == 0
    assert "unchanged" in capsys.readouterr().out  # same instances: the file is not rewritten, nginx not reloaded


def test_consul_render_command_says_so_when_it_falls_back(tmp_path, settings, capsys):
    settings.CONSUL_ENABLED, settings.CONSUL_HTTP_ADDR = True, FakeConsul().url  # nothing listens there
    template, output = tmp_path / "upstreams.static.conf", tmp_path / "upstreams.conf"
    template.write_text(TEMPLATE)
    output.write_text("stale")

    assert render_command(["--template", str(template), "--output", str(output)]) == 0

    assert output.read_text() == TEMPLATE
    assert "static upstream list" in capsys.readouterr().err


def test_consul_render_command_with_consul_disabled_writes_the_static_list(tmp_path, settings, capsys):
    settings.CONSUL_ENABLED = False
    template, output = tmp_path / "t.conf", tmp_path / "o.conf"
    template.write_text(TEMPLATE)

    assert render_command(["--template", str(template), "--output", str(output), "--on-change", "true"]) == 0

    assert output.read_text() == TEMPLATE
    assert "CONSUL_ENABLED is off" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        render_command(["--template", str(template), "--output", str(template)])  # would lose the static list


# -- settings and process identity ------------------------------------------------------------------


def test_register_process_does_nothing_when_disabled_or_embedded(settings, fake_consul):
    settings.CONSUL_HTTP_ADDR = fake_consul.url
    settings.EMBEDDED, settings.CONSUL_ENABLED = False, False
    assert register_process("api", port=8000) is None
    settings.EMBEDDED, settings.CONSUL_ENABLED = True, True
    assert register_process("api", port=8000) is None
    assert fake_consul.requests == []


def test_register_process_takes_its_identity_from_settings(settings, fake_consul):
    settings.EMBEDDED, settings.CONSUL_ENABLED = False, True
    settings.CONSUL_HTTP_ADDR, settings.CONSUL_TOKEN = fake_consul.url, None
    settings.CONSUL_SERVICE_ADDRESS, settings.CONSUL_SERVICE_PORT = "10.1.2.3", None
    settings.INSTANCE_ID = "backend-7"

    registration = register_process("api", bind_host="0.0.0.0", port=8007)
    assert registration is not None
    try:
        assert registration.wait_registered(5)
        service = fake_consul.services["backend-7"]
        assert (service["Address"], service["Port"]) == ("10.1.2.3", 8007)
    finally:
        registration.stop()


def test_each_worker_process_gets_its_own_service_id():
    pid = os.getpid()
    assert process_service_id("worker", "worker-1") == f"worker-1:{pid}"
    assert process_service_id("worker", f"host:{pid}") == f"host:{pid}"  # the default id already names the process
    assert process_service_id("api", "backend-1") == "backend-1"


def test_a_wildcard_bind_registers_this_hosts_address():
    assert consul_module.own_address("127.0.0.2") == "127.0.0.2"
    assert consul_module.own_address("0.0.0.0") not in {"0.0.0.0", ""}


# -- the real processes ------------------------------------------------------------------------------


def _process_env(tmp_path: Path, fake: FakeConsul, instance_id: str) -> dict[str, str]:
    return child_env(
        MUTIROES_MODE="distributed",
        SECRET_KEY="test-secret-key-for-the-consul-process-tests-000000",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",  # /liveness touches no database
        BROKER_URL="stub://",
        MUTIROES_DATA_DIR=str(tmp_path),
        MUTIROES_INSTANCE_ID=instance_id,
        CONSUL_ENABLED="true",
        CONSUL_HTTP_ADDR=fake.url,
        CONSUL_CHECK_INTERVAL_S="0.2",
        OUTBOX_RELAY_INTERVAL_S="3600",
    )


def _process(argv: list[str], env: dict[str, str], log: Path) -> ManagedProcess:
    process = ManagedProcess(mutiroes(*argv), env=env, log_path=log, cwd=ROOT)
    process.spawn()
    return process


@pytest.fixture
def processes() -> Iterator[list[ManagedProcess]]:
    started: list[ManagedProcess] = []
    yield started
    for process in started:
        process.cleanup()


def _serve(
    processes: list[ManagedProcess], tmp_path: Path, fake: FakeConsul, instance_id: str
) -> tuple[ManagedProcess, int]:
    port = free_port()
    work = tmp_path / instance_id
    work.mkdir()
    process = _process(
        ["serve", "--host", LOOPBACK, "--port", str(port), "--workers", "1"],
        _process_env(work, fake, instance_id),
        work / "gunicorn.log",
    )
    processes.append(process)
    return process, port


def _wait_registered(check: Callable[[], bool], process: ManagedProcess, what: str) -> None:
    try:
        wait_for(check, timeout_s=60, what=what)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n{process.log_tail()}") from None


@pytest.mark.system
def test_gunicorn_registers_when_ready_and_deregisters_on_exit(fake_consul, processes, tmp_path):
    process, port = _serve(processes, tmp_path, fake_consul, "backend-t1")

    _wait_registered(lambda: "backend-t1" in fake_consul.services, process, "backend-t1 to register")
    service = fake_consul.services["backend-t1"]
    assert (service["Service"], service["Address"], service["Port"]) == ("mutiroes-api", LOOPBACK, port)

    def passing() -> bool:
        fake_consul.run_http_checks()  # Consul's probe of the real /liveness
        return fake_consul.status("service:backend-t1") == "passing"

    wait_for(passing, timeout_s=30, what="the /liveness check to pass")
    assert healthy_instances("mutiroes-api", config=fast(fake_consul.url)) == [Instance(LOOPBACK, port)]

    process.signal(signal.SIGTERM)
    process.wait(30)

    assert "backend-t1" not in fake_consul.services, process.log_tail()
    assert fake_consul.recorded("PUT", "/v1/agent/service/deregister/backend-t1")


@pytest.mark.system
def test_a_sigkilled_backend_goes_critical_and_leaves_the_rendered_upstreams(fake_consul, processes, tmp_path):
    # docs/reliability.md, 16, Consul's half: the dead backend stays registered but critical, and the gateway's next
    # render leaves it out.
    dead, dead_port = _serve(processes, tmp_path, fake_consul, "backend-k1")
    alive, alive_port = _serve(processes, tmp_path, fake_consul, "backend-k2")
    _wait_registered(lambda: "backend-k1" in fake_consul.services, dead, "backend-k1 to register")
    _wait_registered(lambda: "backend-k2" in fake_consul.services, alive, "backend-k2 to register")

    def both_passing() -> bool:
        fake_consul.run_http_checks()
        return {fake_consul.status("service:backend-k1"), fake_consul.status("service:backend-k2")} == {"passing"}

    wait_for(both_passing, timeout_s=30, what="both backends to pass their checks")
    before = render_from_consul(TEMPLATE, services_for(TEMPLATE), config=fast(fake_consul.url))
    assert f"{LOOPBACK}:{dead_port} " in before.text and f"{LOOPBACK}:{alive_port} " in before.text

    dead.signal_group(signal.SIGKILL)  # the master and its workers: nothing answers on the port
    dead.wait(10)
    fake_consul.run_http_checks()

    assert fake_consul.status("service:backend-k1") == "critical"
    assert "backend-k1" in fake_consul.services  # nobody deregistered it: Consul reaps it after the deregister delay
    assert healthy_instances("mutiroes-api", config=fast(fake_consul.url)) == [Instance(LOOPBACK, alive_port)]
    after = render_from_consul(TEMPLATE, services_for(TEMPLATE), config=fast(fake_consul.url))
    assert f"{LOOPBACK}:{dead_port} " not in after.text and f"{LOOPBACK}:{alive_port} " in after.text


@pytest.mark.system
def test_a_worker_process_registers_heartbeats_and_deregisters_on_sigterm(fake_consul, processes, tmp_path):
    process = _process(
        ["worker", "--processes", "1", "--threads", "1"],
        _process_env(tmp_path, fake_consul, "worker-t1"),
        tmp_path / "worker.log",
    )
    processes.append(process)

    def registered_id() -> str | None:
        ids = [sid for sid in list(fake_consul.services) if sid.startswith("worker-t1:")]
        return ids[0] if ids else None

    _wait_registered(lambda: registered_id() is not None, process, "the worker process to register")
    service_id = registered_id()
    assert fake_consul.services[service_id]["Service"] == "mutiroes-worker"
    wait_for(lambda: fake_consul.passes(f"service:{service_id}") >= 3, timeout_s=10, what="worker heartbeats")

    process.signal(signal.SIGTERM)
    process.wait(60)

    assert service_id not in fake_consul.services, process.log_tail()


def test_consul_render_command_without_its_template_says_so(tmp_path, settings, capsys):
    settings.CONSUL_ENABLED = False
    missing, output = tmp_path / "not-rendered-yet.conf", tmp_path / "o.conf"

    assert render_command(["--template", str(missing), "--output", str(output)]) == 1

    assert "no template" in capsys.readouterr().err and not output.exists()
