"""The retry policy (resilience/retry.py): transient errors at most 3 tries with jittered backoff, never a
retry of an open breaker or of a 4xx-like error. backoff's sleep is replaced: no test waits."""

from __future__ import annotations

import functools
import logging
import random
from types import SimpleNamespace

import backoff._sync
import pytest

from mutiroes.resilience.breakers import Breaker, CircuitBreakerError, guarded
from mutiroes.resilience.retry import MAX_TRIES, retrying


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(backoff._sync, "time", SimpleNamespace(sleep=waited.append))
    return waited


class Flaky:
    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


class HttpError(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


def test_transient_errors_are_tried_at_most_three_times(sleeps):
    call = Flaky(*[ConnectionError("refused")] * 5)

    with pytest.raises(ConnectionError):
        retrying(ConnectionError)(call)()

    assert MAX_TRIES == 3
    assert call.calls == 3
    assert len(sleeps) == 2


def test_a_transient_error_then_success_returns_the_result(sleeps):
    call = Flaky(ConnectionError("refused"), TimeoutError("slow"))

    assert retrying((ConnectionError, TimeoutError))(call)() == "ok"
    assert call.calls == 3


def test_waits_are_exponential_with_full_jitter(sleeps):
    random.seed(6)
    for _ in range(20):
        with pytest.raises(ConnectionError):
            retrying(ConnectionError, base_s=0.1)(Flaky(*[ConnectionError()] * 3))()

    first, second = sleeps[0::2], sleeps[1::2]
    # Full jitter: anywhere between 0 and the exponential step (0.1 s, then 0.2 s), different every time.
    assert all(0 <= wait <= 0.1 for wait in first) and all(0 <= wait <= 0.2 for wait in second)
    assert len(set(sleeps)) == len(sleeps)
    assert max(second) > 0.1  # the second step does grow


def test_each_retry_is_logged(sleeps, caplog):
    with caplog.at_level(logging.WARNING, logger="mutiroes.resilience.retry"):
        retrying(ConnectionError)(Flaky(ConnectionError("refused")))()

    assert len(caplog.records) == 1
    assert "after try 1" in caplog.text and "refused" in caplog.text


def test_an_open_breaker_is_not_retried(sleeps):
    call = Flaky(CircuitBreakerError(Breaker(name="smtp")))

    with pytest.raises(CircuitBreakerError):
        retrying(Exception)(call)()

    assert call.calls == 1 and sleeps == []


@pytest.mark.parametrize("status", [400, 404, 409, 422, 429])
def test_4xx_like_errors_are_not_retried(sleeps, status):
    call = Flaky(HttpError(status))

    with pytest.raises(HttpError):
        retrying(HttpError)(call)()

    assert call.calls == 1 and sleeps == []


def test_5xx_like_errors_are_retried(sleeps):
    call = Flaky(HttpError(503), HttpError(502))

    assert retrying(HttpError)(call)() == "ok"
    assert call.calls == 3


def test_errors_outside_the_transient_set_are_not_retried(sleeps):
    call = Flaky(ValueError("bad input"))

    with pytest.raises(ValueError):
        retrying(ConnectionError)(call)()

    assert call.calls == 1


def test_a_custom_giveup_is_honoured(sleeps):
    call = Flaky(ConnectionError("permanent"))

    with pytest.raises(ConnectionError):
        retrying(ConnectionError, giveup=lambda exc: "permanent" in str(exc))(call)()

    assert call.calls == 1


def test_the_breaker_sits_outside_the_retries(sleeps):
    # One call through the breaker, retried 3 times inside, is one failure for the breaker: retries do
    # not open it three times faster, and once it is open nothing is retried at all.
    target = Breaker(failure_threshold=2, recovery_timeout=10, expected_exception=ConnectionError, name="http")
    call = Flaky(*[ConnectionError("refused")] * 10)
    policy = retrying(ConnectionError)(call)

    with pytest.raises(ConnectionError):
        guarded(target, policy)
    assert (call.calls, target.failure_count, target.state) == (3, 1, "closed")
    with pytest.raises(ConnectionError):
        guarded(target, policy)
    assert target.state == "open"
    with pytest.raises(CircuitBreakerError):
        guarded(target, policy)
    assert call.calls == 6


def test_giving_up_is_logged_also_for_targets_without_a_name(sleeps, caplog):
    # A callable object or a partial has no __name__: backoff's own log handlers would fail on it.
    call = Flaky(*[ConnectionError("refused")] * 3)

    with caplog.at_level(logging.WARNING, logger="mutiroes.resilience.retry"), pytest.raises(ConnectionError):
        retrying(ConnectionError)(functools.partial(call))()

    assert [r.getMessage().split()[0] for r in caplog.records] == ["retrying", "retrying", "giving"]
