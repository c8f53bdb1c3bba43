import logging
import random
from typing import Any

import dramatiq

from mutiroes.jobs import registry
from mutiroes.jobs.actor import job_actor

logger = logging.getLogger(__name__)
# Spread the retries of the e-mails an open breaker turned away, so they do not all probe at once.
BREAKER_JITTER_S = 10


@job_actor(registry.SEND_EVENT_NOTIFICATION_EMAIL)
def send_event_notification_email(event_id: int, user_id: int, kind: str, period: str = "") -> None:
    from mutiroes.infra.email import CircuitBreakerError, smtp_breaker
    from mutiroes.notifications import services

    try:
        services.notification_send(event_id=event_id, user_id=user_id, kind=kind, period=period)
    except CircuitBreakerError:
        # SMTP is down: come back after the breaker's cool-down (the policy retries outages for longer).
        delay_s = max(smtp_breaker.open_remaining, 1) + random.uniform(0, BREAKER_JITTER_S)
        logger.info("smtp breaker open: %s e-mail for user %s delayed %.0f s", kind, user_id, delay_s)
        raise dramatiq.Retry(delay=int(delay_s * 1000)) from None


@job_actor(registry.RECORD_EMAIL_FAILURE)
def record_email_failure(message: dict[str, Any], retries: dict[str, Any]) -> None:
    """Dramatiq's ``on_retry_exhausted`` of the e-mail job: the delivery is recorded failed, with its last error."""
    from mutiroes.notifications import services

    kwargs, options = message.get("kwargs") or {}, message.get("options") or {}
    traceback = (options.get("traceback") or "").strip()
    services.email_delivery_fail(
        event_id=kwargs.get("event_id", 0), user_id=kwargs.get("user_id"), kind=kwargs.get("kind", ""),
        period=kwargs.get("period", ""), error=traceback.splitlines()[-1] if traceback else "retries exhausted",
    )  # fmt: skip


@job_actor(registry.SEND_BULK_EVENT_REMINDERS)
def send_bulk_event_reminders(event_id: int) -> None:
    from mutiroes.notifications import services

    services.reminders_fan_out(event_id=event_id)
