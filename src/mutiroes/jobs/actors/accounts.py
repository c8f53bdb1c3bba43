from mutiroes.jobs import registry
from mutiroes.jobs.actor import job_actor


@job_actor(registry.UPDATE_USER_STATISTICS)
def update_user_statistics(user_id: int) -> None:
    from mutiroes.certificates import stats

    stats.user_stats_update(user_id=user_id)


@job_actor(registry.CHECK_AND_AWARD_BADGES)
def check_and_award_badges(user_id: int) -> None:
    from mutiroes.certificates import badges

    badges.badges_check(user_id=user_id)
