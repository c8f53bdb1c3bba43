"""The runner's decisions with the clock passed in (docs/reliability.md): one run per period whoever fires
(scenario 8), catch-up within the grace time and missed beyond it (scenario 9), Redis down at the fire time
(scenario 10), worker-side states."""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from mutiroes.jobs import registry as names
from mutiroes.jobs.models import JobRun
from mutiroes.scheduler import schedule
from mutiroes.scheduler.runner import Runner
from mutiroes.scheduler.schedule import job_table
from tests.metrics.support import own_metrics, value
from tests.support.brokers import queued
from tests.support.concurrency import at_once

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
LISBON = ZoneInfo("Europe/Lisbon")
CLEANUP = names.CLEANUP_EXPIRED_EVENTS
MONTHLY = names.GENERATE_MONTHLY_IMPACT_REPORT
GRACE = timedelta(hours=1)


def at(*args: int, tz: ZoneInfo = SAO_PAULO) -> datetime:
    return datetime(*args, tzinfo=tz)


class SwitchLeader:
    def __init__(self, leads: bool = True) -> None:
        self.leads = leads

    def is_leader(self) -> bool:
        return self.leads

    def close(self) -> None:
        pass


def runner(leader: SwitchLeader | None = None, tz: ZoneInfo = SAO_PAULO) -> Runner:
    return Runner(leader=leader or SwitchLeader(), tz=tz, grace=GRACE)


@pytest.mark.django_db
def test_a_fired_run_starts_a_trace_that_its_message_carries_to_the_actor(stub_broker, spans):
    run = runner().tick(CLEANUP, now=at(2026, 11, 29, 2, 0, 0))

    [dispatch] = [s for s in spans.get_finished_spans() if s.name == f"{CLEANUP} dispatch"]
    assert dispatch.parent is None and dispatch.attributes["scheduler.run"] == run.pk
    [message] = queued(stub_broker, "maintenance")
    trace_id, parent_id = message.options["trace_context"]["traceparent"].split("-")[1:3]
    assert (trace_id, parent_id) == (
        format(dispatch.context.trace_id, "032x"),
        format(dispatch.context.span_id, "016x"),
    )


@pytest.mark.django_db
def test_a_fire_claims_the_period_and_enqueues_one_message_carrying_the_run(stub_broker):
    run = runner().tick(CLEANUP, now=at(2026, 11, 29, 2, 0, 0))

    assert (run.job, run.period, run.state, run.trigger) == (CLEANUP, "2026-11-29", "queued", "schedule")
    assert run.scheduled_for == at(2026, 11, 29, 2, 0)
    [message] = queued(stub_broker, "maintenance")
    assert (message.actor_name, message.kwargs, message.options["run_id"]) == (CLEANUP, {}, run.pk)
    assert run.message_id == message.message_id


@pytest.mark.django_db
def test_the_monthly_fire_on_the_1st_asks_for_the_previous_month(stub_broker):
    run = runner().tick(MONTHLY, now=at(2027, 1, 1, 3, 0, 5))

    assert run.period == "2026-12"
    [message] = queued(stub_broker, "reports")
    assert message.kwargs == {"year": 2026, "month": 12}


