"""docker-compose.distributed.yml and deploy/docker, validated without running them.

No Docker engine runs on the project's machines, so the containers are never started here: these tests read
the compose file (PyYAML) and the files it points at, and check what would otherwise fail only on a user's
server (a missing config file, an unknown variable, a dependency on a service without a health check, two
services on one host port, a gateway template placeholder without a value). Where a compose implementation
is installed (`docker compose` or Debian's `docker-compose`), its own `config` validation runs too.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from mutiroes.cli import COMMANDS
from mutiroes.infra.consul import Instance, render_upstreams, services_for

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.distributed.yml"
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
SETTINGS = ROOT / "src" / "mutiroes" / "config" / "settings.py"
EXAMPLE_ENV = ROOT / "deploy" / "env" / "example.env"
PLACEHOLDER = re.compile(r"\$\{(MUTIROES_[A-Z0-9_]+)\}")
STATEFUL = ("postgres-primary", "postgres-replica", "redis-master", "redis-replica", "consul", "mailpit")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _is_app(service: dict[str, Any]) -> bool:
    """A role of the Python image (the web app is another image, with its own Dockerfile)."""
    return service.get("image") == "mutiroes:latest"


def _app_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: service for name, service in services.items() if _is_app(service)}


def _env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def _env_files(service: dict[str, Any]) -> list[Path]:
    files = service.get("env_file") or []
    return [ROOT / f for f in ([files] if isinstance(files, str) else files)]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for path in _env_files(service):
        values |= _env_file(path)
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return values | {name: str(value) for name, value in environment.items()}


def _settings_variables() -> set[str]:
    """Every NAME settings.py reads with _env("NAME"...), _env_bool("NAME"...) or _env_list("NAME"...)."""
    return set(re.findall(r"_env(?:_bool|_list)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", SETTINGS.read_text()))


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else list(command)


def _bind_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    mounts = []
    for volume in service.get("volumes") or []:
        source, target = volume.split(":")[:2] if isinstance(volume, str) else (volume["source"], volume["target"])
        if source.startswith(("./", "/", "../")):
            mounts.append((source, target))
    return mounts


def _named_volumes(service: dict[str, Any]) -> list[str]:
    return [
        v.split(":")[0] for v in service.get("volumes") or [] if isinstance(v, str) and not v.startswith((".", "/"))
    ]


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return dict.fromkeys(depends, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in depends.items()}


def _healthcheck(service: dict[str, Any]) -> dict[str, Any] | None:
    check = service.get("healthcheck")
    if not check or check.get("disable"):
        return None
    return check


def _published(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(host address, host port) of each published port."""
    published = []
    for port in service.get("ports") or []:
        parts = str(port).split(":")
        if len(parts) == 3:
            published.append((parts[0], parts[1]))
        elif len(parts) == 2:
            published.append(("0.0.0.0", parts[0]))
    return published


# -- the topology ------------------------------------------------------------------------------------


def test_the_design_topology_is_there(services):
    def running(command: str) -> list[str]:
        return [name for name, s in _app_services(services).items() if _command(s)[:1] == [command]]

    assert len(running("serve")) == 3
    assert len(running("worker")) == 2
    assert len(running("scheduler")) == 2
    assert len(running("dashboard")) == 1
    assert len(running("consul-render")) == 1
    assert "migrate" in services and "migrate" in " ".join(_command(services["migrate"]))
    assert services["gateway"]["image"].startswith("nginx:")
    assert {"postgres-primary", "postgres-replica", "redis-master", "redis-replica", "consul", "mailpit"} <= set(
        services
    )
    assert len([name for name in services if name.startswith("redis-sentinel-")]) == 3
    assert services["consul"]["image"].startswith("hashicorp/consul:")
    assert services["postgres-primary"]["image"] == services["postgres-replica"]["image"] == "postgres:15"


