"""What staff can ask of the scheduler (the admin API): run a job now, a monthly report, see jobs and runs.

These run in the API process and do not need the leader: the ledger's UNIQUE key is what keeps a
double click, or a click racing the schedule, to one run. A request tries the broker once; a run that
did not get through is failed with its error and the scheduler's re-drive tick sends it.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from mutiroes.core import clock
from mutiroes.core.exceptions import NotFound, ValidationFailed
from mutiroes.jobs import ledger
from mutiroes.jobs import registry as names
from mutiroes.jobs.models import JobRun
from mutiroes.scheduler.runner import dispatch
from mutiroes.scheduler.schedule import Job, job_table, next_fire_time, zone

logger = logging.getLogger(__name__)
YEAR_MIN, YEAR_MAX = 2000, 2200
REQUEST_TRIES = 1


def _job(name: str) -> Job:
    job = job_table().get(name)
    if job is None:
        raise NotFound("job", name=name)
    return job


def _claim_or_existing(*, job: Job, period: str, kwargs: dict, now: datetime, requested_by: str) -> JobRun:
    run = ledger.run_claim(
        job=job.name, period=period, trigger=JobRun.Trigger.MANUAL, scheduled_for=now, kwargs=kwargs,
        requested_by=requested_by, now=now,
    )  # fmt: skip
    if run is None:
        existing = ledger.run_find(job=job.name, period=period)
        if existing is None:  # deleted between the two statements: vanishingly rare, not worth a loop
            raise NotFound("job_run", job=job.name, period=period)
        # An existing run is the answer, unless it failed or was missed: then asking again means "try again".
        requeued = ledger.run_requeue(
            run_id=existing.pk, trigger=JobRun.Trigger.MANUAL, kwargs=kwargs, requested_by=requested_by
        )
        if not requeued:
            return existing
        run = ledger.run_get(run_id=existing.pk)
    logger.info("%s %s requested by %s as run %s", job.name, period, requested_by or "-", run.pk)
    return dispatch(run, job=job, fire_time=now.astimezone(zone()), now=now, tries=REQUEST_TRIES)


def job_run_now(*, name: str, requested_by: str = "", now: datetime | None = None) -> JobRun:
    """Run a scheduled job now. The period is the minute of the request, so a double click is one run."""
    job = _job(name)
    now = now or clock.now()
    local = now.astimezone(zone())
    kwargs = job.messages(local, now)[0] if job.tracked else {}
    period = f"manual {local:%Y-%m-%dT%H:%M%z}"
    return _claim_or_existing(job=job, period=period, kwargs=kwargs, now=now, requested_by=requested_by)


def monthly_report_request(*, year: int, month: int, requested_by: str = "", now: datetime | None = None) -> JobRun:
    """Generate the impact report of a month. A finished month has one run ("2026-10", shared with the schedule);
    the current month is still open, so its run is keyed by the minute and the scheduled run on the 1st still
    produces the final figures."""
    now = now or clock.now()
    local = now.astimezone(zone())
    errors = {}
    if not YEAR_MIN <= year <= YEAR_MAX:
        errors["year"] = f"must be between {YEAR_MIN} and {YEAR_MAX}"
    if not 1 <= month <= 12:
        errors["month"] = "must be between 1 and 12"
    elif not errors and (year, month) > (local.year, local.month):
        errors["month"] = "must be the current month or an earlier one"
    if errors:
        raise ValidationFailed("invalid period", **errors)
    period = f"{year:04d}-{month:02d}"
    if (year, month) == (local.year, local.month):
        period += f" partial {local:%Y-%m-%dT%H:%M%z}"
    job = _job(names.GENERATE_MONTHLY_IMPACT_REPORT)
    return _claim_or_existing(
        job=job, period=period, kwargs={"year": year, "month": month}, now=now, requested_by=requested_by
    )


@dataclass(frozen=True)
class JobOverview:
    name: str
    description: str
    cron: dict[str, str]
    time_zone: str
    next_run_at: datetime | None
    last_runs: list[JobRun]


def jobs_overview(*, now: datetime | None = None, last: int = 5) -> list[JobOverview]:
    now = now or clock.now()
    tz = zone()
    return [
        JobOverview(
            name=job.name,
            description=job.description,
            cron={field: str(value) for field, value in job.cron.items()},
            time_zone=str(tz),
            next_run_at=next_fire_time(job, now=now, tz=tz),
            last_runs=ledger.runs_recent(job=job.name, limit=last),
        )
        for job in job_table().values()
    ]
