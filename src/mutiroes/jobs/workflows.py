"""What each background job does, end to end: one domain service, then the follow-up jobs it causes.

Follow-ups go through the outbox in the same transaction as the work, so a job that committed its work
has also committed its follow-ups; a redelivered job redoes idempotent work and finds them queued.
"""

import logging

from django.contrib.auth import get_user_model
from django.db import transaction

from mutiroes.jobs import registry
from mutiroes.notifications import outbox
from mutiroes.notifications.models import EmailDelivery
from mutiroes.notifications.services import email_enqueue

logger = logging.getLogger(__name__)


@transaction.atomic
def user_statistics_update(*, user_id: int) -> None:
    from mutiroes.accounts import stats

    if not get_user_model().objects.filter(pk=user_id, is_active=True).exists():
        logger.info("statistics for user %s skipped: no such active user", user_id)
        return
    stats.user_stats_recompute(user_id=user_id)
    outbox.outbox_add(registry.CHECK_AND_AWARD_BADGES, user_id=user_id)


@transaction.atomic
def badges_check(*, user_id: int) -> list[str]:
    from mutiroes.accounts import badges

    if not get_user_model().objects.filter(pk=user_id, is_active=True).exists():
        return []
    awarded = badges.badges_award(user_id=user_id)
    slugs = [user_badge.badge.slug for user_badge in awarded]
    for slug in slugs:
        email_enqueue(kind=EmailDelivery.Kind.BADGE_EARNED, user_id=user_id, period=slug)
    return slugs


@transaction.atomic
def report_statistics_process(*, event_id: int) -> None:
    from mutiroes.events.models import Participation
    from mutiroes.impact import services as impact_services
    from mutiroes.impact.models import EventReport

    report = EventReport.objects.filter(event_id=event_id).first()
    if report is None:
        logger.info("no report for event %s: nothing to compute", event_id)
        return
    impact_services.report_compute_impact(report_id=report.pk)
    people = set(
        Participation.objects.filter(event_id=event_id, checked_in_at__isnull=False).values_list("user_id", flat=True)
    )
    people.add(report.event.organizer_id)
    outbox.outbox_add_many(registry.UPDATE_USER_STATISTICS, [{"user_id": user_id} for user_id in sorted(people)])


@transaction.atomic
def monthly_report_publish(*, year: int, month: int) -> None:
    from mutiroes.impact import services as impact_services

    impact_services.monthly_report_generate(year=year, month=month)
    period = f"{year:04d}-{month:02d}"
    staff = (
        get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="").values_list("pk", flat=True)
    )
    for user_id in staff:
        email_enqueue(kind=EmailDelivery.Kind.MONTHLY_REPORT, user_id=user_id, period=period)
