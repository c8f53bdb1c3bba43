"""Retry policies from ``backoff``: at most 3 tries, exponential with jitter, each retry logged.

Give up at once on an open breaker (the dependency is known to be down) and on errors that a retry
cannot fix (bad input, domain rules): only transient failures are retried. Use one retrying layer
per hop, inside the breaker (``guarded(breaker, retrying(...)(call))``), never retries on retries.
"""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import backoff
from circuitbreaker import CircuitBreakerError

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
MAX_TRIES = 3


def _name(target: Any) -> str:
    # Partials and callable objects have no __name__ (backoff's own log handlers assume one).
    return str(getattr(target, "__qualname__", None) or getattr(target, "__name__", None) or target)


def _log_retry(details: dict[str, Any]) -> None:
    logger.warning(
        "retrying %s in %.2fs after try %s: %s", _name(details["target"]), details["wait"], details["tries"],
        details.get("exception"),
    )  # fmt: skip


def _log_giveup(details: dict[str, Any]) -> None:
    logger.warning("giving up on %s after %s tries: %s", _name(details["target"]), details["tries"],
                   details.get("exception"))  # fmt: skip


def _is_permanent(exc: Exception) -> bool:
    status = getattr(exc, "status_code", None)
    return isinstance(exc, CircuitBreakerError) or (isinstance(status, int) and 400 <= status < 500)


def retrying(
    transient: type[Exception] | tuple[type[Exception], ...],
    *,
    max_tries: int = MAX_TRIES,
    max_time_s: float | None = None,
    base_s: float = 0.1,
    giveup: Callable[[Exception], bool] | None = None,
) -> Callable[[F], F]:
    """Decorator: retry ``transient`` errors with full-jitter exponential backoff."""

    def give_up(exc: Exception) -> bool:
        return _is_permanent(exc) or (giveup is not None and giveup(exc))

    return backoff.on_exception(
        backoff.expo,
        transient,
        max_tries=max_tries,
        max_time=max_time_s,
        jitter=backoff.full_jitter,
        factor=base_s,
        giveup=give_up,
        on_backoff=_log_retry,
        on_giveup=_log_giveup,
        raise_on_giveup=True,
        logger=None,  # ours above instead of backoff's, which fail on targets without a __name__
    )
