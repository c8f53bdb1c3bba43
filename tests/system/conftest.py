"""Fixtures for the system tests of the background work: real Redis, real SMTP sink, real worker processes.

Uses the shared `redis_server`, `redis_factory` and `smtp_server` fixtures (tests/conftest.py); adds worker
processes, a broker in the test process on the workers' Redis, and a slow SMTP sink.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.system.support import SlowSmtpSink, WorkerPool


@pytest.fixture
def workers(transactional_db: None, tmp_path: Path) -> Iterator[WorkerPool]:
    """Starts `mutiroes worker` processes on the test database; kills their process groups at teardown.

    Depends on `transactional_db` so the workers are gone before pytest-django empties the tables.
    """
    pool = WorkerPool(tmp_path)
    yield pool
    pool.cleanup()


@pytest.fixture
def slow_smtp_server(settings: Any) -> Iterator[SlowSmtpSink]:
    """An SMTP sink of this test alone that takes `delay_s` to accept each message (set it in the test)."""
    sink = SlowSmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = sink.host, sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield sink
    sink.stop()
