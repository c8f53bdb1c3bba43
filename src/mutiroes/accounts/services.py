import re
from datetime import date
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from mutiroes.accounts.models import (
    PLACEHOLDER_USERNAME,
    REMINDER_LEAD_HOURS_MAX,
    REMINDER_LEAD_HOURS_MIN,
    NotificationKind,
    NotificationSettings,
    Profile,
    User,
)
from mutiroes.accounts.usernames import username_normalize, username_skeleton
from mutiroes.accounts.verification import email_verification_enqueue
from mutiroes.core.exceptions import Conflict, ValidationFailed
from mutiroes.infra import metrics

USERNAME_PATTERN = re.compile(r"[\w.@+-]+")
USERNAME_MAX_LENGTH = 150
PROFILE_FIELDS = {"birth_date", "phone", "city", "state", "bio", "interests", "is_public", "show_city", "show_stats"}
USER_FIELDS = {"first_name", "last_name"}


def user_register(
    *,
    username: str,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    birth_date: date | None = None,
) -> User:
    email = email.strip()
    username = username_normalize(username)
    if not USERNAME_PATTERN.fullmatch(username) or len(username) > USERNAME_MAX_LENGTH:
        # NFKC can turn an accepted character into others ("¼" into "1⁄4") or lengthen the name.
        raise ValidationFailed("invalid username", username=["letras, números e . @ + - _ (até 150)"])
    if username.lower() == PLACEHOLDER_USERNAME or User.objects.filter(username__iexact=username).exists():
        raise Conflict("username already taken", code="username_taken", field="username")
    skeleton = username_skeleton(username)
    if skeleton == username_skeleton(PLACEHOLDER_USERNAME) or User.objects.filter(username_skeleton=skeleton).exists():
        raise Conflict("username too similar to one already taken", code="username_confusable", field="username")
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict("e-mail already registered", code="email_taken", field="email")
    candidate = User(username=username, email=email, first_name=first_name, last_name=last_name)
    try:
        password_validation.validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        raise ValidationFailed("password rejected", code="weak_password", password=list(exc.messages)) from exc
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save()
            Profile.objects.filter(user=candidate).update(birth_date=birth_date)
            # In the same transaction: the link goes out once the account exists, and only once (its key).
            email_verification_enqueue(user=candidate, period="registration")
            metrics.count_on_commit(metrics.REGISTRATIONS)
    except IntegrityError as exc:
        # Lost a race with a concurrent registration of the same name or e-mail.
        raise Conflict("username or e-mail already registered", code="account_exists") from exc
    candidate.profile.refresh_from_db()
    return candidate


@transaction.atomic
def user_update_profile(*, user: User, data: dict[str, Any]) -> User:
    user_changes = {k: v for k, v in data.items() if k in USER_FIELDS}
    profile_changes = {k: v for k, v in data.items() if k in PROFILE_FIELDS}
    for name, value in user_changes.items():
        setattr(user, name, value)
    if user_changes:
        user.save(update_fields=list(user_changes))
    profile = user.profile
    for name, value in profile_changes.items():
        setattr(profile, name, value)
    if profile_changes:
        profile.save(update_fields=[*profile_changes, "updated_at"])
    return user


@transaction.atomic
def notification_settings_update(
    *, user: User, email: dict[str, bool], reminder_lead_hours: int
) -> NotificationSettings:
    """Replace the user's e-mail toggles (one per NotificationKind) and reminder lead time."""
    unknown = set(email) - set(NotificationKind.values)
    missing = set(NotificationKind.values) - set(email)
    if unknown or missing:
        raise ValidationFailed("one toggle per notification kind", email=f"expected exactly {NotificationKind.values}")
    if not REMINDER_LEAD_HOURS_MIN <= reminder_lead_hours <= REMINDER_LEAD_HOURS_MAX:
        raise ValidationFailed(
            "reminder lead time out of range",
            reminder_lead_hours=f"must be between {REMINDER_LEAD_HOURS_MIN} and {REMINDER_LEAD_HOURS_MAX}",
        )
    values = {f"email_{kind}": bool(on) for kind, on in email.items()}
    settings, _ = NotificationSettings.objects.update_or_create(
        user=user, defaults={**values, "reminder_lead_hours": reminder_lead_hours}
    )
    return settings
