"""What the benchmarks run against: private servers (tests/servers), a small gateway stack, or the local cluster.

Everything binds loopback only and is stopped by the ExitStack that started it. The benchmark process itself runs
Django against the same database (to seed data and mint tokens) with the same SECRET_KEY as the replicas.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the tests/servers helpers and deploy/

CLUSTER = ROOT / "deploy" / "cluster" / "cluster.py"
# Variables of this process the servers must not inherit: each one is set explicitly, or must stay unset.
DROPPED = {"REDIS_SENTINELS", "REDIS_URL", "CACHE_URL", "BROKER_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE",
           "DATABASE_REPLICA_URL", "LOGIN_THROTTLE"}  # fmt: skip


@dataclass
class Target:
    """Where the HTTP benchmarks send requests, and the environment the app runs with there."""

    gateway_url: str
    replica_url: str  # one API replica, directly (no gateway)
    env: dict[str, str]  # the app's settings (DATABASE_URL, SECRET_KEY, ...)
    api_workers: int
    replicas: int
    description: str
    extra: dict[str, str] = field(default_factory=dict)


def postgres(stack: contextlib.ExitStack) -> str:
    """A private PostgreSQL cluster (fsync off), or BENCH_DATABASE_URL (a throwaway database)."""
    from tests.servers.postgres import PostgresCluster

    return _server(stack, "BENCH_DATABASE_URL", PostgresCluster)


def redis(stack: contextlib.ExitStack) -> str:
    """A private redis-server, or BENCH_REDIS_URL."""
    from tests.servers.redis import RedisServer

    return _server(stack, "BENCH_REDIS_URL", RedisServer)


def _server(stack: contextlib.ExitStack, variable: str, factory: Callable[[], Any]) -> str:
    if os.environ.get(variable):
        return os.environ[variable]
    server = factory()
    stack.callback(server.cleanup)
    server.start()
    return server.url()


def app_env(*, database_url: str, redis_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The app in embedded mode on PostgreSQL and Redis (cache; and the broker when BROKER_URL is in extra)."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    env.update(
        MUTIROES_MODE="embedded", EMBEDDED_WORKER="false", EMBEDDED_SCHEDULER="false", DATABASE_URL=database_url,
        CACHE_URL=redis_db(redis_url, 1), SECRET_KEY=secrets.token_hex(32), NINJA_NUM_PROXIES="1",
        MUTIROES_DATA_DIR=str(data_dir), MEDIA_ROOT=str(data_dir / "media"), STATIC_ROOT=str(data_dir / "static"),
        LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE="mutiroes.config.settings",
    )  # fmt: skip
    env.update(extra)
    return env


def new_database(server_url: str, name: str) -> str:
    """A fresh database `name` on the server of `server_url` (dropped first if a killed run left it)."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(server_url)._replace(path=f"/{name}"))


def redis_db(url: str, db: int) -> str:
    """The same Redis server, database `db`."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{db}"))


def setup_django(env: dict[str, str], *, migrate: bool) -> None:
    """Django in this process on the target's database and secret (to seed, to mint tokens, to read results)."""
    os.environ.update(env)
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)


def django_on_private_servers(exits: contextlib.ExitStack, name: str) -> Path:
    """Django in this process on private PostgreSQL and Redis, migrated; returns its (temporary) data directory."""
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix=f"mutiroes-bench-{name}-"))
    exits.callback(shutil.rmtree, base, ignore_errors=True)
    setup_django(app_env(database_url=postgres(exits), redis_url=redis(exits), data_dir=base), migrate=True)
    return base


