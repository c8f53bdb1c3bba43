"""User statistics: one UserStats row per user, recomputed from participations, organised events and reports.

Rules (documented in the API too):
- *Attended*: a confirmed participation with a check-in, in an event that was not cancelled.
- *Hours*: the figure the certificates state (certificates/selectors.py): for each attended event its
  duration, at most 12 hours per local day, or the organiser's adjustment; none once the organiser revoked
  the certificate. A report's volunteer-hours feed the impact figures, not a person's hours.
- *Impact* (trees, trash, recyclables, area, CO2e): a reported event's totals are shared equally among the
  people who did the work: each checked-in participant gets ``total / heads`` where
  ``heads = greatest(report.participants, checked-in count, 1)``. Using the larger of the two means people
  who came without registering keep their share, and the credit handed out never exceeds the report.
- *Organised*: the user's events that took place: published or completed, and ended.

The recomputation is a handful of grouped queries for any number of users and one upsert: no per-event
query (the hours are summed in Python over one query's rows), and running it twice gives the same rows.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, F, FloatField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Greatest

from mutiroes.accounts.models import User, UserBadge, UserStats
from mutiroes.certificates import selectors as certificate_selectors
from mutiroes.core import clock
from mutiroes.events.models import Event, Participation
from mutiroes.jobs import outbox, registry

logger = logging.getLogger(__name__)

# GET /users/me/stats recomputes a row older than this; the jobs that change the inputs recompute at once.
STATS_MAX_AGE = timedelta(minutes=10)
SHARED_METRICS = ("trees_planted", "trash_kg", "recyclable_kg", "area_m2", "co2e_kg")
STATS_FIELDS = ("events_attended", "hours_volunteered", "events_organized", *SHARED_METRICS)
CENT = Decimal("0.01")


def _attended(user_ids: list[int]) -> QuerySet[Participation]:
    return certificate_selectors.attended().filter(user_id__in=user_ids)


def _heads() -> Greatest:
    checked_in = (
        Participation.objects.filter(
            event=OuterRef("event"), status=Participation.Status.CONFIRMED, checked_in_at__isnull=False
        )
        .order_by()
        .values("event")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Greatest(
        Coalesce(F("event__report__participants"), 0),
        Coalesce(Subquery(checked_in), 0),
        Value(1),
        output_field=FloatField(),
    )


def _share(column: str) -> Sum:
    """Sum over the attended events of this participant's share of a report column."""
    # Float arithmetic in SQL (SQLite would truncate integer division); rounded to cents in Python.
    total = Cast(Coalesce(F(f"event__report__{column}"), 0, output_field=FloatField()), FloatField())
    return Sum(total / F("heads"), filter=Q(event__report__isnull=False), default=0.0)


def _cents(value: float | Decimal | None) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def _compute(user_ids: list[int]) -> dict[int, dict[str, object]]:
    rows = (
        _attended(user_ids)
        .annotate(heads=_heads())
        .values("user_id")
        .annotate(
            events_attended=Count("id"),
            **{metric: _share(metric) for metric in SHARED_METRICS},
        )
        .order_by()
    )
    totals: dict[int, dict[str, object]] = {uid: {"events_attended": 0, "events_organized": 0} for uid in user_ids}
    for uid, hours in certificate_selectors.hours_by_user(user_ids=user_ids).items():
        totals[uid]["hours_volunteered"] = hours
    for row in rows:
        totals[row["user_id"]] |= {
            "events_attended": row["events_attended"],
            **{metric: _cents(row[metric]) for metric in SHARED_METRICS},
        }
    organised = (
        Event.objects.filter(
            organizer_id__in=user_ids,
            status__in=(Event.Status.PUBLISHED, Event.Status.COMPLETED),
            end_date__lte=clock.now(),
        )
        .values("organizer_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in organised:
        totals[row["organizer_id"]]["events_organized"] = row["n"]
    return totals


@transaction.atomic
def user_stats_recompute_many(*, user_ids: Iterable[int]) -> dict[int, UserStats]:
    """Recompute the stats of many users at once; unknown ids are ignored."""
    ids = list(User.objects.filter(pk__in=set(user_ids)).values_list("pk", flat=True))
    if not ids:
        return {}
    now = clock.now()
    rows = [
        UserStats(user_id=uid, computed_at=now, **{f: values.get(f, Decimal(0)) for f in STATS_FIELDS})
        for uid, values in _compute(ids).items()
    ]
    # One upsert: concurrent recomputations of the same user converge on the same row.
    UserStats.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["user"], update_fields=[*STATS_FIELDS, "computed_at"]
    )
    logger.info("recomputed stats of %d users", len(rows))
    return {row.user_id: row for row in rows}


def user_stats_recompute(*, user_id: int) -> UserStats | None:
    return user_stats_recompute_many(user_ids=[user_id]).get(user_id)


def user_stats_current(*, user_id: int) -> UserStats | None:
    """The user's stats row, recomputed first if it is missing or older than STATS_MAX_AGE."""
    stats = UserStats.objects.filter(user_id=user_id).first()
    if stats is not None and stats.computed_at >= clock.now() - STATS_MAX_AGE:
        return stats
    return user_stats_recompute(user_id=user_id)


def user_public_achievements(*, user: User) -> dict[str, object]:
    """Stats and badges for the public profile, only if the user chose to show them (Profile.show_stats)."""
    if not user.profile.show_stats:
        return {}
    return {
        "stats": user_stats_current(user_id=user.pk),
        "badges": list(UserBadge.objects.filter(user=user).select_related("badge").order_by("awarded_at", "id")),
    }


@transaction.atomic
def user_stats_update(*, user_id: int) -> None:
    """The statistics job: recompute the user's row, then check their badges (queued in the same transaction)."""
    if not User.objects.filter(pk=user_id, is_active=True).exists():
        logger.info("statistics for user %s skipped: no such active user", user_id)
        return
    user_stats_recompute(user_id=user_id)
    outbox.outbox_add(registry.CHECK_AND_AWARD_BADGES, user_id=user_id)
