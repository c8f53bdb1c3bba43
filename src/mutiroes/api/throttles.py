"""Per-address request throttles (registration, password-reset requests, certificate lookups), counted in the
shared cache.

Sign-in failures are throttled by accounts.login, which counts failures only, per address and per account.
"""

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle

from mutiroes.infra.cache import safe_cache


class _SettingsRateThrottle(SimpleRateThrottle):
    # Counted in the shared cache; if Redis is down the count is lost and logins pass (fail open):
    # the gateway's own limit still applies, and locking every user out would be worse.
    cache = safe_cache

    setting = "LOGIN_THROTTLE"

    # Read the rate on each request so deployments and tests can change it without re-importing routes.
    def __init__(self) -> None:
        self.rate = getattr(settings, self.setting)

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


class LoginAddressThrottle(_SettingsRateThrottle):
    scope = "login_address"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class CertificateLookupThrottle(LoginAddressThrottle):
    """Public verification by code: per address, so nobody walks the code space (which is 2^130 anyway)."""

    scope = "certificate_lookup"
    setting = "CERTIFICATE_LOOKUP_THROTTLE"


class RegisterAddressThrottle(LoginAddressThrottle):
    """Accounts created from one address (REGISTER_THROTTLE): every attempt counts, taken names included."""

    scope = "register_address"
    setting = "REGISTER_THROTTLE"


class PasswordConfirmThrottle(_SettingsRateThrottle):
    """Guessing the password with a stolen access token is throttled like signing in, per account."""

    scope = "password_confirm"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


def client_address(request: HttpRequest) -> str:
    """The caller's address as the throttles see it (behind NINJA_NUM_PROXIES trusted proxies)."""
    return LoginAddressThrottle().get_ident(request) or "unknown"
