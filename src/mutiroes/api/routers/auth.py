from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import Throttled

from mutiroes.accounts import login, passwords, services, tokens, verification
from mutiroes.api.auth import jwt
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
    return Status(200, tokens.token_pair_issue(user=user))


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
    return Status(200, tokens.token_pair_issue(user=request.auth))


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
        pair = tokens.token_refresh(refresh=payload.refresh)
    except tokens.InvalidToken:
        return Status(401, {"code": "invalid_token", "message": "refresh token invalid or expired", "details": {}})
    return Status(200, pair)


@router.post("/logout", response={204: None, 401: Error, 422: Error}, auth=jwt)
def logout(request: HttpRequest, payload: RefreshIn) -> Status:
    """Revoke a refresh token of the caller; an already invalid token is not an error."""
    tokens.token_revoke(refresh=payload.refresh, user=request.auth)
    return Status(204, None)
