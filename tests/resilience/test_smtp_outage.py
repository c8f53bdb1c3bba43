"""SMTP down while e-mails are queued (docs/reliability.md, scenario 19), with a real worker process.

The mail server's port answers "421 service not available" to every connection while it is down, and
counts them: the worker's smtp breaker trips after 5 failures, outbound attempts stay bounded (a handful
of probes, not one per message per retry), the e-mails are delayed rather than dead-lettered, and once the
server is back on the same port every one of them arrives, once.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.db import transaction

from mutiroes.jobs import outbox
from mutiroes.jobs.models import OutboxMessage
from mutiroes.notifications.models import EmailDelivery
from tests.factories import make_participants
from tests.resilience.stack import CountingDeadSmtp, server_env
from tests.support.polling import wait_for
from tests.support.processes import WorkerProcess, database_url

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

EMAILS = 30
THREADS = 2
BREAKER_FAILURES = 5
BREAKER_RECOVERY_S = 3
OUTAGE_S = 15
NAMESPACE = "dramatiq"


@pytest.fixture
def worker(tmp_path, redis_server, smtp_server):
    env = server_env(
        DATABASE_URL=database_url(),
        BROKER_URL=redis_server.url(),
        MUTIROES_DATA_DIR=str(tmp_path),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=smtp_server.host,
        EMAIL_PORT=str(smtp_server.port),
        EMAIL_TIMEOUT="5",
        SMTP_BREAKER_FAILURES=str(BREAKER_FAILURES),
        SMTP_BREAKER_RECOVERY_S=str(BREAKER_RECOVERY_S),
        DRAMATIQ_MIN_BACKOFF_MS="200",
        DRAMATIQ_MAX_BACKOFF_MS="1000",
        DRAMATIQ_HEARTBEAT_TIMEOUT_MS="3000",
        OUTBOX_RELAY_INTERVAL_S="0.5",
    )
    process = WorkerProcess(env=env, log_path=tmp_path / "worker.log", processes=1, threads=THREADS)
    yield process
    process.cleanup()


def test_smtp_down_emails_wait_and_all_arrive_once(event_factory, redis_server, redis_broker, smtp_server, worker,
                                                   figures):  # fmt: skip
    port = smtp_server.port
    smtp_server.stop()
    dead = CountingDeadSmtp(port).start()
    try:
        worker.start()
        event = event_factory(max_participants=EMAILS + 5)
        user_ids = make_participants(event, EMAILS, prefix="mutirante")
        with transaction.atomic():
            for user_id in user_ids:
                outbox.email_enqueue(kind=EmailDelivery.Kind.REGISTRATION, user_id=user_id, event_id=event.pk)
        enqueued_at = time.monotonic()
        wait_for(lambda: len(dead.attempts) >= BREAKER_FAILURES, timeout_s=30, what="the first SMTP attempts")
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - enqueued_at)))
        attempts = len(dead.attempts)
        delivered_during = EmailDelivery.objects.filter(status=EmailDelivery.Status.SENT).count()
        dead_letters_during = redis_server.command("ZCARD", f"{NAMESPACE}:emails.XQ")
    finally:
        dead.stop()
    outage_s = time.monotonic() - enqueued_at

    smtp_server.start()  # the same port
    back_at = time.monotonic()
    smtp_server.wait_for(EMAILS, timeout_s=60)
    all_in_s = time.monotonic() - back_at
    time.sleep(3)  # room for a duplicate (a redelivery, a second relay of a row) to show up

    # The breaker tripped after 5 failures; after that only its probes reached the server: a bound set by
    # the breaker (threads per recovery period), not by the number of e-mails or their retries.
    probes_bound = THREADS * (int(outage_s / BREAKER_RECOVERY_S) + 2)
    assert BREAKER_FAILURES <= attempts <= BREAKER_FAILURES + probes_bound, attempts
    assert attempts < EMAILS
    assert delivered_during == 0
    assert dead_letters_during == 0
    assert redis_server.command("ZCARD", f"{NAMESPACE}:emails.XQ") == 0  # delayed, never dead-lettered

    received = Counter(tuple(m.rcpt_tos) for m in smtp_server.messages)
    assert len(received) == EMAILS and set(received.values()) == {1}, received.most_common(3)
    assert EmailDelivery.objects.filter(status=EmailDelivery.Status.SENT).count() == EMAILS
    assert not OutboxMessage.objects.filter(relayed_at=None).exists()
    log = worker.log()
    delays = log.count("smtp breaker open")
    assert delays > 0, worker.log_tail()

    figures(
        f"SMTP down {outage_s:.0f} s with {EMAILS} e-mails queued, worker 1 process x {THREADS} threads, breaker"
        f" {BREAKER_FAILURES} failures / {BREAKER_RECOVERY_S} s: {attempts} connection attempts (bound"
        f" {BREAKER_FAILURES + probes_bound}), {delays} delays instead of failed attempts, 0 dead letters;"
        f" all {EMAILS} delivered {all_in_s:.1f} s after the server returned, each once"
    )
