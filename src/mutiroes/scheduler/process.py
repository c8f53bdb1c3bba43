"""The scheduler process (``mutiroes scheduler``) and its embedded twin inside ``mutiroes dev``.

APScheduler only wakes us up: each job is a CronTrigger in the scheduler's zone with coalesce, one
instance at a time and a misfire grace time. Whether a wake-up fires anything is decided by the leader
lock and the run ledger (runner.py), so any number of these processes may run.
"""

import argparse
import logging
import os
import signal
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

logger = logging.getLogger(__name__)
MAINTENANCE_JOB = "scheduler_redrive"
CATCH_UP_JOB = "scheduler_catch_up"


def _with_connections(fn: Callable[..., Any]) -> Callable[..., Any]:
    """APScheduler runs jobs on a thread pool: give each run fresh Django connections and close them after."""

    def run(*args: Any, **kwargs: Any) -> Any:
        from django.db import close_old_connections

        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    run.__name__ = getattr(fn, "__name__", "job")
    return run


def build_scheduler(scheduler_class: type[BaseScheduler], runner: Any) -> BaseScheduler:
    from django.conf import settings

    from mutiroes.scheduler.schedule import trigger

    grace_s = int(runner.grace.total_seconds())
    scheduler = scheduler_class(
        timezone=runner.tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace_s},
    )
    for job in runner.table.values():
        scheduler.add_job(
            _with_connections(runner.tick), trigger(job, runner.tz), args=[job.name], id=job.name, name=job.description
        )
    # Re-drive what failed to reach the broker: every minute, or every few seconds when tests speed the cron up.
    redrive = CronTrigger(second="*/5", timezone=runner.tz) if settings.SCHEDULER_CRON_OVERRIDES else None
    scheduler.add_job(
        _with_connections(runner.maintenance),
        redrive or CronTrigger(second=0, timezone=runner.tz),
        id=MAINTENANCE_JOB,
        name="re-drive runs that failed to enqueue",
    )
    return scheduler


def _runner_and_leader() -> tuple[Any, Any]:
    from django.conf import settings

    from mutiroes.scheduler.leader import leader_for_database
    from mutiroes.scheduler.runner import Runner

    leader = leader_for_database(ttl_s=settings.SCHEDULER_LOCK_TTL_S)
    return Runner(leader=leader), leader


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="mutiroes scheduler",
        description="Fire the periodic jobs (any number may run: one leader fires, the run ledger keeps one run "
        "per period).",
    )
    parser.add_argument("--metrics-port", type=int, help="/metrics on METRICS_HOST:this port (default METRICS_PORT)")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.conf import settings

    from mutiroes.scheduler.metrics import serve_scheduler_metrics

    metrics_port = settings.METRICS_PORT if args.metrics_port is None else args.metrics_port
    if metrics_port:
        serve_scheduler_metrics(metrics_port)

    from mutiroes.infra.consul import register_process
    from mutiroes.scheduler.leader import Heartbeat

    runner, leader = _runner_and_leader()
    scheduler = build_scheduler(BlockingScheduler, runner)
    catch_up = _with_connections(runner.catch_up)

    def on_elected() -> None:
        # On the scheduler's thread pool, not the heartbeat's thread: a slow catch-up (the broker down, retrying)
        # must not hold up the renewals, or the new leader would lose the lock while catching up.
        scheduler.add_job(catch_up, id=CATCH_UP_JOB, name="catch up missed runs", replace_existing=True)

    heartbeat = Heartbeat(leader, interval_s=settings.SCHEDULER_LOCK_TTL_S / 3, on_elected=on_elected)

    def stop(signum: int, frame: Any) -> None:
        logger.info("scheduler %s stopping on signal %s", os.getpid(), signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info(
        "scheduler %s starting: %s, zone %s, grace %s, lock TTL %ss",
        os.getpid(), ", ".join(f"{job.name} ({job.description})" for job in runner.table.values()), runner.tz,
        timedelta(seconds=settings.SCHEDULER_GRACE_S), settings.SCHEDULER_LOCK_TTL_S,
    )  # fmt: skip
    heartbeat.start()  # its first beat elects a leader, and the leader catches up at once
    registration = register_process("scheduler")  # in the background; None unless CONSUL_ENABLED
    try:
        scheduler.start()
    finally:
        if registration is not None:
            registration.stop()
        heartbeat.stop()
        leader.close()
        logger.info("scheduler %s stopped", os.getpid())


def start_embedded() -> BackgroundScheduler:
    """The embedded mode's scheduler: a background thread in ``mutiroes dev`` (one process, always the leader)."""
    runner, _leader = _runner_and_leader()
    scheduler = build_scheduler(BackgroundScheduler, runner)
    scheduler.add_job(_with_connections(runner.catch_up), id=CATCH_UP_JOB, name="catch up missed runs")
    scheduler.start()
    logger.info("embedded scheduler started (%s jobs)", len(runner.table))
    return scheduler
