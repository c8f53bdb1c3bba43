import logging

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
    from mutiroes.notifications import services

    services.notification_send(event_id=event_id, user_id=user_id, kind=kind, period=period)


@dramatiq.actor(
    actor_name=jobs.SEND_BULK_EVENT_REMINDERS,
    queue_name=jobs.QUEUES[jobs.SEND_BULK_EVENT_REMINDERS],
    max_retries=2,
    time_limit=600_000,
)
def send_bulk_event_reminders(event_id: int) -> None:
    from mutiroes.notifications import services

    services.reminders_fan_out(event_id=event_id)
