"""LGPD: the data a user can take (export) and the erasure of an account.

Erasure keeps what belongs to the community and removes what belongs to the person:
- Drafts the user organises are deleted (nobody else ever saw them).
- Their published events that have not started are cancelled through ``event_cancel`` (participants are
  told), then every event they organised, past or cancelled, is handed to one inactive placeholder user,
  ``usuario-removido``, so participants' history, reports and aggregate figures stay intact.
- Reports they filed stay, with ``filed_by`` set to NULL (the FK is SET_NULL). Their free text (summary,
  challenges, achievements) stays too, but every mention of the person (full name, first or last name,
  username, e-mail) is replaced by ``[nome removido]``: organisers often sign a report or thank themselves.
- Their certificates are revoked and lose the holder's name: a code on paper then verifies as "revogado" only.
- Everything else hanging from the account goes with it: profile, settings, participations (with the
  emergency data), comments, photos (files too), pledges, badges, stats, idempotency records, tokens,
  e-mail delivery rows, and the account's name in the admin log.
"""

import logging
import re
from collections.abc import Iterable
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.db.models import F, Value
from django.db.models.deletion import Collector, ProtectedError
from django.db.models.functions import Coalesce
from ninja_jwt.token_blacklist.models import OutstandingToken

from mutiroes.accounts.models import (
    PLACEHOLDER_USERNAME,
    NotificationSettings,
    Profile,
    User,
    UserBadge,
    UserStats,
)
from mutiroes.certificates import services as certificate_services
from mutiroes.core import clock
from mutiroes.core.exceptions import Conflict, Forbidden
from mutiroes.core.models import IdempotencyRecord
from mutiroes.events import services as event_services
from mutiroes.events.models import Comment, Event, Participation
from mutiroes.impact.models import EventReport
from mutiroes.notifications.models import EmailDelivery

logger = logging.getLogger(__name__)

PLACEHOLDER_EMAIL = "usuario-removido@mutiroes.invalid"

# Rows of other models pointing at the user (by "app_label.model.field"), exported under these names; any
# other foreign key to the user is exported too, under "other" by the same label, so nothing is missed.
SECTION_NAMES = {
    "events.comment.author": "comments",
    "events.eventphoto.uploaded_by": "photos",
    "events.pledge.user": "pledges",
    "certificates.certificate.user": "certificates",
}
# Exported explicitly (with their own shape) or not the user's data to take (secrets, caches, audit).
NOT_EXPORTED = {
    "accounts.profile",
    "accounts.notificationsettings",
    "accounts.userstats",
    "accounts.userbadge",
    "events.participation",
    "events.event",
    "impact.eventreport",
    "core.idempotencyrecord",  # cached HTTP responses: nothing that is not exported elsewhere
    "token_blacklist.outstandingtoken",  # live credentials never go into a file
    "admin.logentry",
    "events.comment.deleted_by",  # other people's comments the user removed as organiser
    # Other people's hours and certificates the user adjusted or revoked as organiser: theirs, not this user's.
    "certificates.hoursadjustment.adjusted_by",
    "certificates.certificate.revoked_by",
}


