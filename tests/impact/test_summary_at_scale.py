"""/impact/summary over 100,000 reports is one aggregate query, whatever the filters."""

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mutiroes.core import clock
from mutiroes.events.models import Event
from mutiroes.impact import selectors
from mutiroes.impact.models import EventReport
from mutiroes.impact.services import impact_figures

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # 100,000 reports built in the database

N = 100_000
CANCELLED = 1_000
CITIES = [("Fortaleza", "CE"), ("Recife", "PE"), ("São Paulo", "SP"), ("Belém", "PA"), ("Curitiba", "PR")]
BATCH = 5_000


def _figures(i: int) -> dict:
    trash = Decimal(i % 200) + Decimal("0.125")
    return {
        "participants": 1 + i % 40,
        "hours": Decimal(i % 90) / 2,
        "trash_kg": trash,
        "recyclable_kg": (trash / 4).quantize(Decimal("0.001")),
        "trees_planted": i % 7,
        "area_m2": Decimal(i % 1000),
    }


@pytest.fixture
def hundred_thousand_reports(user_factory, category_factory, active_factors):
    organiser = user_factory()
    category, planting = category_factory(), category_factory(slug="plantio")
    factors = active_factors
    newest = clock.now() - timedelta(days=1)
    common = {"title": "Mutirão", "description": "d", "organizer": organiser, "address": "a", "latitude": -3.7,
              "longitude": -38.5, "max_participants": 50}  # fmt: skip

    def event(i: int, status: str) -> Event:
        start = newest - timedelta(hours=i)
        city, state = CITIES[i % len(CITIES)]
        return Event(**common, city=city, state=state, category=planting if i % 2 else category, status=status,
                     start_date=start, end_date=start + timedelta(hours=2))  # fmt: skip

    statuses = [Event.Status.PUBLISHED if i % 3 else Event.Status.COMPLETED for i in range(N)]
    statuses += [Event.Status.CANCELLED] * CANCELLED
    events = Event.objects.bulk_create((event(i, s) for i, s in enumerate(statuses)), batch_size=BATCH)
    reports = []
    for i, ev in enumerate(events):
        figures = _figures(i)
        computed = impact_figures(
            recyclable_kg=figures["recyclable_kg"], trees_planted=figures["trees_planted"], factors=factors
        )
        reports.append(EventReport(event_id=ev.pk, **figures, **computed, factors_version=factors.version,
                                   computed_at=clock.now()))  # fmt: skip
    EventReport.objects.bulk_create(reports, batch_size=BATCH)
    return [r for r, s in zip(reports, statuses, strict=True) if s != Event.Status.CANCELLED]


def test_summary_of_100k_reports_is_one_query(hundred_thousand_reports, api_client, django_assert_num_queries):
    counted = hundred_thousand_reports
    assert EventReport.objects.count() == N + CANCELLED

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        totals = selectors.impact_summary(filters=selectors.ImpactFilters())
        elapsed_ms = (time.perf_counter() - started) * 1000

    assert len(queries) == 1
    assert "GROUP BY" not in queries[0]["sql"].upper()
    print(f"\n/impact/summary over {N:,} reports: {len(queries)} query, {elapsed_ms:.1f} ms")
    assert totals["events"] == N
    assert totals["volunteers"] == sum(r.participants for r in counted)
    assert totals["hours"] == sum(r.hours for r in counted)
    assert totals["trash_kg"] == sum(r.trash_kg for r in counted)
    assert totals["trees_planted"] == sum(r.trees_planted for r in counted)
    assert totals["co2e_kg"] == sum(r.co2e_kg for r in counted)

    # The same over HTTP, with every filter: still exactly one query for the whole request.
    params = {"city": "recife", "state": "PE", "from": "2000-01-01", "to": date.today().isoformat()}
    with django_assert_num_queries(1):
        response = api_client.get("/api/v1/impact/summary", params=params)
    assert response.status_code == 200
    assert response.json()["events"] == N // len(CITIES)
