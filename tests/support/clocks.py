"""A clock that stands still until a test moves it: for the domain clock and for the breakers' monotonic clock.

The fixtures (tests/conftest.py) install it: `frozen_clock` as mutiroes.core.clock.now (the real time until the
test sets it, so rows made before that keep distinct instants); `breaker_clock` as the monotonic clock the
circuitbreaker package reads, stopped from the start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class FrozenClock:
    """Returns `now` on every call until `set` or `advance` moves it; with `tick`, it moves by that per call.

    With `now` None it reads `real` until it is first set, advanced or ticked.
    """

    def __init__(self, now: Any = None, *, real: Callable[[], Any] | None = None, tick: Any = None) -> None:
        self.now, self.real, self.tick = now, real, tick

    def __call__(self) -> Any:
        if self.tick is not None:
            return self.advance(self.tick)
        return self.now if self.now is not None else self._real()

    def set(self, now: Any) -> Any:
        self.now = now
        return now

    def advance(self, delta: Any) -> Any:
        self.now = (self.now if self.now is not None else self._real()) + delta
        return self.now

    def _real(self) -> Any:
        assert self.real is not None, "a clock with neither an instant nor a real clock to read"
        return self.real()
