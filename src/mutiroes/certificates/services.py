"""Writes: hours adjustments, issuing and revoking certificates. Every rule about who, when and how much is here."""

import logging
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction

from mutiroes.accounts.models import User
from mutiroes.certificates import codes, selectors, stats
from mutiroes.certificates.hours import hours_ceiling
from mutiroes.certificates.models import Certificate, HoursAdjustment
from mutiroes.core import clock
from mutiroes.core.exceptions import InvalidState, NotFound, ValidationFailed
from mutiroes.events import selectors as event_selectors
from mutiroes.events.models import Event, Participation
from mutiroes.jobs import outbox, registry

logger = logging.getLogger(__name__)

ADJUSTMENT_WINDOW = timedelta(days=30)
REMOVED_ORGANIZER = "Usuário removido"  # the placeholder account's name (privacy.lgpd)


def full_name(user: User) -> str:
    """The name a certificate states: first and last name as they stand in the profile now."""
    return " ".join(f"{user.first_name} {user.last_name}".split())


def has_full_name(user: User) -> bool:
    """A certificate names its holder in full: a first name alone (or a surname alone) is not enough."""
    return bool(user.first_name.strip() and user.last_name.strip())


def _facts(*, event: Event, holder: User, hours: Decimal) -> dict[str, object]:
    """What a certificate states, as things stand now: it never changes afterwards."""
    return {
        "code": codes.code_new(), "event": event, "user": holder, "holder_name": full_name(holder),
        "event_title": event.title, "event_start": event.start_date, "event_end": event.end_date, "city": event.city,
        "state": event.state, "organizer_name": full_name(event.organizer) or event.organizer.username,
        "hours": hours, "issued_at": clock.now(),
    }  # fmt: skip


def _hours_changed(*, user_id: int) -> None:
    # Stats now, so the participant's page agrees with the certificate at once; badges through the outbox.
    stats.user_stats_recompute(user_id=user_id)
    outbox.outbox_add(registry.CHECK_AND_AWARD_BADGES, user_id=user_id)


def _locked_participation(*, event: Event, participation_id: int) -> Participation:
    participation = Participation.objects.select_for_update().filter(event=event, pk=participation_id).first()
    if participation is None:
        raise NotFound("participation", participation_id=participation_id)
    return participation


def _credited(participation: Participation) -> Participation | None:
    return selectors.credited_participations().filter(pk=participation.pk).first()


def _revoke_valid(*, event_id: int | None, user_id: int, revocation: str, by: User | None, reason: str = "") -> int:
    """Revoke the certificate in force (of one event, or of every event when event_id is None)."""
    valid = Certificate.objects.filter(user_id=user_id, revoked_at__isnull=True)
    if event_id is not None:
        valid = valid.filter(event_id=event_id)
    return valid.update(revoked_at=clock.now(), revocation=revocation, revoked_by=by, revocation_reason=reason)


@transaction.atomic
def hours_adjust(*, event_id: int, participation_id: int, user: User, hours: Decimal, reason: str) -> Participation:
    """The organiser (or staff) sets one participant's hours, with a reason, until 30 days after the event."""
    event = event_selectors.event_get_managed(event_id=event_id, user=user)
    participation = _locked_participation(event=event, participation_id=participation_id)
    credited = _credited(participation)
    if credited is None:
        raise InvalidState("only checked-in participants have hours", code="not_checked_in")
    if credited.certificate_revoked:
        raise InvalidState("the certificate was revoked: these hours no longer count", code="certificate_revoked")
    now = clock.now()
    if now > event.end_date + ADJUSTMENT_WINDOW:
        raise InvalidState(
            "hours can be adjusted until 30 days after the event",
            code="adjustment_window_closed",
            closed_at=(event.end_date + ADJUSTMENT_WINDOW).isoformat(),
        )
    ceiling = hours_ceiling(start=event.start_date, end=event.end_date)
    if hours > ceiling:
        raise ValidationFailed("too many hours for this event", hours=f"at most {ceiling} (12 per day)")
    current = selectors.participation_hours(credited)
    if current != hours:
        HoursAdjustment.objects.create(
            participation=participation, adjusted_by=user, adjusted_at=now, hours_from=current, hours_to=hours,
            reason=reason,
        )  # fmt: skip
        # A certificate keeps the hours it was issued with: it is replaced, the next download issues the new one.
        replaced = Certificate.Revocation.REPLACED
        _revoke_valid(event_id=event.pk, user_id=participation.user_id, revocation=replaced, by=user)
        _hours_changed(user_id=participation.user_id)
        logger.info("hours of participation %s set from %s to %s by user %s", participation.pk, current, hours, user.pk)
    return participation


