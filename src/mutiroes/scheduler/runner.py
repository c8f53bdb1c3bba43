"""Firing: leader check, ledger claim, enqueue with retries; catch-up of missed fire times; re-drive.

``Runner.tick(name)`` is what APScheduler calls. It fires the job's latest fire time at or before now,
so a late wake-up (a misfire within the grace time, a resumed process) still names the right period,
and the ledger turns every repeat into a no-op.
"""

import logging
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dramatiq
from django.conf import settings
from opentelemetry.trace import SpanKind

from mutiroes.core import clock
from mutiroes.infra import logs, metrics, tracing
from mutiroes.infra.broker import enqueue as broker_enqueue
from mutiroes.jobs import ledger
from mutiroes.jobs.models import JobRun
from mutiroes.scheduler.leader import AlwaysLeader, Leader
from mutiroes.scheduler.schedule import Job, job_table, latest_fire_time, zone

logger = logging.getLogger(__name__)
Trigger = JobRun.Trigger
ENQUEUE_TRIES = 3


def dispatch(run: JobRun, *, job: Job, fire_time: datetime, now: datetime, tries: int = ENQUEUE_TRIES) -> JobRun:
    """Hand a claimed run's message(s) to the broker; on failure the run is marked failed for the re-drive."""
    # The start of the run's trace: the messages carry it (infra.worker_middleware.Tracing) to their actors.
    attributes = {"scheduler.run": run.pk, "scheduler.period": run.period, "scheduler.trigger": run.trigger}
    with logs.bound(job=run.job), tracing.span(f"{run.job} dispatch", kind=SpanKind.PRODUCER, attributes=attributes):
        return _dispatch(run, job=job, fire_time=fire_time, now=now, tries=tries)


def _dispatch(run: JobRun, *, job: Job, fire_time: datetime, now: datetime, tries: int) -> JobRun:
    try:
        kwargs_list = [run.kwargs] if job.tracked else job.messages(fire_time, now)
        # The worker-side ledger middleware reports the state of tracked runs by this option.
        options = {"run_id": run.pk} if job.tracked else {}
        # At most three hand-overs per message, inside the broker breaker (infra.broker.enqueue).
        message_ids = [
            broker_enqueue(dramatiq.Message(
                queue_name=job.queue_name, actor_name=job.actor_name, args=(), kwargs=kwargs, options=dict(options),
            ), tries=tries).message_id
            for kwargs in kwargs_list
        ]  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - whatever the broker raised, the run must say it failed
        ledger.run_enqueue_failed(run_id=run.pk, error=f"enqueue failed: {type(exc).__name__}: {exc}", now=now)
        logger.error("run %s (%s %s) not enqueued, left for the re-drive: %s", run.pk, run.job, run.period, exc)
    else:
        ledger.run_enqueued(
            run_id=run.pk, message_id=message_ids[0] if message_ids else "", messages=len(message_ids),
            done=not job.tracked, now=now,
        )  # fmt: skip
        logger.info("run %s (%s %s) enqueued: %s message(s)", run.pk, run.job, run.period, len(message_ids))
    run.refresh_from_db()
    return run


