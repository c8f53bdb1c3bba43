"""E-mail notifications: one delivery row per (kind, event, user, period), sent at most once.

The delivery row is locked while the message goes out, so two copies of the same job (a redelivery
racing the original) cannot both send. The one gap no database can close: the SMTP server accepts
the message and the process dies before the row is marked sent; the retry then sends it again.
"""

import logging
import math
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import translation

from mutiroes.accounts import selectors as account_selectors
from mutiroes.accounts.models import (
    REMINDER_LEAD_HOURS_DEFAULT,
    REMINDER_LEAD_HOURS_MAX,
    Badge,
    NotificationKind,
    User,
)
from mutiroes.accounts.passwords import password_reset_link
from mutiroes.accounts.unsubscribe import unsubscribe_token
from mutiroes.accounts.verification import email_is_verified, email_verification_link
from mutiroes.core import clock
from mutiroes.events.calendar import event_ics
from mutiroes.events.models import Event, Participation
from mutiroes.impact.models import MonthlyImpactReport
from mutiroes.infra import email, metrics
from mutiroes.jobs import outbox, registry
from mutiroes.notifications.models import EmailDelivery, ReminderRun

logger = logging.getLogger(__name__)
Kind = EmailDelivery.Kind
SUBJECTS = {
    Kind.REGISTRATION: "Inscrição no mutirão: {title}",
    Kind.REMINDER: "Lembrete: {title} começa em breve",
    Kind.UPDATE: "Mudança no mutirão: {title}",
    Kind.CANCELLATION: "Mutirão cancelado: {title}",
    Kind.WAITLIST_PROMOTED: "Abriu uma vaga: {title}",
    Kind.BADGE_EARNED: "Nova conquista: {badge_name}",
    Kind.MONTHLY_REPORT: "Relatório de impacto {period}",
    Kind.PASSWORD_RESET: "Redefinição de senha no Mutirões",
    Kind.EMAIL_VERIFICATION: "Confirme seu e-mail no Mutirões",
}
REMINDER_BATCH = 500
ERROR_MAX_CHARS = 2000


