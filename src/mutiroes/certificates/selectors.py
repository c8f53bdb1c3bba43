"""Reads: the hours in force for each participation, certificates by code, a person's certified year."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from mutiroes.accounts.models import User
from mutiroes.certificates import codes
from mutiroes.certificates.hours import duration_hours
from mutiroes.certificates.models import Certificate, HoursAdjustment
from mutiroes.core import clock
from mutiroes.core.exceptions import NotFound
from mutiroes.events.models import Event, Participation


def attended() -> QuerySet[Participation]:
    """Participations that count as having taken part: confirmed, checked in, in an event not cancelled."""
    return Participation.objects.filter(status=Participation.Status.CONFIRMED, checked_in_at__isnull=False).exclude(
        event__status=Event.Status.CANCELLED
    )


def credited_participations() -> QuerySet[Participation]:
    """Participations that give hours (confirmed, checked in, event not cancelled), with what their hours need."""
    latest = HoursAdjustment.objects.filter(participation=OuterRef("pk")).order_by("-adjusted_at", "-id")
    revoked = Certificate.objects.filter(
        event=OuterRef("event"), user=OuterRef("user"), revocation=Certificate.Revocation.ORGANIZER
    )
    return (
        attended()
        .annotate(adjusted_hours=Subquery(latest.values("hours_to")[:1]), certificate_revoked=Exists(revoked))
        .select_related("event", "event__organizer")
    )


def participation_hours(participation: Participation) -> Decimal:
    """The hours in force for a row of credited_participations(): 0 once its certificate was revoked."""
    if participation.certificate_revoked:
        return Decimal("0.00")
    adjusted = participation.adjusted_hours
    if adjusted is not None:
        return Decimal(adjusted).quantize(Decimal("0.01"))
    return duration_hours(start=participation.event.start_date, end=participation.event.end_date)


def hours_by_user(*, user_ids: Iterable[int]) -> dict[int, Decimal]:
    """Each user's total hours, from one query (the per-day cap is computed in Python, row by row)."""
    totals: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for participation in credited_participations().filter(user_id__in=list(user_ids)):
        totals[participation.user_id] += participation_hours(participation)
    return dict(totals)


def event_hours_list(*, event: Event) -> QuerySet[Participation]:
    """The organiser's view: every confirmed participant (a page of them goes to with_hours)."""
    return (
        Participation.objects.filter(event=event, status=Participation.Status.CONFIRMED)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "id")
    )


def _latest_certificates(participations: list[Participation]) -> dict[tuple[int, int | None], Certificate]:
    """The latest certificate (valid or revoked) of each (event, user) among the participations, in one query."""
    wanted = Certificate.objects.filter(
        event_id__in={p.event_id for p in participations}, user_id__in={p.user_id for p in participations}
    )
    return {(c.event_id, c.user_id): c for c in wanted.order_by("issued_at", "id")}  # later rows win


def with_hours(rows: list[Participation]) -> list[Participation]:
    """Hours in force, recorded adjustments and the latest certificate of each row, in three queries per page."""
    ids = [row.pk for row in rows]
    credited = {p.pk: p for p in credited_participations().filter(pk__in=ids)}
    adjustments = defaultdict(list)
    for adjustment in HoursAdjustment.objects.filter(participation__in=ids).select_related("adjusted_by"):
        adjustments[adjustment.participation_id].append(adjustment)
    latest = _latest_certificates(rows)
    for row in rows:
        row.hours = participation_hours(credited[row.pk]) if row.pk in credited else Decimal("0.00")
        row.adjustments = adjustments[row.pk]
        row.certificate = certificate_state(latest.get((row.event_id, row.user_id)))  # revoked or not
    return rows


def event_hours_row(*, event_id: int, participation_id: int) -> Participation:
    (row,) = with_hours(list(event_hours_list(event=Event.objects.get(pk=event_id)).filter(pk=participation_id)))
    return row


def certificate_state(certificate: Certificate | None) -> dict[str, object] | None:
    if certificate is None:
        return None
    return {
        "code": codes.code_display(certificate.code),
        "status": "revoked" if certificate.is_revoked else "valid",
        "issued_at": certificate.issued_at,
        "revoked_at": certificate.revoked_at,
        "revocation": certificate.revocation or None,
    }


def user_certificate_list(*, user: User, event_id: int | None = None, year: int | None = None) -> QuerySet:
    """The user's events that give hours, newest first (a page of them goes to with_certificates)."""
    rows = credited_participations().filter(user=user)
    if event_id is not None:
        rows = rows.filter(event_id=event_id)
    if year is not None:
        start, end = year_bounds(year)
        rows = rows.filter(event__start_date__gte=start, event__start_date__lt=end)
    return rows.order_by("-event__start_date", "-event_id")


def with_certificates(participations: list[Participation]) -> list[dict[str, object]]:
    """Hours, the latest certificate and whether it can be downloaded, for a page of user_certificate_list."""
    latest = _latest_certificates(participations)
    now, items = clock.now(), []
    for p in participations:
        hours, event = participation_hours(p), p.event
        items.append({
            "event_id": event.pk, "event_title": event.title, "event_start": event.start_date,
            "event_end": event.end_date, "city": event.city, "state": event.state, "hours": hours,
            "downloadable": hours > 0 and event.end_date <= now and not p.certificate_revoked,
            "certificate": certificate_state(latest.get((event.pk, p.user_id))),
        })  # fmt: skip
    return items


def certificate_public_facts(certificate: Certificate, *, url: str) -> dict[str, object]:
    """What anyone holding the code may read: the certificate's facts, or for a revoked one only that and when."""
    facts: dict[str, object] = {
        "code": codes.code_display(certificate.code),
        "verification_url": url,
        "status": "revoked" if certificate.is_revoked else "valid",
        "status_label": "revogado" if certificate.is_revoked else "válido",
        "revoked_at": certificate.revoked_at,
    }
    shown = ("holder_name", "event_title", "event_start", "event_end", "city", "state", "organizer_name", "hours",
             "issued_at")  # fmt: skip
    return facts | {name: None if certificate.is_revoked else getattr(certificate, name) for name in shown}


def certificate_get_by_code(*, code: str) -> Certificate:
    """The certificate a typed code names. NotFound for an unknown code, or one with a wrong check symbol."""
    try:
        normalised = codes.code_normalise(code)
    except codes.MistypedCode:
        raise NotFound("certificate", mistyped=True) from None
    certificate = Certificate.objects.filter(code=normalised).first()
    if certificate is None:
        raise NotFound("certificate", mistyped=False)
    return certificate


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """1 January 00:00 to the next 1 January 00:00 where the events happen (TIME_ZONE), as aware instants."""
    tz = timezone.get_default_timezone()
    return datetime.combine(datetime(year, 1, 1), time(0), tzinfo=tz), datetime.combine(
        datetime(year + 1, 1, 1), time(0), tzinfo=tz
    )


def user_year_participations(*, user: User, year: int) -> list[Participation]:
    """The user's credited participations in events that started in ``year`` (local time), by date."""
    start, end = year_bounds(year)
    rows = credited_participations().filter(
        user=user, event__start_date__gte=start, event__start_date__lt=end, event__end_date__lte=clock.now()
    )
    return [p for p in rows.order_by("event__start_date", "event_id") if not p.certificate_revoked]
