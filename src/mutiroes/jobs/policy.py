"""Retry policies: which failures a job retries and how often, carried by Dramatiq's own actor options.

A permanent failure (``throws=``) is never retried: Dramatiq fails the message at once. Everything else goes
through ``retry_when``: an outage the policy knows to be transient (an SMTP server down, its breaker open) may be
retried for longer than an unexpected error, which gets ``max_retries`` (three attempts in all) and then the
dead-letter queue.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


def _never(exc: BaseException) -> bool:
    return False


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    permanent: tuple[type[BaseException], ...] = ()
    transient: Callable[[BaseException], bool] = field(default=_never)
    transient_retries: int = 0

    def retry_when(self, retries: int, exc: BaseException) -> bool:
        """Dramatiq's ``retry_when``: ``retries`` is how many retries the message had before this failure."""
        limit = self.transient_retries if self.transient(exc) else self.max_retries
        return retries < limit


DEFAULT = RetryPolicy()
