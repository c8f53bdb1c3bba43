"""Fire times (APScheduler's own trigger computations) → period keys: once per period across month ends,
February, and daylight-saving changes (docs/reliability.md, scenario 12)."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mutiroes.scheduler import schedule
from mutiroes.scheduler.schedule import JOBS, fire_times, latest_fire_time, next_fire_time

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NEW_YORK = ZoneInfo("America/New_York")
LISBON = ZoneInfo("Europe/Lisbon")
TABLE = {job.name: job for job in JOBS}
CLEANUP = TABLE["cleanup_expired_events"]
MONTHLY = TABLE["generate_monthly_impact_report"]
REMINDERS = TABLE["scan_event_reminders"]


def _days(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def test_the_table_fires_cleanup_at_2_monthly_on_the_1st_at_3_and_the_scan_hourly():
    start = datetime(2026, 11, 29, 0, 0, tzinfo=SAO_PAULO)
    assert next_fire_time(CLEANUP, now=start, tz=SAO_PAULO) == datetime(2026, 11, 29, 2, 0, tzinfo=SAO_PAULO)
    assert next_fire_time(MONTHLY, now=start, tz=SAO_PAULO) == datetime(2026, 12, 1, 3, 0, tzinfo=SAO_PAULO)
    assert next_fire_time(REMINDERS, now=start, tz=SAO_PAULO) == datetime(2026, 11, 29, 0, 0, tzinfo=SAO_PAULO)


def test_daily_periods_across_month_ends_and_february_are_one_per_day():
    for year, last_of_february in ((2026, 28), (2028, 29)):
        start = datetime(year, 1, 30, tzinfo=SAO_PAULO)
        end = datetime(year, 3, 2, 23, 59, tzinfo=SAO_PAULO)
        periods = [CLEANUP.period(fire) for fire in fire_times(CLEANUP, start=start, end=end, tz=SAO_PAULO)]
        assert periods == _days(date(year, 1, 30), date(year, 3, 2))
        assert f"{year}-02-{last_of_february}" in periods
        assert f"{year}-02-29" in periods if last_of_february == 29 else f"{year}-02-29" not in periods


def test_the_monthly_report_covers_each_previous_month_once_over_two_years_with_a_leap_february():
    start = datetime(2026, 12, 15, tzinfo=SAO_PAULO)
    end = datetime(2028, 12, 15, tzinfo=SAO_PAULO)
    fires = fire_times(MONTHLY, start=start, end=end, tz=SAO_PAULO)
    periods = [MONTHLY.period(fire) for fire in fires]

    assert all((fire.day, fire.hour, fire.minute) == (1, 3, 0) for fire in fires)
    assert periods[0] == "2026-12"  # fired 1 January 2027: the previous month is in the previous year
    assert periods == [f"{y:04d}-{m:02d}" for y in (2026, 2027, 2028) for m in range(1, 13)][11:35]
    assert "2028-02" in periods and fires[periods.index("2028-02")].date() == date(2028, 3, 1)
    assert MONTHLY.messages(fires[periods.index("2028-02")], fires[0]) == [{"year": 2028, "month": 2}]


@pytest.mark.parametrize(
    ("tz", "spring", "autumn"),
    [
        (NEW_YORK, date(2026, 3, 8), date(2026, 11, 1)),  # 02:00 → 03:00; 02:00 → 01:00
        (LISBON, date(2026, 3, 29), date(2026, 10, 25)),  # 01:00 → 02:00; 02:00 → 01:00
    ],
)
def test_each_job_fires_once_per_period_across_daylight_saving_changes(tz, spring, autumn):
    for change in (spring, autumn):
        start = datetime(change.year, change.month, change.day, tzinfo=tz) - timedelta(days=2)
        end = start + timedelta(days=4)

        daily = [CLEANUP.period(fire) for fire in fire_times(CLEANUP, start=start, end=end, tz=tz)]
        assert daily == _days(start.date(), (end - timedelta(seconds=1)).date()), "one cleanup a day, DST day included"

        hourly = fire_times(REMINDERS, start=start, end=end, tz=tz)
        periods = [REMINDERS.period(fire) for fire in hourly]
        elapsed_hours = int((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() // 3600) + 1
        # Every real hour once: the skipped spring hour has no fire, the repeated autumn hour is two periods.
        assert len(periods) == len(set(periods)) == elapsed_hours
        instants = [fire.astimezone(UTC) for fire in hourly]  # same-zone subtraction would be wall-clock time
        assert {b - a for a, b in zip(instants, instants[1:], strict=False)} == {timedelta(hours=1)}

    fires = fire_times(MONTHLY, start=datetime(2026, 1, 1, tzinfo=tz), end=datetime(2027, 1, 2, tzinfo=tz), tz=tz)
    expected = {"2025-12": 1} | {f"2026-{m:02d}": 1 for m in range(1, 13)}  # fired 1 Jan 2026 … 1 Jan 2027
    assert Counter(MONTHLY.period(fire) for fire in fires) == expected


def test_a_job_at_a_repeated_local_time_fires_twice_but_names_one_period():
    # A cron at 01:30 in Lisbon happens twice on 25 October 2026 (01:30 WEST, then 01:30 WET): the ledger's key,
    # the day, is the same for both, so the second fire is a no-op (see test_runner).
    job = schedule.Job(name="x", description="", cron={"hour": 1, "minute": 30}, period=schedule.daily, actor_name="x")
    day = datetime(2026, 10, 25, tzinfo=LISBON)
    fires = fire_times(job, start=day, end=day + timedelta(hours=23), tz=LISBON)
    assert len(fires) == 2
    assert {job.period(fire) for fire in fires} == {"2026-10-25"}


def test_latest_fire_time_is_the_last_one_at_or_before_now():
    now = datetime(2026, 11, 29, 14, 37, tzinfo=SAO_PAULO)
    assert latest_fire_time(REMINDERS, now=now, tz=SAO_PAULO) == datetime(2026, 11, 29, 14, 0, tzinfo=SAO_PAULO)
    assert latest_fire_time(CLEANUP, now=now, tz=SAO_PAULO) == datetime(2026, 11, 29, 2, 0, tzinfo=SAO_PAULO)
    assert latest_fire_time(MONTHLY, now=now, tz=SAO_PAULO) == datetime(2026, 11, 1, 3, 0, tzinfo=SAO_PAULO)
    exactly = datetime(2026, 12, 1, 3, 0, tzinfo=SAO_PAULO)
    assert latest_fire_time(MONTHLY, now=exactly, tz=SAO_PAULO) == exactly


def test_hourly_periods_carry_the_offset_and_read_in_the_scheduler_zone():
    fire = datetime(2026, 11, 29, 17, 0, tzinfo=UTC).astimezone(SAO_PAULO)
    assert REMINDERS.period(fire) == "2026-11-29T14-0300"
    assert CLEANUP.period(datetime(2026, 11, 29, 2, 0, tzinfo=SAO_PAULO)) == "2026-11-29"
    assert MONTHLY.period(datetime(2026, 11, 1, 3, 0, tzinfo=SAO_PAULO)) == "2026-10"


def test_cron_overrides_replace_the_schedule_and_make_each_fire_its_own_period(settings):
    settings.SCHEDULER_CRON_OVERRIDES = {"cleanup_expired_events": {"second": "*/2"}}
    job = schedule.job_table()["cleanup_expired_events"]
    start = datetime(2026, 11, 29, 14, 0, tzinfo=SAO_PAULO)
    fires = fire_times(job, start=start, end=start + timedelta(seconds=9), tz=SAO_PAULO)
    assert [fire.second for fire in fires] == [0, 2, 4, 6, 8]
    assert len({job.period(fire) for fire in fires}) == 5
    assert schedule.job_table()["generate_monthly_impact_report"].cron == MONTHLY.cron

    settings.SCHEDULER_CRON_OVERRIDES = {"no_such_job": {"second": "*"}}
    with pytest.raises(ValueError, match="no_such_job"):
        schedule.job_table()
