"""Named circuit breakers, one per dependency, from the ``circuitbreaker`` package.

A breaker counts only the failures that say the dependency is unwell (connection errors, timeouts);
bad input and domain errors never trip it. While open it fails fast with ``CircuitBreakerError``
instead of waiting on a dead server; after ``recovery_timeout`` seconds it lets one call through
(half-open) and closes again on success.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from circuitbreaker import STATE_CLOSED, STATE_OPEN, CircuitBreaker, CircuitBreakerError

T = TypeVar("T")
__all__ = ["Breaker", "CircuitBreakerError", "all_breakers", "breaker", "guarded", "watch"]
# (breaker name, state, changed): called on every state change, and once per breaker with changed=False.
Listener = Callable[[str, str, bool], None]

_registry: dict[str, "Breaker"] = {}
_listeners: list[Listener] = []


def watch(listener: Listener) -> None:
    """Tell ``listener`` about every breaker's state changes (metrics); existing breakers are reported at once."""
    _listeners.append(listener)
    for name, existing in _registry.items():
        listener(name, existing.state, False)


class Breaker(CircuitBreaker):
    FAILURE_THRESHOLD = 5
    RECOVERY_TIMEOUT = 10
    _reported = STATE_CLOSED

    def observe(self) -> str:
        """The current state, reported to the listeners if it changed (half-open is only noticed when read)."""
        state = self.state
        if state != self._reported:
            self._reported = state
            for listener in _listeners:
                listener(self.name, state, True)
        return state

    def reset(self) -> None:
        super().reset()
        self.observe()

    def _CircuitBreaker__call_failed(self) -> None:  # noqa: N802 - the library's private hook, where a breaker opens
        super()._CircuitBreaker__call_failed()
        self.observe()  # closed -> open, or a failed half-open probe: open again

    def snapshot(self) -> dict[str, Any]:
        """State for /health: state, failures counted, when it opened (None while closed)."""
        state = self.state
        opened_at = None
        if state != STATE_CLOSED:
            opened_for = self._recovery_timeout - self.open_remaining
            opened_at = (datetime.now(UTC) - timedelta(seconds=opened_for)).isoformat(timespec="seconds")
        return {"state": state, "failure_count": self.failure_count, "opened_at": opened_at}


def breaker(
    name: str,
    *,
    failures: type[BaseException] | tuple[type[BaseException], ...] | Callable[[type, BaseException], bool],
    threshold: int | None = None,
    recovery_s: float | None = None,
) -> Breaker:
    """The process-wide breaker called ``name``, created on first use.

    Its threshold and recovery time come from settings.BREAKERS (by name; ``database-replica`` follows
    ``database``) unless given here.
    """
    if name not in _registry:
        configured = _configured(name)
        _registry[name] = Breaker(
            failure_threshold=threshold or int(configured.get("failures", Breaker.FAILURE_THRESHOLD)),
            recovery_timeout=recovery_s or float(configured.get("recovery_s", Breaker.RECOVERY_TIMEOUT)),
            expected_exception=failures,
            name=name,
        )
        for listener in _listeners:
            listener(name, STATE_CLOSED, False)
    return _registry[name]


def _configured(name: str) -> dict[str, float]:
    from django.conf import settings

    table = getattr(settings, "BREAKERS", {})
    return table.get(name) or table.get(name.split("-", 1)[0]) or {}


def all_breakers() -> dict[str, Breaker]:
    return dict(sorted(_registry.items()))


def guarded(target: Breaker, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call through the breaker: fail fast while open, count the outcome otherwise."""
    if target.observe() == STATE_OPEN:
        raise CircuitBreakerError(target)
    return target.call(func, *args, **kwargs)
