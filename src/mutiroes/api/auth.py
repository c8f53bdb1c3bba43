"""Bearer JWT authentication: header only (never the query string), one 401 body for every failure."""

import logging
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja_extra.exceptions import APIException
from ninja_jwt.authentication import JWTBaseAuthentication
from ninja_jwt.exceptions import TokenBackendError, TokenError

from mutiroes.accounts import selectors
from mutiroes.accounts.models import User
from mutiroes.accounts.tokens import TOKEN_VERSION_CLAIM
from mutiroes.core.exceptions import Forbidden
from mutiroes.infra import logs

logger = logging.getLogger(__name__)


class JWTBearer(JWTBaseAuthentication, HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            validated = self.get_validated_token(token)
            user = self.get_user(validated)
            if not selectors.token_still_valid(user=user, version=validated.get(TOKEN_VERSION_CLAIM)):
                raise TokenError("issued before the account signed out everywhere")
            request.user = user
            logs.bind(user_id=user.pk)  # until the request ends (RequestContextMiddleware unbinds)
            return user
        except (
            TokenError,
            TokenBackendError,
            APIException,
        ) as exc:  # every token problem is the same 401 to the client
            logger.info("rejected bearer token: %s", exc)
            return None
        # Anything else (the database is down while loading the user) is not the client's fault: it
        # propagates to the 503 handler instead of posing as a bad token.


class Anonymous:
    """Marker for a request with no Authorization header on a route where auth is optional."""

    def __bool__(self) -> bool:
        return True


ANONYMOUS = Anonymous()


class OptionalJWTBearer(JWTBearer):
    """No header: anonymous. A header that does not hold a valid token: 401, never silently anonymous."""

    def __call__(self, request: HttpRequest) -> Any:
        if not request.headers.get("Authorization"):
            return ANONYMOUS
        return super().__call__(request)


class StaffJWTBearer(JWTBearer):
    """A valid token of a staff member; a valid token of anyone else is a 403 (checked before the body is read)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = super().authenticate(request, token)
        if user is not None and not user.is_staff:
            raise Forbidden("staff only", code="staff_only")
        return user


jwt = JWTBearer()
optional_jwt = OptionalJWTBearer()
staff = StaffJWTBearer()


def current_user(request: HttpRequest) -> User | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, User) else None
