from mutiroes.jobs import registry
from mutiroes.jobs.actor import job_actor


@job_actor(registry.CLEANUP_EXPIRED_EVENTS)
def cleanup_expired_events() -> None:
    from mutiroes.events import services

    services.events_complete_expired()