def _context(kind: str, user: User, event: Event | None, period: str) -> dict[str, Any] | None:
    # Every e-mail leads into the web app: the page it is about, the settings, and a way out of this kind.
    base = settings.PUBLIC_WEB_URL
    context: dict[str, Any] = {"user": user, "event": event, "period": period, "settings_url": f"{base}/minha-area"}
    if event is not None:
        context["event_url"] = f"{base}/eventos/{event.pk}"
    if kind in NotificationKind.values:
        token = unsubscribe_token(user_id=user.pk, kind=kind)
        context |= {"unsubscribe_token": token, "unsubscribe_url": f"{base}/descadastrar?token={token}"}
    if event is not None:
        participation = Participation.objects.filter(event=event, user=user).first()
        context["participation_status"] = participation.status if participation else None
        if kind in (Kind.REGISTRATION, Kind.REMINDER, Kind.WAITLIST_PROMOTED) and (
            participation is None or not participation.is_active or event.status != Event.Status.PUBLISHED
        ):
            return None  # the reason for the e-mail is gone (left, cancelled) by the time the job runs
    if kind == Kind.BADGE_EARNED:
        badge = Badge.objects.filter(slug=period).first()
        if badge is None:
            return None
        context |= {"badge_name": badge.name, "badge_description": badge.description}
    if kind == Kind.PASSWORD_RESET:
        context |= {"link": password_reset_link(user=user), "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
    if kind == Kind.EMAIL_VERIFICATION:
        if email_is_verified(user):
            return None  # confirmed (through an earlier link) before this one went out
        valid_days = settings.EMAIL_VERIFICATION_TIMEOUT_S // 86400
        context |= {"link": email_verification_link(user=user), "valid_days": valid_days}
    if kind == Kind.MONTHLY_REPORT:
        year, month = (int(part) for part in period.split("-"))
        report = MonthlyImpactReport.objects.filter(year=year, month=month).first()
        if report is None:
            return None
        csv_url = f"{base}/api/v1/impact/monthly.csv?year={year}&month={month}"
        context |= {"totals": list(report.totals.items()), "impact_url": f"{base}/impacto", "csv_url": csv_url}
    return context


def _build(kind: str, user: User, event: Event | None, context: dict[str, Any]) -> EmailMultiAlternatives:
    subject = SUBJECTS[Kind(kind)].format(title=event.title if event else "", **{
        k: v for k, v in context.items() if k in ("badge_name", "period")
    })  # fmt: skip
    context["subject"] = subject
    with translation.override("pt-br"):
        text = render_to_string(f"notifications/email/{kind}.txt", context) + render_to_string(
            "notifications/email/footer.txt", context
        )
        html = render_to_string(f"notifications/email/{kind}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    if kind in NotificationKind.values:
        # One-click unsubscribe for this kind (RFC 8058): mail clients POST to the URL without opening a page.
        one_click = f"{settings.PUBLIC_WEB_URL}/api/v1/notifications/unsubscribe?token={context['unsubscribe_token']}"
        message.extra_headers = {
            "List-Unsubscribe": f"<{one_click}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    message.attach_alternative(html, "text/html")
    if kind == Kind.REGISTRATION and event is not None:
        message.attach("mutirao.ics", event_ics(event), "text/calendar")
    return message


def notification_send(*, event_id: int, user_id: int, kind: str, period: str = "") -> str:
    """Send one notification unless it was already sent or is no longer wanted; returns the row's status."""
    if kind not in Kind.values:
        logger.error("unknown notification kind %r (user %s, event %s)", kind, user_id, event_id)
        return EmailDelivery.Status.SKIPPED
    with transaction.atomic():
        delivery, _ = EmailDelivery.objects.get_or_create(
            kind=kind, event_id=event_id or 0, user_id=user_id, period=period
        )
        delivery = EmailDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status != EmailDelivery.Status.PENDING:
            return delivery.status  # a redelivered job: already done
        user = User.objects.filter(pk=user_id, is_active=True).first()
        event = Event.objects.filter(pk=event_id).first() if event_id else None
        context = None
        if (
            user is not None
            and user.email
            and (event is not None or not event_id)
            and account_selectors.notification_allowed(user_id=user_id, kind=kind)
        ):
            context = _context(kind, user, event, period)
        if context is None:
            delivery.status = EmailDelivery.Status.SKIPPED
            delivery.save(update_fields=["status"])
            logger.info("%s e-mail for user %s event %s skipped", kind, user_id, event_id)
            return delivery.status
        message = _build(kind, user, event, context)
        failure = _send(delivery, message)
        if failure is None:
            delivery.status = EmailDelivery.Status.SENT
            delivery.recipient, delivery.subject = user.email, message.subject[:300]
            delivery.sent_at = clock.now()
            delivery.save(update_fields=["status", "recipient", "subject", "attempts", "last_error", "sent_at"])
    if failure is not None:
        # Raised after the commit, so the attempt and its error stay recorded whether the job is retried or not.
        raise failure
    logger.info("%s e-mail sent to user %s for event %s", kind, user_id, event_id)
    return delivery.status


def _send(delivery: EmailDelivery, message: EmailMultiAlternatives) -> Exception | None:
    """One attempt (none while the breaker is open: no connection is made); returns what it failed with."""
    try:
        email.send(message)
    except email.CircuitBreakerError as exc:
        metrics.EMAILS.labels(delivery.kind, "failed").inc()
        return exc
    except Exception as exc:  # noqa: BLE001 - recorded on the delivery, then raised to the job's retry policy
        metrics.EMAILS.labels(delivery.kind, "failed").inc()
        delivery.attempts += 1
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS]
        if isinstance(exc, email.EmailRefused):
            delivery.status = EmailDelivery.Status.FAILED  # final: the job does not retry a refusal
        delivery.save(update_fields=["status", "attempts", "last_error"])
        logger.warning("%s e-mail for user %s (attempt %s) failed: %s", delivery.kind, delivery.user_id,
                       delivery.attempts, delivery.last_error)  # fmt: skip
        return exc
    metrics.EMAILS.labels(delivery.kind, "sent").inc()
    delivery.attempts += 1
    delivery.last_error = ""
    return None


def email_delivery_fail(*, event_id: int, user_id: int | None, kind: str, period: str, error: str) -> bool:
    """The e-mail job gave up (its retries ran out): a delivery still pending is recorded failed, with the error."""
    if user_id is None:
        logger.error("e-mail job without a user gave up: %s", error)
        return False
    changed = EmailDelivery.objects.filter(
        kind=kind, event_id=event_id or 0, user_id=user_id, period=period, status=EmailDelivery.Status.PENDING
    ).update(status=EmailDelivery.Status.FAILED, last_error=error[:ERROR_MAX_CHARS])
    if changed:
        logger.error("%s e-mail for user %s (event %s) failed for good: %s", kind, user_id, event_id, error)
    return bool(changed)


def _unreminded_confirmed() -> QuerySet[Participation]:
    """Confirmed participations with reminders on and no reminder delivery yet, annotated with ``lead_hours``."""
    reminded = EmailDelivery.objects.filter(
        kind=Kind.REMINDER, event_id=OuterRef("event_id"), user_id=OuterRef("user_id"), period=""
    )
    return (
        Participation.objects.filter(status=Participation.Status.CONFIRMED)
        .exclude(user__notification_settings__email_reminder=False)
        .annotate(
            lead_hours=Coalesce("user__notification_settings__reminder_lead_hours", Value(REMINDER_LEAD_HOURS_DEFAULT))
        )
        .filter(~Exists(reminded))
    )


def reminders_due(*, now: datetime) -> list[int]:
    """Published events starting within the longest lead time that have a confirmed participant whose own
    reminder lead time has opened and who was not reminded yet (the hourly scan enqueues their fan-outs)."""
    rows = (
        _unreminded_confirmed()
        .filter(
            event__status=Event.Status.PUBLISHED,
            event__start_date__gt=now,
            event__start_date__lte=now + timedelta(hours=REMINDER_LEAD_HOURS_MAX),
        )
        .values("event_id", "event__start_date")
        .annotate(max_lead_hours=Max("lead_hours"))
        .order_by("event__start_date", "event_id")
    )
    return [row["event_id"] for row in rows if row["event__start_date"] - timedelta(hours=row["max_lead_hours"]) <= now]


def reminders_fan_out(*, event_id: int, now: datetime | None = None) -> int:
    """Enqueue a reminder for each confirmed participant whose lead time has opened and who has none yet.

    Runs again whenever another participant's window opens (the hourly scan); the filter and the delivery
    key (reminder, event, user) keep it to one reminder per person. Bounded memory.
    """
    now = now or clock.now()
    event = Event.objects.filter(pk=event_id, status=Event.Status.PUBLISHED, start_date__gt=now).first()
    if event is None:
        return 0
    # The window of a lead time of L hours is open once start - L h <= now, i.e. L >= the hours left (rounded up).
    hours_left = math.ceil((event.start_date - now).total_seconds() / 3600)
    user_ids = (
        _unreminded_confirmed()
        .filter(event_id=event_id, lead_hours__gte=hours_left)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .iterator(chunk_size=REMINDER_BATCH)
    )
    enqueued = 0
    # A crash midway re-runs the whole fan-out; the delivery keys make the repeats no-ops.
    while batch := list(islice(user_ids, REMINDER_BATCH)):
        outbox.enqueue_many(
            registry.SEND_EVENT_NOTIFICATION_EMAIL,
            [{"event_id": event_id, "user_id": user_id, "kind": Kind.REMINDER, "period": ""} for user_id in batch],
        )
        enqueued += len(batch)
    ReminderRun.objects.update_or_create(event_id=event_id, defaults={"finished_at": clock.now(), "enqueued": enqueued})
    logger.info("reminders for event %s: %s enqueued", event_id, enqueued)
    return enqueued