def _label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _rows(
    queryset: models.QuerySet[Any], *, exclude: Iterable[str] = (), extra: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Every stored column of the rows (binary ones aside), plus ``extra`` annotations."""
    skip = set(exclude)
    names = [
        f.attname
        for f in queryset.model._meta.concrete_fields
        if f.attname not in skip and not isinstance(f, models.BinaryField)
    ]
    return list(queryset.order_by("pk").values(*names, *extra))


def _one(queryset: models.QuerySet[Any], *, exclude: Iterable[str] = ()) -> dict[str, Any] | None:
    rows = _rows(queryset, exclude=exclude)
    return rows[0] if rows else None


def _user_foreign_keys() -> list[models.ForeignKey]:
    """Every foreign key (one-to-one included) in the project pointing at the user model."""
    return [rel.field for rel in User._meta.related_objects if isinstance(rel.field, models.ForeignKey)]


def user_export(*, user: User) -> dict[str, Any]:
    """Everything held about the user, as JSON-ready data (Decimal and datetimes are left to the encoder)."""
    account = _one(User.objects.filter(pk=user.pk), exclude={"password"})
    data: dict[str, Any] = {
        "exported_at": clock.now(),
        "account": account,
        "profile": _one(Profile.objects.filter(user=user), exclude={"id", "user_id"}),
        "notification_settings": _one(NotificationSettings.objects.filter(user=user), exclude={"id", "user_id"}),
        "participations": _rows(
            Participation.objects.filter(user=user).annotate(event_title=F("event__title")), extra=["event_title"]
        ),
        "organized_events": _rows(Event.objects.filter(organizer=user)),
        "badges": [
            {"slug": a.badge.slug, "name": a.badge.name, "awarded_at": a.awarded_at}
            for a in UserBadge.objects.filter(user=user).select_related("badge").order_by("awarded_at", "id")
        ],
        "stats": _one(UserStats.objects.filter(user=user), exclude={"user_id"}),
        "reports_filed": _rows(EventReport.objects.filter(filed_by=user)),
        # Deliveries are keyed by plain user ids (no foreign key), so they are fetched by id.
        "emails": _rows(EmailDelivery.objects.filter(user_id=user.pk)),
        "comments": [],
        "photos": [],
        "pledges": [],
        "certificates": [],
        "other": {},
    }
    for field in _user_foreign_keys():
        label, field_label = _label(field.model), f"{_label(field.model)}.{field.name}"
        if label not in NOT_EXPORTED and field_label not in NOT_EXPORTED:
            section = SECTION_NAMES.get(field_label)
            rows = _rows(field.model._default_manager.filter(**{field.name: user}))
            if section is not None:
                data[section].extend(rows)
            else:
                data["other"].setdefault(field_label, []).extend(rows)
    return data


def placeholder_user() -> User:
    """The inactive account that keeps the events of erased organisers, created on first use."""
    # Concurrent erasures meet on the UNIQUE username: one creates the row, the other waits and reads it.
    user, created = User.objects.get_or_create(
        username=PLACEHOLDER_USERNAME,
        defaults={
            "email": PLACEHOLDER_EMAIL,
            "first_name": "Usuário",
            "last_name": "removido",
            "is_active": False,
            "password": make_password(None),  # unusable: nobody signs in as the placeholder
        },
    )
    if created:
        Profile.objects.filter(user=user).update(is_public=False, show_city=False, show_stats=False)
    if user.is_active or user.has_usable_password():
        # The name is reserved at registration; an active account by this name means something is badly wrong.
        raise Conflict("the placeholder account is not a placeholder", code="placeholder_misconfigured")
    return user


def _files_of(collector: Collector) -> list[tuple[Any, str]]:
    """(storage, name) of every file held by a row the collector is about to delete."""
    files: list[tuple[Any, str]] = []
    querysets: list[models.QuerySet[Any]] = [
        model._base_manager.filter(pk__in=[obj.pk for obj in objs]) for model, objs in collector.data.items()
    ]
    querysets += [qs for qs in collector.fast_deletes if isinstance(qs, models.QuerySet)]
    for queryset in querysets:
        for field in queryset.model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                names = queryset.exclude(**{field.attname: ""}).values_list(field.attname, flat=True)
                files += [(field.storage, name) for name in names if name]
    return files


def _delete_with_files(objs: list[models.Model] | models.QuerySet[Any]) -> None:
    collector = Collector(using=DEFAULT_DB_ALIAS)
    try:
        collector.collect(objs)
    except ProtectedError as exc:
        blockers = sorted({_label(type(obj)) for obj in exc.protected_objects})
        raise Conflict("other records still depend on this account", code="account_in_use", models=blockers) from exc
    files = _files_of(collector)
    collector.delete()
    for storage, name in files:
        # Files go only once the rows are gone for good: a rolled-back erasure keeps its files.
        transaction.on_commit(lambda storage=storage, name=name: _remove_file(storage, name))


def _remove_file(storage: Any, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.warning("could not remove file %s of an erased account; it is left behind", name)


REPORT_TEXT_FIELDS = ("summary", "challenges", "achievements")
REDACTED = "[nome removido]"
MIN_REDACTED_NAME = 2  # a one-letter "name" would erase every such word


def _mentions(user: User) -> re.Pattern[str] | None:
    """Whole-word, case-insensitive mentions of the person, longest first (the full name before its parts)."""
    names = {user.get_full_name(), user.first_name, user.last_name, user.username, user.email}
    names = {" ".join(name.split()) for name in names if len(name.strip()) >= MIN_REDACTED_NAME}
    if not names:
        return None
    alternatives = "|".join(re.escape(name).replace(r"\ ", r"\s+") for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _redact_reports(*, user: User) -> None:
    """The person's name out of the free text of the reports they filed or whose events they organised."""
    pattern = _mentions(user)
    if pattern is None:
        return
    reports = EventReport.objects.select_for_update().filter(models.Q(filed_by=user) | models.Q(event__organizer=user))
    for report in reports:
        changed = [name for name in REPORT_TEXT_FIELDS if pattern.search(getattr(report, name))]
        for name in changed:
            setattr(report, name, pattern.sub(REDACTED, getattr(report, name)))
        if changed:
            report.save(update_fields=[*changed, "updated_at"])


def _hand_over_events(*, user: User) -> None:
    now = clock.now()
    _delete_with_files(Event.objects.filter(organizer=user, status=Event.Status.DRAFT))
    upcoming = Event.objects.filter(organizer=user, status=Event.Status.PUBLISHED, start_date__gt=now)
    for event_id in upcoming.values_list("pk", flat=True):
        # event_cancel is the one cancellation path, so participants are notified exactly as when the
        # organiser cancels by hand (the cancellation e-mails are queued there, in this transaction).
        _event, told = event_services.event_cancel(event_id=event_id, user=user)
        logger.info("event %s cancelled on its organiser's account erasure; %d participants told", event_id, len(told))
    kept = Event.objects.filter(organizer=user)
    if kept.exists():
        kept.update(organizer=placeholder_user(), updated_at=now)


def _scrub_traces(*, user: User) -> None:
    """Rows that name the user without a cascading foreign key."""
    # Comments keep their place in threads (author is SET_NULL) but lose their text, as on a normal delete.
    Comment.objects.filter(author=user).update(
        content="", deleted_at=Coalesce(F("deleted_at"), Value(clock.now(), output_field=models.DateTimeField()))
    )
    user_type = ContentType.objects.get_for_model(User)
    LogEntry.objects.filter(content_type=user_type, object_id=str(user.pk)).update(
        object_repr=PLACEHOLDER_USERNAME, change_message=""
    )
    OutstandingToken.objects.filter(user=user).delete()
    IdempotencyRecord.objects.filter(user=user).delete()
    # Delivery rows hold the address the e-mails went to; the user id is a plain integer there.
    EmailDelivery.objects.filter(user_id=user.pk).delete()


@transaction.atomic
def user_delete_account(*, user: User, password: str) -> None:
    """Erase the account after confirming its password (LGPD). Wrong password: Forbidden."""
    if not user.check_password(password):
        raise Forbidden("wrong password", code="wrong_password")
    # Lock the account: a concurrent request of the same user waits, then finds it gone.
    locked = User.objects.select_for_update().filter(pk=user.pk).first()
    if locked is None:
        return
    if locked.username == PLACEHOLDER_USERNAME:
        raise Forbidden("the placeholder account cannot be erased", code="placeholder_account")
    certificate_services.certificates_revoke_for_account(user=locked)
    _redact_reports(user=locked)  # before the hand-over: it finds the reports of their events by organiser
    _hand_over_events(user=locked)
    _scrub_traces(user=locked)
    held = list(
        Participation.objects.filter(user=locked, status__in=Participation.HOLDS_SPOT).values_list(
            "event_id", flat=True
        )
    )
    _delete_with_files([locked])  # their participations go with the account (CASCADE)
    event_services.events_recount(event_ids=held)
    logger.info("account %s erased", user.pk)
