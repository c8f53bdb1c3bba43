"""Domain errors: services raise these; the API maps each to one HTTP status in one place."""

from typing import Any


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, entity: str, **details: Any) -> None:
        super().__init__(f"{entity} not found", code=f"{entity}_not_found", **details)


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    code = "conflict"


class InvalidState(Conflict):
    code = "invalid_state"


class ValidationFailed(DomainError):
    """Input that is well-formed but breaks a rule (422). ``details`` maps field → message."""

    code = "validation_error"


class TooLarge(DomainError):
    """The input is bigger than the accepted limit (413), e.g. an uploaded file."""

    code = "too_large"


class UnsupportedMedia(DomainError):
    """The content is not of an accepted kind, whatever its name or declared type says (415)."""

    code = "unsupported_media_type"


class TooManyAttempts(DomainError):
    """Too many failed attempts in a window (429, with Retry-After)."""

    code = "throttled"

    def __init__(self, message: str, *, retry_after_s: int, code: str | None = None) -> None:
        super().__init__(message, code=code, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s