def test_every_service_has_an_image_or_a_build(services):
    for name, service in services.items():
        assert service.get("image") or service.get("build"), name


def test_every_role_runs_the_one_image(services):
    apps = _app_services(services)
    assert {s["image"] for s in apps.values()} == {"mutiroes:latest"}
    assert {(s["build"]["context"], s["build"]["dockerfile"]) for s in apps.values()} == {
        (".", "deploy/docker/Dockerfile")
    }
    assert (ROOT / "deploy" / "docker" / "Dockerfile").is_file()


def test_app_commands_are_mutiroes_commands(services):
    for name, service in _app_services(services).items():
        command = _command(service)
        if service.get("entrypoint"):  # migrate: a shell running `mutiroes ...` commands
            assert all(part.strip().startswith("mutiroes ") for part in " ".join(command).split("&&")), name
        else:
            assert command[0] in COMMANDS, name


# -- files and variables ---------------------------------------------------------------------------


def test_every_referenced_file_exists_in_the_repository(services):
    for name, service in services.items():
        for source, _target in _bind_mounts(service):
            assert source.startswith("./"), f"{name}: bind mount from outside the repository: {source}"
            assert (ROOT / source).exists(), f"{name}: {source} does not exist"
        for path in _env_files(service):
            assert path.is_file(), f"{name}: env file {path} does not exist"
        if "build" in service:
            assert (ROOT / service["build"]["context"] / service["build"]["dockerfile"]).is_file(), name


def test_the_gateway_mounts_the_shared_nginx_files_not_copies(services):
    sources = {source for source, _ in _bind_mounts(services["gateway"])}
    nginx_dir = ROOT / "deploy" / "nginx"
    needed = {f"./deploy/nginx/{path.name}" for path in nginx_dir.iterdir() if path.suffix in {".conf", ".template"}}
    assert needed <= sources
    assert "./deploy/nginx/snippets" in sources
    assert not list((ROOT / "deploy" / "docker").rglob("*.conf.template")), "a second copy of the gateway config"


def test_every_variable_the_app_containers_get_is_read_by_settings(services):
    known = _settings_variables()
    assert {"DATABASE_URL", "CONSUL_ENABLED", "CONSUL_HTTP_ADDR", "REDIS_SENTINELS"} <= known  # the parser works
    for name, service in _app_services(services).items():
        unknown = set(_environment(service)) - known
        assert not unknown, f"{name} sets variables settings.py never reads: {sorted(unknown)}"


def test_every_variable_the_app_containers_get_is_documented_in_example_env(services):
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", EXAMPLE_ENV.read_text(), re.M))
    for name, service in _app_services(services).items():
        missing = set(_environment(service)) - documented
        assert not missing, f"{name}: not in deploy/env/example.env: {sorted(missing)}"


def test_the_app_connects_to_the_compose_services(services):
    env = _environment(services["backend-1"])
    assert env["MUTIROES_MODE"] == "distributed"
    assert "@postgres-primary:5432/" in env["DATABASE_URL"]
    postgres = _environment(services["postgres-primary"])
    assert f"{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}@" in env["DATABASE_URL"]
    assert env["DATABASE_URL"].endswith(f"/{postgres['POSTGRES_DB']}")
    sentinels = {item.split(":")[0] for item in env["REDIS_SENTINELS"].split(",")}
    assert sentinels == {name for name in services if name.startswith("redis-sentinel-")}
    assert env["EMAIL_HOST"] == "mailpit" and env["EMAIL_PORT"] == "1025"
    assert env["CONSUL_HTTP_ADDR"] == "http://consul:8500" and env["CONSUL_ENABLED"] == "true"


def test_instance_ids_are_unique(services):
    ids = [_environment(s).get("MUTIROES_INSTANCE_ID") for s in _app_services(services).values()]
    assert None not in ids and len(ids) == len(set(ids))


# -- dependencies, health, ports --------------------------------------------------------------------