@pytest.mark.django_db
def test_a_second_fire_of_the_same_period_is_a_no_op_whoever_fires_it(stub_broker):
    first, second = runner(), runner()  # two processes that both believe they lead (a resumed paused leader)
    now = at(2026, 11, 29, 2, 0, 1)

    assert first.tick(CLEANUP, now=now) is not None
    assert second.tick(CLEANUP, now=now + timedelta(seconds=30)) is None
    assert CLEANUP not in {run.job for run in first.catch_up(now=now + timedelta(minutes=5))}

    assert JobRun.objects.filter(job=CLEANUP).count() == 1
    assert len(queued(stub_broker, "maintenance")) == 1


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_firing_at_the_same_instant_make_one_run(stub_broker):
    """Scenario 8, in-process: both pass their leader check (split brain), the UNIQUE key keeps one run."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    now = at(2026, 12, 1, 3, 0, 0)
    results = at_once(lambda: runner().tick(MONTHLY, now=now), 8)

    assert len([run for run in results if run is not None]) == 1
    assert list(JobRun.objects.values_list("job", "period")) == [(MONTHLY, "2026-11")]
    assert len(queued(stub_broker, "reports")) == 1


@pytest.mark.django_db
def test_a_standby_does_not_fire(stub_broker):
    assert runner(SwitchLeader(leads=False)).tick(CLEANUP, now=at(2026, 11, 29, 2, 0)) is None
    assert runner(SwitchLeader(leads=False)).catch_up(now=at(2026, 11, 29, 2, 30)) == []
    assert not JobRun.objects.exists()
    assert queued(stub_broker, "maintenance") == []


@pytest.mark.django_db
def test_back_within_the_grace_time_each_job_runs_once(stub_broker):
    """Scenario 9: down from 01:50 to 02:40, the 02:00 cleanup (and the 02:00 scan) run once on return."""
    scheduler = runner()
    runs = scheduler.catch_up(now=at(2026, 11, 29, 2, 40))

    cleanup = next(run for run in runs if run.job == CLEANUP)
    assert (cleanup.period, cleanup.trigger, cleanup.state) == ("2026-11-29", "catch_up", "queued")
    assert cleanup.scheduled_for == at(2026, 11, 29, 2, 0)
    assert len(queued(stub_broker, "maintenance")) == 1
    # Coming back again (a restart, a new leader) or the schedule waking up late: nothing more.
    assert scheduler.catch_up(now=at(2026, 11, 29, 2, 50)) == []
    assert scheduler.tick(CLEANUP, now=at(2026, 11, 29, 2, 55)) is None
    assert JobRun.objects.filter(job=CLEANUP).count() == 1


@pytest.mark.django_db
def test_back_after_the_grace_time_the_run_is_recorded_missed_and_logged(stub_broker, caplog, client):
    caplog.set_level(logging.WARNING, logger="mutiroes.scheduler.runner")
    before = own_metrics(client)
    runs = runner().catch_up(now=at(2026, 11, 29, 3, 30))  # the 02:00 cleanup is 1 h 30 late

    missed = next(run for run in runs if run.job == CLEANUP)
    assert (missed.period, missed.state) == ("2026-11-29", "missed")
    assert "grace" in missed.error
    assert queued(stub_broker, "maintenance") == []
    assert any("MISSED" in record.message and CLEANUP in record.message for record in caplog.records)
    # The monthly report of October, due 1 November, is long past too.
    assert JobRun.objects.get(job=MONTHLY).state == "missed"
    after = own_metrics(client)
    for job in (CLEANUP, MONTHLY):
        missed_runs = [value(text, "mutiroes_scheduler_missed_runs_total", job=job) for text in (before, after)]
        assert missed_runs[1] == missed_runs[0] + 1, job


@pytest.mark.django_db
def test_the_repeated_autumn_hour_fires_a_daily_job_once(stub_broker):
    """Scenario 12 through the ledger: a cron at 01:30 in Lisbon fires twice on 25 October 2026."""
    job = schedule.Job(
        name=CLEANUP, description="", cron={"hour": 1, "minute": 30}, period=schedule.daily, actor_name=CLEANUP
    )
    scheduler = Runner(leader=SwitchLeader(), table={CLEANUP: job}, tz=LISBON, grace=GRACE)
    day = at(2026, 10, 25, tz=LISBON)
    fires = schedule.fire_times(job, start=day, end=day + timedelta(days=1), tz=LISBON)
    assert len(fires) == 2

    results = [scheduler.fire(job, fire_time=fire, now=fire) for fire in fires]

    assert [run is not None for run in results] == [True, False]
    assert len(queued(stub_broker, "maintenance")) == 1


@pytest.mark.django_db
def test_redis_down_at_the_fire_time_retries_then_fails_and_the_next_tick_re_drives(stub_broker, monkeypatch, caplog):
    """Scenario 10: three tries with backoff (each retry logged), the run failed with the error, re-driven."""
    caplog.set_level(logging.WARNING, logger="mutiroes.resilience.retry")
    calls = []

    def broker_down(message, *, delay=None):
        calls.append(message.message_id)
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(stub_broker, "enqueue", broker_down)
    scheduler = runner()
    run = scheduler.tick(CLEANUP, now=at(2026, 11, 29, 2, 0, 1))

    assert len(calls) == 3
    assert len([r for r in caplog.records if r.message.startswith("retrying")]) == 2
    assert (run.state, run.message_id) == ("failed", "")
    assert "Connection refused" in run.error
    assert scheduler.tick(CLEANUP, now=at(2026, 11, 29, 2, 0, 30)) is None  # not fired again: it is re-driven

    monkeypatch.undo()  # Redis is back
    [redriven] = scheduler.redrive(now=at(2026, 11, 29, 2, 1))

    assert (redriven.pk, redriven.state, redriven.error) == (run.pk, "queued", "")
    [message] = queued(stub_broker, "maintenance")
    assert message.options["run_id"] == run.pk
    assert scheduler.redrive(now=at(2026, 11, 29, 2, 2)) == []


@pytest.mark.django_db
def test_the_re_drive_leaves_worker_failures_and_runs_older_than_the_grace_time(stub_broker):
    def make(period: str, created: datetime, **fields) -> JobRun:
        return JobRun.objects.create(
            job=CLEANUP, period=period, scheduled_for=created, created_at=created, state="failed", **fields
        )

    now = at(2026, 11, 29, 12, 0)
    make("worker-failed", now - timedelta(minutes=5), message_id="abc", error="ValueError: boom")
    make("too-old", now - GRACE - timedelta(minutes=1), error="enqueue failed")
    recent = make("recent", now - timedelta(minutes=5), error="enqueue failed")
    JobRun.objects.create(
        job=CLEANUP, period="orphan", scheduled_for=now, created_at=now - timedelta(minutes=2), state="queued"
    )

    redriven = runner().redrive(now=now)

    assert sorted(run.period for run in redriven) == ["orphan", "recent"]
    assert JobRun.objects.get(pk=recent.pk).state == "queued"
    assert len(queued(stub_broker, "maintenance")) == 2


@pytest.mark.django_db(transaction=True)
def test_the_worker_reports_running_then_done(stub_broker, drain):
    run = runner().tick(CLEANUP, now=at(2026, 11, 29, 2, 0))
    drain()

    run.refresh_from_db()
    assert (run.state, run.attempts, run.error) == ("done", 1, "")
    assert run.started_at is not None and run.finished_at >= run.started_at


@pytest.mark.django_db(transaction=True)
def test_the_worker_marks_the_run_failed_only_after_the_last_attempt(stub_broker, drain, monkeypatch):
    states = []

    def broken_cleanup() -> None:
        states.append(JobRun.objects.get().state)
        raise RuntimeError("database said no")

    monkeypatch.setattr("mutiroes.events.services.events_complete_expired", broken_cleanup)
    run = runner().tick(CLEANUP, now=at(2026, 11, 29, 2, 0))
    drain()

    run.refresh_from_db()
    assert states == ["running", "running", "running"]  # three attempts, never "failed" in between
    assert (run.state, run.attempts) == ("failed", 3)
    assert "RuntimeError: database said no" in run.error


@pytest.mark.django_db
def test_the_reminder_scan_enqueues_one_fan_out_per_due_event_and_is_done_once_enqueued(stub_broker, monkeypatch):
    monkeypatch.setattr("mutiroes.notifications.services.reminders_due", lambda *, now: [11, 12])
    run = runner().tick("scan_event_reminders", now=at(2026, 11, 29, 14, 0, 2))

    assert (run.period, run.state, run.messages) == ("2026-11-29T14-0300", "done", 2)
    assert [m.kwargs for m in queued(stub_broker, "emails")] == [{"event_id": 11}, {"event_id": 12}]
    assert all("run_id" not in m.options for m in queued(stub_broker, "emails"))


def test_the_schedule_table_uses_the_configured_zone(settings):
    settings.SCHEDULER_TIME_ZONE = "Europe/Lisbon"
    scheduler = Runner(leader=SwitchLeader())
    assert str(scheduler.tz) == "Europe/Lisbon"
    assert set(scheduler.table) == set(job_table())
