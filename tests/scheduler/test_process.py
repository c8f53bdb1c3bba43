"""How the process wires APScheduler: each job a CronTrigger with coalesce, one instance, the grace as misfire time."""

import time

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from mutiroes.jobs.models import JobRun
from mutiroes.scheduler.process import MAINTENANCE_JOB, build_scheduler, start_embedded
from mutiroes.scheduler.runner import Runner


def test_every_job_is_a_coalescing_single_instance_cron_with_the_grace_as_misfire_time(settings):
    settings.SCHEDULER_GRACE_S = 1800
    scheduler = build_scheduler(BackgroundScheduler, Runner())
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)

    assert set(jobs) == {
        "cleanup_expired_events", "generate_monthly_impact_report", "scan_event_reminders", MAINTENANCE_JOB,
    }  # fmt: skip
    for job in jobs.values():
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 1800)
        assert isinstance(job.trigger, CronTrigger) and str(job.trigger.timezone) == "America/Sao_Paulo"
    assert str(jobs["cleanup_expired_events"].trigger) == "cron[hour='2', minute='0']"
    assert str(jobs["generate_monthly_impact_report"].trigger) == "cron[day='1', hour='3', minute='0']"
    assert str(jobs[MAINTENANCE_JOB].trigger) == "cron[second='0']"  # the re-drive tick, every minute


@pytest.mark.django_db(transaction=True)
def test_the_embedded_scheduler_catches_up_at_start(stub_broker):
    scheduler = start_embedded()
    try:
        deadline = time.monotonic() + 10
        while JobRun.objects.filter(job="scan_event_reminders").count() == 0:
            assert time.monotonic() < deadline, "no catch-up run"
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    # The current hour's scan was due less than an hour ago: it ran; the others are recorded or ran once each.
    assert JobRun.objects.get(job="scan_event_reminders").trigger == "catch_up"
    assert JobRun.objects.filter(job="cleanup_expired_events").count() == 1
