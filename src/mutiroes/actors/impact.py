import dramatiq

from mutiroes.notifications import jobs


@dramatiq.actor(
    actor_name=jobs.PROCESS_EVENT_REPORT_STATISTICS,
    queue_name=jobs.QUEUES[jobs.PROCESS_EVENT_REPORT_STATISTICS],
    max_retries=2,
    time_limit=120_000,
)
def process_event_report_statistics(event_id: int) -> None:
    from mutiroes.notifications import workflows

    workflows.report_statistics_process(event_id=event_id)


@dramatiq.actor(
    actor_name=jobs.GENERATE_MONTHLY_IMPACT_REPORT,
    queue_name=jobs.QUEUES[jobs.GENERATE_MONTHLY_IMPACT_REPORT],
    max_retries=2,
    time_limit=600_000,
)
def generate_monthly_impact_report(year: int, month: int) -> None:
    from mutiroes.notifications import workflows

    workflows.monthly_report_publish(year=year, month=month)
