"""Badge awarding: one INSERT … SELECT that adds the badges a user's stats now meet, at most once each.

The UNIQUE (user, badge) key with ON CONFLICT DO NOTHING makes awarding idempotent and safe under
concurrent runs (a redelivered job, two workers): RETURNING gives exactly the rows this call inserted,
so whoever notifies about them notifies once. No API route awards badges; only the jobs and this module do.
"""

import logging
from collections.abc import Iterable

from django.db import connection, transaction

from mutiroes.accounts.models import Badge, Criterion, EmailKind, User, UserBadge, UserStats
from mutiroes.certificates import stats
from mutiroes.core import clock
from mutiroes.jobs import outbox

logger = logging.getLogger(__name__)


def _award_sql(n_users: int) -> str:
    badge, user_badge, user_stats = Badge._meta.db_table, UserBadge._meta.db_table, UserStats._meta.db_table
    # Each criterion names a UserStats column (checked by the tests); the names are constants, not input.
    measure = " ".join(f"WHEN '{c}' THEN s.{c}" for c in Criterion.values)
    users = ", ".join(["%s"] * n_users)
    return (
        f"INSERT INTO {user_badge} (user_id, badge_id, awarded_at) "  # noqa: S608 - no user input in the SQL
        f"SELECT s.user_id, b.id, %s FROM {user_stats} s, {badge} b "
        f"WHERE s.user_id IN ({users}) AND b.is_active = %s AND (CASE b.criterion {measure} END) >= b.threshold "
        "ON CONFLICT (user_id, badge_id) DO NOTHING RETURNING id"
    )


@transaction.atomic
def badges_award_many(*, user_ids: Iterable[int], recompute: bool = True) -> list[UserBadge]:
    """Award every badge the users' stats meet and they lack; returns only the newly awarded ones."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    if recompute:
        stats.user_stats_recompute_many(user_ids=ids)
    with connection.cursor() as cursor:
        cursor.execute(_award_sql(len(ids)), [clock.now(), *ids, True])
        new_ids = [row[0] for row in cursor.fetchall()]
    awarded = list(UserBadge.objects.filter(pk__in=new_ids).select_related("badge").order_by("user_id", "id"))
    for award in awarded:
        # badges_check asks for the badge_earned e-mail, keyed by (user, badge).
        logger.info("badge %s awarded to user %s", award.badge.slug, award.user_id)
    return awarded


def badges_award(*, user_id: int, recompute: bool = True) -> list[UserBadge]:
    """Recompute the user's stats (unless told not to) and award what they now meet; returns the new awards."""
    return badges_award_many(user_ids=[user_id], recompute=recompute)


@transaction.atomic
def badges_check(*, user_id: int) -> list[str]:
    """The badge job: award what the user's stats now meet and ask for one e-mail per new badge; returns the slugs."""
    if not User.objects.filter(pk=user_id, is_active=True).exists():
        return []
    slugs = [award.badge.slug for award in badges_award(user_id=user_id)]
    for slug in slugs:
        outbox.email_enqueue(kind=EmailKind.BADGE_EARNED, user_id=user_id, period=slug)
    return slugs