def test_depends_on_targets_exist_and_conditions_hold(services):
    for name, service in services.items():
        for target, condition in _depends_on(service).items():
            assert target in services, f"{name} depends on a missing service {target}"
            assert condition in {"service_started", "service_healthy", "service_completed_successfully"}
            if condition == "service_healthy":
                assert _healthcheck(services[target]), f"{name} waits for {target} to be healthy: it has no check"
            if condition == "service_completed_successfully":
                assert services[target].get("restart") == "no", f"{target} is a one-shot: it must not restart"


def test_the_app_waits_for_the_migrations(services):
    for name, service in _app_services(services).items():
        if name in {"migrate", "gateway-upstreams"}:
            continue
        assert _depends_on(service).get("migrate") == "service_completed_successfully", name


def test_no_dependency_cycle(services):
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"dependency cycle: {' -> '.join((*path, name))}"
        if name in done:
            return
        for target in _depends_on(services[name]):
            visit(target, (*path, name))
        done.add(name)

    for name in services:
        visit(name, ())


def test_stateful_services_and_servers_have_health_checks(services):
    servers = [n for n, s in _app_services(services).items() if _command(s)[:1] in (["serve"], ["dashboard"])]
    sentinels = [name for name in services if name.startswith("redis-sentinel-")]
    for name in [*STATEFUL, *sentinels, *servers, "gateway"]:
        check = _healthcheck(services[name])
        assert check and check.get("test"), f"{name} has no health check"


def test_http_health_checks_use_liveness_on_the_served_port(services):
    for name, service in _app_services(services).items():
        command = _command(service)
        if command[:1] in (["serve"], ["dashboard"]):
            port = command[command.index("--port") + 1]
            assert f"127.0.0.1:{port}/liveness" in " ".join(_healthcheck(service)["test"]), name


def test_host_ports_do_not_collide_and_only_the_gateway_is_public(services):
    seen: dict[str, str] = {}
    for name, service in services.items():
        for address, port in _published(service):
            assert port not in seen, f"{name} and {seen.get(port)} both publish host port {port}"
            seen[port] = name
            if name != "gateway":
                assert address == "127.0.0.1", f"{name} publishes {port} beyond loopback"
    assert "80" in seen and seen["80"] == "gateway"


def test_named_volumes_are_declared_and_media_is_shared_by_the_backends(compose, services):
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for volume in _named_volumes(service):
            assert volume in declared, f"{name} uses an undeclared volume {volume}"
    backends = [n for n, s in _app_services(services).items() if _command(s)[:1] == ["serve"]]
    for name in backends:
        assert "media" in _named_volumes(services[name]), name
    assert "media" in _named_volumes(services["gateway"]) and "static" in _named_volumes(services["gateway"])
    assert "static" in _named_volumes(services["migrate"])


# -- Redis, PostgreSQL, Consul ---------------------------------------------------------------------------


