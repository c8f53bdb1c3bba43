"""Impact writes: filing an event report, computing its impact, generating monthly totals.

Method (what ``co2e_kg`` means)
    co2e_kg           = recyclable_kg × recycling_kg_co2e_per_kg + trees_planted × tree_kg_co2_per_tree
    waste_diverted_kg = recyclable_kg
  with the factors of the active ``ImpactFactorSet`` (every factor cites its source in ``sources``):
  - recycling: EPA WARM net reduction of recycling mixed recyclables instead of landfilling them,
    converted from metric tons CO2e per short ton to kg per kg;
  - trees: EPA's CO2 sequestered by one urban tree seedling over its first 10 years.
  Only recyclables earn a CO2e credit and count as diverted: the rest of ``trash_kg`` is collected
  but still goes to landfill. The result is an estimate of emissions avoided or sequestered, rounded
  to grams; the factor version is stored with it so a figure can always be traced to its factors.

Why the impact is computed inline
  ``report_file`` computes the impact in its own transaction: it is deterministic and costs two
  multiplications, so a report is never shown half-done. ``report_compute_impact`` is the same
  computation on its own, idempotent and keyed by the report id, for the background job
  (``process_event_report_statistics``) to recompute when factors change or a report was written
  while no factor set was active. Every filing also writes that job to the outbox in the same
  transaction (``report_changed``): it recomputes idempotently and updates the people's statistics.
"""

import logging
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Min
from django.db.models.functions import Lower

from mutiroes.accounts.models import EmailKind, User
from mutiroes.core import clock
from mutiroes.core.exceptions import Conflict, InvalidState, NotFound, ValidationFailed
from mutiroes.events import selectors as event_selectors
from mutiroes.events.models import Event
from mutiroes.impact import selectors
from mutiroes.impact.models import EventReport, ImpactFactorSet, MonthlyImpactReport
from mutiroes.infra import cache, metrics
from mutiroes.jobs import outbox, registry

logger = logging.getLogger(__name__)

REPORT_FIELDS = (
    "participants", "hours", "trash_kg", "recyclable_kg", "trees_planted", "area_m2",
    "summary", "challenges", "achievements",
)  # fmt: skip
REPORT_DEFAULTS: dict[str, Any] = {
    "hours": Decimal("0"), "trash_kg": Decimal("0"), "recyclable_kg": Decimal("0"), "trees_planted": 0,
    "area_m2": Decimal("0"), "summary": "", "challenges": "", "achievements": "",
}  # fmt: skip
DECIMAL_FIELDS = ("hours", "trash_kg", "recyclable_kg", "area_m2")
COMPUTED_FIELDS = ["co2e_kg", "waste_diverted_kg", "factors_version", "computed_at"]
KG_QUANTUM = Decimal("0.001")


def impact_figures(*, recyclable_kg: Decimal, trees_planted: int, factors: ImpactFactorSet) -> dict[str, Decimal]:
    """The documented method, on its own: {co2e_kg, waste_diverted_kg}."""
    co2e = recyclable_kg * factors.recycling_kg_co2e_per_kg + trees_planted * factors.tree_kg_co2_per_tree
    return {
        "co2e_kg": co2e.quantize(KG_QUANTUM, rounding=ROUND_HALF_UP),
        "waste_diverted_kg": recyclable_kg.quantize(KG_QUANTUM, rounding=ROUND_HALF_UP),
    }


def _apply_impact(report: EventReport, *, factors: ImpactFactorSet | None, now: datetime) -> bool:
    """Set the computed fields; returns whether anything changed (so a recompute writes nothing new)."""
    if factors is None:
        logger.warning("no active impact factor set: report %s left uncomputed", report.pk)
        return False
    figures = impact_figures(
        recyclable_kg=Decimal(report.recyclable_kg), trees_planted=report.trees_planted, factors=factors
    )
    unchanged = (
        report.computed_at is not None
        and report.factors_version == factors.version
        and report.co2e_kg == figures["co2e_kg"]
        and report.waste_diverted_kg == figures["waste_diverted_kg"]
    )
    if unchanged:
        return False
    report.co2e_kg = figures["co2e_kg"]
    report.waste_diverted_kg = figures["waste_diverted_kg"]
    report.factors_version = factors.version
    report.computed_at = now
    return True


