"""The `database` breaker in the PostgreSQL backend (infra/postgresql): what counts as the server being unwell."""

from __future__ import annotations

import pytest
from django.db import DataError, IntegrityError, OperationalError, connection, connections, transaction

from mutiroes.accounts.models import User
from mutiroes.infra.postgresql.base import database_breaker
from mutiroes.resilience.breakers import CircuitBreakerError

pytestmark = pytest.mark.django_db

THRESHOLD = 5


def _statement(sql: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


def test_the_test_database_goes_through_the_breaker():
    assert connection.vendor == "postgresql"
    assert type(connections["default"]).__module__ == "mutiroes.infra.postgresql.base"


def test_integrity_errors_do_not_count(user_factory):
    user_factory(username="ana")
    for _ in range(THRESHOLD + 2):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(username="ana", email="ana2@example.org")

    assert database_breaker.state == "closed" and database_breaker.failure_count == 0
    assert User.objects.filter(username="ana").count() == 1


def test_data_errors_do_not_count():
    for _ in range(THRESHOLD + 2):
        with pytest.raises(DataError):
            _statement("SELECT 1 / 0")

    assert database_breaker.state == "closed" and database_breaker.failure_count == 0


@pytest.fixture
def slow_statements_time_out():
    """Slow statements of this connection are cut off after 20 ms (autocommit: no savepoint statements between)."""
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '20ms'")
    yield
    database_breaker.reset()
    connection.close()  # the next use reconnects with the normal timeout


def _time_out() -> None:
    with pytest.raises(OperationalError), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.5)")


@pytest.mark.django_db(transaction=True)
def test_statement_timeouts_count_and_open_it(slow_statements_time_out):
    # A statement cut off by statement_timeout is the server not coping: it counts, like a lost connection.
    for _ in range(THRESHOLD - 1):
        _time_out()
    assert database_breaker.state == "closed" and database_breaker.failure_count == THRESHOLD - 1

    _time_out()

    assert database_breaker.state == "open"
    with pytest.raises(CircuitBreakerError):
        User.objects.count()  # fails fast, without sending anything


@pytest.mark.django_db(transaction=True)
def test_a_success_clears_earlier_failures(slow_statements_time_out):
    for _ in range(THRESHOLD - 1):
        _time_out()

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # well within 20 ms

    assert database_breaker.state == "closed" and database_breaker.failure_count == 0
