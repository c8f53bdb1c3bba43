"""The impact routes over HTTP: report writes and reads, public summary, monthly JSON and CSV."""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from mutiroes.core import clock
from mutiroes.events.models import Participation
from mutiroes.impact.models import EventReport
from mutiroes.impact.services import monthly_report_generate, report_file

pytestmark = pytest.mark.django_db

SP = ZoneInfo("America/Sao_Paulo")
BODY = {
    "participants": 12,
    "hours": "36.5",
    "trash_kg": 80.25,
    "recyclable_kg": "30",
    "trees_planted": 4,
    "area_m2": 1500,
    "summary": "Praia limpa",
    "challenges": "Chuva",
    "achievements": "Muitos voluntários novos",
}


def _url(event) -> str:
    return f"/api/v1/events/{event.id}/report"


@pytest.fixture
def event(held_event):
    return held_event()


@pytest.fixture
def organiser(event):
    return event.organizer


def test_organiser_posts_the_report_and_anyone_reads_it(event, organiser, api_client, user_factory, active_factors):
    volunteers = [user_factory() for _ in range(3)]
    for n, user in enumerate(volunteers):
        Participation.objects.create(
            event=event, user=user, status="confirmed", registered_at=clock.now(),
            checked_in_at=clock.now() if n < 2 else None,
        )  # fmt: skip

    created = api_client.post(_url(event), BODY, user=organiser)

    assert created.status_code == 201, created.content
    body = created.json()
    factors = active_factors
    expected = (Decimal("30") * factors.recycling_kg_co2e_per_kg + 4 * factors.tree_kg_co2_per_tree).quantize(
        Decimal("0.001")
    )
    assert Decimal(body["co2e_kg"]) == expected
    assert Decimal(body["waste_diverted_kg"]) == Decimal("30")
    assert body["factors_version"] == factors.version
    assert body["participants"] == 12 and body["checked_in_count"] == 2
    assert Decimal(body["trash_kg"]) == Decimal("80.25") and body["event_id"] == event.id
    anonymous = api_client.get(_url(event))
    assert anonymous.status_code == 200
    assert anonymous.json() == body


def test_second_post_is_a_conflict_put_replaces(event, organiser, api_client):
    assert api_client.post(_url(event), BODY, user=organiser).status_code == 201

    again = api_client.post(_url(event), BODY | {"participants": 1}, user=organiser)
    assert again.status_code == 409 and again.json()["code"] == "report_exists"

    replaced = api_client.put(_url(event), {"participants": 8, "trash_kg": 10}, user=organiser)
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["participants"] == 8 and replaced.json()["summary"] == ""
    assert EventReport.objects.get(event=event).participants == 8


def test_put_without_a_report_creates_it(event, organiser, api_client):
    response = api_client.put(_url(event), BODY, user=organiser)
    assert response.status_code == 201
    assert EventReport.objects.filter(event=event).count() == 1


@pytest.mark.parametrize(
    "extra",
    [
        {"co2e_kg": "1000"},
        {"waste_diverted_kg": 5},
        {"factors_version": "mine"},
        {"checked_in_count": 99},
        {"computed_at": "2026-01-01T00:00:00Z"},
        {"filed_by": 1},
        {"event_id": 2},
    ],
)
def test_computed_and_protected_fields_are_rejected(event, organiser, extra, api_client):
    response = api_client.post(_url(event), BODY | extra, user=organiser)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert not EventReport.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"trash_kg": -1},
        {"hours": "-0.5"},
        {"participants": -3},
        {"area_m2": -10},
        {"trees_planted": -1},
        {"recyclable_kg": "NaN"},
        {"trash_kg": "Infinity"},
        {"trash_kg": "1.0001"},
        {"trash_kg": 10**30},
        {"participants": 10**20},
        {"summary": "a\x00b"},
        {"summary": "x" * 5001},
        {"recyclable_kg": 90, "trash_kg": 80},
    ],
)
def test_invalid_metrics_are_422(event, organiser, bad, api_client):
    response = api_client.post(_url(event), BODY | bad, user=organiser)
    assert response.status_code == 422, response.content
    assert not EventReport.objects.exists()


