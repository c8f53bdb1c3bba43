import logging
import random

import dramatiq

from mutiroes.notifications import jobs

logger = logging.getLogger(__name__)


@dramatiq.actor(
    actor_name=jobs.SEND_EVENT_NOTIFICATION_EMAIL,
    queue_name=jobs.QUEUES[jobs.SEND_EVENT_NOTIFICATION_EMAIL],
    max_retries=2,
    time_limit=60_000,
)
def send_event_notification_email(event_id: int, user_id: int, kind: str, period: str = "") -> None:
    from mutiroes.infra.email import CircuitBreakerError, smtp_breaker
    from mutiroes.notifications import services

    try:
        services.notification_send(event_id=event_id, user_id=user_id, kind=kind, period=period)
    except CircuitBreakerError:
        # SMTP is down: come back after the breaker's cool-down instead of burning this message's
        # three attempts (and ending in the dead-letter queue) during an outage.
        delay_ms = (max(smtp_breaker.open_remaining, 1) + random.uniform(0, 10)) * 1000
        logger.info("smtp breaker open: %s e-mail for user %s delayed %.0f ms", kind, user_id, delay_ms)
        send_event_notification_email.send_with_options(
            kwargs={"event_id": event_id, "user_id": user_id, "kind": kind, "period": period}, delay=int(delay_ms)
        )


@dramatiq.actor(
    actor_name=jobs.SEND_BULK_EVENT_REMINDERS,
    queue_name=jobs.QUEUES[jobs.SEND_BULK_EVENT_REMINDERS],
    max_retries=2,
    time_limit=600_000,
)
def send_bulk_event_reminders(event_id: int) -> None:
    from mutiroes.notifications import services

    services.reminders_fan_out(event_id=event_id)
