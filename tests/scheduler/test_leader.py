"""The PostgreSQL leader lock in-process: one holder, released when its holder goes quiet past the TTL."""

import time

import pytest
from django.db import connection

from mutiroes.scheduler.leader import Heartbeat, PostgresLeaderLock, conninfo_from_django

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="advisory locks are PostgreSQL's"),
]
TTL_S = 1.0
KEY = 4242  # not the production key: a scheduler process of another test must not be disturbed


@pytest.fixture
def make_lock():
    locks = []

    def make() -> PostgresLeaderLock:
        lock = PostgresLeaderLock(conninfo=conninfo_from_django(), ttl_s=TTL_S, key=KEY)
        locks.append(lock)
        return lock

    yield make
    for lock in locks:
        lock.close()


def test_one_holder_at_a_time_and_a_clean_close_hands_over_at_once(make_lock):
    first, second = make_lock(), make_lock()

    assert first.poll() is True
    assert second.poll() is False
    assert first.is_leader() is True  # renewing keeps it

    first.close()
    assert second.poll() is True


@pytest.mark.slow
def test_a_holder_silent_past_the_ttl_loses_the_lock_to_a_standby_and_knows_it(make_lock):
    """What SIGSTOP does to a leader: no renewal, so PostgreSQL ends its idle session and frees the lock."""
    paused, standby = make_lock(), make_lock()
    assert paused.poll() is True

    deadline = time.monotonic() + 3 * TTL_S
    while not standby.poll():
        assert time.monotonic() < deadline, "the standby never took over"
        time.sleep(TTL_S / 3)

    assert paused.is_leader() is False  # resumed: it asks the server, which closed its session


@pytest.mark.slow
def test_renewing_every_third_of_the_ttl_keeps_the_lock(make_lock):
    leader, standby = make_lock(), make_lock()
    assert leader.poll()
    for _ in range(6):  # two TTLs
        time.sleep(TTL_S / 3)
        assert leader.poll() is True
        assert standby.poll() is False


def test_the_heartbeat_catches_up_once_per_election(make_lock):
    lock = make_lock()
    elected = []
    heartbeat = Heartbeat(lock, interval_s=TTL_S / 3, on_elected=lambda: elected.append(1))

    assert heartbeat.beat() and heartbeat.beat()
    assert elected == [1]


def test_the_lock_connection_has_the_idle_timeout_of_the_ttl(make_lock):
    lock = make_lock()
    lock.poll()
    assert lock._conn.execute("SHOW idle_session_timeout").fetchone()[0] == "1s"
    assert connection.vendor == "postgresql"
