"""The local cluster: the whole Mutirões topology as real processes on loopback ports, under supervisord.

    mutiroes cluster up [--port-base 18000] [--api-workers N]   (mutiroes cluster --data DIR up: another directory)
    mutiroes cluster status [--json]
    mutiroes cluster ctl stop api-2        # any supervisorctl command (fault injection)
    mutiroes cluster down [--purge]

(`python deploy/cluster/cluster.py …` is the same thing.)
Standard library only; the servers come from Debian packages (postgresql-15, redis-server, nginx, supervisor)
and the application from this Python (the project's virtualenv). deploy/cluster/README.md has the layout.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from deploy.nginx import render as nginx  # noqa: E402

DEPLOY = ROOT / "deploy"
# A clone keeps its cluster in var/cluster; an installed package (deploy/ under share/mutiroes) in ./var/cluster.
DEFAULT_DATA = (ROOT if (ROOT / "pyproject.toml").exists() else Path.cwd()) / "var" / "cluster"
HOST = "127.0.0.1"
SENTINEL_MASTER = "mymaster"
DATABASE = "mutiroes"
PG_OS_USER = "postgres"
# Port = base + offset. Everything binds 127.0.0.1 only.
OFFSETS = {
    "gateway": 0, "api-1": 1, "api-2": 2, "api-3": 3, "dashboard": 5, "web-1": 6, "web-2": 7, "gateway-internal": 8,
    "postgres-primary": 10, "postgres-replica": 11,
    "redis-master": 20, "redis-replica": 21, "sentinel-1": 26, "sentinel-2": 27, "sentinel-3": 28,
    "prometheus": 30, "worker-1": 31, "worker-2": 32, "scheduler": 33, "exporter": 34,
}  # fmt: skip
APP_PROGRAMS = ["api-1", "api-2", "api-3", "worker-1", "worker-2", "scheduler", "dashboard", "exporter"]
WEB_PROGRAMS = ["web-1", "web-2"]
WEB_SERVER = ROOT / "web" / ".next" / "standalone" / "server.js"
# Prometheus scrapes each of these on its port: (job, program) and the path.
SCRAPED = [("api", "api-1"), ("api", "api-2"), ("api", "api-3"), ("dashboard", "dashboard"),
           ("worker", "worker-1"), ("worker", "worker-2"), ("scheduler", "scheduler"), ("exporter", "exporter"),
           ("prometheus", "prometheus")]  # fmt: skip
SCRAPE_INTERVAL_S = 5
STOP_PHASES = [
    ["prometheus", "nginx"], WEB_PROGRAMS + APP_PROGRAMS, ["sentinel-1", "sentinel-2", "sentinel-3"],
    ["redis-replica", "redis-master"], ["postgres-replica"], ["postgres-primary"],
]  # fmt: skip


# -- configuration -----------------------------------------------------------------------------------


@dataclass
class Cluster:
    data: Path
    port_base: int
    api_workers: int
    python: str
    gateway_limits: bool = True  # False: the gateway without per-address limits (benchmarks)

    @classmethod
    def load(cls, data: Path) -> Cluster:
        saved = json.loads((data / "cluster.json").read_text())
        return cls(data=Path(saved["data"]), port_base=saved["port_base"], api_workers=saved["api_workers"],
                   python=saved["python"], gateway_limits=saved.get("gateway_limits", True))  # fmt: skip

    def save(self) -> None:
        (self.data / "cluster.json").write_text(json.dumps({**asdict(self), "data": str(self.data)}, indent=2))

    def port(self, name: str) -> int:
        return self.port_base + OFFSETS[name]

    @property
    def supervisor_conf(self) -> Path:
        return self.data / "supervisord.conf"

    @property
    def pg_bin(self) -> Path:
        return _pg_bin()

    def database_url(self, port_name: str = "postgres-primary") -> str:
        return f"postgres://postgres@{HOST}:{self.port(port_name)}/{DATABASE}"

    def gateway_url(self) -> str:
        return f"http://{HOST}:{self.port('gateway')}"

    def secret(self, name: str) -> str:
        """A random value made once per cluster and kept in its data directory (SECRET_KEY, HEALTH_TOKEN)."""
        path = self.data / name
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def app_env(self) -> dict[str, str]:
        """deploy/env/example.env's variables for this cluster (distributed mode, Sentinel-aware Redis)."""
        sentinels = ",".join(f"{HOST}:{self.port(f'sentinel-{i}')}" for i in (1, 2, 3))
        return {
            "MUTIROES_MODE": "distributed",
            "SECRET_KEY": self.secret("secret_key"),
            "HEALTH_TOKEN": self.secret("health_token"),
            "MUTIROES_DATA_DIR": str(self.data / "app"),
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "CSRF_TRUSTED_ORIGINS": self.gateway_url(),
            "NINJA_NUM_PROXIES": "1",
            "DATABASE_URL": self.database_url(),
            "DATABASE_REPLICA_URL": self.database_url("postgres-replica"),
            "REDIS_URL": f"redis://{HOST}:{self.port('redis-master')}/0",
            "REDIS_SENTINELS": sentinels,
            "REDIS_SENTINEL_MASTER": SENTINEL_MASTER,
            "STATIC_ROOT": str(self.data / "static"),
            "MEDIA_ROOT": str(self.data / "media"),
            # No SMTP server in the topology: e-mails are written as files under app/emails.
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMBEDDED_WORKER": "false",
            "EMBEDDED_SCHEDULER": "false",
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "mutiroes.config.settings",
        }

    def gateway_config(self) -> nginx.GatewayConfig:
        return nginx.GatewayConfig(
            listen=f"{HOST}:{self.port('gateway')}",
            backends=[f"{HOST}:{self.port(f'api-{i}')}" for i in (1, 2, 3)],
            web=[f"{HOST}:{self.port(name)}" for name in web_programs()],
            internal_listen=f"{HOST}:{self.port('gateway-internal')}",
            dashboard=f"{HOST}:{self.port('dashboard')}",
            static_root=self.data / "static",
            media_root=self.data / "media",
            runtime_dir=self.data / "nginx" / "run",
            limits=self.gateway_limits,
        )


