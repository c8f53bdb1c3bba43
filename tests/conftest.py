"""Shared fixtures: factories, a JSON API client with bearer tokens, and real servers (Redis, SMTP, PostgreSQL).

Which database the session uses is decided earlier, in tests/plugins/servers.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import caches
from dramatiq.brokers.stub import StubBroker

from mutiroes.accounts.models import User
from mutiroes.core import clock
from mutiroes.events.models import Event, Participation
from tests import factories
from tests.plugins.spans import _provider, spans  # noqa: F401 - the traces' fixtures, for every package
from tests.servers.postgres import PostgresCluster
from tests.servers.redis import RedisSentinel, RedisServer, start_sentinels
from tests.servers.smtp import SmtpSink
from tests.support import brokers, seeds
from tests.support.api import ApiClient
from tests.support.clocks import FrozenClock

# -- domain data -------------------------------------------------------------------------------------


@pytest.fixture
def user_factory() -> type[factories.UserFactory]:
    return factories.UserFactory


@pytest.fixture
def category_factory() -> type[factories.CategoryFactory]:
    return factories.CategoryFactory


@pytest.fixture
def event_factory() -> type[factories.EventFactory]:
    return factories.EventFactory


@pytest.fixture
def participation_factory() -> type[factories.ParticipationFactory]:
    return factories.ParticipationFactory


@pytest.fixture
def event(event_factory: Any) -> Event:
    """An event (published, in a week); modules that need another kind define their own `event`."""
    return event_factory()


@pytest.fixture
def participant(event: Event, user_factory: Any, participation_factory: Any) -> User:
    """A confirmed participant of the test's `event`."""
    user = user_factory()
    participation_factory(event=event, user=user)
    return user


@pytest.fixture
def past_event(db: None, event_factory: Any) -> Callable[..., Event]:
    """A published event that ended yesterday (``hours`` long, 3 by default), unless told otherwise."""

    def make(**fields: Any) -> Event:
        start = fields.pop("start_date", None) or clock.now() - timedelta(days=1, hours=3)
        hours = fields.pop("hours", 3)
        return event_factory(start_date=start, end_date=start + timedelta(hours=hours), **fields)

    return make


@pytest.fixture
def attend(participation_factory: Any) -> Callable[..., Participation]:
    """A participation of ``user`` in ``event``: confirmed, registered before it, checked in if asked."""

    def make(event: Event, user: User, *, checked_in: bool = False, **fields: Any) -> Participation:
        return participation_factory(
            event=event,
            user=user,
            registered_at=fields.pop("registered_at", event.start_date - timedelta(days=2)),
            checked_in_at=event.start_date if checked_in else None,
            **fields,
        )

    return make


@pytest.fixture
def seeded(db: None) -> None:
    """The rows the data migrations seed (categories, badges, impact factors), even after a transactional flush."""
    seeds.reseed()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's test database, plus: at the end, end the sessions worker threads and processes left open.

    Without this, DROP DATABASE at the end fails ("is being accessed by other users") and, on a server
    given by DATABASE_URL, the test database outlives the run.
    """
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), contextlib.suppress(Exception), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _closed_breakers() -> Iterator[None]:
    # Breakers are per process: one test's failures (a broker made to fail, a server stopped) must not
    # leave the next test facing an open breaker.
    from mutiroes.resilience.breakers import all_breakers

    for breaker in all_breakers().values():
        breaker.reset()
    yield
    for breaker in all_breakers().values():
        breaker.reset()


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """The domain clock (mutiroes.core.clock.now), stopped where `.set(at)` or `.advance(delta)` puts it."""
    frozen = FrozenClock(real=clock.now)
    monkeypatch.setattr(clock, "now", frozen)
    return frozen


@pytest.fixture
def breaker_clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """The breakers' clock, stopped: the circuitbreaker package reads time.monotonic through a module global."""
    import circuitbreaker

    frozen = FrozenClock(1000.0)
    monkeypatch.setattr(circuitbreaker, "monotonic", frozen)
    return frozen


@pytest.fixture
def media_root(settings: Any, tmp_path: Any) -> Any:
    """Uploaded files (photos, covers) go to a throwaway directory for the test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


_FIGURES = pytest.StashKey[list[str]]()


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Measured figures (latencies, recovery and redelivery times, attempts), printed in the terminal summary."""

    def record(line: str) -> None:
        request.config.stash.setdefault(_FIGURES, []).append(f"{request.node.nodeid}: {line}")

    return record


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    lines = config.stash.get(_FIGURES, [])
    if lines:
        terminalreporter.section("measured figures")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _empty_caches() -> Iterator[None]:
    # Throttle counters and cached reads must not leak from one test into the next.
    yield
    for cache in caches.all(initialized_only=True):
        with contextlib.suppress(Exception):
            cache.clear()


