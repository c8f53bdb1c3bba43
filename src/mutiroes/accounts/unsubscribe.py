"""One-click unsubscribe from one kind of e-mail (RFC 8058): a signed link per (account, kind), no sign-in.

The token is signed with SECRET_KEY under its own salt, so it cannot be forged or reused for another kind or
account; it does not expire (an old e-mail's link must still work) and applying it twice changes nothing.
"""

from __future__ import annotations

import logging

from django.core import signing

from mutiroes.accounts.models import NotificationKind, NotificationSettings, User
from mutiroes.core.exceptions import ValidationFailed

logger = logging.getLogger(__name__)
_SALT = "mutiroes.unsubscribe"


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=_SALT, compress=True)


def unsubscribe_apply(*, token: str) -> str:
    """Switch off the kind the token names for its account; returns the kind. Invalid token: ValidationFailed."""
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature as exc:
        raise ValidationFailed(
            "invalid unsubscribe link", code="invalid_unsubscribe_token", token=["link inválido"]
        ) from exc
    kind, user_id = data.get("k"), data.get("u")
    user = User.objects.filter(pk=user_id, is_active=True).first() if isinstance(user_id, int) else None
    if kind not in NotificationKind.values or user is None:
        raise ValidationFailed("invalid unsubscribe link", code="invalid_unsubscribe_token", token=["link inválido"])
    NotificationSettings.objects.update_or_create(user=user, defaults={f"email_{kind}": False})
    logger.info("user %s unsubscribed from %s e-mails", user.pk, kind)
    return str(kind)
