"""Signing in: password check, failed-attempt throttling, and revoking every session of an account.

Only failures count. Thirty students behind one school's address all sign in; an address that keeps guessing
is slowed down, and so is an account being guessed from many addresses. The account's bucket is keyed on the
account (its username and e-mail share it), and a completed password reset empties it: whoever can read the
owner's mailbox always has a way back in. The counters (infra/failures.py) fail open if the cache is down.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from ninja_jwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from mutiroes.accounts import selectors
from mutiroes.accounts.models import User
from mutiroes.core.exceptions import DomainError, TooManyAttempts
from mutiroes.infra.failures import FailureLimit

logger = logging.getLogger(__name__)
# Checked against for unknown logins, so that "no such user" costs the same hashing time as a wrong password.
_DUMMY_HASH = make_password("mutiroes-login-timing")


class InvalidCredentials(DomainError):
    code = "invalid_credentials"


class LoginThrottled(TooManyAttempts):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__("too many failed sign-ins: wait before trying again", retry_after_s=retry_after_s)


def _limits() -> tuple[FailureLimit, FailureLimit]:
    # Read on each call so deployments and tests can change LOGIN_THROTTLE without re-importing.
    rate = settings.LOGIN_THROTTLE
    return FailureLimit("login-address", rate), FailureLimit("login-account", rate)


def _account_ident(login: str, user: User | None) -> str:
    # An unknown login gets a bucket of its own text, so guessing names is throttled as well.
    return f"user:{user.pk}" if user is not None else f"login:{login.strip().lower()}"


def login_authenticate(*, login: str, password: str, address: str) -> User:
    """The active account that `login` (username or e-mail) and `password` name; raises on failure or throttle."""
    user = selectors.user_get_by_login(login=login)
    by_address, by_account = _limits()
    account = _account_ident(login, user)
    if by_address.exceeded(address) or by_account.exceeded(account):
        raise LoginThrottled(retry_after_s=by_account.retry_after_s())
    if user is not None and user.check_password(password):
        return user
    if user is None:
        User(password=_DUMMY_HASH).check_password(password)  # the same work as a wrong password
    by_address.record(address)
    by_account.record(account)
    logger.info("failed sign-in for %s", f"user {user.pk}" if user else "an unknown login")
    raise InvalidCredentials("wrong username or password")


def login_throttle_clear(*, user: User) -> None:
    """Forget the account's failed sign-ins (after a completed password reset)."""
    _limits()[1].clear(_account_ident("", user))


@transaction.atomic
def sessions_revoke(*, user: User) -> None:
    """Sign out everywhere: every token issued so far is refused (and its refresh tokens blacklisted)."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])
    live = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=t) for t in live], ignore_conflicts=True)
    logger.info("every session of user %s revoked", user.pk)
