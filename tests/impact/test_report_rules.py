"""Filing a report: who may, when, and what the database itself refuses."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from mutiroes.core import clock
from mutiroes.core.exceptions import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from mutiroes.events.models import Event
from mutiroes.impact.models import EventReport
from mutiroes.impact.services import report_file

pytestmark = [pytest.mark.domain, pytest.mark.django_db]

REPORT = {
    "participants": 12,
    "hours": Decimal("36.5"),
    "trash_kg": Decimal("80.250"),
    "recyclable_kg": Decimal("30.000"),
    "trees_planted": 4,
    "area_m2": Decimal("1500"),
    "summary": "Praia limpa",
}


def test_organiser_files_once_the_event_started(held_event):
    event = held_event()

    report, created = report_file(event_id=event.id, user=event.organizer, data=REPORT)

    assert created is True
    row = EventReport.objects.get(event=event)
    assert row.pk == report.pk
    assert (row.participants, row.trash_kg, row.recyclable_kg, row.trees_planted) == (12, Decimal("80.250"), 30, 4)
    assert row.filed_by == event.organizer


def test_staff_may_file_for_any_event(held_event, user_factory):
    event = held_event()
    staff = user_factory(staff=True)
    report, _ = report_file(event_id=event.id, user=staff, data=REPORT)
    assert report.filed_by == staff


def test_another_organisers_public_event_is_forbidden_and_unchanged(held_event):
    event, other = held_event(), held_event()

    with pytest.raises(Forbidden):
        report_file(event_id=event.id, user=other.organizer, data=REPORT)

    assert not EventReport.objects.filter(event=event).exists()


def test_another_organisers_private_event_is_not_found(held_event):
    event, other = held_event(is_public=False), held_event()
    with pytest.raises(NotFound):
        report_file(event_id=event.id, user=other.organizer, data=REPORT)


def test_no_report_before_the_event_starts(held_event):
    event = held_event(start_date=clock.now() + timedelta(minutes=5))

    with pytest.raises(InvalidState) as caught:
        report_file(event_id=event.id, user=event.organizer, data=REPORT)

    assert caught.value.code == "event_not_started"
    assert not EventReport.objects.exists()


def test_report_allowed_from_the_start_instant(held_event, frozen_clock):
    event = held_event(start_date=clock.now() + timedelta(days=2))
    frozen_clock.set(event.start_date)
    _, created = report_file(event_id=event.id, user=event.organizer, data=REPORT)
    assert created is True


@pytest.mark.parametrize(("status", "code"), [("cancelled", "event_cancelled"), ("draft", "event_not_published")])
def test_no_report_for_cancelled_or_draft_events(held_event, status, code):
    event = held_event(status=status)

    with pytest.raises(InvalidState) as caught:
        report_file(event_id=event.id, user=event.organizer, data=REPORT)

    assert caught.value.code == code


def test_completed_event_takes_a_report(held_event):
    event = held_event(status=Event.Status.COMPLETED)
    _, created = report_file(event_id=event.id, user=event.organizer, data=REPORT)
    assert created is True


def test_second_post_conflicts_and_put_replaces(held_event):
    event = held_event()
    report_file(event_id=event.id, user=event.organizer, data=REPORT)

    with pytest.raises(Conflict) as caught:
        report_file(event_id=event.id, user=event.organizer, data=REPORT | {"participants": 99})
    assert caught.value.code == "report_exists"

    replaced, created = report_file(event_id=event.id, user=event.organizer, data={"participants": 7}, replace=True)

    assert created is False
    row = EventReport.objects.get(event=event)
    assert row.pk == replaced.pk
    # PUT is a whole new version: what was not sent is back to its default.
    assert (row.participants, row.trash_kg, row.trees_planted, row.summary) == (7, 0, 0, "")


def test_put_creates_when_there_is_no_report(held_event):
    event = held_event()
    _, created = report_file(event_id=event.id, user=event.organizer, data=REPORT, replace=True)
    assert created is True
    assert EventReport.objects.filter(event=event).count() == 1


def test_recyclables_cannot_exceed_the_trash_collected(held_event):
    event = held_event()
    with pytest.raises(ValidationFailed) as caught:
        report_file(event_id=event.id, user=event.organizer, data=REPORT | {"recyclable_kg": Decimal("80.251")})
    assert "recyclable_kg" in caught.value.details
    assert not EventReport.objects.exists()


def test_report_outlives_the_account_that_filed_it(held_event, user_factory):
    event = held_event()
    staff = user_factory(staff=True)
    report, _ = report_file(event_id=event.id, user=staff, data=REPORT)

    staff.delete()

    report.refresh_from_db()
    assert report.filed_by is None
    assert report.participants == REPORT["participants"]


@pytest.mark.parametrize(
    "bad",
    [
        {"trash_kg": Decimal("-1")},
        {"hours": Decimal("-0.5")},
        {"area_m2": Decimal("-3")},
        {"recyclable_kg": Decimal("-1")},
        {"recyclable_kg": Decimal("90"), "trash_kg": Decimal("80")},
        {"participants": 100_001},
        {"trees_planted": 1_000_001},
        {"co2e_kg": Decimal("-1")},
    ],
)
def test_database_refuses_out_of_range_figures(held_event, bad):
    event = held_event()
    values = {k: v for k, v in REPORT.items() if k != "summary"} | bad
    with pytest.raises(IntegrityError), transaction.atomic():
        EventReport.objects.create(event=event, **values)


def test_one_report_per_event_in_the_database(held_event):
    event = held_event()
    report_file(event_id=event.id, user=event.organizer, data=REPORT)
    with pytest.raises(IntegrityError), transaction.atomic():
        EventReport.objects.create(event=event, participants=1, hours=0, trash_kg=0, recyclable_kg=0, area_m2=0)


def test_each_filing_queues_the_statistics_job_in_the_same_transaction(held_event):
    from mutiroes.jobs import registry as jobs
    from mutiroes.jobs.models import OutboxMessage

    event = held_event()

    def queued() -> list[dict]:
        return [m.kwargs for m in OutboxMessage.objects.filter(actor_name=jobs.PROCESS_EVENT_REPORT_STATISTICS)]

    report_file(event_id=event.id, user=event.organizer, data=REPORT)
    assert queued() == [{"event_id": event.id}]

    with pytest.raises(Conflict):
        report_file(event_id=event.id, user=event.organizer, data=REPORT)
    assert len(queued()) == 1  # a refused filing queues nothing

    report_file(event_id=event.id, user=event.organizer, data=REPORT, replace=True)
    assert queued() == [{"event_id": event.id}] * 2
