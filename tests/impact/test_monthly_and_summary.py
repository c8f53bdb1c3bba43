"""Public totals with filters, and the stored monthly report (Brasília calendar month, re-run replaces)."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from mutiroes.core.exceptions import NotFound
from mutiroes.events.models import Category, Event
from mutiroes.impact import selectors
from mutiroes.impact.models import EventReport, MonthlyImpactReport
from mutiroes.impact.services import monthly_report_generate, report_file

pytestmark = [pytest.mark.domain, pytest.mark.django_db]

SP = ZoneInfo("America/Sao_Paulo")
UTC = ZoneInfo("UTC")


@pytest.fixture
def planting(category_factory) -> Category:
    return category_factory(slug="plantio")


@pytest.fixture
def file(held_event):
    """Create an event and file its report; returns the report."""

    def make(*, report: dict, **event_fields) -> EventReport:
        event = held_event(**event_fields)
        return report_file(event_id=event.id, user=event.organizer, data=report)[0]

    return make


@pytest.fixture
def city_reports(file, planting, held_event):
    """Three counted reports in two cities and two categories, plus ones that never count."""
    fortaleza = file(
        report={"participants": 10, "hours": Decimal("30"), "trash_kg": Decimal("100"),
                "recyclable_kg": Decimal("40"), "area_m2": Decimal("500")},
        start_date=datetime(2026, 3, 10, 9, tzinfo=SP),
    )  # fmt: skip
    recife = file(
        report={"participants": 20, "hours": Decimal("60.5"), "trees_planted": 15},
        city="Recife", state="PE", category=planting, start_date=datetime(2026, 3, 20, 8, tzinfo=SP),
    )  # fmt: skip
    fortaleza_later = file(
        report={"participants": 5, "hours": Decimal("10"), "trash_kg": Decimal("20"),
                "recyclable_kg": Decimal("20"), "trees_planted": 2},
        city="FORTALEZA", status=Event.Status.COMPLETED, start_date=datetime(2026, 4, 2, 9, tzinfo=SP),
    )  # fmt: skip
    # Never counted: a cancelled event's report (filed before the cancellation) and a draft's (written directly).
    cancelled = file(report={"participants": 999}, start_date=datetime(2026, 3, 11, tzinfo=SP))
    Event.objects.filter(pk=cancelled.event_id).update(status=Event.Status.CANCELLED)
    draft = held_event(status=Event.Status.DRAFT, start_date=datetime(2026, 3, 12, tzinfo=SP))
    EventReport.objects.create(event=draft, participants=500, hours=1, trash_kg=1, recyclable_kg=1, area_m2=1)
    return fortaleza, recife, fortaleza_later


def _sum(reports, field):
    return sum((getattr(r, field) or 0 for r in reports), Decimal("0"))


def test_summary_totals_count_only_held_events(city_reports):
    totals = selectors.impact_summary(filters=selectors.ImpactFilters())

    assert totals["events"] == 3
    assert totals["volunteers"] == 35
    assert totals["hours"] == Decimal("100.5")
    assert totals["trash_kg"] == Decimal("120")
    assert totals["recyclable_kg"] == Decimal("60")
    assert totals["trees_planted"] == 17
    assert totals["area_m2"] == Decimal("500")
    assert totals["co2e_kg"] == _sum(city_reports, "co2e_kg")


def test_summary_filters(city_reports, planting):
    fortaleza, recife, fortaleza_later = city_reports

    def events(**filters) -> int:
        return selectors.impact_summary(filters=selectors.ImpactFilters(**filters))["events"]

    assert events(city="fortaleza") == 2  # case-insensitive
    assert events(state="PE") == 1
    assert events(category=planting.pk) == 1
    assert events(date_from=date(2026, 3, 20)) == 2
    assert events(date_to=date(2026, 3, 20)) == 2  # the whole day of 'to' is included
    assert events(date_from=date(2026, 3, 11), date_to=date(2026, 3, 31)) == 1
    assert events(city="Fortaleza", date_from=date(2026, 4, 1)) == 1
    assert events(city="Manaus") == 0
    empty = selectors.impact_summary(filters=selectors.ImpactFilters(city="Manaus"))
    assert empty["hours"] == Decimal("0") and empty["co2e_kg"] == Decimal("0") and empty["volunteers"] == 0


def test_summary_dates_are_brasilia_days(file):
    # 23:30 on 31 March in São Paulo is already 1 April in UTC: it belongs to 31 March.
    file(report={"participants": 1}, start_date=datetime(2026, 3, 31, 23, 30, tzinfo=SP))
    march_31 = selectors.ImpactFilters(date_from=date(2026, 3, 31), date_to=date(2026, 3, 31))
    april_1 = selectors.ImpactFilters(date_from=date(2026, 4, 1), date_to=date(2026, 4, 1))
    assert selectors.impact_summary(filters=march_31)["events"] == 1
    assert selectors.impact_summary(filters=april_1)["events"] == 0


def test_monthly_report_groups_by_city_and_category(city_reports, planting):
    fortaleza, recife, _april = city_reports

    report = monthly_report_generate(year=2026, month=3)

    assert (report.year, report.month) == (2026, 3)
    assert report.totals["events"] == 2
    assert Decimal(report.totals["hours"]) == Decimal("90.5")
    assert Decimal(report.totals["co2e_kg"]) == fortaleza.co2e_kg + recife.co2e_kg
    by_city = {(row["state"], row["city"]): row for row in report.by_city}
    assert set(by_city) == {("CE", "Fortaleza"), ("PE", "Recife")}
    assert by_city[("PE", "Recife")]["trees_planted"] == 15
    assert Decimal(by_city[("CE", "Fortaleza")]["trash_kg"]) == Decimal("100")
    by_category = {row["category"]: row for row in report.by_category}
    assert by_category["Plantio"]["category_id"] == planting.pk
    assert by_category["Plantio"]["volunteers"] == 20
    assert by_category["Limpeza"]["volunteers"] == 10


def test_monthly_city_rows_ignore_capitalisation(city_reports):
    april = monthly_report_generate(year=2026, month=4)
    assert [(row["state"], row["events"]) for row in april.by_city] == [("CE", 1)]


def test_month_boundaries_follow_brasilia_time(file):
    # 1 May 01:00 UTC is still 30 April in São Paulo (UTC-3).
    file(report={"participants": 3}, start_date=datetime(2026, 5, 1, 1, 0, tzinfo=UTC))
    file(report={"participants": 4}, start_date=datetime(2026, 5, 1, 0, 0, tzinfo=SP))

    assert monthly_report_generate(year=2026, month=4).totals["volunteers"] == 3
    assert monthly_report_generate(year=2026, month=5).totals["volunteers"] == 4


def test_december_ends_at_new_year(file):
    file(report={"participants": 2}, start_date=datetime(2025, 12, 31, 23, 59, tzinfo=SP))
    file(report={"participants": 5}, start_date=datetime(2026, 1, 1, 0, 0, tzinfo=SP))
    assert monthly_report_generate(year=2025, month=12).totals["volunteers"] == 2
    assert monthly_report_generate(year=2026, month=1).totals["volunteers"] == 5


def test_rerun_replaces_the_months_row(city_reports):
    fortaleza, _recife, _april = city_reports
    first = monthly_report_generate(year=2026, month=3)
    report_file(
        event_id=fortaleza.event_id,
        user=fortaleza.event.organizer,
        data={"participants": 11, "trash_kg": Decimal("1"), "recyclable_kg": Decimal("1")},
        replace=True,
    )

    second = monthly_report_generate(year=2026, month=3)

    assert MonthlyImpactReport.objects.filter(year=2026, month=3).count() == 1
    assert second.pk == first.pk
    assert second.totals["volunteers"] == 31
    assert second.generated_at >= first.generated_at


def test_empty_month_is_generated_with_zeros():
    report = monthly_report_generate(year=2025, month=2)
    assert report.totals["events"] == 0 and report.by_city == [] and report.by_category == []


def test_monthly_report_not_generated_is_not_found():
    with pytest.raises(NotFound):
        selectors.monthly_report_get(year=2030, month=1)


def test_month_bounds_span_exactly_one_month():
    start, end = selectors.month_bounds(year=2026, month=2)
    assert start == datetime(2026, 2, 1, tzinfo=SP) and end == datetime(2026, 3, 1, tzinfo=SP)
    assert end - start == timedelta(days=28)
