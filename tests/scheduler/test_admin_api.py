"""The admin job endpoints (docs/api.md): staff only, and the November 2026 report end to end."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from mutiroes.impact.models import EventReport
from mutiroes.jobs.models import JobRun
from mutiroes.scheduler.runner import Runner

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
MONTHLY = "/api/v1/admin/reports/monthly"
JOBS = "/api/v1/admin/jobs"


def run_path(job_id: int) -> str:
    return f"/api/v1/admin/job-runs/{job_id}"


ENDPOINTS = [
    ("post", MONTHLY, {"year": 2026, "month": 10}),
    ("get", JOBS, None),
    ("post", f"{JOBS}/cleanup_expired_events/run", None),
    ("get", run_path(1), None),
]


@pytest.fixture
def staff(user_factory):
    return user_factory(staff=True)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_anonymous_gets_401_and_a_non_staff_user_403_with_the_error_body(
    api_client, user_factory, stub_broker, frozen_clock, method, path, body
):
    send = getattr(api_client, method)
    kwargs = {"json": body} if method == "post" else {}

    anonymous = send(path, **kwargs)
    volunteer = send(path, user=user_factory(), **kwargs)

    assert anonymous.status_code == 401
    assert volunteer.status_code == 403
    assert volunteer.json()["code"] == "staff_only" and set(volunteer.json()) == {"code", "message", "details"}
    assert not JobRun.objects.exists()


@pytest.mark.django_db
def test_a_non_staff_user_gets_403_even_with_an_invalid_body(api_client, user_factory):
    response = api_client.post(MONTHLY, json={"year": 1, "month": 99, "extra": True}, user=user_factory())
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"year": 2026, "month": 13}, "month"),
        ({"year": 2026, "month": 0}, "month"),
        ({"year": 1999, "month": 5}, "year"),
        ({"year": 2201, "month": 5}, "year"),
        ({"year": 2026, "month": 12}, "month"),  # the future: it is 29 November 2026
        ({"year": 2027, "month": 1}, "month"),
        ({"year": 2026, "month": 10, "factors": "x"}, "factors"),
        ({"year": 2026}, "month"),
    ],
)
def test_monthly_report_requests_for_impossible_or_future_months_are_422(
    api_client, staff, stub_broker, frozen_clock, body, field
):
    response = api_client.post(MONTHLY, json=body, user=staff)

    assert response.status_code == 422
    assert field in str(response.json()["details"])
    assert not JobRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_staff_triggers_the_november_2026_report_and_watches_it_run(
    api_client, staff, event_factory, stub_broker, drain, frozen_clock
):
    event = event_factory(
        start_date=datetime(2026, 11, 14, 8, 0, tzinfo=SAO_PAULO),
        end_date=datetime(2026, 11, 14, 11, 0, tzinfo=SAO_PAULO),
    )
    EventReport.objects.create(
        event=event, participants=12, hours=Decimal("36"), trash_kg=Decimal("80.5"), recyclable_kg=Decimal("20"),
        area_m2=Decimal("500"), trees_planted=0,
    )  # fmt: skip
    assert api_client.get("/api/v1/impact/monthly", params={"year": 2026, "month": 11}).status_code == 404

    accepted = api_client.post(MONTHLY, json={"year": 2026, "month": 11}, user=staff)

    assert accepted.status_code == 202
    job_id = accepted.json()["job_id"]
    queued = api_client.get(run_path(job_id), user=staff).json()
    assert (queued["job"], queued["state"], queued["trigger"]) == ("generate_monthly_impact_report", "queued", "manual")
    assert queued["period"].startswith("2026-11") and queued["message_id"]
    assert queued["requested_by"] == staff.username

    drain()  # the worker, on the stub broker

    done = api_client.get(run_path(job_id), user=staff).json()
    assert (done["state"], done["attempts"], done["error"]) == ("done", 1, "")
    assert done["started_at"] is not None and done["finished_at"] is not None
    report = api_client.get("/api/v1/impact/monthly", params={"year": 2026, "month": 11})
    assert report.status_code == 200
    assert report.json()["totals"]["events"] == 1


@pytest.mark.django_db
def test_a_finished_month_has_one_run_shared_with_the_schedule(api_client, staff, stub_broker, frozen_clock):
    # The scheduler fired October's report on 1 November at 03:00.
    scheduled = Runner().tick("generate_monthly_impact_report", now=datetime(2026, 11, 1, 3, 0, tzinfo=SAO_PAULO))
    assert scheduled.period == "2026-10"

    first = api_client.post(MONTHLY, json={"year": 2026, "month": 10}, user=staff)
    second = api_client.post(MONTHLY, json={"year": 2026, "month": 10}, user=staff)

    assert first.status_code == second.status_code == 202
    assert first.json()["job_id"] == second.json()["job_id"] == scheduled.pk
    assert JobRun.objects.count() == 1


@pytest.mark.django_db
def test_asking_again_for_a_failed_month_tries_it_again(api_client, staff, stub_broker, frozen_clock):
    failed = JobRun.objects.create(
        job="generate_monthly_impact_report", period="2026-09", state="failed", error="boom", message_id="m1",
        scheduled_for=frozen_clock.now, created_at=frozen_clock.now, kwargs={"year": 2026, "month": 9},
    )  # fmt: skip

    response = api_client.post(MONTHLY, json={"year": 2026, "month": 9}, user=staff)

    assert response.json()["job_id"] == failed.pk
    failed.refresh_from_db()
    assert (failed.state, failed.trigger, failed.error) == ("queued", "manual", "")
    assert failed.message_id and failed.message_id != "m1"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("recorded", ["by the runner", "without arguments"])
def test_a_month_recorded_missed_is_generated_when_asked_for(
    api_client, staff, stub_broker, drain, frozen_clock, recorded
):
    if recorded == "by the runner":
        # No scheduler ran on 1 November: back on the 29th, the runner records October's report missed.
        Runner().catch_up(now=datetime(2026, 11, 29, 14, 0, tzinfo=SAO_PAULO))
        missed = JobRun.objects.get(job="generate_monthly_impact_report", period="2026-10")
        assert (missed.state, missed.kwargs) == ("missed", {"year": 2026, "month": 10})
    else:  # as runs recorded missed before the runner kept their arguments
        missed = JobRun.objects.create(
            job="generate_monthly_impact_report", period="2026-10", state="missed", scheduled_for=frozen_clock.now,
            created_at=frozen_clock.now, kwargs={},
        )  # fmt: skip

    accepted = api_client.post(MONTHLY, json={"year": 2026, "month": 10}, user=staff)
    assert accepted.status_code == 202 and accepted.json()["job_id"] == missed.pk
    drain()  # the worker, on the stub broker

    done = api_client.get(run_path(missed.pk), user=staff).json()
    assert (done["state"], done["error"]) == ("done", "")
    assert api_client.get("/api/v1/impact/monthly", params={"year": 2026, "month": 10}).status_code == 200


@pytest.mark.django_db
def test_the_current_month_does_not_take_the_key_of_the_final_scheduled_run(
    api_client, staff, stub_broker, frozen_clock
):
    api_client.post(MONTHLY, json={"year": 2026, "month": 11}, user=staff)

    final = Runner().tick("generate_monthly_impact_report", now=datetime(2026, 12, 1, 3, 0, tzinfo=SAO_PAULO))

    assert final is not None and final.period == "2026-11"
    assert JobRun.objects.filter(job="generate_monthly_impact_report").count() == 2


@pytest.mark.django_db
def test_run_now_is_one_run_per_minute_and_unknown_jobs_are_404(api_client, staff, stub_broker, frozen_clock):
    first = api_client.post(f"{JOBS}/cleanup_expired_events/run", user=staff)
    double_click = api_client.post(f"{JOBS}/cleanup_expired_events/run", user=staff)
    frozen_clock.set(datetime(2026, 11, 29, 14, 1, tzinfo=SAO_PAULO))
    a_minute_later = api_client.post(f"{JOBS}/cleanup_expired_events/run", user=staff)

    assert first.status_code == double_click.status_code == a_minute_later.status_code == 202
    assert first.json()["job_id"] == double_click.json()["job_id"] != a_minute_later.json()["job_id"]
    run = JobRun.objects.get(pk=first.json()["job_id"])
    assert (run.trigger, run.period) == ("manual", "manual 2026-11-29T14:00-0300")
    missing = api_client.post(f"{JOBS}/no_such_job/run", user=staff)
    assert missing.status_code == 404 and missing.json()["code"] == "job_not_found"
    assert api_client.get(run_path(999_999), user=staff).status_code == 404


@pytest.mark.django_db
def test_the_job_list_shows_schedules_next_run_times_and_recent_runs(api_client, staff, stub_broker, frozen_clock):
    api_client.post(f"{JOBS}/cleanup_expired_events/run", user=staff)

    response = api_client.get(JOBS, user=staff)

    assert response.status_code == 200
    body = response.json()
    jobs = {job["name"]: job for job in body["items"]}
    assert body["count"] == 3
    assert set(jobs) == {"cleanup_expired_events", "generate_monthly_impact_report", "scan_event_reminders"}
    assert jobs["cleanup_expired_events"]["next_run_at"] == "2026-11-30T02:00:00-03:00"
    assert jobs["generate_monthly_impact_report"]["next_run_at"] == "2026-12-01T03:00:00-03:00"
    assert jobs["scan_event_reminders"]["next_run_at"] == "2026-11-29T14:00:00-03:00"
    assert jobs["cleanup_expired_events"]["time_zone"] == "America/Sao_Paulo"
    [last] = jobs["cleanup_expired_events"]["last_runs"]
    assert (last["state"], last["trigger"]) == ("queued", "manual")