def _start_redis(service: dict[str, Any], tmp_path: Path) -> str:
    """Run the service's start script as its container would (the image's entrypoint stubbed); return the config."""
    script = next(src for src, target in _bind_mounts(service) if target == service["entrypoint"][0])
    mounts = {target: ROOT / src for src, target in _bind_mounts(service)}
    template, conf, *extra = _command(service)
    stub = tmp_path / "bin" / "docker-entrypoint.sh"
    stub.parent.mkdir(exist_ok=True)
    stub.write_text('#!/bin/sh\necho "exec: $*"\n')
    stub.chmod(0o755)
    output = tmp_path / Path(conf).name
    output.unlink(missing_ok=True)
    env = {"PATH": f"{stub.parent}:{os.environ['PATH']}", **_environment(service)}
    result = subprocess.run(
        ["sh", str(ROOT / script), str(mounts[template]), str(output), *extra], env=env, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"exec: redis-server {output}" in result.stdout
    text = output.read_text()
    assert not PLACEHOLDER.search(text), "a placeholder left in the rendered configuration"
    return text


def test_sentinels_watch_the_master_with_quorum_2_and_down_after_5000(services, tmp_path):
    sentinels = [name for name in services if name.startswith("redis-sentinel-")]
    assert len(sentinels) == 3
    for name in sentinels:
        assert "./deploy/redis/sentinel.conf.template" in dict(_bind_mounts(services[name])), name  # the cluster's
        text = _start_redis(services[name], tmp_path)
        monitor = re.search(r"^sentinel monitor (\S+) (\S+) (\d+) (\d+)$", text, re.M)
        assert monitor, name
        master, host, port, quorum = monitor.groups()
        assert (host, port, quorum) == ("redis-master", "6379", "2")
        assert master == _environment(services["backend-1"])["REDIS_SENTINEL_MASTER"]
        assert re.search(rf"^sentinel down-after-milliseconds {master} 5000$", text, re.M)
        assert re.search(r"^sentinel resolve-hostnames yes$", text, re.M)  # container addresses change, names stay
        assert re.search(r"^port 26379$", text, re.M)


def test_redis_master_and_replica_use_the_cluster_template_with_aof(services, tmp_path):
    master = _start_redis(services["redis-master"], tmp_path)
    replica = _start_redis(services["redis-replica"], tmp_path)
    for text in (master, replica):
        assert re.search(r"^appendonly yes$", text, re.M) and re.search(r"^port 6379$", text, re.M)
    assert not re.search(r"^replicaof", master, re.M)
    assert re.search(r"^replicaof redis-master 6379$", replica, re.M)


def test_the_postgres_replica_streams_from_the_primary(services):
    primary, replica = services["postgres-primary"], services["postgres-replica"]
    for service in (primary, replica):  # the local cluster's settings (wal_level, hot_standby), not a copy
        command = _command(service)
        config = next(arg.split("=", 1)[1] for arg in command if arg.startswith("config_file="))
        source = next(src for src, target in _bind_mounts(service) if target == config)
        assert source == "./deploy/postgres/postgresql.conf"
        assert "wal_level = replica" in (ROOT / source).read_text()
        assert "listen_addresses=*" in command  # the cluster's file listens on loopback only
    init = [src for src, target in _bind_mounts(primary) if target.startswith("/docker-entrypoint-initdb.d/")]
    assert init and "REPLICATION" in (ROOT / init[0]).read_text()
    entrypoint = replica["entrypoint"][0]
    script = next(src for src, target in _bind_mounts(replica) if target == entrypoint)
    text = (ROOT / script).read_text()
    assert "pg_basebackup" in text and "--write-recovery-conf" in text
    env = _environment(replica)
    assert env["POSTGRES_PRIMARY_HOST"] == "postgres-primary"
    for variable in re.findall(r"\$\{?(POSTGRES_[A-Z_]+)", text + (ROOT / init[0]).read_text()):
        assert variable in env or variable == "POSTGRES_DB" and "POSTGRES_DB" in _environment(primary), variable


def test_consul_checks_reach_the_http_services_by_an_allowed_host(services):
    for name, service in _app_services(services).items():
        if _command(service)[:1] not in (["serve"], ["dashboard"]):
            continue
        env = _environment(service)
        # Consul's HTTP check asks http://ADDRESS:PORT/liveness: Django answers 400 to a Host it does not allow.
        assert env["CONSUL_SERVICE_ADDRESS"] == name, name
        assert name in env["ALLOWED_HOSTS"].split(","), name


def test_entrypoint_scripts_are_executable_and_parse(services):
    for name, service in services.items():
        for source, target in _bind_mounts(service):
            path = ROOT / source
            if path.suffix != ".sh":
                continue
            assert path.stat().st_mode & stat.S_IXUSR, f"{source} is not executable ({name} runs it)"
            assert subprocess.run(["sh", "-n", str(path)], check=False).returncode == 0, source
            assert target.startswith(("/docker-entrypoint", "/usr/local/bin/")), target


# -- the gateway: templates rendered by the nginx image, upstreams rewritten by consul-render ---------------


def _gateway_templates(services) -> dict[str, Path]:
    """Rendered name in the output dir -> template file in the repository (what the nginx image renders)."""
    found = {}
    for source, target in _bind_mounts(services["gateway"]):
        if target.startswith("/etc/nginx/templates/") and target.endswith(".template"):
            found[target.removeprefix("/etc/nginx/templates/").removesuffix(".template")] = ROOT / source
    return found


def _render_gateway(services) -> dict[str, str]:
    env = _environment(services["gateway"])
    from deploy.nginx.render import substitute

    return {name: substitute(path.read_text(), env, source=name) for name, path in _gateway_templates(services).items()}


def test_every_gateway_placeholder_has_a_value(services):
    env = _environment(services["gateway"])
    texts = [path.read_text() for path in _gateway_templates(services).values()]
    texts += [path.read_text() for path in (ROOT / "deploy" / "nginx" / "snippets").glob("*.conf")]
    needed = {name for text in texts for name in PLACEHOLDER.findall(text)}
    assert needed, "no placeholder found: the templates moved?"
    assert not needed - set(env), f"the gateway leaves these unrendered: {sorted(needed - set(env))}"
    # Only MUTIROES_* are substituted, so nginx's own $variables survive the image's envsubst.
    assert env["NGINX_ENVSUBST_FILTER"] == "MUTIROES_"


def test_the_gateway_renders_where_nginx_and_consul_render_look(services):
    gateway, renderer = services["gateway"], services["gateway-upstreams"]
    output_dir = _environment(gateway)["NGINX_ENVSUBST_OUTPUT_DIR"]
    command = gateway["command"]
    assert command[command.index("-c") + 1] == f"{output_dir}/nginx.conf"
    rendered = _render_gateway(services)
    assert {"nginx.conf", "mutiroes.conf", "upstreams.static.conf", "origins.conf"} <= set(rendered)
    assert "include upstreams.conf;" in rendered["mutiroes.conf"]  # written by consul-render or the hook script
    render = _command(renderer)
    assert render[render.index("--template") + 1] == f"{output_dir}/upstreams.static.conf"
    assert render[render.index("--output") + 1] == f"{output_dir}/upstreams.conf"
    shared = {
        target
        for volume in gateway["volumes"]
        for target in [volume.split(":")[1]]
        if volume.startswith("gateway-conf:")
    }
    assert shared == {output_dir}
    assert any(v.startswith(f"gateway-conf:{output_dir}") for v in renderer["volumes"])


def test_the_static_upstreams_name_every_backend_and_consul_render_can_rewrite_them(services):
    static = _render_gateway(services)["upstreams.static.conf"]
    backends = [n for n, s in _app_services(services).items() if _command(s)[:1] == ["serve"]]
    for name in backends:
        port = _command(services[name])[_command(services[name]).index("--port") + 1]
        assert f"server {name}:{port} " in static, name
    assert "server dashboard:5555;" in static

    mapping = services_for(static)  # upstream block name -> Consul service, found by consul-render itself
    assert sorted(mapping.values()) == ["mutiroes-api", "mutiroes-dashboard"]
    api = next(upstream for upstream, service in mapping.items() if service == "mutiroes-api")
    # Consul knows two of the three backends as passing: the third leaves the gateway's list.
    rendered = render_upstreams(static, {api: [Instance("backend-1", 8000), Instance("backend-3", 8000)]})
    block = rendered.split("upstream mutiroes_dashboard")[0]
    assert "server backend-1:8000 max_fails=3 fail_timeout=10s;" in block
    assert "server backend-3:8000 max_fails=3 fail_timeout=10s;" in block
    assert "backend-2" not in block and "least_conn;" in block and f"zone {api}" in block


# -- the image --------------------------------------------------------------------------------------------


def test_the_dockerfile_builds_one_non_root_image_with_the_mutiroes_entrypoint():
    text = DOCKERFILE.read_text()
    instructions = [line.split(None, 1) for line in text.splitlines() if line and not line.startswith((" ", "#"))]
    keywords = [parts[0] for parts in instructions]
    assert instructions[0] == ["FROM", "python:3.11-slim"] and keywords.count("FROM") == 1
    user = [parts[1] for parts in instructions if parts[0] == "USER"]
    assert user and user[-1] not in {"root", "0"}
    assert re.search(r"pip install [^\n]*\.(\s|$)", text)
    assert ["ENTRYPOINT", '["mutiroes"]'] in instructions
    assert "HEALTHCHECK" in keywords and "/liveness" in text
    ignore = (DOCKERFILE.parent / "Dockerfile.dockerignore").read_text().splitlines()
    assert "*" in ignore and {"!pyproject.toml", "!src/", "!README.md"} <= set(ignore)  # .venv, var/ stay out


def test_the_dockerfile_uid_is_the_one_the_gateway_hook_hands_the_directory_to():
    uid = re.search(r"useradd [^\n]*--uid (\d+)", DOCKERFILE.read_text())
    hook = (ROOT / "deploy" / "docker" / "gateway" / "40-mutiroes-upstreams.sh").read_text()
    assert uid and f"chown {uid.group(1)} " in hook


# -- a compose implementation's own validation, where one is installed -------------------------------------


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


@pytest.mark.slow
def test_docker_compose_config_accepts_the_file():
    command = _compose_command()
    if command is None:
        pytest.skip(
            "neither `docker compose` (plugin) nor `docker-compose` is installed: schema check by compose skipped"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
    result = subprocess.run(
        [*command, "-f", str(COMPOSE), "config", "--quiet"], cwd=ROOT, capture_output=True, text=True, env=env,
        check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_the_gateway_layout_passes_nginx_t(services, tmp_path):
    """The files where the nginx image puts them (templates rendered, snippets mounted, upstreams.conf copied from
    the static list by the hook script) form a configuration nginx accepts. Host names and paths are swapped for
    this machine's (compose's service names do not resolve here); the layout and the includes are what is tested.
    """
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed: `nginx -t` of the compose gateway layout skipped")
    from deploy.nginx.render import substitute

    env = _environment(services["gateway"])
    output_dir = Path(env["NGINX_ENVSUBST_OUTPUT_DIR"])
    local = tmp_path / "etc-nginx-mutiroes"
    for name in ("static", "media", "cache", "temp", "logs"):
        (tmp_path / name).mkdir()
    env = {key: value.replace("$$", "$") for key, value in env.items()}  # compose's escape for a literal $
    env |= {
        "MUTIROES_BACKEND_SERVERS": "    server 127.0.0.1:18001 max_fails=3 fail_timeout=10s;",
        "MUTIROES_WEB_SERVERS": "    server 127.0.0.1:13001 max_fails=3 fail_timeout=10s;",
        "MUTIROES_DASHBOARD_ADDRESS": "127.0.0.1:15555",
        "MUTIROES_GATEWAY_LISTEN": "127.0.0.1:18080",
        "MUTIROES_STATIC_ROOT": str(tmp_path / "static"),
        "MUTIROES_MEDIA_ROOT": str(tmp_path / "media"),
        "MUTIROES_CACHE_DIR": str(tmp_path / "cache"),
        "MUTIROES_NGINX_TEMP_DIR": str(tmp_path / "temp"),
        "MUTIROES_NGINX_LOG_DIR": str(tmp_path / "logs"),
    }
    for name, path in _gateway_templates(services).items():
        (local / name).parent.mkdir(parents=True, exist_ok=True)
        (local / name).write_text(substitute(path.read_text(), env, source=name))
    for source, target in _bind_mounts(services["gateway"]):
        if target.startswith(f"{output_dir}/"):  # mounted into the rendered directory (the snippets)
            shutil.copytree(ROOT / source, local / Path(target).relative_to(output_dir))
    shutil.copyfile(local / "upstreams.static.conf", local / "upstreams.conf")  # what the hook script does

    result = subprocess.run(
        [nginx, "-t", "-q", "-p", str(local), "-c", str(local / "nginx.conf"), "-e", str(tmp_path / "logs" / "e.log"),
         "-g", f"pid {tmp_path}/nginx.pid;"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


# -- observability: traces and logs --------------------------------------------------------------------


def _yaml_file(service: dict[str, Any], target_suffix: str) -> dict[str, Any]:
    [source] = [source for source, target in _bind_mounts(service) if target.endswith(target_suffix)]
    return yaml.safe_load((ROOT / source).read_text())


def _host_port(url: str) -> tuple[str, int]:
    host, _, port = url.split("://")[-1].split("/")[0].rpartition(":")
    return host, int(port)


def test_the_apps_spans_reach_jaeger_through_the_collector(services):
    collector = _yaml_file(services["otel-collector"], "collector.yaml")
    pipeline = collector["service"]["pipelines"]["traces"]
    for name, service in _app_services(services).items():
        host, port = _host_port(_environment(service)["OTEL_EXPORTER_OTLP_ENDPOINT"])
        assert host == "otel-collector", f"{name} exports its spans to {host}"
        assert port == _host_port(collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"])[1]
    assert "otlp" in pipeline["receivers"]
    for step in ("receivers", "processors", "exporters"):
        assert set(pipeline[step]) <= set(collector[step]), f"the traces pipeline names an undefined {step[:-1]}"
    assert pipeline["processors"][0] == "memory_limiter", "memory_limiter must come first"
    [exporter] = [collector["exporters"][name] for name in pipeline["exporters"]]
    host, port = _host_port(exporter["endpoint"])
    assert services[host]["image"].startswith("jaegertracing/") and port == 4317
    assert _environment(services[host]).get("COLLECTOR_OTLP_ENABLED") == "true"
    assert ("127.0.0.1", "16686") in _published(services["jaeger"])


def test_every_mutiroes_container_logs_to_the_pipeline_and_the_pipeline_to_loki(services):
    vector = _yaml_file(services["vector"], "vector.yaml")
    [fluent] = [source for source in vector["sources"].values() if source["type"] == "fluent"]
    published = {port for _, port in _published(services["vector"])}
    for name, service in services.items():
        if _is_app(service) or name == "gateway" or name.startswith("web-"):
            logging = service.get("logging") or {}
            assert logging.get("driver") == "fluentd", f"{name} does not log to the pipeline"
            host, port = _host_port(logging["options"]["fluentd-address"])
            assert (host, str(port)) == ("127.0.0.1", fluent["address"].rpartition(":")[2])
            assert str(port) in published and logging["options"]["fluentd-async"] == "true", name
    steps = {**vector["sources"], **vector["transforms"], **vector["sinks"]}
    for name, step in {**vector["transforms"], **vector["sinks"]}.items():
        assert set(step["inputs"]) <= set(steps), f"vector: {name} reads an undefined input"
    assert "parse_json" in vector["transforms"]["parsed"]["source"]
    [loki] = [sink for sink in vector["sinks"].values() if sink["type"] == "loki"]
    host, port = _host_port(loki["endpoint"])
    assert services[host]["image"].startswith("grafana/loki") and port == 3100
    # Labels with few values only: a label per request or trace would make one stream per request.
    assert set(loki["labels"]) <= {"service", "level"}


def test_no_app_container_waits_for_the_observability_services(services):
    for name, service in _app_services(services).items():
        assert not set(_depends_on(service)) & {"otel-collector", "jaeger", "vector", "loki"}, name