def _issuable(*, event: Event, user: User) -> Participation:
    participation = selectors.credited_participations().filter(event=event, user=user).first()
    if participation is None:
        raise NotFound("certificate", event_id=event.pk, reason="no check-in")
    if event.end_date > clock.now():
        raise InvalidState("the certificate is issued once the event has ended", code="event_not_ended")
    if participation.certificate_revoked:
        raise InvalidState("this certificate was revoked by the organiser", code="certificate_revoked")
    return participation


@transaction.atomic
def certificate_issue(*, event_id: int, user: User) -> Certificate:
    """The caller's certificate for an ended event they checked in to: the one in force, or a new one."""
    event = event_selectors.event_get_visible(event_id=event_id, user=user)
    existing = Certificate.objects.filter(event=event, user=user, revoked_at__isnull=True).first()
    if existing is not None:
        return existing
    participation = _issuable(event=event, user=user)
    hours = selectors.participation_hours(participation)
    if hours <= 0:
        raise NotFound("certificate", event_id=event.pk, reason="no hours")
    if not has_full_name(user):
        raise InvalidState("add your first and last name to your profile first", code="full_name_required")
    certificate = Certificate(**_facts(event=event, holder=user, hours=hours))
    try:
        with transaction.atomic():  # a savepoint: a concurrent first download may have issued it meanwhile
            certificate.save()
    except IntegrityError:
        return Certificate.objects.get(event=event, user=user, revoked_at__isnull=True)
    logger.info("certificate %s issued to user %s for event %s", certificate.pk, user.pk, event.pk)
    return certificate


@transaction.atomic
def certificates_for_year(*, user: User, year: int) -> list[Certificate]:
    """The certificates behind a yearly statement: one per ended event of that year with hours, issued if needed."""
    rows = selectors.user_year_participations(user=user, year=year)
    certificates = [
        certificate_issue(event_id=p.event_id, user=user) for p in rows if selectors.participation_hours(p) > 0
    ]
    if not certificates:
        raise NotFound("certificate", year=year, reason="no certified hours in that year")
    return certificates


@transaction.atomic
def certificate_revoke(*, event_id: int, participation_id: int, user: User, reason: str) -> Certificate:
    """The organiser or staff revokes a participant's certificate for the event (issued or not: none will be)."""
    event = event_selectors.event_get_managed(event_id=event_id, user=user)
    participation = _locked_participation(event=event, participation_id=participation_id)
    already = Certificate.objects.filter(
        event=event, user_id=participation.user_id, revocation=Certificate.Revocation.ORGANIZER
    ).first()
    if already is not None:
        return already  # a retried revocation is not an error
    credited = _credited(participation)
    if credited is None:
        raise InvalidState("only checked-in participants have a certificate", code="not_checked_in")
    revoked = _revoke_valid(
        event_id=event.pk, user_id=participation.user_id, revocation=Certificate.Revocation.ORGANIZER, by=user,
        reason=reason,
    )  # fmt: skip
    if not revoked:
        # Never issued: a revoked row stands for it, so no download issues one later.
        Certificate.objects.create(
            **_facts(event=event, holder=participation.user, hours=selectors.participation_hours(credited)),
            revoked_at=clock.now(), revocation=Certificate.Revocation.ORGANIZER, revoked_by=user,
            revocation_reason=reason,
        )  # fmt: skip
    _hours_changed(user_id=participation.user_id)
    logger.info("certificate of participation %s revoked by user %s", participation.pk, user.pk)
    return Certificate.objects.filter(event=event, user_id=participation.user_id).latest("revoked_at", "id")


def certificates_revoke_for_event(*, event_id: int, user: User) -> int:
    """A cancelled event gives no hours: its certificates are revoked too. In the cancellation's transaction."""
    revoked = Certificate.objects.filter(event_id=event_id, revoked_at__isnull=True).update(
        revoked_at=clock.now(), revocation=Certificate.Revocation.EVENT_CANCELLED, revoked_by=user
    )
    if revoked:
        logger.info("%d certificates of cancelled event %s revoked", revoked, event_id)
    return revoked


def certificates_revoke_on_cancel(sender: object, *, event_id: int, user: User, **kwargs: object) -> None:
    """events.signals.event_cancelled, in the cancellation's transaction."""
    certificates_revoke_for_event(event_id=event_id, user=user)


def certificates_revoke_for_account(*, user: User) -> None:
    """Account erasure (LGPD), in the caller's transaction, before the user's events are handed over.

    The holder's certificates are revoked and lose the name; other people's certificates of events the user
    organised name the placeholder instead, as the events themselves then do.
    """
    _revoke_valid(event_id=None, user_id=user.pk, revocation=Certificate.Revocation.ACCOUNT_DELETED, by=None)
    Certificate.objects.filter(user=user).update(holder_name="")
    Certificate.objects.filter(event__organizer=user).update(organizer_name=REMOVED_ORGANIZER)
