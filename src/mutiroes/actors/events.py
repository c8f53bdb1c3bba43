import dramatiq

from mutiroes.notifications import jobs


@dramatiq.actor(
    actor_name=jobs.CLEANUP_EXPIRED_EVENTS,
    queue_name=jobs.QUEUES[jobs.CLEANUP_EXPIRED_EVENTS],
    max_retries=2,
    time_limit=600_000,
)
def cleanup_expired_events() -> None:
    from mutiroes.events import services

    services.events_complete_expired()