# -- HTTP ------------------------------------------------------------------------------------------


@pytest.fixture
def api_client() -> ApiClient:
    return ApiClient()


# -- brokers ---------------------------------------------------------------------------------------


@pytest.fixture
def stub_broker() -> Iterator[StubBroker]:
    """The process's stub broker, emptied before and after, with the worker middleware its tests read."""
    broker = brokers.process_stub_broker()
    broker.flush_all()
    yield broker
    broker.flush_all()


@pytest.fixture
def fast_retries(stub_broker: StubBroker, monkeypatch: pytest.MonkeyPatch) -> StubBroker:
    """Retry backoffs of milliseconds, not the production seconds, so "three attempts then failed" runs in a test;
    likewise the enqueue retries of a broker outage."""
    from dramatiq.middleware import Retries

    from mutiroes.infra import broker as broker_module

    retries = next(m for m in stub_broker.middleware if isinstance(m, Retries))
    monkeypatch.setattr(retries, "min_backoff", 10)
    monkeypatch.setattr(retries, "max_backoff", 20)
    monkeypatch.setattr(broker_module, "ENQUEUE_RETRY_BASE_S", 0.01)
    return stub_broker


@pytest.fixture
def run_jobs(stub_broker: StubBroker) -> Callable[..., None]:
    """Run what is queued (and the outbox) until idle: run_jobs(), or run_jobs(relay=False, fail_fast=False)."""
    return lambda **options: brokers.run_until_idle(stub_broker, **options)


@pytest.fixture
def use_broker() -> Iterator[Callable[[RedisServer], Any]]:
    """Switches this process's broker (outbox relay, enqueues, dashboard) to a Redis; restores it after."""
    from mutiroes.infra.broker import build_broker, get_broker, install_broker

    previous = get_broker()
    built: list[Any] = []

    def install(server: RedisServer) -> Any:
        broker = build_broker(brokers.redis_broker_config(server.url()))
        built.append(broker)
        install_broker(broker)
        return broker

    yield install
    install_broker(previous)
    for broker in built:
        broker.client.close()


@pytest.fixture
def redis_broker(redis_server: RedisServer, use_broker: Callable[[RedisServer], Any]) -> Any:
    """This process's broker on the test's Redis (what the worker processes consume), restored after."""
    return use_broker(redis_server)


# -- real servers ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _redis_session_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.cleanup()


@pytest.fixture
def redis_server(_redis_session_server: RedisServer) -> RedisServer:
    """A real redis-server, one per session, empty at the start of each test.

    A test may stop, kill or pause it: the next test gets it back running and empty, on the same port.
    """
    server = _redis_session_server
    server.resume()
    if not server.running:
        server.start()
    server.flushall()
    return server


class RedisFactory:
    """More Redis processes for one test (replicas, Sentinels, persistence); all removed after the test."""

    def __init__(self) -> None:
        self._started: list[RedisServer | RedisSentinel] = []

    def server(self, **kwargs: Any) -> RedisServer:
        server = RedisServer(**kwargs)
        self._started.append(server)
        return server.start()

    def sentinels(self, master: RedisServer, count: int = 3, **kwargs: Any) -> list[RedisSentinel]:
        sentinels = start_sentinels(master, count, **kwargs)
        self._started.extend(sentinels)
        return sentinels

    def cleanup(self) -> None:
        for process in reversed(self._started):
            process.cleanup()
        self._started.clear()


@pytest.fixture
def redis_factory() -> Iterator[RedisFactory]:
    factory = RedisFactory()
    yield factory
    factory.cleanup()


@pytest.fixture(scope="session")
def _smtp_session_server() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_server(_smtp_session_server: SmtpSink, settings: Any) -> SmtpSink:
    """A real SMTP server (aiosmtpd) with no messages yet; Django's SMTP settings point at it for this test."""
    sink = _smtp_session_server
    sink.reply = None
    sink.start()
    sink.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    return sink


@pytest.fixture
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A private PostgreSQL server for this test alone (not the test database's): stop, kill, restart it."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.cleanup()


# `make test-fast` does not even collect these folders (Makefile, FAST_IGNORE): every test in them must be one it
# would deselect anyway.
_SYSTEM_ONLY = ("tests/system/", "tests/gateway/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unmarked = [i.nodeid for i in items if i.nodeid.startswith(_SYSTEM_ONLY) and i.get_closest_marker("system") is None]
    if unmarked:
        raise pytest.UsageError(f"tests under {', '.join(_SYSTEM_ONLY)} must be marked system: {unmarked}")
