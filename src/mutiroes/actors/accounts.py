import dramatiq

from mutiroes.notifications import jobs


@dramatiq.actor(
    actor_name=jobs.UPDATE_USER_STATISTICS,
    queue_name=jobs.QUEUES[jobs.UPDATE_USER_STATISTICS],
    max_retries=2,
    time_limit=120_000,
)
def update_user_statistics(user_id: int) -> None:
    from mutiroes.notifications import workflows

    workflows.user_statistics_update(user_id=user_id)


@dramatiq.actor(
    actor_name=jobs.CHECK_AND_AWARD_BADGES,
    queue_name=jobs.QUEUES[jobs.CHECK_AND_AWARD_BADGES],
    max_retries=2,
    time_limit=120_000,
)
def check_and_award_badges(user_id: int) -> None:
    from mutiroes.notifications import workflows

    workflows.badges_check(user_id=user_id)
