"""The run ledger: one JobRun per (job, period), claimed before anything is enqueued.

Every writer (the leader's fire, a catch-up, an admin's click, the workers reporting progress) goes
through these functions. Claims are single INSERTs in their own transaction: whoever loses the race on
the UNIQUE key gets ``None`` and does nothing else.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.functions import Coalesce

from mutiroes.core import clock
from mutiroes.core.exceptions import NotFound
from mutiroes.jobs.models import JobRun

logger = logging.getLogger(__name__)
State = JobRun.State
ERROR_MAX_CHARS = 4000
# A claim that never got its message (the process died in between) is re-driven after this long.
STALE_CLAIM = timedelta(seconds=60)


def run_claim(
    *,
    job: str,
    period: str,
    trigger: str,
    scheduled_for: datetime,
    kwargs: dict[str, Any] | None = None,
    state: str = State.QUEUED,
    requested_by: str = "",
    now: datetime | None = None,
) -> JobRun | None:
    """Insert the run for (job, period); None if it already exists (a second fire is a no-op)."""
    try:
        with transaction.atomic():
            return JobRun.objects.create(
                job=job, period=period, trigger=trigger, scheduled_for=scheduled_for, kwargs=kwargs or {},
                state=state, requested_by=requested_by, created_at=now or clock.now(),
            )  # fmt: skip
    except IntegrityError:
        return None


def run_find(*, job: str, period: str) -> JobRun | None:
    return JobRun.objects.filter(job=job, period=period).first()


def run_get(*, run_id: int) -> JobRun:
    run = JobRun.objects.filter(pk=run_id).first()
    if run is None:
        raise NotFound("job_run", job_id=run_id)
    return run


def run_requeue(*, run_id: int, trigger: str, kwargs: dict[str, Any], requested_by: str = "") -> bool:
    """Put a failed or missed run back to queued (an admin asked for it again) with the arguments asked for now
    (a run recorded missed had none); False if it is not in such a state."""
    return bool(
        JobRun.objects.filter(pk=run_id, state__in=[State.FAILED, State.MISSED]).update(
            state=State.QUEUED,
            trigger=trigger,
            requested_by=requested_by,
            error="",
            finished_at=None,
            message_id="",
            kwargs=kwargs,
        )  # fmt: skip
    )


def run_enqueued(*, run_id: int, message_id: str, messages: int, done: bool, now: datetime | None = None) -> None:
    changes: dict[str, Any] = {"message_id": message_id, "messages": messages, "error": ""}
    if done:
        # A fan-out is finished once every message is with the broker; its messages are jobs of their own.
        changes |= {"state": State.DONE, "started_at": now or clock.now(), "finished_at": now or clock.now()}
        JobRun.objects.filter(pk=run_id).update(**changes)
    else:
        # The state is left alone (a fast worker may already have marked the run running or done), except that a
        # re-driven run whose enqueue had failed is queued again.
        JobRun.objects.filter(pk=run_id).update(message_id=message_id, messages=messages)
        JobRun.objects.filter(pk=run_id, state=State.FAILED).update(state=State.QUEUED, error="")


def run_enqueue_failed(*, run_id: int, error: str, now: datetime | None = None) -> None:
    # message_id stays empty: that is how the re-drive tells "never reached the broker" from "failed in a worker".
    JobRun.objects.filter(pk=run_id).update(
        state=State.FAILED, error=error[:ERROR_MAX_CHARS], message_id="", finished_at=now or clock.now()
    )


def run_started(*, run_id: int, now: datetime | None = None) -> None:
    now = now or clock.now()
    # A redelivered message of a finished run must not reopen it.
    JobRun.objects.filter(pk=run_id).exclude(state=State.DONE).update(
        state=State.RUNNING, started_at=Coalesce(F("started_at"), now), finished_at=None, attempts=F("attempts") + 1
    )


def run_done(*, run_id: int, now: datetime | None = None) -> None:
    JobRun.objects.filter(pk=run_id).update(state=State.DONE, finished_at=now or clock.now(), error="")


def run_failed(*, run_id: int, error: str, now: datetime | None = None) -> None:
    JobRun.objects.filter(pk=run_id).exclude(state=State.DONE).update(
        state=State.FAILED, finished_at=now or clock.now(), error=error[:ERROR_MAX_CHARS]
    )


def runs_to_redrive(*, now: datetime, grace: timedelta) -> QuerySet[JobRun]:
    """Runs of the last grace period that never reached the broker: enqueue failures and orphaned claims."""
    never_sent = Q(state=State.FAILED, message_id="")
    orphaned = Q(state=State.QUEUED, message_id="", created_at__lte=now - STALE_CLAIM)
    return JobRun.objects.filter(never_sent | orphaned, created_at__gte=now - grace).order_by("created_at", "id")


def runs_recent(*, job: str, limit: int = 5) -> list[JobRun]:
    return list(JobRun.objects.filter(job=job).order_by("-scheduled_for", "-id")[:limit])


def runs_by_state() -> list[tuple[str, str, int]]:
    """(job, state, how many runs) over the whole ledger, for the metrics."""
    rows = JobRun.objects.values_list("job", "state").annotate(runs=Count("id")).order_by("job", "state")
    return [(job, state, runs) for job, state, runs in rows]


def last_success_by_job() -> dict[str, datetime]:
    rows = JobRun.objects.filter(state=State.DONE).values_list("job").annotate(last=Max("finished_at"))
    return {job: last for job, last in rows if last is not None}
