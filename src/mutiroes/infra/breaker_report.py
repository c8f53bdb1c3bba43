"""Breakers are per process: worker processes publish theirs to the shared cache so /health can show them.

Each worker writes its snapshot under its own key with a short expiry and refreshes an index of
instances; a worker that died simply ages out. Best effort by design: it is observability, and a
cache outage only hides the report (the API's own breakers are always shown).
"""

import logging
import time
from typing import Any

from django.conf import settings

from mutiroes.infra.cache import safe_cache
from mutiroes.infra.periodic import PeriodicThread
from mutiroes.resilience.breakers import all_breakers

logger = logging.getLogger(__name__)
INDEX_KEY = "health:workers"
INTERVAL_S = 5.0
TTL_S = 3 * INTERVAL_S


def publish(*, role: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    instance = settings.INSTANCE_ID
    snapshot = {"role": role, "reported_at": now, "breakers": {n: b.snapshot() for n, b in all_breakers().items()}}
    safe_cache.set(f"health:worker:{instance}", snapshot, TTL_S)
    index = {name: seen for name, seen in (safe_cache.get(INDEX_KEY) or {}).items() if now - seen < TTL_S}
    index[instance] = now
    safe_cache.set(INDEX_KEY, index, TTL_S)


def collect() -> dict[str, Any]:
    """The live workers' breaker snapshots, by instance."""
    index = safe_cache.get(INDEX_KEY) or {}
    reports = {name: safe_cache.get(f"health:worker:{name}") for name in sorted(index)}
    return {name: report for name, report in reports.items() if report is not None}


class Publisher(PeriodicThread):
    """Publishes this process's breakers every few seconds until stopped."""

    thread_name = "breaker-report"

    def __init__(self, *, role: str, interval_s: float = INTERVAL_S) -> None:
        super().__init__(interval_s=interval_s)
        self.role = role

    def tick(self) -> None:
        publish(role=self.role)
