"""Counting failed attempts (sign-ins, check-in codes) in fixed windows in the shared cache.

Only failures are counted, so honest users who get it right never use up a bucket. Keys are hashed: fixed
length, and no e-mail or address in the cache. If the cache is down the counts are lost and attempts pass:
locking everyone out would be worse, and the gateway's own limits still apply.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from mutiroes.infra.cache import safe_cache

PERIODS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class FailureLimit:
    """``rate`` as in settings: "5/m" is five failures per minute (periods s, m, h, d)."""

    scope: str
    rate: str

    @property
    def limit(self) -> int:
        return int(self.rate.partition("/")[0])

    @property
    def period_s(self) -> int:
        return PERIODS_S[(self.rate.partition("/")[2] or "m")[0]]

    def key(self, ident: str) -> str:
        window = int(time.time()) // self.period_s
        return f"failures:{self.scope}:{hashlib.sha256(ident.encode()).hexdigest()}:{window}"

    def retry_after_s(self) -> int:
        """Seconds until the current window ends."""
        return self.period_s - int(time.time()) % self.period_s

    def exceeded(self, *idents: str) -> bool:
        return any((safe_cache.get(self.key(ident)) or 0) >= self.limit for ident in idents)

    def record(self, *idents: str) -> None:
        for ident in idents:
            key = self.key(ident)
            safe_cache.add(key, 0, self.period_s)
            safe_cache.incr(key)

    def clear(self, ident: str) -> None:
        safe_cache.delete(self.key(ident))