class Runner:
    """The scheduler's decisions, with the clock passed in (``now``) so tests drive them without waiting."""

    def __init__(
        self,
        *,
        leader: Leader | None = None,
        table: dict[str, Job] | None = None,
        tz: ZoneInfo | None = None,
        grace: timedelta | None = None,
    ) -> None:
        self.leader = leader or AlwaysLeader()
        self.table = table if table is not None else job_table()
        self.tz = tz or zone()
        self.grace = grace if grace is not None else timedelta(seconds=settings.SCHEDULER_GRACE_S)

    def tick(self, name: str, *, now: datetime | None = None) -> JobRun | None:
        """APScheduler's entry point: fire the job's latest due period."""
        now = now or clock.now()
        job = self.table[name]
        fire_time = latest_fire_time(job, now=now, tz=self.tz)
        if fire_time is None:
            return None
        with logs.bound(job=name):
            return self.fire(job, fire_time=fire_time, now=now)

    def fire(
        self, job: Job, *, fire_time: datetime, now: datetime | None = None, trigger: str = Trigger.SCHEDULE
    ) -> JobRun | None:
        """Claim (job, period) and enqueue; None when not the leader or when the period already has its run."""
        now = now or clock.now()
        fire_time = fire_time.astimezone(self.tz)
        period = job.period(fire_time)
        if not self.leader.is_leader():
            logger.info("%s %s: not the leader, left to the leader", job.name, period)
            return None
        kwargs = job.messages(fire_time, now)[0] if job.tracked else {}
        run = ledger.run_claim(
            job=job.name, period=period, trigger=trigger, scheduled_for=fire_time, kwargs=kwargs, now=now
        )
        if run is None:
            logger.info("%s %s already has its run: this fire is a no-op", job.name, period)
            return None
        logger.info("%s %s claimed as run %s (%s, due %s)", job.name, period, run.pk, trigger, fire_time.isoformat())
        return dispatch(run, job=job, fire_time=fire_time, now=now)

    def catch_up(self, *, now: datetime | None = None) -> list[JobRun]:
        """For each job's latest fire time without a run: fire it once within the grace time, else record it missed."""
        now = now or clock.now()
        if not self.leader.is_leader():
            return []
        runs = []
        for job in self.table.values():
            fire_time = latest_fire_time(job, now=now, tz=self.tz)
            if fire_time is None or ledger.run_find(job=job.name, period=job.period(fire_time)) is not None:
                continue
            if now - fire_time <= self.grace:
                run = self.fire(job, fire_time=fire_time, now=now, trigger=Trigger.CATCH_UP)
            else:
                run = self._missed(job, fire_time=fire_time, now=now)
            if run is not None:
                runs.append(run)
        return runs

    def _missed(self, job: Job, *, fire_time: datetime, now: datetime) -> JobRun | None:
        late = now - fire_time
        # The arguments it would have run with are recorded, so that asking for it again runs the same period.
        run = ledger.run_claim(
            job=job.name, period=job.period(fire_time), trigger=Trigger.SCHEDULE, scheduled_for=fire_time,
            kwargs=job.messages(fire_time, now)[0] if job.tracked else {}, state=JobRun.State.MISSED, now=now,
        )  # fmt: skip
        if run is not None:
            metrics.SCHEDULER_MISSED.labels(job.name).inc()
            error = f"missed: no scheduler ran within the grace time ({self.grace}) after the fire time; late by {late}"
            JobRun.objects.filter(pk=run.pk).update(error=error)
            logger.warning(
                "%s %s MISSED: due %s, the scheduler came back %s later (grace %s); the admin API can run it",
                job.name, run.period, fire_time.isoformat(), late, self.grace,
            )  # fmt: skip
            run.refresh_from_db()
        return run

    def redrive(self, *, now: datetime | None = None) -> list[JobRun]:
        """Enqueue again the runs of the last grace period that never reached the broker."""
        now = now or clock.now()
        if not self.leader.is_leader():
            return []
        runs = []
        for run in ledger.runs_to_redrive(now=now, grace=self.grace):
            job = self.table.get(run.job)
            if job is None:
                continue
            logger.warning("re-driving run %s (%s %s, %s): %s", run.pk, run.job, run.period, run.state, run.error)
            runs.append(dispatch(run, job=job, fire_time=run.scheduled_for.astimezone(self.tz), now=now))
        return runs

    def maintenance(self, *, now: datetime | None = None) -> None:
        """The minute tick: re-drive what failed to enqueue."""
        started = time.monotonic()
        runs = self.redrive(now=now)
        if runs:
            logger.info("re-drive tick: %s run(s) in %.2fs", len(runs), time.monotonic() - started)
