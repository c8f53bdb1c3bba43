"""Bounded waiting: the one way a test waits for something another thread or process does."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(check: Callable[[], Any], *, timeout_s: float, what: str, interval_s: float = 0.05) -> Any:
    """Call `check()` until it returns something truthy, which is returned; TimeoutError after `timeout_s`.

    `check` may raise to give up at once (a process that died while it was awaited).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:g}s waiting for {what} (last: {last!r})")
        time.sleep(interval_s)


def seconds_until(check: Callable[[], Any], *, timeout_s: float, what: str, interval_s: float = 0.05) -> float:
    """Like wait_for, returning how many seconds it took (a figure to report, never to assert on)."""
    started = time.monotonic()
    wait_for(check, timeout_s=timeout_s, what=what, interval_s=interval_s)
    return time.monotonic() - started
