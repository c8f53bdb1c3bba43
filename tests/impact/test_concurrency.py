"""Concurrent filings of one event's report: the event row lock makes them take turns."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from mutiroes.core.exceptions import Conflict
from mutiroes.impact.models import EventReport
from mutiroes.impact.services import report_file

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def _race(event, *, replace: bool) -> list[object]:
    def file(n: int) -> object:
        try:
            return report_file(event_id=event.id, user=event.organizer, data={"participants": n}, replace=replace)[1]
        except Conflict as exc:
            return exc
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(file, range(1, THREADS + 1)))


def test_concurrent_posts_create_one_report_and_conflict_the_rest(held_event):
    event = held_event()

    outcomes = _race(event, replace=False)

    assert outcomes.count(True) == 1
    assert sum(isinstance(o, Conflict) for o in outcomes) == THREADS - 1
    assert EventReport.objects.filter(event=event).count() == 1


def test_concurrent_puts_converge_on_one_report(held_event):
    event = held_event()

    outcomes = _race(event, replace=True)

    assert outcomes.count(True) == 1 and outcomes.count(False) == THREADS - 1
    assert EventReport.objects.filter(event=event).count() == 1