def test_missing_participants_is_422(event, organiser, api_client):
    body = {k: v for k, v in BODY.items() if k != "participants"}
    assert api_client.post(_url(event), body, user=organiser).status_code == 422


def test_another_organiser_gets_403_and_nothing_changes(event, held_event, api_client, organiser):
    api_client.post(_url(event), BODY, user=organiser)
    other = held_event().organizer

    assert api_client.post(_url(event), BODY, user=other).status_code == 403
    assert api_client.put(_url(event), BODY | {"participants": 1}, user=other).status_code == 403
    assert EventReport.objects.get(event=event).participants == BODY["participants"]


def test_private_event_report_is_404_to_others(held_event, api_client):
    private = held_event(is_public=False)
    report_file(event_id=private.id, user=private.organizer, data={"participants": 3})
    stranger = held_event().organizer

    assert api_client.get(_url(private), user=stranger).status_code == 404
    assert api_client.put(_url(private), BODY, user=stranger).status_code == 404
    assert api_client.get(_url(private)).status_code == 404
    assert api_client.get(_url(private), user=private.organizer).status_code == 200


def test_report_before_the_start_is_409(held_event, api_client):
    future = held_event(start_date=clock.now() + timedelta(days=1))
    response = api_client.post(_url(future), BODY, user=future.organizer)
    assert response.status_code == 409
    assert response.json()["code"] == "event_not_started"


def test_cancelled_event_report_is_409(held_event, api_client):
    cancelled = held_event(status="cancelled")
    response = api_client.put(_url(cancelled), BODY, user=cancelled.organizer)
    assert response.status_code == 409 and response.json()["code"] == "event_cancelled"


def test_anonymous_write_is_401(event, api_client):
    assert api_client.post(_url(event), BODY).status_code == 401


def test_no_report_yet_is_404(event, api_client):
    response = api_client.get(_url(event))
    assert response.status_code == 404 and response.json()["code"] == "report_not_found"


def test_unknown_event_is_404(organiser, api_client):
    assert api_client.get("/api/v1/events/987654321/report", user=organiser).status_code == 404
    assert api_client.post("/api/v1/events/987654321/report", BODY, user=organiser).status_code == 404


def test_summary_is_public_and_filtered(held_event, api_client):
    for city, state, participants in (("Fortaleza", "CE", 10), ("Recife", "PE", 20)):
        event = held_event(city=city, state=state)
        report_file(event_id=event.id, user=event.organizer, data={"participants": participants, "trash_kg": 5})

    everything = api_client.get("/api/v1/impact/summary")
    recife = api_client.get("/api/v1/impact/summary", params={"state": "PE"})

    assert everything.status_code == 200
    assert everything.json()["events"] == 2 and everything.json()["volunteers"] == 30
    assert Decimal(everything.json()["trash_kg"]) == Decimal("10")
    assert set(everything.json()) == {"events", "volunteers", "hours", "trash_kg", "recyclable_kg", "trees_planted",
                                      "area_m2", "co2e_kg"}  # fmt: skip
    assert recife.json()["events"] == 1 and recife.json()["volunteers"] == 20


@pytest.mark.parametrize(
    "params",
    [{"from": "2026-05-01", "to": "2026-04-01"}, {"from": "yesterday"}, {"state": "XX"}, {"category": 0}],
)
def test_summary_rejects_bad_filters(api_client, params):
    assert api_client.get("/api/v1/impact/summary", params=params).status_code == 422


def test_summary_from_to_are_dates(held_event, api_client):
    event = held_event(start_date=datetime(2026, 3, 31, 23, 30, tzinfo=SP))
    report_file(event_id=event.id, user=event.organizer, data={"participants": 4})
    day = api_client.get("/api/v1/impact/summary", params={"from": "2026-03-31", "to": "2026-03-31"})
    after = api_client.get("/api/v1/impact/summary", params={"from": "2026-04-01"})
    assert day.json()["events"] == 1 and after.json()["events"] == 0


