"""Event and participation writes. Every rule about capacity, visibility and timing lives here."""

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from mutiroes.accounts.models import User
from mutiroes.accounts.verification import email_verified_required
from mutiroes.core import clock
from mutiroes.core.exceptions import Forbidden, InvalidState, NotFound, TooManyAttempts, ValidationFailed
from mutiroes.events import notify, selectors, signals
from mutiroes.events.models import Category, Event, Participation
from mutiroes.infra import cache, metrics
from mutiroes.infra.failures import FailureLimit
from mutiroes.jobs import outbox, registry

logger = logging.getLogger(__name__)

CHECK_IN_OPENS_BEFORE = timedelta(hours=1)
EDITABLE_FIELDS = {
    "title", "description", "category_id", "address", "city", "state", "latitude", "longitude", "start_date",
    "end_date", "registration_deadline", "max_participants", "min_age", "max_age", "requires_approval",
    "is_public", "tools_needed", "tools_provided", "what_to_bring",
}  # fmt: skip
# Changes that participants must hear about (date or place).
NOTIFIABLE_FIELDS = {"start_date", "end_date", "address", "city", "state", "latitude", "longitude"}


def _lists_changed(*namespaces: str) -> None:
    # Public lists are cached; once this change commits, they move to a new version.
    for namespace in namespaces or ("events",):
        transaction.on_commit(partial(cache.invalidate, namespace))


