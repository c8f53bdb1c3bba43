"""Read routing to the replica (mutiroes.infra.db_router): which alias each read goes to, without a real replica.

The middleware runs around a stub view that records where a read would go now; the replica's health check
is replaced (except in the last tests, which point the alias at a closed port). Scenario 14.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from mutiroes.infra import db_router
from mutiroes.infra.db_router import REPLICA_ALIAS, STICKY_COOKIE, PrimaryReplicaRouter, ReplicaRoutingMiddleware
from tests.support.processes import child_env, free_port

TOKEN_A = "Bearer token-of-client-a"
TOKEN_B = "Bearer token-of-client-b"


class Recorder:
    """A view: records the read alias at its start; `write=True` makes it write (as the router sees writes)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.write = False
        self.atomic = False

    def __call__(self, request: Any) -> HttpResponse:
        if self.atomic:
            with transaction.atomic():
                self.seen.append(db_router.current_read_alias())
        else:
            self.seen.append(db_router.current_read_alias())
        if self.write:
            PrimaryReplicaRouter().db_for_write(None)
            self.seen.append(db_router.current_read_alias())
        return HttpResponse("ok")


@pytest.fixture
def view() -> Recorder:
    return Recorder()


@pytest.fixture
def middleware(view: Recorder) -> ReplicaRoutingMiddleware:
    return ReplicaRoutingMiddleware(view)


