"""E-mail verification: a signed link to the web app, sent once at registration and again on request.

The link carries a token signed with SECRET_KEY for the account and its address as they are: it expires after
EMAIL_VERIFICATION_TIMEOUT_S, and means nothing once the address changes. Using it twice is harmless (the
second time the account is already verified). Until then the account may sign in, browse, join events and
edit its profile, but may not organise events (403 `email_not_verified`): an organiser's address is what
participants and the platform rely on. Staff accounts are never held back.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.db import transaction

from mutiroes.accounts.models import EmailKind, User
from mutiroes.core import clock
from mutiroes.core.exceptions import Forbidden, TooManyAttempts, ValidationFailed
from mutiroes.infra.failures import FailureLimit
from mutiroes.jobs.outbox import email_enqueue

logger = logging.getLogger(__name__)
VERIFICATION_KIND = EmailKind.EMAIL_VERIFICATION
_SALT = "mutiroes.accounts.email-verification"


def email_is_verified(user: User) -> bool:
    return user.email_verified_at is not None or user.is_staff


def email_verified_required(user: User) -> None:
    if not email_is_verified(user):
        raise Forbidden(
            "confirm your e-mail address first: use the link we sent, or ask for a new one",
            code="email_not_verified",
        )


def email_verification_token(*, user_id: int, email: str) -> str:
    return signing.dumps({"u": user_id, "e": email.lower()}, salt=_SALT, compress=True)


def email_verification_link(*, user: User) -> str:
    """Made when the e-mail is rendered, so the link's validity starts when it is sent."""
    token = email_verification_token(user_id=user.pk, email=user.email)
    return f"{settings.PUBLIC_WEB_URL}/verificar-email?token={quote(token)}"


def email_verification_enqueue(*, user: User, period: str) -> None:
    """Inside the caller's transaction; ``period`` keys the e-mail (one per registration, one per resend minute)."""
    email_enqueue(kind=VERIFICATION_KIND, user_id=user.pk, period=period)


def email_verification_resend(*, user: User) -> None:
    """Another link, at most one a minute (the e-mail's key) and EMAIL_VERIFICATION_RESEND_THROTTLE an hour."""
    if email_is_verified(user):
        return
    limit = FailureLimit("email-verification-resend", settings.EMAIL_VERIFICATION_RESEND_THROTTLE)
    ident = f"user:{user.pk}"
    if limit.exceeded(ident):
        raise TooManyAttempts("too many new links asked for: wait before asking again",
                              retry_after_s=limit.retry_after_s())  # fmt: skip
    limit.record(ident)
    with transaction.atomic():
        email_verification_enqueue(user=user, period=clock.now().strftime("resend-%Y-%m-%dT%H:%M"))


@transaction.atomic
def email_verify(*, token: str) -> User:
    invalid = ValidationFailed(
        "the verification link is invalid or expired", code="invalid_verification_token",
        token=["link inválido ou expirado"],
    )  # fmt: skip
    try:
        claims = signing.loads(token, salt=_SALT, max_age=settings.EMAIL_VERIFICATION_TIMEOUT_S)
    except signing.BadSignature as exc:  # SignatureExpired included
        raise invalid from exc
    user = User.objects.select_for_update().filter(pk=claims.get("u"), is_active=True).first()
    if user is None or user.email.lower() != claims.get("e"):
        raise invalid
    if user.email_verified_at is None:
        user.email_verified_at = clock.now()
        user.save(update_fields=["email_verified_at"])
        logger.info("e-mail of user %s verified", user.pk)
    return user
