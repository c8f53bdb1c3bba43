"""Impact reads: a report as its readers see it, public totals (one aggregate query), monthly reports."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from mutiroes.accounts.models import User
from mutiroes.core.exceptions import NotFound
from mutiroes.events import selectors as event_selectors
from mutiroes.events.models import Event
from mutiroes.impact.models import FACTORS, EventReport, ImpactFactorSet, MonthlyImpactReport

# Events whose reports count in public figures: held (published, possibly completed), never cancelled or drafts.
COUNTED_STATUSES = (Event.Status.PUBLISHED, Event.Status.COMPLETED)
SOURCE_KEYS = ("cited_value", "cited_unit", "conversion", "reference")
TOTAL_FIELDS = ("events", "volunteers", "hours", "trash_kg", "recyclable_kg", "trees_planted", "area_m2", "co2e_kg")


@dataclass(frozen=True)
class ImpactFilters:
    city: str | None = None
    state: str | None = None
    category: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def factor_set_active() -> ImpactFactorSet | None:
    return ImpactFactorSet.objects.filter(is_active=True).first()


def methodology_get() -> dict[str, Any]:
    """The factors new figures are computed with (the active set), each with its value, unit and citation."""
    factor_set = factor_set_active()
    if factor_set is None:
        raise NotFound("factor_set", reason="no active factor set")
    sources = factor_set.sources if isinstance(factor_set.sources, dict) else {}
    factors = []
    for name, (applies_to, unit) in FACTORS.items():
        # ``sources`` is free JSON typed in the admin: only its known keys are read, as text.
        source = sources.get(name) if isinstance(sources.get(name), dict) else {}
        cited = {key: str(source.get(key, "")) for key in SOURCE_KEYS}
        factors.append(
            {"name": name, "applies_to": applies_to, "value": getattr(factor_set, name), "unit": unit} | cited
        )
    return {"version": factor_set.version, "method": factor_set.method, "factors": factors}


def report_get_visible(*, event_id: int, user: User | None) -> EventReport:
    """The event's report, for anyone who can see the event; ``checked_in_count`` annotated."""
    event = event_selectors.event_get_visible(event_id=event_id, user=user)
    report = (
        EventReport.objects.filter(event=event)
        .annotate(
            checked_in_count=Count(
                "event__participations", filter=Q(event__participations__checked_in_at__isnull=False)
            )
        )
        .first()
    )
    if report is None:
        raise NotFound("report", event_id=event_id)
    return report


def local_day_start(day: date) -> datetime:
    """Midnight of ``day`` in TIME_ZONE (America/Sao_Paulo), as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def month_bounds(*, year: int, month: int) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of a calendar month in TIME_ZONE."""
    start = local_day_start(date(year, month, 1))
    end = local_day_start(date(year + month // 12, month % 12 + 1, 1))
    return start, end


def counted_reports() -> QuerySet[EventReport]:
    """Reports that public figures are made of: held events, and public ones only.

    A private event never counts, not even in a grand total: a total with it and a filtered figure without it
    (or last month's total) would differ by exactly that event's figures, so any place it is counted singles it
    out to someone who can subtract. Its organiser and its participants still see its report.
    """
    return EventReport.objects.filter(event__status__in=COUNTED_STATUSES, event__is_public=True)


def _decimal_sum(field: str) -> Coalesce:
    return Coalesce(Sum(field), Value(Decimal("0")), output_field=DecimalField())


def totals_aggregates() -> dict[str, Any]:
    """Aggregate expressions over EventReport rows; one report per event, so events = COUNT(*)."""
    return {
        "events": Count("id"),
        "volunteers": Coalesce(Sum("participants"), Value(0), output_field=IntegerField()),
        "hours": _decimal_sum("hours"),
        "trash_kg": _decimal_sum("trash_kg"),
        "recyclable_kg": _decimal_sum("recyclable_kg"),
        "trees_planted": Coalesce(Sum("trees_planted"), Value(0), output_field=IntegerField()),
        "area_m2": _decimal_sum("area_m2"),
        "co2e_kg": _decimal_sum("co2e_kg"),
    }


def impact_summary(*, filters: ImpactFilters) -> dict[str, Any]:
    """Public totals in ONE aggregate query over reports joined to their events."""
    queryset = counted_reports()
    if filters.city:
        queryset = queryset.filter(event__city__iexact=filters.city)
    if filters.state:
        queryset = queryset.filter(event__state=filters.state.upper())
    if filters.category:
        queryset = queryset.filter(event__category_id=filters.category)
    # Dates are calendar days in TIME_ZONE; bounds as instants keep the start_date index usable.
    if filters.date_from:
        queryset = queryset.filter(event__start_date__gte=local_day_start(filters.date_from))
    if filters.date_to:
        queryset = queryset.filter(event__start_date__lt=local_day_start(filters.date_to + timedelta(days=1)))
    return queryset.aggregate(**totals_aggregates())


def monthly_report_get(*, year: int, month: int) -> MonthlyImpactReport:
    report = MonthlyImpactReport.objects.filter(year=year, month=month).first()
    if report is None:
        raise NotFound("monthly_report", year=year, month=month)
    return report
