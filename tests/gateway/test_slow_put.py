"""docs/reliability.md, 17: a PUT that outlives proxy_read_timeout on one replica is replayed by nginx on another.

The test holds the event's row lock from its own database session, so the PUT stalls inside whichever replica
nginx picks first (A: its session waits on the lock). After the gateway's read timeout (rendered short here)
nginx gives up on A and sends the same PUT to B, which waits on the same lock. The test then releases the lock:
both replicas apply the PUT, one after the other (the row lock serialises them), the client gets B's answer,
and A's answer goes nowhere. The report converges to one application of the body; each application queued its
statistics job (one outbox row per call), and that job is idempotent; this flow sends no e-mail.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest
from deploy.nginx.render import check, render
from django.db import connection
from django.utils import timezone
from ninja_jwt.tokens import RefreshToken

from mutiroes.impact import services as impact_services
from mutiroes.impact.models import EventReport
from mutiroes.jobs import registry as jobs
from mutiroes.jobs.models import OutboxMessage
from mutiroes.notifications.models import EmailDelivery
from tests.gateway.support import Gateway, request
from tests.support.polling import wait_for
from tests.support.processes import database_url

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

READ_TIMEOUT_S = 3  # the gateway's proxy_read_timeout for this test (15 s in deploy/nginx)
BODY = {
    "participants": 23,
    "hours": "69.5",
    "trash_kg": "412.25",
    "recyclable_kg": "130.5",
    "trees_planted": 12,
    "area_m2": "1800",
    "summary": "Praia de Iracema limpa de ponta a ponta.",
    "challenges": "Maré alta às 10h.",
    "achievements": "Três pontos de descarte irregular eliminados.",
}
DECIMALS = ("hours", "trash_kg", "recyclable_kg", "area_m2")
ACCESS_LINE = re.compile(r'"PUT (?P<path>\S+) [^"]*" (?P<status>\d+) .* upstream=(?P<addrs>.*?) '
                         r"upstream_status=(?P<statuses>.*?) cache=")  # fmt: skip


def _values(data: dict[str, object]) -> dict[str, object]:
    """The report's fields of BODY from `data`, decimals as Decimal (the API echoes them with its own scale)."""
    return {name: Decimal(str(data[name])) if name in DECIMALS else data[name] for name in BODY}


