"""Named circuit breakers (resilience/breakers.py) on an injected clock: no sleeps."""

from __future__ import annotations

import pytest

from mutiroes.resilience import breakers
from mutiroes.resilience.breakers import Breaker, CircuitBreakerError, all_breakers, breaker, guarded


class Dependency:
    """A call to a dependency that is up or down, counting how often it was actually called."""

    def __init__(self) -> None:
        self.down = False
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.down:
            raise ConnectionError("connection refused")
        return "pong"


def _breaker(threshold: int = 3, recovery_s: int = 10) -> Breaker:
    return Breaker(failure_threshold=threshold, recovery_timeout=recovery_s, expected_exception=ConnectionError,
                   name="test")  # fmt: skip


def _fail(target: Breaker, call: Dependency) -> None:
    with pytest.raises(ConnectionError):
        guarded(target, call)


def test_opens_after_the_threshold_and_then_fails_fast(breaker_clock):
    target, call = _breaker(threshold=3), Dependency()
    call.down = True
    _fail(target, call)
    _fail(target, call)
    assert target.state == "closed" and target.failure_count == 2

    _fail(target, call)

    assert target.state == "open"
    with pytest.raises(CircuitBreakerError):
        guarded(target, call)
    assert call.calls == 3  # while open the dependency is not even tried


def test_half_opens_after_the_recovery_time_and_closes_on_success(breaker_clock):
    target, call = _breaker(threshold=2, recovery_s=10), Dependency()
    call.down = True
    _fail(target, call)
    _fail(target, call)
    call.down = False

    breaker_clock.advance(9.5)
    assert target.state == "open"
    with pytest.raises(CircuitBreakerError):
        guarded(target, call)

    breaker_clock.advance(1)
    assert target.state == "half_open"
    assert guarded(target, call) == "pong"  # the probe goes through
    assert target.state == "closed" and target.failure_count == 0


def test_a_failed_probe_opens_it_again_for_a_full_recovery_time(breaker_clock):
    target, call = _breaker(threshold=3, recovery_s=10), Dependency()
    call.down = True
    for _ in range(3):
        _fail(target, call)
    breaker_clock.advance(10)
    assert target.state == "half_open"

    _fail(target, call)  # one failure is enough while half open

    assert target.state == "open"
    breaker_clock.advance(9)
    assert target.state == "open"
    breaker_clock.advance(1)
    assert target.state == "half_open"


def test_errors_that_are_not_failures_do_not_count(breaker_clock):
    target = _breaker(threshold=2)

    def bad_input() -> None:
        raise ValueError("not the server's fault")

    for _ in range(5):
        with pytest.raises(ValueError):
            guarded(target, bad_input)

    assert target.state == "closed" and target.failure_count == 0


def test_a_success_clears_the_count_of_failures(breaker_clock):
    target, call = _breaker(threshold=3), Dependency()
    call.down = True
    _fail(target, call)
    _fail(target, call)
    call.down = False
    guarded(target, call)
    call.down = True
    _fail(target, call)
    _fail(target, call)

    assert target.state == "closed" and target.failure_count == 2


def test_snapshot_reports_state_failures_and_when_it_opened(breaker_clock):
    target, call = _breaker(threshold=2, recovery_s=10), Dependency()
    assert target.snapshot() == {"state": "closed", "failure_count": 0, "opened_at": None}
    call.down = True
    _fail(target, call)
    _fail(target, call)

    opened = target.snapshot()
    breaker_clock.advance(12)
    half_open = target.snapshot()

    assert opened["state"] == "open" and opened["failure_count"] == 2 and opened["opened_at"]
    assert half_open["state"] == "half_open" and half_open["opened_at"]


def test_named_breakers_are_one_per_name_and_listed(monkeypatch):
    monkeypatch.setattr(breakers, "_registry", dict(breakers._registry))  # leave the process's registry as it was
    first = breaker("test-named", failures=ConnectionError, threshold=2)
    again = breaker("test-named", failures=OSError)

    assert again is first
    assert all_breakers()["test-named"] is first
    assert list(all_breakers()) == sorted(all_breakers())


def test_thresholds_and_recovery_times_come_from_settings(monkeypatch, settings):
    monkeypatch.setattr(breakers, "_registry", dict(breakers._registry))
    settings.BREAKERS = {"fake": {"failures": 2, "recovery_s": 1.5}}

    configured = breaker("fake", failures=ConnectionError)
    per_alias = breaker("fake-replica", failures=ConnectionError)  # "<name>-<alias>" follows "<name>"
    given = breaker("fake-given", failures=ConnectionError, threshold=7, recovery_s=3)
    unlisted = breaker("not-configured", failures=ConnectionError)

    assert (configured._failure_threshold, configured._recovery_timeout) == (2, 1.5)
    assert (per_alias._failure_threshold, per_alias._recovery_timeout) == (2, 1.5)
    assert (given._failure_threshold, given._recovery_timeout) == (7, 3)
    assert (unlisted._failure_threshold, unlisted._recovery_timeout) == (
        Breaker.FAILURE_THRESHOLD,
        Breaker.RECOVERY_TIMEOUT,
    )


def test_the_settings_name_every_process_breaker_with_the_production_defaults(settings):
    assert {name: (b["failures"], b["recovery_s"]) for name, b in settings.BREAKERS.items()} == {
        "database": (5, 10), "cache": (3, 10), "broker": (5, 10), "smtp": (5, 30), "http": (5, 10),
    }  # fmt: skip