def _validate_report(values: dict[str, Any]) -> None:
    if values["recyclable_kg"] > values["trash_kg"]:
        raise ValidationFailed("recyclables are part of the trash collected", recyclable_kg="must not exceed trash_kg")


def _locked_reportable_event(*, event_id: int, user: User, now: datetime) -> Event:
    """The event, locked, if the user manages it and it has taken place (404 / 403 / 409 otherwise)."""
    event_selectors.event_get_managed(event_id=event_id, user=user)
    # The row lock serialises concurrent filings of one event's report (POST twice, POST + PUT).
    event = Event.objects.select_for_update().get(pk=event_id)
    if event.status == Event.Status.CANCELLED:
        raise InvalidState("a cancelled event has no report", code="event_cancelled")
    if event.status == Event.Status.DRAFT:
        raise InvalidState("a draft event never took place", code="event_not_published")
    if event.start_date > now:
        raise InvalidState(
            "the report can be filed once the event has started",
            code="event_not_started",
            starts_at=event.start_date.isoformat(),
        )
    return event


@transaction.atomic
def report_file(*, event_id: int, user: User, data: dict[str, Any], replace: bool = False) -> tuple[EventReport, bool]:
    """File the event's report (POST) or replace it (PUT, ``replace=True``); returns (report, created).

    Every field not sent takes its default: a PUT is a whole new version of the report. The impact is
    computed in the same transaction (see the module docstring).
    """
    now = clock.now()
    event = _locked_reportable_event(event_id=event_id, user=user, now=now)
    values = REPORT_DEFAULTS | {k: v for k, v in data.items() if k in REPORT_FIELDS}
    if "participants" not in values:
        raise ValidationFailed("participants is required", participants="required")
    for name in DECIMAL_FIELDS:  # callers other than the API (jobs, shell) may pass ints, floats or strings
        values[name] = Decimal(str(values[name]))
    _validate_report(values)
    report = EventReport.objects.filter(event=event).first()
    created = report is None
    if report is not None and not replace:
        raise Conflict("this event already has a report: replace it with PUT", code="report_exists", event_id=event_id)
    if report is None:
        report = EventReport(event=event)
    for name, value in values.items():
        setattr(report, name, value)
    report.filed_by = user
    _apply_impact(report, factors=selectors.factor_set_active(), now=now)
    report.save()
    report_changed(event_id=event.pk)
    if created:
        metrics.count_on_commit(metrics.REPORTS)
    logger.info("report of event %s %s by user %s", event_id, "filed" if created else "replaced", user.pk)
    return report, created


def report_changed(*, event_id: int) -> None:
    """Queue the follow-up of a new or changed report (impact recompute, participants' statistics and badges).

    An outbox row in the caller's transaction: the job runs only if the report was committed, and is not lost
    if the broker is down at that moment.
    """
    outbox.outbox_add(registry.PROCESS_EVENT_REPORT_STATISTICS, event_id=event_id)
    transaction.on_commit(partial(cache.invalidate, "impact"))  # the public summary is cached


@transaction.atomic
def report_compute_impact(*, report_id: int) -> EventReport | None:
    """(Re)compute one report's impact with the active factors. Idempotent; a missing report is logged."""
    report = EventReport.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        logger.info("report %s no longer exists: nothing to compute", report_id)
        return None
    # updated_at is left alone: recomputing does not change what the organiser reported.
    if _apply_impact(report, factors=selectors.factor_set_active(), now=clock.now()):
        report.save(update_fields=COMPUTED_FIELDS)
        transaction.on_commit(partial(cache.invalidate, "impact"))
        logger.info("impact of report %s computed with factors %s", report_id, report.factors_version)
    return report