@pytest.fixture
def march(held_event):
    for city, n in (("Fortaleza", 10), ("=HYPERLINK(1)", 3)):
        event = held_event(city=city, start_date=datetime(2026, 3, 10, 9, tzinfo=SP))
        report_file(event_id=event.id, user=event.organizer, data={"participants": n, "trash_kg": "2.5"})
    return monthly_report_generate(year=2026, month=3)


def test_monthly_not_generated_is_404(api_client):
    for path in ("/api/v1/impact/monthly", "/api/v1/impact/monthly.csv"):
        response = api_client.get(path, params={"year": 2026, "month": 2})
        assert response.status_code == 404 and response.json()["code"] == "monthly_report_not_found"


@pytest.mark.parametrize("params", [{}, {"year": 2026}, {"year": 2026, "month": 13}, {"year": 10**9, "month": 1}])
def test_monthly_needs_a_valid_period(api_client, params):
    assert api_client.get("/api/v1/impact/monthly", params=params).status_code == 422


def test_monthly_json(march, api_client):
    response = api_client.get("/api/v1/impact/monthly", params={"year": 2026, "month": 3})
    assert response.status_code == 200
    body = response.json()
    assert (body["year"], body["month"]) == (2026, 3)
    assert body["totals"]["events"] == 2 and body["totals"]["volunteers"] == 13
    assert Decimal(body["totals"]["trash_kg"]) == Decimal("5")
    assert {row["city"] for row in body["by_city"]} == {"Fortaleza", "=HYPERLINK(1)"}
    assert [(row["category"], row["events"]) for row in body["by_category"]] == [("Limpeza", 2)]


def test_monthly_csv(march, api_client):
    response = api_client.get("/api/v1/impact/monthly.csv", params={"year": 2026, "month": 3})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="impacto-2026-03.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["grupo", "nome", "uf", "events"]
    by_name = {(row[0], row[1]): row for row in rows[1:]}
    assert by_name[("cidade", "Fortaleza")][4] == "10"
    # A city typed as a formula is neutralised for spreadsheets.
    assert ("cidade", "'=HYPERLINK(1)") in by_name
    assert by_name[("categoria", "Limpeza")][3] == "2"
    assert by_name[("total", "")][4] == "13"


def test_private_events_count_in_no_public_figure(held_event, api_client):
    """A private event in a city of its own: no summary (filtered or not), monthly JSON or CSV shows it."""
    start = datetime(2026, 5, 14, 9, tzinfo=SP)
    public = held_event(city="Fortaleza", state="CE", start_date=start)
    private = held_event(city="Quixadá", state="CE", start_date=start, is_public=False)
    report_file(event_id=public.id, user=public.organizer, data={"participants": 10, "trash_kg": 5})
    report_file(event_id=private.id, user=private.organizer, data={"participants": 7, "trash_kg": 40})
    monthly_report_generate(year=2026, month=5)

    summaries = [
        api_client.get("/api/v1/impact/summary", params=params).json()
        for params in ({}, {"state": "CE"}, {"city": "Quixadá"}, {"from": "2026-05-14", "to": "2026-05-14"})
    ]
    monthly = api_client.get("/api/v1/impact/monthly", params={"year": 2026, "month": 5}).json()
    sheet = api_client.get("/api/v1/impact/monthly.csv", params={"year": 2026, "month": 5}).content.decode()

    assert [(s["events"], s["volunteers"], Decimal(s["trash_kg"])) for s in summaries] == [
        (1, 10, Decimal("5")), (1, 10, Decimal("5")), (0, 0, Decimal("0")), (1, 10, Decimal("5")),
    ]  # fmt: skip
    assert (monthly["totals"]["events"], monthly["totals"]["volunteers"]) == (1, 10)
    assert [row["city"] for row in monthly["by_city"]] == ["Fortaleza"]
    assert [row["events"] for row in monthly["by_category"]] == [1]
    assert "Quixadá" not in sheet
    assert [row[4] for row in csv.reader(io.StringIO(sheet)) if row[0] == "total"] == ["10"]
    # Its organiser still reads its report.
    assert api_client.get(_url(private), user=private.organizer).json()["participants"] == 7