def _validate_event(values: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end <= start:
        errors["end_date"] = "must be after start_date"
    deadline = values.get("registration_deadline")
    if deadline and start and deadline > start:
        errors["registration_deadline"] = "must not be after start_date"
    min_age, max_age = values.get("min_age"), values.get("max_age")
    if min_age is not None and max_age is not None and min_age > max_age:
        errors["max_age"] = "must not be below min_age"
    if "category_id" in values and not Category.objects.filter(pk=values["category_id"]).exists():
        errors["category_id"] = "unknown category"
    if errors:
        raise ValidationFailed("invalid event", **errors)


def event_create(*, organizer: User, data: dict[str, Any]) -> Event:
    email_verified_required(organizer)
    values = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    status = data.get("status", Event.Status.DRAFT)
    if status not in (Event.Status.DRAFT, Event.Status.PUBLISHED):
        raise ValidationFailed("an event starts as draft or published", status="must be draft or published")
    _validate_event(values)
    if status == Event.Status.PUBLISHED and values["start_date"] <= clock.now():
        raise ValidationFailed("cannot publish an event in the past", start_date="must be in the future")
    event = Event.objects.create(organizer=organizer, status=status, **values)
    _lists_changed()
    logger.info("event %s created by user %s as %s", event.pk, organizer.pk, status)
    return event


def _locked_managed_event(*, event_id: int, user: User) -> Event:
    selectors.event_get_managed(event_id=event_id, user=user)
    # Lock the row: edits, joins and leaves of one event are serialised.
    return Event.objects.select_for_update().get(pk=event_id)


def _spots_taken(event: Event) -> int:
    return event.participations.filter(status__in=Participation.HOLDS_SPOT).count()


def _recount(event: Event) -> None:
    """Store the places held on the event row. Caller holds the event lock and has just changed a participation."""
    event.participants_count = _spots_taken(event)
    Event.objects.filter(pk=event.pk).update(participants_count=event.participants_count)


def events_recount_all() -> None:
    """Every event's stored count from its participations, in one statement (bulk loads, repairs)."""
    held = (
        Participation.objects.filter(event=OuterRef("pk"), status__in=Participation.HOLDS_SPOT)
        .values("event")
        .annotate(n=Count("id"))
        .values("n")
    )
    Event.objects.update(participants_count=Coalesce(Subquery(held), 0))


@transaction.atomic
def events_recount(*, event_ids: list[int]) -> None:
    """Recount events whose participations changed outside this module (an erased account's rows)."""
    # In id order, like every multi-event lock here, so two of these cannot deadlock.
    for event in Event.objects.select_for_update().filter(pk__in=event_ids).order_by("pk"):
        _recount(event)


@transaction.atomic
def event_update(*, event_id: int, user: User, data: dict[str, Any]) -> tuple[Event, set[str]]:
    """Apply a partial update; returns the event and the notifiable fields that actually changed."""
    event = _locked_managed_event(event_id=event_id, user=user)
    if event.status in (Event.Status.CANCELLED, Event.Status.COMPLETED):
        raise InvalidState(f"a {event.status} event cannot be edited", code="event_closed")
    changes = {k: v for k, v in data.items() if k in EDITABLE_FIELDS and getattr(event, k) != v}
    _validate_event({f: getattr(event, f) for f in EDITABLE_FIELDS} | changes)
    if "start_date" in changes and event.status == Event.Status.PUBLISHED and changes["start_date"] <= clock.now():
        raise ValidationFailed("a published event cannot move into the past", start_date="must be in the future")
    if "max_participants" in changes and changes["max_participants"] < _spots_taken(event):
        raise InvalidState(
            "capacity below the places already taken", code="capacity_below_taken", taken=_spots_taken(event)
        )
    for name, value in changes.items():
        setattr(event, name, value)
    event.save()
    _lists_changed()
    if "max_participants" in changes or "requires_approval" in changes:
        _places_changed(event)
    notifiable = NOTIFIABLE_FIELDS & set(changes)
    if notifiable and event.status == Event.Status.PUBLISHED:
        notify.changed(event)
    return event, notifiable


@transaction.atomic
def event_publish(*, event_id: int, user: User) -> Event:
    event = _locked_managed_event(event_id=event_id, user=user)
    if event.status == Event.Status.PUBLISHED:
        return event
    if event.status != Event.Status.DRAFT:
        raise InvalidState(f"a {event.status} event cannot be published", code="not_draft")
    if event.start_date <= clock.now():
        raise InvalidState("cannot publish an event in the past", code="event_in_past")
    event.status = Event.Status.PUBLISHED
    event.save(update_fields=["status", "updated_at"])
    _lists_changed()
    return event


@transaction.atomic
def event_cancel(*, event_id: int, user: User) -> tuple[Event, list[int]]:
    """Cancel; returns the users who held or awaited a place (they are to be told)."""
    event = _locked_managed_event(event_id=event_id, user=user)
    if event.status == Event.Status.CANCELLED:
        return event, []
    if event.status == Event.Status.COMPLETED:
        raise InvalidState("a completed event cannot be cancelled", code="event_completed")
    event.status = Event.Status.CANCELLED
    event.cancelled_at = clock.now()
    event.save(update_fields=["status", "cancelled_at", "updated_at"])
    # An event that had already taken place may still be cancelled until it is completed: it then gives no hours
    # (the certificates app revokes its certificates on this signal).
    signals.event_cancelled.send(sender=Event, event_id=event.pk, user=user)
    _lists_changed("events", "impact")
    notified = list(event.participations.filter(status__in=Participation.ACTIVE).values_list("user_id", flat=True))
    notify.cancelled(event, notified)
    return event, notified


@transaction.atomic
def event_delete(*, event_id: int, user: User) -> None:
    event = _locked_managed_event(event_id=event_id, user=user)
    # Registrations that were cancelled or rejected do not hold an event in place.
    if event.status != Event.Status.DRAFT and event.participations.filter(status__in=Participation.ACTIVE).exists():
        raise InvalidState(
            "only drafts or events nobody joined can be deleted; cancel it instead", code="has_participants"
        )
    event.delete()
    _lists_changed()


def _admission_status(*, event: Event, user: User, now: datetime) -> str:
    if event.status != Event.Status.PUBLISHED:
        raise InvalidState("registrations are closed for this event", code="event_not_open", status=event.status)
    if event.organizer_id == user.pk:
        raise InvalidState("the organiser does not join their own event", code="organizer_cannot_join")
    deadline = event.registration_deadline or event.start_date
    if now > deadline:
        raise InvalidState("the registration deadline has passed", code="registration_closed")
    if event.min_age is not None or event.max_age is not None:
        # The event's day where it happens (TIME_ZONE), not in UTC: 22:30 in São Paulo is tomorrow in UTC.
        age = user.profile.age_on(timezone.localdate(event.start_date))
        if age is None:
            raise InvalidState(
                "this event has an age limit: add your birth date to your profile", code="birth_date_required"
            )
        if (event.min_age is not None and age < event.min_age) or (event.max_age is not None and age > event.max_age):
            raise InvalidState(
                "your age is outside this event's limits",
                code="age_not_allowed",
                min_age=event.min_age,
                max_age=event.max_age,
            )
    if _spots_taken(event) >= event.max_participants:
        return Participation.Status.WAITLISTED
    return Participation.Status.PENDING if event.requires_approval else Participation.Status.CONFIRMED


@transaction.atomic
def participation_join(
    *, event_id: int, user: User, details: dict[str, Any] | None = None
) -> tuple[Participation, bool]:
    """Join; returns (participation, created_or_rejoined). A repeated join returns the active row unchanged."""
    # The row lock serialises concurrent joins, so the capacity count below cannot be raced. Visibility is
    # decided on the locked row and the participation read anyway (three queries fewer than event_get_visible).
    event = Event.objects.select_for_update().filter(pk=event_id).first()
    existing = Participation.objects.filter(event=event, user=user).first() if event is not None else None
    if event is None or not selectors.event_is_visible(event=event, user=user, participation=existing):
        raise NotFound("event", event_id=event_id)
    if existing is not None and existing.is_active:
        return existing, False
    if existing is not None and existing.status == Participation.Status.REJECTED:
        raise InvalidState("the organiser declined your registration", code="registration_rejected")
    now = clock.now()
    status = _admission_status(event=event, user=user, now=now)
    values = {"status": status, "registered_at": now, "checked_in_at": None, **(details or {})}
    if existing is None:
        participation = Participation.objects.create(event=event, user=user, **values)
    else:
        for name, value in values.items():
            setattr(existing, name, value)
        existing.save()
        participation = existing
    _recount(event)
    notify.registered(participation)
    _lists_changed()  # participants_count and spots_left are in the lists
    metrics.count_on_commit(metrics.JOINS)
    logger.info("user %s joined event %s as %s", user.pk, event.pk, status)
    return participation, True


def _promote_waitlisted(event: Event) -> list[Participation]:
    """Fill free places from the waiting list, first come first served. Caller holds the event lock."""
    free = event.max_participants - _spots_taken(event)
    if free <= 0 or event.status != Event.Status.PUBLISHED:
        return []
    promoted = list(
        event.participations.filter(status=Participation.Status.WAITLISTED).order_by("registered_at", "id")[:free]
    )
    new_status = Participation.Status.PENDING if event.requires_approval else Participation.Status.CONFIRMED
    for participation in promoted:
        participation.status = new_status
        participation.save(update_fields=["status", "updated_at"])
        logger.info("user %s promoted from the waiting list of event %s", participation.user_id, event.pk)
    return promoted


def _places_changed(event: Event) -> list[Participation]:
    """After places were freed or the rules changed: promote, recount and tell the promoted. Caller holds the lock."""
    promoted = _promote_waitlisted(event)
    _recount(event)
    notify.promoted(promoted)
    return promoted


@transaction.atomic
def participation_leave(*, event_id: int, user: User) -> tuple[Participation, list[Participation]]:
    """Leave; returns the participation and whoever was promoted into the freed place."""
    selectors.event_get_visible(event_id=event_id, user=user)
    event = Event.objects.select_for_update().get(pk=event_id)
    participation = Participation.objects.filter(event=event, user=user).first()
    if participation is None or not participation.is_active:
        raise NotFound("participation", event_id=event_id)
    if participation.checked_in_at is not None:
        raise InvalidState("you already checked in to this event", code="already_checked_in")
    if event.status in (Event.Status.COMPLETED, Event.Status.CANCELLED):
        raise InvalidState(f"the event is {event.status}", code="event_closed")
    participation.status = Participation.Status.CANCELLED
    participation.save(update_fields=["status", "updated_at"])
    promoted = _places_changed(event)
    _lists_changed()
    return participation, promoted


@transaction.atomic
def participation_set_status(
    *, event_id: int, participation_id: int, user: User, status: str
) -> tuple[Participation, list[Participation]]:
    """Organiser approves (confirmed) or rejects a registration; returns it and anyone promoted."""
    event = _locked_managed_event(event_id=event_id, user=user)
    participation = event.participations.filter(pk=participation_id).first()
    if participation is None:
        raise NotFound("participation", participation_id=participation_id)
    if participation.status == status:
        return participation, []
    if status == Participation.Status.CONFIRMED:
        if participation.status == Participation.Status.WAITLISTED and _spots_taken(event) >= event.max_participants:
            raise InvalidState("the event is full", code="event_full")
        if participation.status not in (Participation.Status.PENDING, Participation.Status.WAITLISTED):
            raise InvalidState(f"a {participation.status} registration cannot be approved", code="not_approvable")
    elif status == Participation.Status.REJECTED:
        if participation.status not in Participation.ACTIVE:
            raise InvalidState(f"a {participation.status} registration cannot be rejected", code="not_rejectable")
    else:
        raise ValidationFailed("status must be confirmed or rejected", status="must be confirmed or rejected")
    previous, participation.status = participation.status, status
    participation.save(update_fields=["status", "updated_at"])
    if status == Participation.Status.CONFIRMED and previous in (
        Participation.Status.PENDING,
        Participation.Status.WAITLISTED,
    ):
        notify.registered(participation)
    promoted = _places_changed(event)
    _lists_changed()
    return participation, promoted


@transaction.atomic
def participation_check_in(
    *, event_id: int, user: User, code: str | None = None, user_id: int | None = None
) -> Participation:
    """Check in by the participant with the event's code, or by the organiser naming the participant.

    The window is checked first and the code last: outside the window, or for someone not confirmed, a right
    code and a wrong one get the same answer, and only a confirmed participant's wrong codes are counted
    (CHECK_IN_CODE_THROTTLE per person and event) so the code cannot be guessed.
    """
    event = selectors.event_get_visible(event_id=event_id, user=user)
    now = clock.now()
    if event.status != Event.Status.PUBLISHED or not (
        event.start_date - CHECK_IN_OPENS_BEFORE <= now <= event.end_date
    ):
        raise InvalidState(
            "check-in is open from 1 h before the start until the end",
            code="check_in_closed",
            opens_at=(event.start_date - CHECK_IN_OPENS_BEFORE).isoformat(),
            closes_at=event.end_date.isoformat(),
        )
    if user_id is not None and not selectors.can_manage(event=event, user=user):
        raise Forbidden("only the organiser checks in other people", code="not_organizer")
    target_id = user.pk if user_id is None else user_id
    participation = Participation.objects.select_for_update().filter(event=event, user_id=target_id).first()
    if participation is None or participation.status != Participation.Status.CONFIRMED:
        raise InvalidState("only confirmed participants can check in", code="not_confirmed")
    if user_id is None:
        _check_in_code_verify(event=event, user=user, code=code)
    if participation.checked_in_at is None:
        participation.checked_in_at = now
        participation.save(update_fields=["checked_in_at", "updated_at"])
        notify.checked_in(participation)
        metrics.count_on_commit(metrics.CHECK_INS)
    return participation


def _check_in_code_verify(*, event: Event, user: User, code: str | None) -> None:
    limit = FailureLimit("check-in-code", settings.CHECK_IN_CODE_THROTTLE)
    ident = f"{event.pk}:{user.pk}"
    if limit.exceeded(ident):
        raise TooManyAttempts(
            "too many wrong check-in codes: wait before trying again", retry_after_s=limit.retry_after_s()
        )
    if code is None or not constant_time_compare(code.strip().upper(), event.check_in_code):
        limit.record(ident)
        raise Forbidden("wrong check-in code", code="wrong_check_in_code")


@transaction.atomic
def events_complete_expired() -> list[int]:
    """Published events whose end has passed become completed; returns their ids.

    Their checked-in participants' statistics (and then badges) are recomputed through the outbox,
    in this same transaction, so a crash cannot complete events without scheduling the follow-ups.
    """
    now = clock.now()
    expired = list(
        Event.objects.select_for_update(skip_locked=True)
        .filter(status=Event.Status.PUBLISHED, end_date__lt=now)
        .values_list("pk", flat=True)
    )
    if not expired:
        return []
    Event.objects.filter(pk__in=expired).update(status=Event.Status.COMPLETED, updated_at=now)
    _lists_changed("events", "impact")
    people = selectors.event_people(event_ids=expired)
    outbox.outbox_add_many(registry.UPDATE_USER_STATISTICS, [{"user_id": user_id} for user_id in people])
    logger.info("completed %s expired events; statistics queued for %s users", len(expired), len(people))
    return expired