@pytest.fixture
def replica(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    """DATABASES["replica"] configured; its health check answers `health["up"]` and counts calls."""
    monkeypatch.setitem(connections.settings, REPLICA_ALIAS, copy.deepcopy(connections.settings[DEFAULT_DB_ALIAS]))
    health = {"up": True, "probes": 0}

    def usable() -> bool:
        health["probes"] += 1
        return health["up"]

    monkeypatch.setattr(db_router, "replica_usable", usable)
    return health


def call(middleware: ReplicaRoutingMiddleware, method: str = "GET", *, auth: str | None = None, cookies=None):
    request = getattr(RequestFactory(), method.lower())(
        "/api/v1/events/1", **({"HTTP_AUTHORIZATION": auth} if auth else {})
    )
    request.COOKIES.update(cookies or {})
    return middleware(request)


def test_without_a_replica_everything_goes_to_default(middleware, view):
    assert REPLICA_ALIAS not in connections.settings
    call(middleware)
    call(middleware, "POST")
    assert view.seen == [DEFAULT_DB_ALIAS, DEFAULT_DB_ALIAS]
    router = PrimaryReplicaRouter()
    assert router.db_for_read(None) == DEFAULT_DB_ALIAS and router.db_for_write(None) == DEFAULT_DB_ALIAS


def test_outside_a_request_reads_go_to_the_primary(replica):
    # Workers, the scheduler and commands: never the replica (a job enqueued by a write reads what it wrote).
    assert PrimaryReplicaRouter().db_for_read(None) == DEFAULT_DB_ALIAS


def test_a_safe_request_of_a_client_that_did_not_write_reads_from_the_replica(replica, middleware, view):
    call(middleware)
    call(middleware, auth=TOKEN_B)
    call(middleware, "HEAD")
    assert view.seen == [REPLICA_ALIAS] * 3


def test_unsafe_requests_read_from_the_primary(replica, middleware, view):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = call(middleware, method, auth=TOKEN_A)
        assert STICKY_COOKIE in response.cookies
    assert view.seen == [DEFAULT_DB_ALIAS] * 4
    assert replica["probes"] == 0


def test_get_after_a_write_by_the_same_client_reads_from_the_primary(replica, middleware, view):
    response = call(middleware, "POST", auth=TOKEN_A)
    cookie = {STICKY_COOKIE: response.cookies[STICKY_COOKIE].value}
    assert response.cookies[STICKY_COOKIE]["httponly"] and response.cookies[STICKY_COOKIE]["max-age"] == 10

    call(middleware, auth=TOKEN_A)  # API client: recognised by its Authorization header (the cache)
    call(middleware, cookies=cookie)  # browser: by the signed cookie
    call(middleware, auth=TOKEN_B)  # another client
    call(middleware)  # an anonymous one
    assert view.seen[1:] == [DEFAULT_DB_ALIAS, DEFAULT_DB_ALIAS, REPLICA_ALIAS, REPLICA_ALIAS]


def test_every_token_of_the_user_that_wrote_reads_from_the_primary(replica, middleware, view):
    from ninja_jwt.tokens import AccessToken

    from mutiroes.accounts.models import User

    writer, other = User(pk=4242, email="writer@example.org"), User(pk=4343, email="other@example.org")
    call(middleware, "POST", auth=f"Bearer {AccessToken.for_user(writer)}")
    call(middleware, auth=f"Bearer {AccessToken.for_user(writer)}")  # a new token (refreshed) of the same user
    call(middleware, auth=f"Bearer {AccessToken.for_user(other)}")
    assert view.seen[1:] == [DEFAULT_DB_ALIAS, REPLICA_ALIAS]


@pytest.mark.slow
def test_a_forged_or_expired_cookie_does_not_pin(replica, middleware, view, settings):
    settings.REPLICA_STICKY_S = 1
    response = call(middleware, "POST")
    cookie = {STICKY_COOKIE: response.cookies[STICKY_COOKIE].value}
    call(middleware, cookies={STICKY_COOKIE: "1:forged:signature"})
    call(middleware, cookies=cookie)
    time.sleep(2.1)
    call(middleware, cookies=cookie)
    assert view.seen[1:] == [REPLICA_ALIAS, DEFAULT_DB_ALIAS, REPLICA_ALIAS]


@pytest.mark.slow
def test_stickiness_expires(replica, middleware, view, settings):
    settings.REPLICA_STICKY_S = 1
    call(middleware, "POST", auth=TOKEN_A)
    call(middleware, auth=TOKEN_A)
    time.sleep(1.2)
    call(middleware, auth=TOKEN_A)
    assert view.seen[1:] == [DEFAULT_DB_ALIAS, REPLICA_ALIAS]


def test_a_get_that_writes_reads_from_the_primary_afterwards_and_becomes_sticky(replica, middleware, view):
    view.write = True
    response = call(middleware, auth=TOKEN_A)
    assert view.seen == [REPLICA_ALIAS, DEFAULT_DB_ALIAS]
    assert STICKY_COOKIE in response.cookies
    view.write = False
    call(middleware, auth=TOKEN_A)
    assert view.seen[-1] == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_reads_go_to_the_primary(replica, middleware, view):
    view.atomic = True
    call(middleware)
    view.atomic = False
    call(middleware)
    assert view.seen == [DEFAULT_DB_ALIAS, REPLICA_ALIAS]


def test_primary_reads_inside_a_replica_request(replica):
    seen = []

    def view(request: Any) -> HttpResponse:
        with db_router.primary_reads():
            seen.append(db_router.current_read_alias())
        seen.append(db_router.current_read_alias())
        return HttpResponse("ok")

    call(ReplicaRoutingMiddleware(view))
    assert seen == [DEFAULT_DB_ALIAS, REPLICA_ALIAS]


def test_replica_down_reads_from_the_primary(replica, middleware, view):
    replica["up"] = False
    call(middleware)
    assert view.seen == [DEFAULT_DB_ALIAS]


def test_a_request_that_reads_nothing_touches_neither_replica_nor_cache(replica, monkeypatch):
    def boom(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the cache was used")

    monkeypatch.setattr(db_router.cache, "get", boom)
    call(ReplicaRoutingMiddleware(lambda request: HttpResponse("alive")), auth=TOKEN_A)
    assert replica["probes"] == 0


def test_when_the_cache_cannot_answer_the_client_reads_from_the_primary(replica, middleware, view, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("cache down")

    monkeypatch.setattr(db_router.cache, "get", broken)
    monkeypatch.setattr(db_router.cache, "set", broken)
    assert STICKY_COOKIE in call(middleware, "POST", auth=TOKEN_A).cookies  # the write itself still answers
    call(middleware, auth=TOKEN_A)
    call(middleware)  # no Authorization header: the cache is not asked
    assert view.seen[1:] == [DEFAULT_DB_ALIAS, REPLICA_ALIAS]


def test_migrations_only_on_default():
    router = PrimaryReplicaRouter()
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "events") is True
    assert router.allow_migrate(REPLICA_ALIAS, "events") is False


# -- the real health check, on an alias pointing at a closed port ------------------------------------------


@pytest.fixture
def dead_replica_alias() -> Iterator[str]:
    # Set on the handler, not in its settings: Django's test case then allows it ("dynamically created").
    from mutiroes.infra.postgresql.base import DatabaseWrapper

    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        pytest.skip("the engine with the breakers is PostgreSQL's")
    settings_dict = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    connections[REPLICA_ALIAS] = DatabaseWrapper(settings_dict, alias=REPLICA_ALIAS)
    try:
        yield REPLICA_ALIAS
    finally:
        connections[REPLICA_ALIAS].close()
        del connections[REPLICA_ALIAS]


@pytest.mark.django_db
def test_an_unreachable_replica_counts_on_its_own_breaker_never_the_primarys(dead_replica_alias):
    from mutiroes.infra.postgresql.base import database_breaker

    replica_breaker = connections[dead_replica_alias].breaker
    assert replica_breaker is not database_breaker and replica_breaker.name == "database-replica"
    for _ in range(replica_breaker._failure_threshold + 2):
        assert db_router.replica_usable() is False
    assert replica_breaker.opened and not database_breaker.opened


# -- settings: DATABASE_REPLICA_URL -------------------------------------------------------------------------

SETTINGS_PROBE = (
    "import json; from mutiroes.config import settings as s; "
    "print(json.dumps({'aliases': sorted(s.DATABASES), 'replica': s.DATABASES.get('replica'), "
    "'default_engine': s.DATABASES['default']['ENGINE'], 'routers': s.DATABASE_ROUTERS}, default=str))"
)


def _settings_in(mode: str, **extra: str) -> dict[str, Any]:
    import json
    import subprocess
    import sys

    env = child_env(MUTIROES_MODE=mode, SECRET_KEY="x" * 50, ALLOWED_HOSTS="127.0.0.1", BROKER_URL="stub://", **extra)
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_database_replica_url_configures_the_replica_alias_in_distributed_mode():
    primary, replica_url = "postgres://app:pw@127.0.0.1:5432/mutiroes", "postgres://app:pw@127.0.0.1:5433/mutiroes"
    found = _settings_in("distributed", DATABASE_URL=primary, DATABASE_REPLICA_URL=replica_url)
    assert found["aliases"] == ["default", "replica"]
    replica = found["replica"]
    assert replica["ENGINE"] == found["default_engine"] == "mutiroes.infra.postgresql"
    assert (replica["HOST"], replica["PORT"], replica["NAME"]) == ("127.0.0.1", 5433, "mutiroes")
    assert "statement_timeout" in replica["OPTIONS"]["options"] and replica["OPTIONS"]["connect_timeout"]
    assert replica["TEST"] == {"MIRROR": "default"}
    assert found["routers"] == ["mutiroes.infra.db_router.PrimaryReplicaRouter"]

    assert _settings_in("distributed", DATABASE_URL=primary)["aliases"] == ["default"]  # off by default


@pytest.mark.slow
def test_database_replica_url_is_ignored_in_embedded_mode(tmp_path):
    found = _settings_in(
        "embedded", MUTIROES_DATA_DIR=str(tmp_path), DATABASE_REPLICA_URL="postgres://app@127.0.0.1:5433/mutiroes"
    )
    assert found["aliases"] == ["default"]


def test_authentication_reads_the_primary_even_for_a_client_that_did_not_write(replica):
    from django.contrib.auth import get_user_model
    from ninja_jwt.token_blacklist.models import BlacklistedToken

    from mutiroes.events.models import Event

    router, seen = PrimaryReplicaRouter(), {}

    def view(request: Any) -> HttpResponse:
        seen.update({model: router.db_for_read(model) for model in (get_user_model(), BlacklistedToken, Event)})
        return HttpResponse("ok")

    call(ReplicaRoutingMiddleware(view), auth=TOKEN_B)

    # A user who just registered, or a token just revoked, must not meet a lagging replica.
    assert seen[get_user_model()] == DEFAULT_DB_ALIAS
    assert seen[BlacklistedToken] == DEFAULT_DB_ALIAS
    assert seen[Event] == REPLICA_ALIAS
