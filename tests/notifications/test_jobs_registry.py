from mutiroes.infra.broker import get_broker
from mutiroes.jobs import registry as jobs


def test_every_job_name_has_an_actor_on_its_queue_with_bounded_retries_and_time():
    broker = get_broker()
    for name, queue in jobs.QUEUES.items():
        actor = broker.get_actor(name)
        assert actor.queue_name == queue
        assert actor.options["max_retries"] == 2  # three attempts in all
        assert 0 < actor.options["time_limit"] <= 600_000


def test_the_seven_jobs_of_the_original_system_keep_their_names():
    assert set(jobs.QUEUES) - {jobs.RECORD_EMAIL_FAILURE} == {
        "send_event_notification_email",
        "send_bulk_event_reminders",
        "process_event_report_statistics",
        "generate_monthly_impact_report",
        "cleanup_expired_events",
        "update_user_statistics",
        "check_and_award_badges",
    }
