from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from mutiroes.accounts.models import User
from mutiroes.core.exceptions import Forbidden, NotFound
from mutiroes.events import geo, selectors_community
from mutiroes.events.models import Category, Event, Participation


@dataclass(frozen=True)
class EventFilters:
    category: int | None = None
    city: str | None = None
    state: str | None = None
    status: str | None = None
    starts_after: datetime | None = None
    starts_before: datetime | None = None
    q: str | None = None
    near: tuple[float, float] | None = None
    radius_km: float = 25.0
    ordering: str | None = None


def category_list() -> QuerySet[Category]:
    return Category.objects.all()


def can_manage(*, event: Event, user: User | None) -> bool:
    return user is not None and (event.organizer_id == user.pk or user.is_staff)


def event_visible_q(user: User | None) -> Q:
    """Public non-draft events, plus everything the user organises; staff see all.

    A private event is also visible to the people already taking part in it.
    """
    public = Q(is_public=True) & ~Q(status=Event.Status.DRAFT)
    if user is None:
        return public
    if user.is_staff:
        return Q()
    # The user's own and joined events are looked up first (by organiser and by participant: both indexed), so
    # the list's filter is `public OR id IN (a short list)`. PostgreSQL then walks (status, start_date) in
    # order and stops after a page, instead of testing a subquery on every event and sorting them all.
    taking_part = Participation.objects.filter(user=user, status__in=Participation.ACTIVE).exclude(
        event__status=Event.Status.DRAFT
    )
    mine = {*Event.objects.filter(organizer=user).values_list("pk", flat=True)}
    mine.update(taking_part.values_list("event_id", flat=True))
    return public | Q(pk__in=sorted(mine))


def event_is_visible(*, event: Event, user: User | None, participation: Participation | None) -> bool:
    """event_visible_q for one loaded event, given the user's participation in it (None if they have none)."""
    if event.is_public and event.status != Event.Status.DRAFT:
        return True
    if user is None:
        return False
    if user.is_staff or event.organizer_id == user.pk:
        return True
    return participation is not None and participation.is_active and event.status != Event.Status.DRAFT


def _with_counts(queryset: QuerySet[Event]) -> QuerySet[Event]:
    # participants_count is a column kept by the services: no aggregation over participations here, so a page
    # costs the same whatever the number of events and participations.
    return queryset.select_related("organizer", "category")


def event_get_visible(*, event_id: int, user: User | None) -> Event:
    event = _with_counts(Event.objects.filter(event_visible_q(user), pk=event_id)).first()
    if event is None:
        raise NotFound("event", event_id=event_id)
    return event


def event_get_managed(*, event_id: int, user: User) -> Event:
    """The event if the user may manage it; 404 if they cannot even see it, 403 if they only see it."""
    event = event_get_visible(event_id=event_id, user=user)
    if not can_manage(event=event, user=user):
        raise Forbidden("only the organiser can do this", code="not_organizer", event_id=event_id)
    return event


def event_list(*, filters: EventFilters, user: User | None) -> QuerySet[Event]:
    queryset = Event.objects.filter(event_visible_q(user))
    if filters.status:
        queryset = queryset.filter(status=filters.status)
        if filters.status == Event.Status.DRAFT and user is not None:
            queryset = queryset.filter(organizer=user)  # staff too: a draft list is always one's own
    else:
        queryset = queryset.filter(status=Event.Status.PUBLISHED)
    if filters.category:
        queryset = queryset.filter(category_id=filters.category)
    if filters.city:
        queryset = queryset.filter(city__iexact=filters.city)
    if filters.state:
        queryset = queryset.filter(state=filters.state.upper())
    if filters.starts_after:
        queryset = queryset.filter(start_date__gte=filters.starts_after)
    if filters.starts_before:
        queryset = queryset.filter(start_date__lte=filters.starts_before)
    if filters.q:
        queryset = queryset.filter(
            Q(title__icontains=filters.q) | Q(description__icontains=filters.q) | Q(address__icontains=filters.q)
        )
    ordering = filters.ordering
    if filters.near is not None:
        lat, lng = filters.near
        queryset = geo.within_radius(queryset, lat=lat, lng=lng, radius_km=filters.radius_km)
        ordering = ordering or "distance"
    order_by = {
        "start_date": ("start_date", "id"),
        "-start_date": ("-start_date", "-id"),
        "distance": ("distance_km", "start_date", "id") if filters.near is not None else ("start_date", "id"),
    }[ordering or "start_date"]
    return _with_counts(queryset).order_by(*order_by)


