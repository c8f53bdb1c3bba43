"""Every background job: its name, queue, time limit and retry policy, in one table.

The outbox enqueues by these names, ``job_actor`` declares each actor from its line, the schedule
(``scheduler/schedule.py``) and the dashboard read the queues here. A new job is a line in ``JOBS`` and an actor
in ``jobs/actors/`` (docs/where-to-change.md).
"""

from dataclasses import dataclass

from mutiroes.jobs.policy import DEFAULT, RetryPolicy

SEND_EVENT_NOTIFICATION_EMAIL = "send_event_notification_email"
RECORD_EMAIL_FAILURE = "record_email_failure"
SEND_BULK_EVENT_REMINDERS = "send_bulk_event_reminders"
PROCESS_EVENT_REPORT_STATISTICS = "process_event_report_statistics"
GENERATE_MONTHLY_IMPACT_REPORT = "generate_monthly_impact_report"
CLEANUP_EXPIRED_EVENTS = "cleanup_expired_events"
UPDATE_USER_STATISTICS = "update_user_statistics"
CHECK_AND_AWARD_BADGES = "check_and_award_badges"


@dataclass(frozen=True)
class Job:
    name: str
    queue: str
    time_limit_ms: int
    retry: RetryPolicy = DEFAULT
    # The job Dramatiq sends the failed message to once its retries ran out (``on_retry_exhausted``).
    on_retry_exhausted: str = ""


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


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(SEND_EVENT_NOTIFICATION_EMAIL, "emails", time_limit_ms=60_000, retry=_email_policy(),
            on_retry_exhausted=RECORD_EMAIL_FAILURE),
        Job(RECORD_EMAIL_FAILURE, "emails", time_limit_ms=60_000),
        Job(SEND_BULK_EVENT_REMINDERS, "emails", time_limit_ms=600_000),
        Job(PROCESS_EVENT_REPORT_STATISTICS, "reports", time_limit_ms=120_000),
        Job(GENERATE_MONTHLY_IMPACT_REPORT, "reports", time_limit_ms=600_000),
        Job(CLEANUP_EXPIRED_EVENTS, "maintenance", time_limit_ms=600_000),
        Job(UPDATE_USER_STATISTICS, "stats", time_limit_ms=120_000),
        Job(CHECK_AND_AWARD_BADGES, "stats", time_limit_ms=120_000),
    )
}  # fmt: skip
QUEUES = {name: job.queue for name, job in JOBS.items()}
