"""Fixtures of the fault tests: a migrated private PostgreSQL, the API under gunicorn, measured figures.

The API runs as it does in production (gunicorn, 2 sync workers) against a PostgreSQL server of its own,
so a test can stop that server without touching the session's test database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from tests.resilience.stack import ApiServer, migrate, server_env
from tests.servers.postgres import PostgresCluster


@pytest.fixture(scope="package")
def api_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresCluster]:
    """A private PostgreSQL server (like `postgres_cluster`), migrated once for the API fault tests."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        log_dir = tmp_path_factory.mktemp("migrate")
        migrate(server_env(DATABASE_URL=cluster.url(), MUTIROES_DATA_DIR=str(log_dir)), log_dir / "migrate.log")
        yield cluster
    finally:
        cluster.cleanup()


@pytest.fixture
def start_api(
    api_database: PostgresCluster, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., ApiServer]]:
    """Starts `mutiroes serve` (2 workers) on the private database; extra settings as keyword arguments."""
    started: list[ApiServer] = []

    def start(**settings: str) -> ApiServer:
        env = server_env(
            DATABASE_URL=api_database.url(),
            MUTIROES_DATA_DIR=str(tmp_path),
            SECRET_KEY=django_settings.SECRET_KEY,  # api_data.register confirms addresses with tokens minted here
            **settings,
        )
        server = ApiServer(env=env, log_path=tmp_path / f"api-{len(started)}.log")
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.cleanup()
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            print(f"--- {server.log_path.name} (last lines) ---\n{server.log_tail(80)}")
    if api_database.base_dir is not None and not api_database.running:
        api_database.start()  # a test that failed midway leaves the server stopped: the next one needs it


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
