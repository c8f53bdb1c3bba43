"""Names and queues of the background jobs: shared by the outbox (which enqueues by name) and the actors."""

SEND_EVENT_NOTIFICATION_EMAIL = "send_event_notification_email"
SEND_BULK_EVENT_REMINDERS = "send_bulk_event_reminders"
PROCESS_EVENT_REPORT_STATISTICS = "process_event_report_statistics"
GENERATE_MONTHLY_IMPACT_REPORT = "generate_monthly_impact_report"
CLEANUP_EXPIRED_EVENTS = "cleanup_expired_events"
UPDATE_USER_STATISTICS = "update_user_statistics"
CHECK_AND_AWARD_BADGES = "check_and_award_badges"

QUEUES = {
    SEND_EVENT_NOTIFICATION_EMAIL: "emails",
    SEND_BULK_EVENT_REMINDERS: "emails",
    PROCESS_EVENT_REPORT_STATISTICS: "reports",
    GENERATE_MONTHLY_IMPACT_REPORT: "reports",
    CLEANUP_EXPIRED_EVENTS: "maintenance",
    UPDATE_USER_STATISTICS: "stats",
    CHECK_AND_AWARD_BADGES: "stats",
}
