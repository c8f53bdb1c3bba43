"""``@job_actor(NAME)``: a Dramatiq actor declared from its line in the registry (queue, time limit, retries)."""

from collections.abc import Callable
from typing import Any

import dramatiq

from mutiroes.jobs.registry import JOBS


def job_actor(name: str) -> Callable[[Callable[..., Any]], dramatiq.Actor]:
    job = JOBS[name]
    options: dict[str, Any] = {
        "max_retries": job.retry.max_retries,
        "retry_when": job.retry.retry_when,
    }
    if job.retry.permanent:
        options["throws"] = job.retry.permanent
    if job.on_retry_exhausted:
        options["on_retry_exhausted"] = job.on_retry_exhausted
    return dramatiq.actor(actor_name=name, queue_name=job.queue, time_limit=job.time_limit_ms, **options)
