"""Login throttles, per client address and per account, counted in the shared cache (Redis in production)."""

import hashlib
import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle

from mutiroes.infra.cache import safe_cache


class _SettingsRateThrottle(SimpleRateThrottle):
    # Counted in the shared cache; if Redis is down the count is lost and logins pass (fail open):
    # the gateway's own limit still applies, and locking every user out would be worse.
    cache = safe_cache

    # Read the rate on each request so deployments and tests can change it without re-importing routes.
    def __init__(self) -> None:
        self.rate = settings.LOGIN_THROTTLE

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = settings.LOGIN_THROTTLE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


class LoginAddressThrottle(_SettingsRateThrottle):
    scope = "login_address"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginAccountThrottle(_SettingsRateThrottle):
    """Holds across addresses: guessing one account's password from many machines is still throttled."""

    scope = "login_account"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        try:
            login = json.loads(request.body).get("username")
        except (ValueError, AttributeError, RecursionError, RequestDataTooBig):
            # Not a JSON object (or absurdly nested, or too big): the route itself answers 400/413/422.
            return None
        if not isinstance(login, str) or not login:
            return None
        # Hashed: a fixed-length key whatever the login (memcached-safe, no raw e-mails in the cache).
        ident = hashlib.sha256(login.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