# -- small helpers -----------------------------------------------------------------------------------


def default_api_workers(replicas: int = 3) -> int:
    """`mutiroes serve`'s rule (mutiroes.cli.default_workers) for three replicas sharing this machine's cores."""
    cores = len(os.sched_getaffinity(0))
    return max(2, -(-(2 * cores + 1) // replicas))


def prometheus_binary() -> str | None:
    """Debian's `prometheus` package; the cluster runs without it (and says so)."""
    return shutil.which("prometheus")


def web_programs() -> list[str]:
    """The two web replicas, once the web app is built (npm --prefix web run build) and node is installed."""
    return WEB_PROGRAMS if WEB_SERVER.exists() and shutil.which("node") else []


def _pg_bin() -> Path:
    for candidate in [
        Path("/usr/lib/postgresql/15/bin"),
        *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True),
    ]:
        if (candidate / "postgres").exists():
            return candidate
    found = shutil.which("postgres")
    if found:
        return Path(found).parent
    raise SystemExit("PostgreSQL server binaries not found: apt-get install postgresql-15")


def _which(name: str, hint: str) -> str:
    local = Path(sys.executable).parent / name  # supervisord from PyPI in the virtualenv also works
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: {hint}")
    return found


def _is_root() -> bool:
    return os.geteuid() == 0


def _as_pg(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", PG_OS_USER, "--", *cmd] if _is_root() else cmd


def _chown_pg(path: Path) -> None:
    if _is_root():
        owner = pwd.getpwnam(PG_OS_USER)
        os.chown(path, owner.pw_uid, owner.pw_gid)


def _run(cmd: list[str], *, what: str, env: dict[str, str] | None = None, timeout_s: float = 300) -> str:
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout_s, check=False)  # noqa: S603
    if result.returncode != 0:
        raise SystemExit(f"{what} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.3):
            return True
    except OSError:
        return False


def _wait(check: Callable[[], bool], *, what: str, timeout_s: float = 60) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout_s:
            raise SystemExit(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.2)
    return time.monotonic() - started


def _redis(port: int, *args: str) -> str:
    cmd = [_which("redis-cli", "apt-get install redis-tools"), "-h", HOST, "-p", str(port), *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=5, check=False)  # noqa: S603
    return result.stdout.strip() if result.returncode == 0 else ""


def _psql(cluster: Cluster, port_name: str, sql: str, database: str = "postgres") -> str:
    port = str(cluster.port(port_name))
    cmd = [str(cluster.pg_bin / "psql"), "-h", HOST, "-p", port, "-U", "postgres", "-d", database, "-Atc", sql]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)  # noqa: S603
    return result.stdout.strip() if result.returncode == 0 else f"error: {result.stderr.strip()}"


def _http(url: str, timeout_s: float = 3, token: str = "", limit: int | None = 2000) -> tuple[int | None, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - our own loopback URLs
            return response.status, response.read(limit).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(limit).decode(errors="replace")
    except OSError as exc:
        return None, str(exc)


def _supervisor_value(value: str) -> str:
    return value.replace("%", "%%")


# -- supervisord -------------------------------------------------------------------------------------


def _supervisord_running(cluster: Cluster) -> bool:
    pid_file = cluster.data / "supervisord.pid"
    try:
        os.kill(int(pid_file.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return (cluster.data / "supervisor.sock").exists()


def ctl(cluster: Cluster, *args: str, check: bool = True) -> str:
    cmd = [_which("supervisorctl", "apt-get install supervisor"), "-c", str(cluster.supervisor_conf), *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    if check and result.returncode != 0:
        raise SystemExit(f"supervisorctl {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def _render_supervisor(cluster: Cluster) -> None:
    redis_server = _which("redis-server", "apt-get install redis-server")
    sentinel = shutil.which("redis-sentinel")
    gateway = cluster.gateway_config()
    conf = nginx.render(gateway, cluster.data / "nginx" / "conf")
    env = ",".join(f'{key}="{_supervisor_value(value)}"' for key, value in cluster.app_env().items())
    values = {
        "MUTIROES_DATA": str(cluster.data),
        "MUTIROES_SUPERVISOR_USER": pwd.getpwuid(os.geteuid()).pw_name,
        "MUTIROES_APP_ENVIRONMENT": env,
        "MUTIROES_PG_BIN": str(cluster.pg_bin),
        "MUTIROES_PG_USER": PG_OS_USER if _is_root() else pwd.getpwuid(os.geteuid()).pw_name,
        "MUTIROES_PG_PRIMARY_PORT": str(cluster.port("postgres-primary")),
        "MUTIROES_PG_REPLICA_PORT": str(cluster.port("postgres-replica")),
        "MUTIROES_REDIS_SERVER": redis_server,
        "MUTIROES_PYTHON": cluster.python,
        "MUTIROES_API_WORKERS": str(cluster.api_workers),
        "MUTIROES_DASHBOARD_PORT": str(cluster.port("dashboard")),
        "MUTIROES_NGINX_COMMAND": _supervisor_value(shlex.join(nginx.command(conf, gateway))),
        "MUTIROES_NODE": shutil.which("node") or "node",
        "MUTIROES_WEB_SERVER": str(WEB_SERVER),
        "MUTIROES_WEB_API_URL": f"http://{HOST}:{cluster.port('gateway-internal')}",
        "MUTIROES_WEB_1_PORT": str(cluster.port("web-1")),
        "MUTIROES_WEB_2_PORT": str(cluster.port("web-2")),
        "MUTIROES_WORKER_1_METRICS_PORT": str(cluster.port("worker-1")),
        "MUTIROES_WORKER_2_METRICS_PORT": str(cluster.port("worker-2")),
        "MUTIROES_SCHEDULER_METRICS_PORT": str(cluster.port("scheduler")),
        "MUTIROES_EXPORTER_PORT": str(cluster.port("exporter")),
        "MUTIROES_NGINX_STATUS_URL": f"{cluster.gateway_url()}/nginx_status",
        "MUTIROES_PROMETHEUS_COMMAND": _supervisor_value(shlex.join(_prometheus_command(cluster))),
    }
    for i in (1, 2, 3):
        values[f"MUTIROES_API_{i}_PORT"] = str(cluster.port(f"api-{i}"))
        config = cluster.data / "sentinel" / str(i) / "sentinel.conf"
        values[f"MUTIROES_SENTINEL_COMMAND_{i}"] = (
            f"{sentinel} {config}" if sentinel else f"{redis_server} {config} --sentinel"
        )
    text = nginx.substitute(
        (DEPLOY / "supervisor" / "supervisord.conf.template").read_text(), values, source="supervisord"
    )
    cluster.supervisor_conf.write_text(text)


def _prometheus_command(cluster: Cluster) -> list[str]:
    return [prometheus_binary() or "prometheus", f"--config.file={cluster.data / 'prometheus' / 'prometheus.yml'}",
            f"--storage.tsdb.path={cluster.data / 'prometheus' / 'data'}", "--storage.tsdb.retention.time=2d",
            f"--web.listen-address={HOST}:{cluster.port('prometheus')}"]  # fmt: skip


def metrics_url(cluster: Cluster, program: str) -> str:
    return f"http://{HOST}:{cluster.port(program)}/metrics"


def _render_prometheus(cluster: Cluster) -> None:
    """Prometheus's configuration: every process of the cluster, every 5 s, and the platform's alert rules."""
    directory = cluster.data / "prometheus"
    directory.mkdir(exist_ok=True)
    shutil.copyfile(DEPLOY / "prometheus" / "alerts.yml", directory / "alerts.yml")
    jobs: dict[str, list[dict]] = {}
    for job, program in SCRAPED:
        target = {"targets": [f"{HOST}:{cluster.port(program)}"], "labels": {"instance_name": program}}
        jobs.setdefault(job, []).append(target)
    config = {
        "global": {"scrape_interval": f"{SCRAPE_INTERVAL_S}s", "evaluation_interval": f"{SCRAPE_INTERVAL_S}s",
                   "scrape_timeout": f"{SCRAPE_INTERVAL_S - 1}s"},
        "rule_files": ["alerts.yml"],
        "scrape_configs": [{"job_name": job, "static_configs": targets} for job, targets in jobs.items()],
    }  # fmt: skip
    # JSON is YAML: no YAML library needed here.
    (directory / "prometheus.yml").write_text(json.dumps(config, indent=2))


def prometheus_url(cluster: Cluster) -> str | None:
    return f"http://{HOST}:{cluster.port('prometheus')}" if prometheus_binary() else None


def _render_redis(cluster: Cluster) -> None:
    """Written only when absent: Sentinel rewrites these files after a failover, and that must survive an `up`."""
    master_port = cluster.port("redis-master")
    for name in ("master", "replica"):
        directory = cluster.data / "redis" / name
        directory.mkdir(parents=True, exist_ok=True)
        conf = directory / "redis.conf"
        if not conf.exists():
            replicaof = f"replicaof {HOST} {master_port}" if name == "replica" else ""
            conf.write_text(nginx.substitute((DEPLOY / "redis" / "redis.conf.template").read_text(), {
                "MUTIROES_REDIS_PORT": str(cluster.port(f"redis-{name}")), "MUTIROES_REDIS_BIND": HOST,
                "MUTIROES_REDIS_DIR": str(directory), "MUTIROES_REDIS_REPLICAOF": replicaof,
            }))  # fmt: skip
    for i in (1, 2, 3):
        directory = cluster.data / "sentinel" / str(i)
        directory.mkdir(parents=True, exist_ok=True)
        conf = directory / "sentinel.conf"
        if not conf.exists():
            conf.write_text(nginx.substitute((DEPLOY / "redis" / "sentinel.conf.template").read_text(), {
                "MUTIROES_SENTINEL_PORT": str(cluster.port(f"sentinel-{i}")), "MUTIROES_REDIS_BIND": HOST,
                "MUTIROES_SENTINEL_DIR": str(directory), "MUTIROES_SENTINEL_MASTER_NAME": SENTINEL_MASTER,
                "MUTIROES_REDIS_MASTER_HOST": HOST, "MUTIROES_REDIS_MASTER_PORT": str(master_port),
            }))  # fmt: skip


def _init_primary(cluster: Cluster) -> None:
    pg = cluster.data / "pg"
    primary = pg / "primary"
    if (primary / "PG_VERSION").exists():
        return
    for directory in (pg, pg / "sock"):
        directory.mkdir(parents=True, exist_ok=True)
        _chown_pg(directory)
    initdb = [str(cluster.pg_bin / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    result = subprocess.run(_as_pg([*initdb, "--locale=C.UTF-8"]), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        shutil.rmtree(primary, ignore_errors=True)
        _run(_as_pg([*initdb, "--locale=C"]), what="initdb")
    shutil.copyfile(DEPLOY / "postgres" / "postgresql.conf", primary / "mutiroes.conf")
    shutil.copyfile(DEPLOY / "postgres" / "pg_hba.conf", primary / "pg_hba.conf")
    with (primary / "postgresql.conf").open("a") as conf:
        conf.write("\ninclude 'mutiroes.conf'\n")
    for path in (primary / "mutiroes.conf", primary / "pg_hba.conf"):
        _chown_pg(path)


def _init_replica(cluster: Cluster) -> None:
    replica = cluster.data / "pg" / "replica"
    if (replica / "PG_VERSION").exists():
        return
    shutil.rmtree(replica, ignore_errors=True)
    # -R writes primary_conninfo and standby.signal: the copy starts as a streaming standby.
    _run(_as_pg([str(cluster.pg_bin / "pg_basebackup"), "-h", HOST, "-p", str(cluster.port("postgres-primary")),
                 "-U", "postgres", "-D", str(replica), "-R", "-X", "stream", "-c", "fast"]),
         what="pg_basebackup")  # fmt: skip
    auto = replica / "postgresql.auto.conf"
    # pg_basebackup -R names no application; the primary's pg_stat_replication then shows "replica".
    text = auto.read_text().replace("primary_conninfo = '", "primary_conninfo = 'application_name=replica ", 1)
    auto.write_text(text)


def _pg_ready(cluster: Cluster, name: str) -> bool:
    cmd = [str(cluster.pg_bin / "pg_isready"), "-q", "-h", HOST, "-p", str(cluster.port(name))]
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0  # noqa: S603


# -- commands ----------------------------------------------------------------------------------------


def up(args: argparse.Namespace) -> int:
    data = args.data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o755)  # the postgres user and nginx's workers (nobody) must reach their files below it
    if (data / "cluster.json").exists():
        # The ports are written into Redis's and Sentinel's own files: a data directory keeps its port base.
        cluster = Cluster.load(data)
        if args.port_base not in (None, cluster.port_base):
            raise SystemExit(f"{data} was made with --port-base {cluster.port_base}; `down --purge` to change it")
        cluster.api_workers, cluster.python = args.api_workers, args.python
        cluster.gateway_limits = args.gateway_limits == "on"
    else:
        cluster = Cluster(
            data=data,
            port_base=args.port_base or 18000,
            api_workers=args.api_workers,
            python=args.python,
            gateway_limits=args.gateway_limits == "on",
        )
    for binary, hint in (("nginx", "apt-get install nginx"), ("redis-server", "apt-get install redis-server"),
                         ("supervisord", "apt-get install supervisor (or pip install supervisor)"),
                         ("redis-cli", "apt-get install redis-tools")):  # fmt: skip
        _which(binary, hint)
    timings: dict[str, float] = {}
    started = time.monotonic()
    for directory in ("logs", "app", "static", "media"):
        (data / directory).mkdir(exist_ok=True)
    (data / "media").chmod(0o755)
    if not _supervisord_running(cluster):
        busy = [f"{name}={cluster.port(name)}" for name in OFFSETS if _port_open(cluster.port(name))]
        if busy:
            raise SystemExit(f"ports already in use: {', '.join(busy)} (choose another --port-base)")
        cluster.save()
        _init_primary(cluster)
        _render_redis(cluster)
        _render_prometheus(cluster)
        _render_supervisor(cluster)
        _run([_which("supervisord", "apt-get install supervisor"), "-c", str(cluster.supervisor_conf)],
             what="supervisord")  # fmt: skip
        _wait(lambda: _supervisord_running(cluster), what="supervisord", timeout_s=20)

    ctl(cluster, "start", "postgres-primary")
    timings["postgres primary"] = _wait(lambda: _pg_ready(cluster, "postgres-primary"), what="PostgreSQL primary")
    if not (data / "pg" / "replica" / "PG_VERSION").exists():
        t = time.monotonic()
        _init_replica(cluster)
        timings["pg_basebackup"] = time.monotonic() - t
    ctl(cluster, "start", "postgres-replica")
    timings["postgres replica"] = _wait(lambda: _pg_ready(cluster, "postgres-replica"), what="PostgreSQL replica")

    ctl(cluster, "start", "redis-master", "redis-replica")
    for name in ("redis-master", "redis-replica"):
        _wait(lambda n=name: _redis(cluster.port(n), "PING") == "PONG", what=name)
    ctl(cluster, "start", "sentinel-1", "sentinel-2", "sentinel-3")
    for i in (1, 2, 3):
        port = cluster.port(f"sentinel-{i}")
        _wait(
            lambda p=port: bool(_redis(p, "SENTINEL", "get-master-addr-by-name", SENTINEL_MASTER)), what=f"sentinel {i}"
        )

    if DATABASE not in _psql(cluster, "postgres-primary", "SELECT datname FROM pg_database").split():
        _psql(cluster, "postgres-primary", f"CREATE DATABASE {DATABASE}")
    env = {**os.environ, **cluster.app_env()}
    t = time.monotonic()
    _run([cluster.python, "-m", "mutiroes", "migrate", "--noinput", "-v", "0"], what="migrate", env=env)
    _run([cluster.python, "-m", "mutiroes", "collectstatic", "--noinput", "-v", "0"], what="collectstatic", env=env)
    timings["migrate + collectstatic"] = time.monotonic() - t

    # One supervisorctl per program: a single `start a b c` waits out each one's startsecs in turn.
    with ThreadPoolExecutor(max_workers=len(APP_PROGRAMS) + len(WEB_PROGRAMS)) as pool:
        list(pool.map(lambda program: ctl(cluster, "start", program), APP_PROGRAMS + web_programs()))
    for i in (1, 2, 3):
        port = cluster.port(f"api-{i}")
        _wait(lambda p=port: _http(f"http://{HOST}:{p}/liveness")[0] == 200, what=f"api-{i} /liveness", timeout_s=90)
    ctl(cluster, "start", "nginx")
    _wait(lambda: _http(f"{cluster.gateway_url()}/gateway/health")[0] == 200, what="the gateway")
    if prometheus_binary():
        ctl(cluster, "start", "prometheus")
        _wait(lambda: _http(f"{prometheus_url(cluster)}/-/ready")[0] == 200, what="Prometheus", timeout_s=60)
    timings["total"] = time.monotonic() - started
    print(
        f"cluster up in {timings['total']:.1f} s ("
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items() if k != "total")
        + ")"
    )
    print(status_text(cluster))
    return 0


LAG_SQL = (
    "SELECT application_name || '|' || state || '|' || coalesce(extract(epoch FROM replay_lag)::text, '0') "
    "FROM pg_stat_replication"
)


def _role(program: str) -> str:
    for prefix in ("api", "worker", "web", "sentinel"):
        if program.startswith(f"{prefix}-"):
            return prefix
    return program


def processes(cluster: Cluster) -> list[dict]:
    """Each supervisord program: role, state, pid, its port (a worker's or the scheduler's: metrics) and metrics URL."""
    scraped = {program for _, program in SCRAPED}
    found = []
    for line in ctl(cluster, "status", check=False).splitlines():
        name, state, *rest = line.split(None, 2) + [""]
        pid = next((int(word.rstrip(",")) for word in rest[0].split()[1:2] if word.rstrip(",").isdigit()), None)
        found.append({
            "name": name, "role": _role(name), "state": state, "pid": pid if state == "RUNNING" else None,
            "port": cluster.port(name) if name in OFFSETS else None,
            "metrics_url": metrics_url(cluster, name) if name in scraped else None,
        })  # fmt: skip
    return found


def prometheus_targets(cluster: Cluster) -> list[dict] | None:
    """Prometheus's own view of its targets (None when it is not installed or not answering)."""
    url = prometheus_url(cluster)
    if url is None:
        return None
    code, body = _http(f"{url}/api/v1/targets?state=active", timeout_s=3, limit=None)
    if code != 200:
        return None
    return [
        {"job": t["labels"].get("job"), "instance_name": t["labels"].get("instance_name"), "health": t["health"],
         "last_error": t.get("lastError", "")}
        for t in json.loads(body)["data"]["activeTargets"]
    ]  # fmt: skip


def status_data(cluster: Cluster) -> dict:
    masters = {}
    for i in (1, 2, 3):
        reply = _redis(cluster.port(f"sentinel-{i}"), "SENTINEL", "get-master-addr-by-name", SENTINEL_MASTER)
        masters[f"sentinel-{i}"] = ":".join(reply.split()) or None
    replication = []
    for row in filter(None, _psql(cluster, "postgres-primary", LAG_SQL).splitlines()):
        if row.startswith("error:"):
            break
        name, state, lag = row.split("|")
        replication.append({"standby": name, "state": state, "replay_lag_s": float(lag)})
    return {
        "data": str(cluster.data),
        "gateway_url": f"{cluster.gateway_url()}/",
        "prometheus_url": prometheus_url(cluster),
        "processes": processes(cluster),
        "redis_master_by_sentinel": masters,
        "replication": replication,
        "prometheus_targets": prometheus_targets(cluster),
    }


def status_text(cluster: Cluster) -> str:
    consul = "a consul binary is on PATH, not started by the cluster" if shutil.which("consul") else "no consul binary"
    data = status_data(cluster)
    lines = [
        f"data: {cluster.data}   gateway: {data['gateway_url']}",
        f"discovery: static upstream list ({consul} here)",
        "",
    ]
    for proc in data["processes"]:
        where = f":{proc['port']}" if proc["port"] else ""
        lines.append(f"{proc['name']:<18} {proc['state']:<9} pid {proc['pid'] or '-':<8} {where:<7} "
                     f"{proc['metrics_url'] or ''}".rstrip())  # fmt: skip
    lines.append("")
    code, body = _http(f"{cluster.gateway_url()}/gateway/health")
    lines.append(f"gateway /gateway/health: {code} {body.strip()[:80]}")
    for i in (1, 2, 3):
        port = cluster.port(f"api-{i}")
        lines.append(f"api-{i} :{port} /liveness: {_http(f'http://{HOST}:{port}/liveness')[0]}")
    code, body = _http(f"{cluster.gateway_url()}/health", token=cluster.secret("health_token"))
    try:
        health = json.loads(body)
        checks = ", ".join(f"{name}={check.get('status')}" for name, check in health.get("checks", {}).items())
        lines.append(f"/health via the gateway: {code} {health.get('status')} ({health.get('instance')}; {checks})")
    except (ValueError, AttributeError):
        lines.append(f"/health via the gateway: {code} {body[:120]}")
    sentinel = cluster.port("sentinel-1")
    quorum = _redis(sentinel, "SENTINEL", "ckquorum", SENTINEL_MASTER) or "?"
    masters = ", ".join(f"{name}: {master or '?'}" for name, master in data["redis_master_by_sentinel"].items())
    lines.append(f"redis master by sentinel: {masters}; sentinel-1: {quorum}")
    replication = "; ".join(
        f"{r['standby']} {r['state']} replay_lag={r['replay_lag_s']:.3f}s" for r in data["replication"]
    )
    lines.append(f"postgres streaming replication: {replication or 'no standby connected'}")
    in_recovery = _psql(cluster, "postgres-replica", "SELECT pg_is_in_recovery()")
    lines.append(f"postgres replica in recovery (read-only standby): {in_recovery}")
    targets = data["prometheus_targets"]
    if data["prometheus_url"] is None:
        lines.append("prometheus: not installed (apt-get install prometheus)")
    elif targets is None:
        lines.append(f"prometheus {data['prometheus_url']}: not answering")
    else:
        down = [f"{t['instance_name']} ({t['last_error']})" for t in targets if t["health"] != "up"]
        up = len(targets) - len(down)
        lines.append(f"prometheus {data['prometheus_url']}: {up}/{len(targets)} targets up"
                     + (f"; down: {', '.join(down)}" if down else ""))  # fmt: skip
    return "\n".join(lines)


def status(args: argparse.Namespace) -> int:
    cluster = _existing(args)
    if not _supervisord_running(cluster):
        print(json.dumps({"data": str(cluster.data), "running": False}) if args.json else
              f"not running (data in {cluster.data})")  # fmt: skip
        return 3
    print(json.dumps({"running": True, **status_data(cluster)}, indent=2) if args.json else status_text(cluster))
    return 0


def down(args: argparse.Namespace) -> int:
    cluster = _existing(args)
    if _supervisord_running(cluster):
        pid = int((cluster.data / "supervisord.pid").read_text().strip())
        # In phases (`stop all` does not wait for one priority before the next): the gateway, then what uses
        # the databases, then the databases, the replica before its primary.
        for phase in STOP_PHASES:
            with ThreadPoolExecutor(max_workers=len(phase)) as pool:
                list(pool.map(lambda program: ctl(cluster, "stop", program, check=False), phase))
        ctl(cluster, "shutdown", check=False)
        _wait(lambda: not _alive(pid), what="supervisord to exit", timeout_s=120)
        print("cluster stopped")
    else:
        print("cluster was not running")
    if args.purge:
        shutil.rmtree(cluster.data)
        print(f"removed {cluster.data}")
    return 0


def ctl_command(args: argparse.Namespace) -> int:
    cluster = _existing(args)
    sys.stdout.write(ctl(cluster, *args.args, check=False))
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _existing(args: argparse.Namespace) -> Cluster:
    data = args.data.resolve()
    if not (data / "cluster.json").exists():
        raise SystemExit(f"no cluster in {data} (run `up` first)")
    return Cluster.load(data)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=prog, description="The Mutirões local cluster (real processes under supervisord)."
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"data directory (default {DEFAULT_DATA})")
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="start (or complete) the cluster and wait until it serves")
    up_parser.add_argument("--port-base", type=int, default=None, help="ports are base+0..28 (default 18000)")
    up_parser.add_argument(
        "--api-workers",
        type=int,
        default=default_api_workers(),
        help="gunicorn workers per API replica (default: (2 x cores + 1) / 3 replicas, at least 2)",
    )
    up_parser.add_argument("--python", default=sys.executable, help="the Python with mutiroes installed")
    up_parser.add_argument(
        "--gateway-limits",
        choices=["on", "off"],
        default="on",
        help="off: no per-address rate/connection limits at the gateway (benchmarks only)",
    )
    up_parser.set_defaults(handler=up)
    status_parser = commands.add_parser("status", help="processes, health, Sentinel, replication, Prometheus")
    status_parser.add_argument("--json", action="store_true", help="machine-readable")
    status_parser.set_defaults(handler=status)
    down_parser = commands.add_parser("down", help="stop everything (data kept unless --purge)")
    down_parser.add_argument("--purge", action="store_true", help="also delete the data directory")
    down_parser.set_defaults(handler=down)
    ctl_parser = commands.add_parser("ctl", help="a supervisorctl command, e.g. `ctl stop api-2`")
    ctl_parser.add_argument("args", nargs=argparse.REMAINDER)
    ctl_parser.set_defaults(handler=ctl_command)
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
