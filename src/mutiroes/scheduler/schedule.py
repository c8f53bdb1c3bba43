"""The schedule: which jobs fire when, which period each fire stands for, and what it enqueues.

Jobs only enqueue (APScheduler FAQ: one process that schedules, workers that work). A fire time maps to a
period key in the scheduler's time zone; the run ledger keeps one run per (job, period), which is what
makes month ends, February and daylight-saving changes "once per period" whatever the clock does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from django.conf import settings

from mutiroes.jobs import registry as names


def daily(fire: datetime) -> str:
    return fire.date().isoformat()  # "2026-11-29"


def previous_month(fire: datetime) -> str:
    first = fire.date().replace(day=1)
    last_month = first - timedelta(days=1)
    return f"{last_month.year:04d}-{last_month.month:02d}"  # fired 2026-11-01 → "2026-10"


def hourly(fire: datetime) -> str:
    # The UTC offset keeps the repeated hour of a DST fall-back a distinct period: "2026-11-29T14-0300".
    return fire.strftime("%Y-%m-%dT%H%z")


def exact(fire: datetime) -> str:
    """Each fire time its own period: for test overrides that fire every few seconds."""
    return fire.isoformat(timespec="seconds")


def _no_kwargs(fire: datetime, now: datetime) -> list[dict[str, Any]]:
    return [{}]


def _report_month(fire: datetime, now: datetime) -> list[dict[str, Any]]:
    year, month = (int(part) for part in previous_month(fire).split("-"))
    return [{"year": year, "month": month}]


def _due_reminders(fire: datetime, now: datetime) -> list[dict[str, Any]]:
    from mutiroes.notifications.services import reminders_due

    # The scan looks at the present, not at the fire time: a late (catch-up) scan still finds what is due now.
    return [{"event_id": event_id} for event_id in reminders_due(now=now)]


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    cron: Mapping[str, Any]
    period: Callable[[datetime], str]
    actor_name: str
    # The kwargs of each message a fire enqueues, from the fire time (in the scheduler's zone) and the present.
    messages: Callable[[datetime, datetime], list[dict[str, Any]]] = _no_kwargs
    # One message whose worker reports the run's state; False for fan-outs, done once all are enqueued.
    tracked: bool = True

    @property
    def queue_name(self) -> str:
        return names.QUEUES[self.actor_name]


JOBS: tuple[Job, ...] = (
    Job(
        name=names.CLEANUP_EXPIRED_EVENTS,
        description="daily at 02:00",
        cron={"hour": 2, "minute": 0},
        period=daily,
        actor_name=names.CLEANUP_EXPIRED_EVENTS,
    ),
    Job(
        name=names.GENERATE_MONTHLY_IMPACT_REPORT,
        description="monthly on the 1st at 03:00, for the previous month",
        cron={"day": 1, "hour": 3, "minute": 0},
        period=previous_month,
        actor_name=names.GENERATE_MONTHLY_IMPACT_REPORT,
        messages=_report_month,
    ),
    Job(
        name="scan_event_reminders",
        description="hourly at minute 0: reminders for events whose participants' lead time has opened",
        cron={"minute": 0},
        period=hourly,
        actor_name=names.SEND_BULK_EVENT_REMINDERS,
        messages=_due_reminders,
        tracked=False,
    ),
)


def zone() -> ZoneInfo:
    return ZoneInfo(settings.SCHEDULER_TIME_ZONE)


def job_table() -> dict[str, Job]:
    """The JOBS table with the test overrides of SCHEDULER_CRON_OVERRIDES applied (an override replaces the cron
    and makes every fire time its own period, so a job firing every two seconds has a run per fire)."""
    overrides: dict[str, Any] = settings.SCHEDULER_CRON_OVERRIDES
    unknown = set(overrides) - {job.name for job in JOBS}
    if unknown:
        raise ValueError(f"SCHEDULER_CRON_OVERRIDES names unknown jobs: {sorted(unknown)}")
    table = {}
    for job in JOBS:
        if job.name in overrides:
            cron = dict(overrides[job.name])
            job = replace(job, cron=cron, period=exact, description=f"cron {cron} (override)")
        table[job.name] = job
    return table


def trigger(job: Job, tz: ZoneInfo | None = None) -> CronTrigger:
    return CronTrigger(timezone=tz or zone(), **job.cron)


def fire_times(job: Job, *, start: datetime, end: datetime, tz: ZoneInfo | None = None) -> list[datetime]:
    """Every fire time in [start, end], in the scheduler's zone, as APScheduler computes them."""
    cron, tz = trigger(job, tz), tz or zone()
    times, cursor = [], start
    while (fire := cron.get_next_fire_time(None, cursor)) is not None and fire <= end:
        fire = fire.astimezone(tz)  # normalise a DST-gap time such as 02:00-05:00 to the real wall clock
        times.append(fire)
        # Step in UTC: wall-clock arithmetic inside a repeated (fall-back) hour would loop.
        cursor = fire.astimezone(UTC) + timedelta(microseconds=1)
    return times


# How far back to look for a job's latest fire time: widening windows keep the common case cheap.
_LOOKBACK = (timedelta(minutes=1), timedelta(hours=2), timedelta(days=2), timedelta(days=35), timedelta(days=400))


def latest_fire_time(job: Job, *, now: datetime, tz: ZoneInfo | None = None) -> datetime | None:
    """The last fire time at or before ``now``, or None if there was none within a year."""
    for window in _LOOKBACK:
        times = fire_times(job, start=now - window, end=now, tz=tz)
        if times:
            return times[-1]
    return None


def next_fire_time(job: Job, *, now: datetime, tz: ZoneInfo | None = None) -> datetime | None:
    fire = trigger(job, tz).get_next_fire_time(None, now)
    return fire.astimezone(tz or zone()) if fire is not None else None
