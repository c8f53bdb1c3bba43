from django.http import HttpRequest
from ninja import Router, Status
from ninja_jwt.exceptions import TokenError
from ninja_jwt.settings import api_settings
from ninja_jwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from ninja_jwt.tokens import RefreshToken
from ninja_jwt.utils import datetime_from_epoch

from mutiroes.accounts import selectors, services
from mutiroes.api.auth import jwt
from mutiroes.api.schemas.accounts import MeOut, RefreshIn, RegisterIn, TokenIn, TokenPairOut
from mutiroes.api.schemas.common import Error
from mutiroes.api.serializers import me_out
from mutiroes.api.throttles import LoginAccountThrottle, LoginAddressThrottle

router = Router(tags=["auth"])


@router.post("/register", response={201: MeOut, 409: Error, 422: Error}, auth=None)
def register(request: HttpRequest, payload: RegisterIn) -> Status:
    user = services.user_register(**payload.model_dump())
    return Status(201, me_out(user))


@router.post(
    "/token",
    response={200: TokenPairOut, 401: Error, 422: Error, 429: Error},
    auth=None,
    throttle=[LoginAddressThrottle(), LoginAccountThrottle()],
)
def obtain_token(request: HttpRequest, payload: TokenIn) -> Status:
    user = selectors.user_get_by_login(login=payload.username)
    if user is None or not user.check_password(payload.password):
        return Status(401, {"code": "invalid_credentials", "message": "wrong username or password", "details": {}})
    refresh = RefreshToken.for_user(user)
    return Status(200, {"access": str(refresh.access_token), "refresh": str(refresh)})


@router.post("/token/refresh", response={200: TokenPairOut, 401: Error, 422: Error}, auth=None)
def refresh_token(request: HttpRequest, payload: RefreshIn) -> Status:
    try:
        refresh = RefreshToken(payload.refresh)
        if not selectors.active_user_exists(user_id=refresh.payload.get("user_id")):
            raise TokenError("the token's user is gone or inactive")
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
    try:
        token = RefreshToken(payload.refresh)
        if token.payload.get("user_id") == request.auth.pk:
            token.blacklist()
    except TokenError:
        pass  # an already invalid token is already logged out
    return Status(204, None)
