"""Last-good copies: serve a stale response, marked as such, when the source of truth is down."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class Store(Protocol):
    def get(self, key: str) -> Any: ...
    def set(self, key: str, value: Any, ttl_s: int) -> None: ...


@dataclass
class Served:
    value: Any
    stale: bool


def with_last_good(
    store: Store,
    key: str,
    compute: Callable[[], Any],
    *,
    unavailable: type[BaseException] | tuple[type[BaseException], ...],
    keep_s: int = 7 * 24 * 3600,
) -> Served:
    """``compute()`` and remember the result; if the source is ``unavailable``, the last good result.

    Re-raises when there is no last good copy: nothing to fall back on.
    """
    try:
        value = compute()
    except unavailable:
        last = store.get(key)
        if last is None:
            raise
        logger.warning("serving the last good copy of %s", key)
        return Served(last, stale=True)
    store.set(key, value, keep_s)
    return Served(value, stale=False)