def event_list_nearest_rows(queryset: QuerySet[Event], *, filters: EventFilters) -> geo.PageReader | None:
    """For event_list's `near=` search sorted by distance, a page reader (geo.nearest_rows) that reads the page
    from the smallest disc holding it: a page near a big city then costs the same whatever the events around it."""
    if filters.near is None or (filters.ordering or "distance") != "distance":
        return None
    lat, lng = filters.near
    return geo.nearest_rows(queryset, lat=lat, lng=lng, radius_km=filters.radius_km)


def participation_of(*, event: Event, user: User | None) -> Participation | None:
    if user is None:
        return None
    return Participation.objects.filter(event=event, user=user).first()


def participations_of(*, events: list[Event], user: User | None) -> dict[int, Participation]:
    """The caller's participation per event, in one query for a whole page."""
    if user is None or not events:
        return {}
    # The waiting list is served in (registered_at, id) order (services._promote_waitlisted): a waitlisted
    # caller's position is how many are ahead of them, plus one.
    ahead = (
        Participation.objects.filter(event_id=OuterRef("event_id"), status=Participation.Status.WAITLISTED)
        .filter(
            Q(registered_at__lt=OuterRef("registered_at"))
            | Q(registered_at=OuterRef("registered_at"), id__lt=OuterRef("id"))
        )
        .values("event_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = Participation.objects.filter(user=user, event_id__in=[e.pk for e in events]).annotate(
        waitlist_ahead=Coalesce(Subquery(ahead), 0)
    )
    return {p.event_id: p for p in rows}


def participant_list(*, event: Event) -> QuerySet[Participation]:
    return event.participations.select_related("user").order_by("status", "registered_at", "id")


def event_stats(*, event: Event) -> dict[str, object]:
    by_status = dict(event.participations.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {
        "participants_by_status": {status: by_status.get(status, 0) for status in Participation.Status.values},
        "checked_in": event.participations.filter(checked_in_at__isnull=False).count(),
        "spots_left": max(event.max_participants - sum(by_status.get(s, 0) for s in Participation.HOLDS_SPOT), 0),
        **selectors_community.community_stats(event=event),
    }


def event_people(*, event_ids: Iterable[int]) -> list[int]:
    """Whose statistics an event's check-ins, report or completion change: its checked-in participants and its
    organiser (the one rule; the stats and badge jobs are enqueued for these people)."""
    ids = list(event_ids)
    # Distinct in SQL (order_by(): the models' default ordering would make every row distinct): the nightly
    # cleanup's 3,506 expired events have far fewer organisers than rows.
    checked_in = Participation.objects.filter(event_id__in=ids, checked_in_at__isnull=False).order_by()
    people = set(checked_in.values_list("user_id", flat=True).distinct())
    people.update(Event.objects.filter(pk__in=ids).order_by().values_list("organizer_id", flat=True).distinct())
    return sorted(people)


def user_event_list(*, user: User, role: str) -> QuerySet[Event]:
    """The caller's events, newest first. organizer: all they organise, drafts included. participant: events
    where their registration is active (confirmed, pending, waitlisted) or where they checked in."""
    if role == "organizer":
        queryset = Event.objects.filter(organizer=user)
    elif role == "participant":
        mine = Participation.objects.filter(event=OuterRef("pk"), user=user).filter(
            Q(status__in=Participation.ACTIVE) | Q(checked_in_at__isnull=False)
        )
        queryset = Event.objects.filter(Exists(mine)).exclude(status=Event.Status.DRAFT)
    else:
        raise ValueError(f"unknown role {role!r}")
    return _with_counts(queryset).order_by("-start_date", "-id")
