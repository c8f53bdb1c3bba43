"""A worker's /metrics (its own port, summed over its processes): a join's e-mail job done and the e-mail sent,
a poison message retried then dead-lettered, queue and outbox figures read from Redis and the database."""

import dramatiq
import pytest
from django.utils import timezone

from mutiroes.jobs import registry as jobs
from mutiroes.jobs.models import OutboxMessage
from tests.metrics.support import label_values, scrape, value
from tests.support.polling import wait_for
from tests.support.processes import free_port
from tests.system.support import dead_letters

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]
EMAIL_ACTOR = jobs.SEND_EVENT_NOTIFICATION_EMAIL


def _metrics_when(url: str, predicate, *, what: str) -> str:
    texts: list[str] = []

    def ready() -> bool:
        try:
            texts.append(scrape(url))
        except OSError:
            return False
        return predicate(texts[-1])

    wait_for(ready, timeout_s=30, what=what)
    return texts[-1]


def test_a_join_shows_as_a_done_job_and_a_sent_email(
    api_client, user_factory, event_factory, redis_server, redis_broker, smtp_server, workers
):
    port = free_port()
    workers.start(redis_url=redis_server.url(), smtp_port=smtp_server.port, processes=2, metrics_port=port)
    url = f"http://127.0.0.1:{port}/metrics"
    event = event_factory(max_participants=10)

    response = api_client.post(f"/api/v1/events/{event.pk}/join", user=user_factory())
    assert response.status_code == 201, response.content

    text = _metrics_when(
        url, lambda t: value(t, "mutiroes_emails_total", kind="registration", result="sent") == 1, what="e-mail sent"
    )
    done = {"queue": "emails", "actor": EMAIL_ACTOR, "outcome": "done"}
    assert value(text, "mutiroes_messages_total", **done) == 1
    assert value(text, "mutiroes_message_duration_seconds_count", queue="emails", actor=EMAIL_ACTOR) == 1
    assert value(text, "mutiroes_messages_in_progress") == 0
    assert value(text, "mutiroes_outbox_backlog") == 0
    assert value(text, "mutiroes_outbox_oldest_age_seconds") == 0
    _metrics_when(url, lambda t: value(t, "mutiroes_outbox_in_flight") == 0, what="the join's row done")
    # A row the broker took but whose job never finished (lost in a failover) counts as in flight.
    OutboxMessage.objects.create(actor_name=EMAIL_ACTOR, queue_name="emails", relayed_at=timezone.now())
    _metrics_when(url, lambda t: value(t, "mutiroes_outbox_in_flight") == 1, what="one row in flight")
    for gauge in ("mutiroes_queue_depth", "mutiroes_queue_delayed", "mutiroes_queue_dead_letters"):
        assert "emails" in label_values(text, gauge, "queue"), gauge


def test_a_poison_message_is_counted_retried_then_dead_lettered(redis_server, redis_broker, smtp_server, workers):
    port = free_port()
    workers.start(redis_url=redis_server.url(), smtp_port=smtp_server.port, metrics_port=port)
    url = f"http://127.0.0.1:{port}/metrics"
    # Every attempt raises TypeError (an argument the actor does not take).
    message = dramatiq.Message(queue_name="emails", actor_name=EMAIL_ACTOR, args=(),
                               kwargs={"event_id": 1, "kind": "reminder", "bogus": 1}, options={})  # fmt: skip
    redis_broker.enqueue(message)
    wait_for(lambda: dead_letters(redis_server.client(), "emails"), timeout_s=30, what="the message dead-lettered")

    text = _metrics_when(url, lambda t: value(t, "mutiroes_queue_dead_letters", queue="emails") == 1, what="1 dead")
    labels = {"queue": "emails", "actor": EMAIL_ACTOR}
    assert value(text, "mutiroes_messages_total", **labels, outcome="retried") == 2
    assert value(text, "mutiroes_messages_total", **labels, outcome="dead_lettered") == 1
    assert value(text, "mutiroes_messages_total", **labels, outcome="done") == 0
