"""Session tokens (ninja-jwt): a token pair for an account, the rotation of a refresh token, its revocation.

Every token carries the account's ``token_version`` (``TOKEN_VERSION_CLAIM``): signing out everywhere (a password
change or reset) bumps the version, and tokens issued before stop working (selectors.token_still_valid).
"""

from ninja_jwt.exceptions import TokenError
from ninja_jwt.settings import api_settings
from ninja_jwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from ninja_jwt.tokens import RefreshToken
from ninja_jwt.utils import datetime_from_epoch

from mutiroes.accounts import selectors
from mutiroes.accounts.models import User

TOKEN_VERSION_CLAIM = "ver"  # the account's token_version when the token was issued


class InvalidToken(Exception):
    """The refresh token is malformed, expired, spent, or its account is gone or signed out everywhere since."""


def token_pair_issue(*, user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    refresh[TOKEN_VERSION_CLAIM] = user.token_version  # copied into the access token made from it
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def token_refresh(*, refresh: str) -> dict[str, str]:
    """A new pair for a refresh token, which is spent (rotation): presenting it again is InvalidToken."""
    try:
        token = RefreshToken(refresh)
        version = token.payload.get(TOKEN_VERSION_CLAIM)
        if selectors.user_for_token(user_id=token.payload.get("user_id"), version=version) is None:
            raise TokenError("the token's user is gone or inactive, or signed out everywhere since")
        access = str(token.access_token)
        if not _spend(token):
            raise TokenError("refresh token already used")
        token.set_jti()
        token.set_exp()
        token.set_iat()
    except TokenError as exc:
        raise InvalidToken(str(exc)) from exc
    return {"access": access, "refresh": str(token)}


def _spend(token: RefreshToken) -> bool:
    """Blacklist the token; False if it was already blacklisted.

    The blacklist row is a unique insert, so of concurrent refreshes presenting one token exactly one creates
    it and wins; the others (a replayed, possibly stolen token) get a 401 instead of a second live session.
    """
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=token[api_settings.JTI_CLAIM],
        defaults={"token": str(token), "expires_at": datetime_from_epoch(token["exp"])},
    )
    _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return created


def token_revoke(*, refresh: str, user: User) -> None:
    """Log out a refresh token of ``user``; someone else's, or an already invalid one, changes nothing."""
    try:
        token = RefreshToken(refresh)
        if token.payload.get("user_id") == user.pk:
            token.blacklist()
    except TokenError:
        pass  # an already invalid token is already logged out
