"""Test environment, decided before Django's settings are imported (loaded early with `-p`).

Which database the tests use:
- MUTIROES_TEST_DB=sqlite: SQLite (DATABASE_URL dropped); used to run the `domain` tests on SQLite too.
- DATABASE_URL set: that server; pytest-django creates and drops test_<name> on it.
- otherwise: a private PostgreSQL cluster started here from the Debian binaries, on a free loopback port,
  stopped and deleted at the end of the session, whatever happens (pytest_unconfigure, atexit, SIGTERM).

pytest-django imports the settings in its own pytest_load_initial_conftests, so the environment is set
in a *wrapper* of that hook, which runs before every plain implementation of it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import threading
from collections.abc import Generator
from pathlib import Path
from types import FrameType

import pytest

from tests.servers.postgres import FAST_SETTINGS, PostgresCluster, PostgresUnavailable
from tests.support.processes import make_temp_dir, reap_stale_dirs

TEST_DB_VARIABLE = "MUTIROES_TEST_DB"
DATA_DIR_PREFIX = "mutiroes-test"
# Cheap hashing and a login throttle that tests do not trip by accident; tests of the throttle set their own.
ENV_DEFAULTS = {
    "PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
    "LOGIN_THROTTLE": "1000/m",
    "REGISTER_THROTTLE": "1000/m",
    # The 100k-row fixtures of the scale tests run on a shared 2-core machine; fault tests set their own.
    "DB_STATEMENT_TIMEOUT_MS": "120000",
}

# A developer's shell may point these at a Redis in use (`mutiroes dev`, the machine's 6379): tests clear the
# cache between tests and must never flush someone else's data. Tests that need Redis start their own.
SHARED_SERVICE_VARIABLES = ("REDIS_URL", "CACHE_URL", "BROKER_URL", "REDIS_SENTINELS")


class _Session:
    cluster: PostgresCluster | None = None
    data_dir: Path | None = None
    database: str = "not configured"


def _wants_no_servers(config: pytest.Config) -> bool:
    namespace = config.known_args_namespace
    return bool(getattr(namespace, "help", False) or getattr(namespace, "version", False))


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> Generator:
    if not _wants_no_servers(early_config):
        _prepare_environment(early_config)
    return (yield)


def _prepare_environment(config: pytest.Config) -> None:
    for name, value in ENV_DEFAULTS.items():
        os.environ.setdefault(name, value)
    for name in SHARED_SERVICE_VARIABLES:
        os.environ.pop(name, None)
    reap_stale_dirs(DATA_DIR_PREFIX, lambda path: None)
    _Session.data_dir = make_temp_dir(DATA_DIR_PREFIX)
    _install_cleanup()

    choice = os.environ.get(TEST_DB_VARIABLE, "").strip().lower()
    if choice not in {"", "postgres", "postgresql", "sqlite"}:
        raise pytest.UsageError(f"{TEST_DB_VARIABLE} must be 'sqlite' or 'postgres' (or unset), not {choice!r}")
    if choice == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        # The settings put the SQLite file, the secret key and media under the data dir: keep them throwaway.
        os.environ["MUTIROES_DATA_DIR"] = str(_Session.data_dir)
        _Session.database = "sqlite (MUTIROES_TEST_DB=sqlite)"
        return

    os.environ.setdefault("MUTIROES_DATA_DIR", str(_Session.data_dir))
    if os.environ.get("DATABASE_URL"):
        _Session.database = "DATABASE_URL from the environment (pytest-django creates test_<name> there)"
        return
    try:
        cluster = PostgresCluster(settings=FAST_SETTINGS)
    except PostgresUnavailable as exc:
        raise pytest.UsageError(
            f"cannot run the tests on PostgreSQL: {exc}. "
            f"Alternatively run only the domain tests on SQLite: {TEST_DB_VARIABLE}=sqlite pytest -m domain"
        ) from exc
    _Session.cluster = cluster
    try:
        cluster.start()
    except Exception as exc:
        raise pytest.UsageError(f"could not start the private PostgreSQL cluster for the tests: {exc}") from exc
    os.environ["DATABASE_URL"] = cluster.url()
    _Session.database = f"private PostgreSQL cluster at {cluster.url()} ({cluster.bin_dir}, data in {cluster.base_dir})"


def _install_cleanup() -> None:
    atexit.register(_shutdown)
    # A plain SIGTERM would end the process without running atexit: clean up first, then die of it.
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) in (
        signal.SIG_DFL,
        None,
    ):
        _Session.previous_sigterm = signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _shutdown()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _shutdown() -> None:
    cluster, _Session.cluster = _Session.cluster, None
    if cluster is not None:
        with contextlib.suppress(Exception):
            cluster.cleanup()
    data_dir, _Session.data_dir = _Session.data_dir, None
    if data_dir is not None:
        shutil.rmtree(data_dir, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str:
    return f"mutiroes test database: {_Session.database}"


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    _shutdown()
