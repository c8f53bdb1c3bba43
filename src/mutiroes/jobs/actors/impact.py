from mutiroes.jobs import registry
from mutiroes.jobs.actor import job_actor


@job_actor(registry.PROCESS_EVENT_REPORT_STATISTICS)
def process_event_report_statistics(event_id: int) -> None:
    from mutiroes.impact import services

    services.report_statistics_process(event_id=event_id)


@job_actor(registry.GENERATE_MONTHLY_IMPACT_REPORT)
def generate_monthly_impact_report(year: int, month: int) -> None:
    from mutiroes.impact import services

    services.monthly_report_publish(year=year, month=month)
