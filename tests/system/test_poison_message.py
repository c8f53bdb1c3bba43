"""A message that can never succeed: three attempts with backoff, then the dead-letter queue, shown to staff in
the dashboard (docs/reliability.md, scenario 6, issue 4)."""

import re
import time
import uuid

import dramatiq
import pytest
from django.test import Client

from mutiroes.jobs import registry as jobs
from tests.support.brokers import MAX_BACKOFF_MS, MIN_BACKOFF_MS
from tests.support.polling import seconds_until
from tests.system.support import NAMESPACE, dead_letters, messages_in_redis

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]


def test_poison_message_is_tried_three_times_then_dead_lettered_and_shown_in_the_dashboard(
    user_factory, redis_server, redis_broker, use_broker, smtp_server, workers, figures
):
    worker = workers.start(redis_url=redis_server.url(), smtp_port=smtp_server.port)
    client = redis_server.client()
    marker = f"poison-{uuid.uuid4().hex[:8]}"
    # A job from an older release: the actor's signature changed, so every attempt raises TypeError.
    message = dramatiq.Message(
        queue_name="emails", actor_name=jobs.SEND_EVENT_NOTIFICATION_EMAIL, args=(),
        kwargs={"event_id": 1, "kind": "reminder", "recipient": marker}, options={},
    )  # fmt: skip
    redis_broker.enqueue(message)

    took = seconds_until(
        lambda: dead_letters(client, "emails"), timeout_s=30, what="the message in the dead-letter queue"
    )
    # Nothing loops: after a few more backoff periods there is still no new attempt and nothing queued.
    time.sleep(3 * MAX_BACKOFF_MS / 1000)
    log = worker.log()
    failures = [line for line in log.splitlines() if "Failed to process message" in line and marker in line]
    backoffs = [int(ms) for ms in re.findall(rf"Retrying message '{message.message_id}' in (\d+) milliseconds", log)]
    assert len(failures) == 3, log
    assert len(backoffs) == 2
    assert backoffs[0] >= MIN_BACKOFF_MS and backoffs[1] >= 2 * MIN_BACKOFF_MS  # exponential
    assert log.count(f"Retries exceeded for message '{message.message_id}'") == 1
    [dead] = dead_letters(client, "emails")  # its Redis id: each retry is enqueued under a new one
    stored = dramatiq.Message.decode(client.hget(f"{NAMESPACE}:emails.XQ.msgs", dead))
    assert stored.message_id == message.message_id
    assert stored.options["retries"] == 2  # as stored with its last retry: 1 attempt + 2 retries
    assert "TypeError" in stored.options["traceback"]
    assert messages_in_redis(client, "emails") == 0

    # The dashboard runs in the API processes, which declare no actors: a fresh broker, as there.
    use_broker(redis_server)
    anonymous = Client().get("/dashboard/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    staff = Client()
    staff.force_login(user_factory(staff=True))
    overview = staff.get("/dashboard/")
    assert overview.status_code == 200
    assert 'href="/dashboard/queues/emails"' in overview.content.decode()
    failed = staff.get("/dashboard/queues/emails/failed")
    assert failed.status_code == 200
    assert f"/dashboard/queues/emails/failed/{dead}" in failed.content.decode()
    job = staff.get(f"/dashboard/queues/emails/failed/{dead}")
    assert job.status_code == 200
    page = job.content.decode()
    assert message.message_id in page and jobs.SEND_EVENT_NOTIFICATION_EMAIL in page and marker in page
    figures(f"poison message: 3 attempts, backoffs {backoffs} ms, dead-lettered {took:.1f} s after enqueue")
