"""Every background job: its name, queue, time limit and retry policy, in one table.

The outbox enqueues by these names, ``job_actor`` declares each actor from its line, the schedule
(``scheduler/schedule.py``) and the dashboard read the queues here. A new job is one line at the end of this
module and an actor in ``jobs/actors/`` (docs/where-to-change.md).
"""

from dataclasses import dataclass
from typing import Any

from mutiroes.jobs.policy import DEFAULT, RetryPolicy


@dataclass(frozen=True)
class Job:
    name: str
    queue: str
    time_limit_ms: int
    retry: RetryPolicy = DEFAULT
    # The job Dramatiq sends the failed message to once its retries ran out (``on_retry_exhausted``).
    on_retry_exhausted: str = ""


JOBS: dict[str, Job] = {}


def _job(name: str, queue: str, **options: Any) -> str:
    JOBS[name] = Job(name, queue, **options)
    return name


def _email_policy() -> RetryPolicy:
    from dramatiq import Retry

    from mutiroes.infra import email

    # An SMTP outage is waited out: while the breaker is open the actor asks for a Retry after its cool-down, so
    # 100 retries are about an hour at the default 30 s. The server refusing the message (5xx) is final.
    return RetryPolicy(
        permanent=(email.EmailRefused,),
        transient=lambda exc: isinstance(exc, Retry) or email.is_transient(exc),
        transient_retries=100,
    )


# One line per job: the name the outbox, the schedule and the actor use, its queue, time limit and retry policy.
RECORD_EMAIL_FAILURE = _job("record_email_failure", "emails", time_limit_ms=60_000)
SEND_EVENT_NOTIFICATION_EMAIL = _job("send_event_notification_email", "emails", time_limit_ms=60_000,
                                     retry=_email_policy(), on_retry_exhausted=RECORD_EMAIL_FAILURE)  # fmt: skip
SEND_BULK_EVENT_REMINDERS = _job("send_bulk_event_reminders", "emails", time_limit_ms=600_000)
PROCESS_EVENT_REPORT_STATISTICS = _job("process_event_report_statistics", "reports", time_limit_ms=120_000)
GENERATE_MONTHLY_IMPACT_REPORT = _job("generate_monthly_impact_report", "reports", time_limit_ms=600_000)
CLEANUP_EXPIRED_EVENTS = _job("cleanup_expired_events", "maintenance", time_limit_ms=600_000)
UPDATE_USER_STATISTICS = _job("update_user_statistics", "stats", time_limit_ms=120_000)
CHECK_AND_AWARD_BADGES = _job("check_and_award_badges", "stats", time_limit_ms=120_000)

QUEUES = {name: job.queue for name, job in JOBS.items()}
