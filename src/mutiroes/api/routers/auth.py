from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import Throttled
from ninja_jwt.exceptions import TokenError
from ninja_jwt.settings import api_settings
from ninja_jwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from ninja_jwt.tokens import RefreshToken
from ninja_jwt.utils import datetime_from_epoch

from mutiroes.accounts import login, passwords, selectors, services, verification
from mutiroes.accounts.models import User
from mutiroes.api.auth import TOKEN_VERSION_CLAIM, jwt
from mutiroes.api.schemas.accounts import (
    EmailVerifyIn,
    MeOut,
    PasswordChangeIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    RefreshIn,
    RegisterIn,
    TokenIn,
    TokenPairOut,
)
from mutiroes.api.schemas.common import Error
from mutiroes.api.serializers import me_out
from mutiroes.api.throttles import (
    LoginAddressThrottle,
    PasswordConfirmThrottle,
    RegisterAddressThrottle,
    client_address,
)

router = Router(tags=["auth"])


@router.post(
    "/register", response={201: MeOut, 409: Error, 422: Error, 429: Error}, auth=None,
    throttle=[RegisterAddressThrottle()],
)  # fmt: skip
def register(request: HttpRequest, payload: RegisterIn) -> Status:
    """Create an account (throttled per address; a look-alike of a taken username is 409); then POST /auth/token."""
    user = services.user_register(**payload.model_dump())
    return Status(201, me_out(user))


@router.post("/token", response={200: TokenPairOut, 401: Error, 422: Error, 429: Error}, auth=None)
def obtain_token(request: HttpRequest, payload: TokenIn) -> Status:
    """Failed attempts are throttled per address and per account (LOGIN_THROTTLE); successes never count."""
    address = client_address(request)
    try:
        user = login.login_authenticate(login=payload.username, password=payload.password, address=address)
    except login.InvalidCredentials as exc:
        return Status(401, {"code": exc.code, "message": exc.message, "details": {}})
    except login.LoginThrottled as exc:
        raise Throttled(exc.retry_after_s) from exc
    return Status(200, _token_pair(user))


def _token_pair(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    refresh[TOKEN_VERSION_CLAIM] = user.token_version  # copied into the access token made from it
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@router.post(
    "/password/change",
    response={200: TokenPairOut, 401: Error, 422: Error, 429: Error},
    auth=jwt,
    throttle=[PasswordConfirmThrottle()],
)
def change_password(request: HttpRequest, payload: PasswordChangeIn) -> Status:
    """Signs out every session, this one included: the answer is a new token pair for this one."""
    passwords.password_change(
        user=request.auth, current_password=payload.current_password, new_password=payload.new_password
    )
    return Status(200, _token_pair(request.auth))


@router.post(
    "/password/reset", response={202: None, 422: Error, 429: Error}, auth=None, throttle=[LoginAddressThrottle()]
)
def request_password_reset(request: HttpRequest, payload: PasswordResetIn) -> Status:
    """The same answer whether or not an account has this address; the link arrives by e-mail."""
    passwords.password_reset_request(email=payload.email)
    return Status(202, None)


@router.post("/password/reset/confirm", response={204: None, 422: Error}, auth=None)
def confirm_password_reset(request: HttpRequest, payload: PasswordResetConfirmIn) -> Status:
    """Sets the new password, signs out every session and clears the account's failed sign-ins."""
    passwords.password_reset_confirm(uid=payload.uid, token=payload.token, new_password=payload.new_password)
    return Status(204, None)


@router.post("/email/verify", response={204: None, 422: Error}, auth=None)
def verify_email(request: HttpRequest, payload: EmailVerifyIn) -> Status:
    """Confirm the account's e-mail with the token of the e-mailed link (using it again changes nothing)."""
    verification.email_verify(token=payload.token)
    return Status(204, None)


@router.post("/email/verify/resend", response={202: None, 401: Error, 429: Error}, auth=jwt)
def resend_verification_email(request: HttpRequest) -> Status:
    """E-mail a new verification link to the signed-in account (nothing if already verified); throttled."""
    verification.email_verification_resend(user=request.auth)
    return Status(202, None)


@router.post("/token/refresh", response={200: TokenPairOut, 401: Error, 422: Error}, auth=None)
def refresh_token(request: HttpRequest, payload: RefreshIn) -> Status:
    """Exchange a refresh token for a new pair; the presented refresh token is spent (rotation)."""
    try:
        refresh = RefreshToken(payload.refresh)
        version = refresh.payload.get(TOKEN_VERSION_CLAIM)
        if selectors.user_for_token(user_id=refresh.payload.get("user_id"), version=version) is None:
            raise TokenError("the token's user is gone or inactive, or signed out everywhere since")
        access = str(refresh.access_token)
        # Rotation: the presented refresh token is spent, a new one is issued.
        if not _spend(refresh):
            raise TokenError("refresh token already used")
        refresh.set_jti()
        refresh.set_exp()
        refresh.set_iat()
    except TokenError:
        return Status(401, {"code": "invalid_token", "message": "refresh token invalid or expired", "details": {}})
    return Status(200, {"access": access, "refresh": str(refresh)})


def _spend(refresh: RefreshToken) -> bool:
    """Blacklist the token; False if it was already blacklisted.

    The blacklist row is a unique insert, so of concurrent refreshes presenting one token exactly one creates
    it and wins; the others (a replayed, possibly stolen token) get a 401 instead of a second live session.
    """
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=refresh[api_settings.JTI_CLAIM],
        defaults={"token": str(refresh), "expires_at": datetime_from_epoch(refresh["exp"])},
    )
    _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return created


@router.post("/logout", response={204: None, 401: Error, 422: Error}, auth=jwt)
def logout(request: HttpRequest, payload: RefreshIn) -> Status:
    """Revoke a refresh token of the caller; an already invalid token is not an error."""
    try:
        token = RefreshToken(payload.refresh)
        if token.payload.get("user_id") == request.auth.pk:
            token.blacklist()
    except TokenError:
        pass  # an already invalid token is already logged out
    return Status(204, None)