def _lock_waiters() -> list[str]:
    """Application names of the replicas' database sessions waiting on a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT application_name FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name LIKE 'gw-backend-%%'"
            " AND wait_event_type = 'Lock' ORDER BY query_start"
        )
        return [name for (name,) in cursor.fetchall()]


def _statistics_jobs(event_id: int) -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(
            actor_name=jobs.PROCESS_EVENT_REPORT_STATISTICS, kwargs__event_id=event_id
        ).order_by("id")
    )


def _report_state(event_id: int) -> dict[str, object]:
    report = EventReport.objects.get(event_id=event_id)
    fields = [*BODY, "co2e_kg", "waste_diverted_kg", "factors_version", "computed_at", "filed_by_id"]
    return {name: getattr(report, name) for name in fields}


def test_put_beyond_read_timeout_is_replayed_and_applies_once(stack, user_factory, event_factory, figures, seeded):
    organizer = user_factory()
    token = str(RefreshToken.for_user(organizer).access_token)
    start = timezone.now() - timedelta(days=1)
    event = event_factory(organizer=organizer, start_date=start, end_date=start + timedelta(hours=3))
    path = f"/api/v1/events/{event.pk}/report"
    by_address = {backend.address: backend for backend in stack.backends}

    # A gateway of our own in front of the package's replicas, with a short read timeout.
    gateway = Gateway(base_dir=stack.base_dir, backends=list(by_address), dashboard=stack.gateway.config.dashboard,
                      static_root=stack.static_root, media_root=stack.media_root, name="nginx-slow-put")  # fmt: skip
    gateway.config.proxy_read_timeout_s = READ_TIMEOUT_S
    render(gateway.config, gateway.conf.parent)
    checked = check(gateway.conf, gateway.config)
    assert checked.returncode == 0, checked.stderr
    assert f"proxy_read_timeout {READ_TIMEOUT_S}s;" in (gateway.conf.parent / "snippets/proxy-headers.conf").read_text()

    outcome: dict[str, object] = {}
    thread: threading.Thread | None = None
    holder = psycopg.connect(database_url())
    try:
        gateway.start()
        assert _lock_waiters() == []
        holder.execute("SELECT id FROM events_event WHERE id = %s FOR UPDATE", [event.pk])

        def put() -> None:
            try:
                outcome["reply"] = request(gateway.port, "PUT", path, source=stack.addresses.one(), token=token,
                                           json_body=BODY, timeout_s=30)  # fmt: skip
            except OSError as exc:  # reported by the assertion below
                outcome["reply"] = exc
            outcome["done_at"] = time.monotonic()

        sent_at = time.monotonic()
        thread = threading.Thread(target=put, daemon=True)
        thread.start()
        [first] = wait_for(_lock_waiters, timeout_s=15, what="the PUT waiting in a first replica", interval_s=0.02)
        first_at = time.monotonic()
        # Past the read timeout nginx replays the PUT on another replica, which waits on the same lock.
        waiters = wait_for(lambda: w if len(w := _lock_waiters()) >= 2 else None, timeout_s=READ_TIMEOUT_S + 10,
                           what="the replayed PUT waiting in a second replica", interval_s=0.02)  # fmt: skip
        replayed_at = time.monotonic()
        assert len(waiters) == 2, waiters
        assert first in waiters and len(set(waiters)) == 2, waiters
        second = next(name for name in waiters if name != first)
        assert thread.is_alive() and "reply" not in outcome  # no answer while both wait
    finally:
        holder.rollback()  # A resumes, then B (the row lock serialises them)
        released_at = time.monotonic()
        holder.close()

    try:
        assert thread is not None
        thread.join(timeout=20)
        reply = outcome.get("reply")
        assert reply is not None and not isinstance(reply, Exception), reply
        assert reply.status in (200, 201), reply
        assert _values(reply.json()) == _values(BODY), reply

        # The access log: one client request, two upstreams tried: A timed out (504), B answered.
        def logged() -> re.Match[str] | None:
            text = gateway.access_log.read_text() if gateway.access_log.exists() else ""
            lines = [m for m in map(ACCESS_LINE.search, text.splitlines()) if m and m["path"] == path]
            return lines[-1] if lines else None

        line = wait_for(logged, timeout_s=10, what="the PUT in the access log")
        addresses = [a.strip() for a in line["addrs"].split(",")]
        statuses = [s.strip() for s in line["statuses"].split(",")]
        assert len(addresses) == 2 and addresses[0] != addresses[1], line.group(0)
        assert statuses[0] == "504" and statuses[1] in ("200", "201"), line.group(0)
        assert line["status"] == statuses[1], line.group(0)
        assert by_address[addresses[0]].app_name == first, (line.group(0), waiters)
        assert by_address[addresses[1]].app_name == second, (line.group(0), waiters)
        assert "upstream timed out" in gateway.error_log_text()

        # A finishes too: both applications commit, each with its own statistics job row.
        rows = wait_for(lambda: r if len(r := _statistics_jobs(event.pk)) >= 2 else None, timeout_s=15,
                        what="both replicas' PUTs committed")  # fmt: skip
        assert _lock_waiters() == []
        time.sleep(0.3)
        rows = _statistics_jobs(event.pk)
        assert len(rows) == 2, rows
    finally:
        gateway.stop()

    # One report, equal to one application of the body.
    assert EventReport.objects.filter(event_id=event.pk).count() == 1
    state = _report_state(event.pk)
    assert _values(state) == _values(BODY), state
    assert state["co2e_kg"] is not None and state["computed_at"] is not None  # computed with the seeded factors
    assert state["filed_by_id"] == organizer.pk

    # The statistics job, run once per outbox row, is idempotent: the second run changes nothing.
    after_each = []
    for row in rows:
        impact_services.report_statistics_process(**row.kwargs)
        after_each.append(_report_state(event.pk))
    assert after_each[0] == after_each[1] == state
    # No e-mail in this flow, so nothing to duplicate.
    assert EmailDelivery.objects.filter(event_id=event.pk).count() == 0

    figures(f"PUT stalled in {first}; nginx replayed it on {second} after "
            f"{replayed_at - first_at:.1f}s (proxy_read_timeout {READ_TIMEOUT_S}s; first wait began "
            f"{first_at - sent_at:.2f}s after sending); client got {reply.status} "
            f"{outcome['done_at'] - released_at:.2f}s after the lock was released; upstream_status "
            f"{', '.join(statuses)}; 1 report, {len(rows)} statistics job rows (both runs left it unchanged), "
            f"0 e-mails")  # fmt: skip
