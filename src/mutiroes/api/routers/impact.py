from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router, Status

from mutiroes.api.auth import current_user, jwt, optional_jwt
from mutiroes.api.caching import public_read
from mutiroes.api.csv_response import csv_response
from mutiroes.api.schemas.common import Error, Id
from mutiroes.api.schemas.impact import (
    ImpactFiltersIn,
    ImpactMethodologyOut,
    ImpactTotals,
    MonthlyReportOut,
    PeriodIn,
    ReportIn,
    ReportOut,
)
from mutiroes.impact import selectors, services

router = Router(tags=["impact"])
READ = {401: Error, 404: Error, 422: Error}
WRITE = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
CSV_COLUMNS = ("events", "volunteers", "hours", "trash_kg", "recyclable_kg", "trees_planted", "area_m2", "co2e_kg")


@router.get("/events/{event_id}/report", response={200: ReportOut, **READ}, auth=optional_jwt)
def get_report(request: HttpRequest, event_id: Path[Id]) -> object:
    """The impact report of an event, with the figures computed from it."""
    return selectors.report_get_visible(event_id=event_id, user=current_user(request))


@router.post("/events/{event_id}/report", response={201: ReportOut, **WRITE}, auth=jwt)
def create_report(request: HttpRequest, event_id: Path[Id], payload: ReportIn) -> Status:
    """Organiser: file the event's impact report, once the event has started."""
    services.report_file(event_id=event_id, user=request.auth, data=payload.model_dump())
    return Status(201, selectors.report_get_visible(event_id=event_id, user=request.auth))


@router.put("/events/{event_id}/report", response={200: ReportOut, 201: ReportOut, **WRITE}, auth=jwt)
def replace_report(request: HttpRequest, event_id: Path[Id], payload: ReportIn) -> Status:
    """Organiser: file or replace the event's impact report."""
    _report, created = services.report_file(
        event_id=event_id, user=request.auth, data=payload.model_dump(), replace=True
    )
    return Status(201 if created else 200, selectors.report_get_visible(event_id=event_id, user=request.auth))


@router.get("/impact/summary", response={200: ImpactTotals, 401: Error, 422: Error, 503: Error}, auth=optional_jwt)
def get_impact_summary(request: HttpRequest, filters: Query[ImpactFiltersIn]) -> object:
    """Public impact totals, filtered by city, state, category and dates."""
    query = selectors.ImpactFilters(
        city=filters.city, state=filters.state, category=filters.category, date_from=filters.from_, date_to=filters.to
    )

    def compute() -> dict:
        return ImpactTotals.model_validate(selectors.impact_summary(filters=query)).model_dump(mode="json")

    # The same figures for every caller: cached, and served stale while the database is down.
    return public_read("impact", filters.model_dump(mode="json"), compute)


@router.get("/impact/methodology", response={200: ImpactMethodologyOut, 404: Error}, auth=None)
def get_impact_methodology(request: HttpRequest) -> object:
    """Public: the factors new impact figures are computed with, each with its value, unit and cited source."""
    return selectors.methodology_get()


@router.get("/impact/monthly", response={200: MonthlyReportOut, **READ}, auth=optional_jwt)
def get_monthly_impact(request: HttpRequest, period: Query[PeriodIn]) -> object:
    """The stored monthly impact report (404 until it has been generated)."""
    return selectors.monthly_report_get(year=period.year, month=period.month)


@router.get(
    "/impact/monthly.csv",
    response={200: str, **READ},
    auth=optional_jwt,
    openapi_extra={"responses": {200: {"description": "monthly impact report", "content": {"text/csv": {}}}}},
)
def get_monthly_impact_csv(request: HttpRequest, period: Query[PeriodIn]) -> HttpResponse:
    """The stored monthly impact report as CSV (404 until it has been generated)."""
    report = selectors.monthly_report_get(year=period.year, month=period.month)
    rows = [
        *(["cidade", row["city"], row["state"], *_figures(row)] for row in report.by_city),
        *(["categoria", row["category"], "", *_figures(row)] for row in report.by_category),
        ["total", "", "", *_figures(report.totals)],
    ]
    return csv_response(["grupo", "nome", "uf", *CSV_COLUMNS], rows, filename=f"impacto-{report.period}.csv")


def _figures(row: dict[str, Any]) -> list[Any]:
    return [row[column] for column in CSV_COLUMNS]
