"""One gateway for tests/gateway: real nginx (deploy/nginx, rendered) in front of three `mutiroes serve` replicas.

The replicas use the pytest-django test database (tests are transactional, so what a test writes is committed
and visible to them), one shared real Redis as their cache (login throttles are shared, as in production) and
one MEDIA_ROOT that nginx serves. They trust one proxy hop (NINJA_NUM_PROXIES=1) and keep the production login
throttle (5/m per address and per account). Started once for the package; a test that kills a replica starts
it again before it ends.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.gateway.support import (
    ALLOWED_ORIGIN,
    OPERATOR_TOKEN,
    AddressPool,
    Backend,
    Gateway,
    new_run_dir,
    remove_run_dir,
)
from tests.servers.redis import RedisServer
from tests.support.processes import child_env, database_url, free_port, tail

REPLICAS = 3
# Variables of the test process the replicas must not inherit (each is set below, or must stay unset).


@dataclass
class Stack:
    gateway: Gateway
    backends: list[Backend]
    base_dir: Path
    media_root: Path
    static_root: Path
    addresses: AddressPool = field(default_factory=lambda: AddressPool(block=10))

    @property
    def port(self) -> int:
        return self.gateway.port

    def ensure_backends(self) -> None:
        """Start again any replica a test killed, and wait until every one is live."""
        for backend in self.backends:
            if not backend.running:
                backend.start()
        for backend in self.backends:
            backend.wait_live()


def _backend_env(*, redis: RedisServer, data_dir: Path, media_root: Path, static_root: Path) -> dict[str, str]:
    from django.conf import settings

    env = child_env(
        MUTIROES_MODE="embedded",  # with DATABASE_URL set: PostgreSQL, no other server required
        EMBEDDED_WORKER="false",
        EMBEDDED_SCHEDULER="false",
        DATABASE_URL=database_url(),
        CACHE_URL=redis.url(1),
        SECRET_KEY=settings.SECRET_KEY,  # tokens minted in the test process are valid on every replica
        NINJA_NUM_PROXIES="1",
        LOGIN_THROTTLE="5/m",
        HEALTH_TOKEN=OPERATOR_TOKEN,
        HSTS_SECONDS="600",  # the app's own copy, which the gateway replaces by its one-year header on TLS
        CORS_ALLOWED_ORIGINS=ALLOWED_ORIGIN,
        MEDIA_ROOT=str(media_root),
        STATIC_ROOT=str(static_root),
        MUTIROES_DATA_DIR=str(data_dir),
        DB_STATEMENT_TIMEOUT_MS="10000",
        LOG_LEVEL="WARNING",
    )
    env.pop("COOKIE_SECURE", None)  # a developer's own setting must not change what these tests see
    return env


def _collectstatic(env: dict[str, str], log_path: Path) -> None:
    with log_path.open("ab") as log:
        result = subprocess.run([sys.executable, "-m", "mutiroes", "collectstatic", "--noinput", "-v", "0"], env=env,
                                stdout=log, stderr=subprocess.STDOUT, timeout=120, check=False)  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"collectstatic failed:\n{tail(log_path, 30)}")


@pytest.fixture(scope="package")
def gateway_stack(django_db_setup: None, _redis_session_server: RedisServer) -> Iterator[Stack]:
    base_dir = new_run_dir()
    media_root, static_root, data_dir = base_dir / "media", base_dir / "static", base_dir / "data"
    for directory in (media_root, static_root, data_dir):
        directory.mkdir(mode=0o755)
    backends: list[Backend] = []
    gateway: Gateway | None = None
    try:
        env = _backend_env(redis=_redis_session_server, data_dir=data_dir, media_root=media_root,
                           static_root=static_root)  # fmt: skip
        backends = [Backend(i, env=env, base_dir=base_dir) for i in range(REPLICAS)]
        for backend in backends:  # booting Django takes a while: all three at once
            backend.start()
        _collectstatic(env, base_dir / "collectstatic.log")
        # The dashboard is not under test here: its upstream is a port where nothing listens.
        gateway = Gateway(
            base_dir=base_dir, backends=[b.address for b in backends], dashboard=f"127.0.0.1:{free_port()}",
            static_root=static_root, media_root=media_root,
        )  # fmt: skip
        gateway.start()
        for backend in backends:
            backend.wait_live()
        yield Stack(gateway, backends, base_dir, media_root, static_root)
    finally:
        if gateway is not None:
            gateway.kill()
        for backend in backends:
            backend.kill()
        remove_run_dir(base_dir)


@pytest.fixture
def stack(gateway_stack: Stack, redis_server: RedisServer) -> Iterator[Stack]:
    """The package's gateway with every replica live and an empty Redis (throttle counters start at zero)."""
    gateway_stack.ensure_backends()
    yield gateway_stack
    gateway_stack.ensure_backends()