def small_gateway(stack: contextlib.ExitStack, base_dir: Path, env: dict[str, str], *, workers: int) -> Target:
    """One `mutiroes serve` replica behind nginx rendered from deploy/nginx with its limits lifted (quick mode)."""
    from tests.gateway.support import Backend, Gateway
    from tests.support.processes import free_port

    base_dir.chmod(0o755)  # nginx's workers run as nobody when this runs as root
    for name in ("media", "static"):
        (base_dir / name).mkdir(exist_ok=True, mode=0o755)
    backend = Backend(0, env=env, base_dir=base_dir, workers=workers)
    stack.callback(backend.kill)
    backend.start()
    gateway = Gateway(base_dir=base_dir, backends=[backend.address], dashboard=f"127.0.0.1:{free_port()}",
                      static_root=base_dir / "static", media_root=base_dir / "media", limits=False)  # fmt: skip
    stack.callback(gateway.kill)
    gateway.start()
    backend.wait_live(timeout_s=120)
    return Target(gateway_url=f"http://127.0.0.1:{gateway.port}", replica_url=f"http://{backend.address}", env=env,
                  api_workers=workers, replicas=1,
                  description=f"1 replica x {workers} gunicorn workers behind nginx (limits lifted)")  # fmt: skip


def local_cluster(stack: contextlib.ExitStack, data: Path, *, port_base: int, api_workers: int) -> Target:
    """deploy/cluster/cluster.py `up` with the gateway's limits lifted; `down --purge` afterwards."""
    cluster_cmd = [sys.executable, str(CLUSTER), "--data", str(data)]
    if (data / "cluster.json").exists():  # a run that was killed: start from nothing
        subprocess.run([*cluster_cmd, "down", "--purge"], check=False, capture_output=True)  # noqa: S603
    stack.callback(subprocess.run, [*cluster_cmd, "down", "--purge"], check=False, capture_output=True)
    subprocess.run([*cluster_cmd, "up", "--port-base", str(port_base), "--api-workers", str(api_workers),  # noqa: S603
                    "--gateway-limits", "off"], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    from deploy.cluster.cluster import Cluster

    cluster = Cluster.load(data)
    env = {k: v for k, v in os.environ.items() if k not in DROPPED} | cluster.app_env()
    env["LOG_LEVEL"] = "WARNING"
    return Target(gateway_url=cluster.gateway_url(), replica_url=f"http://127.0.0.1:{cluster.port('api-1')}",
                  env=env, api_workers=api_workers, replicas=3,
                  description=f"the local cluster: 3 replicas x {api_workers} gunicorn workers, "
                              "gateway limits off")  # fmt: skip


# -- the reference (bench/reference): the seed's stack, same database and settings -------------------------

REFERENCE_LIST = "/ref/events"


def http_status(url: str, token: str | None = None, *, method: str = "GET", body: bytes | None = None) -> int | None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, headers=headers, method=method, data=body)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own loopback URLs
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def reference_installed() -> bool:
    try:
        import celery  # noqa: F401
        import rest_framework  # noqa: F401
        import rest_framework_simplejwt  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class Starting:
    url: str
    process: Any

    def wait(self, timeout_s: float = 120) -> str:
        from tests.support.polling import wait_for

        def up() -> bool:
            self.process.check_alive()
            return http_status(self.url + REFERENCE_LIST) == 200

        wait_for(up, timeout_s=timeout_s, what="the DRF reference", interval_s=0.3)
        return self.url


def start_reference(exits: contextlib.ExitStack, base: Path, env: dict[str, str], *, workers: int) -> Starting | None:
    """The DRF reference under gunicorn with `workers` workers (None when the `bench` extra is not installed)."""
    if not reference_installed():
        return None
    from tests.gateway.support import Supervised
    from tests.support.processes import free_port

    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "bench.reference.wsgi:application", "--bind", f"127.0.0.1:{port}",
           "--workers", str(workers), "--timeout", "30", "--access-logfile", "-"]  # fmt: skip
    env = {**env, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "bench.reference.settings"}
    process = Supervised(f"reference-{port}", cmd, env=env, log_path=base / f"reference-{port}.log", pid_dir=base)
    exits.callback(process.kill)
    process.spawn()
    return Starting(f"http://127.0.0.1:{port}", process)
