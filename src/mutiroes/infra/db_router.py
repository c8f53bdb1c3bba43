"""Optional read routing to the PostgreSQL streaming replica, with read-your-writes (docs/reliability.md, scenario 14).

Why: the replica takes read load off the primary, but it replays the primary's WAL with some lag, so a
client that has just written and reads back at once could get a 404 or stale data from it. Reads go to
the replica only when that cannot happen to the client asking, and only when the replica is up:

- Only inside an HTTP request that ``ReplicaRoutingMiddleware`` found eligible: a safe method (GET, HEAD,
  OPTIONS) from a client that has not written in the last ``REPLICA_STICKY_S`` seconds. Everything else
  (unsafe methods, workers, the scheduler, management commands) reads from the primary.
- A client that wrote is *sticky* to the primary for ``REPLICA_STICKY_S`` seconds, remembered twice: a
  signed cookie (browsers, any gunicorn replica: the signature uses the shared SECRET_KEY) and a cache key
  per user of a valid bearer token (API clients that keep no cookies, across token refreshes; the cache is
  the shared Redis). If the cache cannot answer, the request reads from the primary.
- Inside a transaction (``atomic``) and for the rest of a request once it wrote: the primary.
- Replica unavailable (connection refused, broken connection, its own breaker ``database-replica`` open):
  the request reads from the primary. The replica alone never makes a read fail with 503. The check is made
  once per request before routing to it (a health check ``SELECT 1`` at most once per request, like
  Django's CONN_HEALTH_CHECKS); a replica dying in the middle of a request can still fail that request.
- Hot public reads filling the shared cache (api/caching.py) read from the primary (``primary_reads``).
- Migrations run only on "default"; the replica gets the schema through replication.

Without DATABASES["replica"] (DATABASE_REPLICA_URL unset, and always in the embedded mode) everything goes
to "default" and the middleware does nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

from mutiroes.resilience.breakers import CircuitBreakerError

REPLICA_ALIAS = "replica"
STICKY_COOKIE = "mutiroes_primary"
_STICKY_SALT = "mutiroes.infra.db_router.sticky"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Besides the user model: the JWT blacklist (a revoked token must be seen as revoked at once).
PRIMARY_ONLY_APPS = frozenset({"token_blacklist"})


@dataclass
class _Routing:
    """One request's routing. Decided lazily, at its first read: a request that reads nothing (/liveness)
    touches neither the replica nor the cache."""

    request: HttpRequest | None = None
    eligible: bool = False
    read_alias: str | None = None
    wrote: bool = False

    def alias(self) -> str:
        if self.read_alias is None:
            ok = self.eligible and self.request is not None and not _sticky(self.request) and replica_usable()
            self.read_alias = REPLICA_ALIAS if ok else DEFAULT_DB_ALIAS
        return self.read_alias


_routing: contextvars.ContextVar[_Routing | None] = contextvars.ContextVar("mutiroes_db_routing", default=None)


def replica_configured() -> bool:
    return REPLICA_ALIAS in connections.settings


def current_read_alias() -> str:
    """The alias reads would use now (for tests and diagnostics)."""
    return PrimaryReplicaRouter().db_for_read(None) or DEFAULT_DB_ALIAS


class PrimaryReplicaRouter:
    """DATABASE_ROUTERS entry: reads to the replica only when the middleware allowed it for this request."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        state = _routing.get()
        if state is None or not state.eligible or state.wrote:
            return DEFAULT_DB_ALIAS
        if model is not None and (
            model._meta.label == settings.AUTH_USER_MODEL or model._meta.app_label in PRIMARY_ONLY_APPS
        ):
            # Authentication reads the primary: a user who just registered, or a token just revoked,
            # must not meet a lagging replica (a 401 for a valid token, a revoked token accepted).
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            # A transaction on the primary reads its own uncommitted rows, and select_for_update must lock there.
            return DEFAULT_DB_ALIAS
        return state.alias()

    def db_for_write(self, model: Any, **hints: Any) -> str:
        state = _routing.get()
        if state is not None:
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # Both aliases hold the same data: objects read from either may be related.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


@contextlib.contextmanager
def primary_reads() -> Iterator[None]:
    """Reads inside go to the primary: what fills a shared cache (hot public reads) must never be a lagging
    replica's copy, or it would outlive the lag by the cache's TTL for every client, the writer included."""
    token = _routing.set(None)
    try:
        yield
    finally:
        _routing.reset(token)


def replica_usable() -> bool:
    """Whether the replica answers now; a failure is counted by its breaker and the reads go to the primary."""
    connection = connections[REPLICA_ALIAS]
    guard = getattr(connection, "breaker", None)
    if guard is not None and guard.opened:
        return False
    try:
        # What close_old_connections does at request start, so a connection the replica dropped (restart,
        # stop) is noticed here, before routing, and not by the view's first query.
        connection.close_if_unusable_or_obsolete()
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except (DatabaseError, CircuitBreakerError):
        with contextlib.suppress(Exception):
            connection.close()
        return False
    return True


def _client_key(request: HttpRequest) -> str | None:
    """The cache key of the client: its user for a valid bearer token (every token of that user, so a refreshed
    token stays sticky), else a digest of the Authorization header (that request will be a 401 anyway)."""
    authorization = request.headers.get("Authorization")
    if not authorization:
        return None
    scheme, _, raw = authorization.partition(" ")
    if scheme.lower() == "bearer" and raw.strip():
        from ninja_jwt.settings import api_settings
        from ninja_jwt.tokens import AccessToken

        with contextlib.suppress(Exception):
            return f"db-sticky:user:{AccessToken(raw.strip())[api_settings.USER_ID_CLAIM]}"
    return "db-sticky:" + hashlib.sha256(authorization.encode()).hexdigest()[:32]


def _sticky(request: HttpRequest) -> bool:
    """Did this client write less than REPLICA_STICKY_S seconds ago?"""
    sticky_s = settings.REPLICA_STICKY_S
    if request.COOKIES.get(STICKY_COOKIE) is not None:
        try:
            request.get_signed_cookie(STICKY_COOKIE, salt=_STICKY_SALT, max_age=sticky_s)
            return True
        except (signing.BadSignature, KeyError):
            pass
    key = _client_key(request)
    if key is None:
        return False
    try:
        return cache.get(key) is not None
    except Exception:  # noqa: BLE001 - the cache cannot tell: the primary is always correct
        return True


def _remember_write(request: HttpRequest, response: HttpResponse) -> None:
    sticky_s = settings.REPLICA_STICKY_S
    response.set_signed_cookie(
        STICKY_COOKIE,
        "1",
        salt=_STICKY_SALT,
        max_age=sticky_s,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    key = _client_key(request)
    if key is not None:
        with contextlib.suppress(Exception):
            cache.set(key, 1, timeout=sticky_s)


class ReplicaRoutingMiddleware:
    """Decides once per request whether its reads may go to the replica; marks clients that wrote as sticky."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        unsafe = request.method not in _SAFE_METHODS
        state = _Routing(request=request, eligible=not unsafe)
        token = _routing.set(state)
        try:
            response = self.get_response(request)
        finally:
            _routing.reset(token)
        if unsafe or state.wrote:
            _remember_write(request, response)
        return response
