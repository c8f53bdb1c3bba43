"""Django's PostgreSQL backend with the ``database`` circuit breaker on connecting and on every statement.

While the breaker is open, database work fails at once with ``CircuitBreakerError`` (the API answers
503 with Retry-After) instead of every request waiting out the connect timeout. Only connection-level
failures count (OperationalError, InterfaceError: server gone, timeouts); integrity or data errors
are the caller's problem, not the server's, and never trip it.

Each alias has its own breaker: ``database`` for the primary ("default"), ``database-<alias>`` for any
other (the read replica), so a dead replica never fails the primary's work fast (see infra/db_router.py).
"""

from typing import Any

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base

from mutiroes.resilience.breakers import CircuitBreakerError, breaker

database_breaker = breaker("database", failures=(OperationalError, InterfaceError))


def _through_breaker(execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    guard = context["connection"].breaker
    if guard.opened:
        raise CircuitBreakerError(guard)
    return guard.call(execute, sql, params, many, context)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.breaker = (
            database_breaker
            if self.alias in (DEFAULT_DB_ALIAS, NO_DB_ALIAS)
            else breaker(f"database-{self.alias}", failures=(OperationalError, InterfaceError))
        )
        self.execute_wrappers.append(_through_breaker)

    def ensure_connection(self) -> None:
        if self.breaker.opened:
            raise CircuitBreakerError(self.breaker)
        if self.connection is None:
            # Only a real connection attempt is an outcome worth counting.
            self.breaker.call(super().ensure_connection)
            return
        super().ensure_connection()
