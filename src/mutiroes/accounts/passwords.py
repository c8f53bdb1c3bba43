"""Password change (with the current one) and reset by e-mail; both sign the account out everywhere.

The reset link carries Django's password-reset token: signed with SECRET_KEY, tied to the password hash and the
last login (so it is single-use: using it changes the hash), and valid for PASSWORD_RESET_TIMEOUT.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from mutiroes.accounts.login import login_throttle_clear, sessions_revoke
from mutiroes.accounts.models import EmailKind, User
from mutiroes.core import clock
from mutiroes.core.exceptions import ValidationFailed
from mutiroes.jobs.outbox import email_enqueue

logger = logging.getLogger(__name__)
RESET_KIND = EmailKind.PASSWORD_RESET


def _set_password(*, user: User, new_password: str) -> None:
    try:
        password_validation.validate_password(new_password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed("password rejected", code="weak_password", new_password=list(exc.messages)) from exc
    user.set_password(new_password)  # never trimmed or altered
    user.save(update_fields=["password"])
    sessions_revoke(user=user)


@transaction.atomic
def password_change(*, user: User, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password):
        raise ValidationFailed("wrong password", code="wrong_password", current_password=["senha atual incorreta"])
    _set_password(user=user, new_password=new_password)
    logger.info("password of user %s changed", user.pk)


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """E-mail a reset link if an active account has this address; the caller answers the same either way."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        return
    # One e-mail per account and minute: a repeated request (or a retried job) sends nothing more.
    email_enqueue(kind=RESET_KIND, user_id=user.pk, period=clock.now().strftime("%Y-%m-%dT%H:%M"))


def password_reset_link(*, user: User) -> str:
    """Made when the e-mail is rendered, so the token's validity starts when it is sent."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{settings.PUBLIC_WEB_URL}/redefinir-senha?uid={uid}&token={token}"


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    try:
        user_id = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError):
        user_id = None
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None or not default_token_generator.check_token(user, token):
        raise ValidationFailed(
            "the reset link is invalid or expired", code="invalid_reset_token", token=["link inválido ou expirado"]
        )
    _set_password(user=user, new_password=new_password)
    login_throttle_clear(user=user)
    logger.info("password of user %s reset by e-mail", user.pk)
    return user
