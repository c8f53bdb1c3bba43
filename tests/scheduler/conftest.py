"""Scheduler tests: the clock at a fixed instant, the shared stub broker with fast retries, a worker to drain it."""

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from dramatiq.brokers.stub import StubBroker

import mutiroes.jobs.actors  # noqa: F401 - declares every actor on the process broker
from tests.support.clocks import FrozenClock

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@pytest.fixture
def frozen_clock(frozen_clock: FrozenClock) -> FrozenClock:
    """29 November 2026, 14:00 in São Paulo, unless the test moves it."""
    frozen_clock.set(datetime(2026, 11, 29, 14, 0, tzinfo=SAO_PAULO))
    return frozen_clock


@pytest.fixture
def stub_broker(fast_retries: StubBroker) -> StubBroker:
    """The shared stub broker, with retries in milliseconds for every scheduler test."""
    return fast_retries


@pytest.fixture
def drain(run_jobs: Callable[..., None]) -> Callable[[], None]:
    """Run every queued message (and their retries) until the queues are empty; failures are asserted on the ledger."""
    return lambda: run_jobs(relay=False, fail_fast=False)