@transaction.atomic
def factor_set_activate(*, version: str) -> ImpactFactorSet:
    """Make ``version`` the factor set new computations use; the recompute job then updates old reports."""
    factor_set = ImpactFactorSet.objects.select_for_update().filter(version=version).first()
    if factor_set is None:
        raise NotFound("factor_set", version=version)
    # Deactivate first: the partial UNIQUE (is_active) allows one active row at any instant.
    ImpactFactorSet.objects.filter(is_active=True).exclude(pk=factor_set.pk).update(is_active=False)
    if not factor_set.is_active:
        factor_set.is_active = True
        factor_set.save(update_fields=["is_active"])
    logger.info("impact factor set %s activated", version)
    return factor_set


def _rows(queryset: Any, keys: dict[str, str]) -> list[dict[str, Any]]:
    return [{name: row[column] for name, column in keys.items()} | _totals(row) for row in queryset]


def _totals(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in selectors.TOTAL_FIELDS}


def monthly_report_generate(*, year: int, month: int) -> MonthlyImpactReport:
    """Aggregate the month's reports (by event start in TIME_ZONE) and upsert its row; re-running replaces it."""
    if not (2000 <= year <= 2200 and 1 <= month <= 12):
        raise ValidationFailed("invalid period", year="2000-2200", month="1-12")
    start, end = selectors.month_bounds(year=year, month=month)
    reports = selectors.counted_reports().filter(event__start_date__gte=start, event__start_date__lt=end)
    aggregates = selectors.totals_aggregates()
    with transaction.atomic():
        totals = reports.aggregate(**aggregates)
        # One row per city however its name was capitalised (the summary's city filter ignores case too).
        by_city = (
            reports.annotate(city_key=Lower("event__city"))
            .values("event__state", "city_key")
            .annotate(city=Min("event__city"), **aggregates)
            .order_by("event__state", "city_key")
        )
        by_category = (
            reports.values("event__category_id", "event__category__name")
            .annotate(**aggregates)
            .order_by("event__category__name", "event__category_id")
        )
        row = MonthlyImpactReport(
            year=year,
            month=month,
            totals=_totals(totals),
            by_city=_rows(by_city, {"city": "city", "state": "event__state"}),
            by_category=_rows(by_category, {"category_id": "event__category_id", "category": "event__category__name"}),
            generated_at=clock.now(),
        )
        # INSERT ... ON CONFLICT (year, month) DO UPDATE: one statement, so concurrent runs cannot duplicate.
        MonthlyImpactReport.objects.bulk_create(
            [row],
            update_conflicts=True,
            unique_fields=["year", "month"],
            update_fields=["totals", "by_city", "by_category", "generated_at"],
        )
    logger.info("monthly impact report %04d-%02d generated: %s events", year, month, totals["events"])
    return MonthlyImpactReport.objects.get(year=year, month=month)


@transaction.atomic
def report_statistics_process(*, event_id: int) -> None:
    """The report job: the report's impact with the active factors, then the statistics of the event's people
    (events.selectors.event_people), queued in the same transaction."""
    report = EventReport.objects.filter(event_id=event_id).first()
    if report is None:
        logger.info("no report for event %s: nothing to compute", event_id)
        return
    report_compute_impact(report_id=report.pk)
    people = event_selectors.event_people(event_ids=[event_id])
    outbox.outbox_add_many(registry.UPDATE_USER_STATISTICS, [{"user_id": user_id} for user_id in people])


@transaction.atomic
def monthly_report_publish(*, year: int, month: int) -> MonthlyImpactReport:
    """The monthly job: the month's report, and an e-mail to each active staff member with an address."""
    report = monthly_report_generate(year=year, month=month)
    period = f"{year:04d}-{month:02d}"
    staff = User.objects.filter(is_staff=True, is_active=True).exclude(email="").values_list("pk", flat=True)
    for user_id in staff:
        outbox.email_enqueue(kind=EmailKind.MONTHLY_REPORT, user_id=user_id, period=period)
    return report
