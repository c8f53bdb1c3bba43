"""Every error leaves the API as {"code", "message", "details"}; domain errors map to HTTP here, once."""

import logging
from typing import Any

from circuitbreaker import CircuitBreakerError
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError

from mutiroes.core.exceptions import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    TooLarge,
    TooManyAttempts,
    UnsupportedMedia,
    ValidationFailed,
)

logger = logging.getLogger(__name__)

DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (ValidationFailed, 422),
    (TooLarge, 413),
    (UnsupportedMedia, 415),
    (TooManyAttempts, 429),
]
HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "throttled",
    500: "internal_error",
    503: "service_unavailable",
}
RETRY_AFTER_UNAVAILABLE_S = 5
# Every `code` the API answers with, the `ErrorCode` enum of the schema: the generic codes above, the domain's
# (services' `code=`, NotFound's `<entity>_not_found`), and a breaker's `<dependency>_unavailable`. A test scans the
# sources for codes missing here; schemathesis' response check would meet them too.
DOMAIN_CODES = [
    "account_exists",
    "account_in_use",
    "adjustment_window_closed",
    "age_not_allowed",
    "already_checked_in",
    "birth_date_required",
    "capacity_below_taken",
    "certificate_revoked",
    "check_in_closed",
    "conflict",
    "domain_error",
    "email_not_verified",
    "email_taken",
    "event_cancelled",
    "event_closed",
    "event_completed",
    "event_full",
    "event_in_past",
    "event_not_ended",
    "event_not_open",
    "event_not_published",
    "event_not_started",
    "full_name_required",
    "has_participants",
    "idempotency_key_reused",
    "idempotency_retry",
    "invalid_credentials",
    "invalid_reset_token",
    "invalid_state",
    "invalid_token",
    "invalid_verification_token",
    "invalid_unsubscribe_token",
    "not_approvable",
    "not_checked_in",
    "not_confirmed",
    "not_draft",
    "not_organizer",
    "not_owner",
    "not_participant",
    "not_rejectable",
    "organizer_cannot_join",
    "photo_too_large",
    "placeholder_account",
    "placeholder_misconfigured",
    "registration_closed",
    "registration_rejected",
    "report_exists",
    "request_in_progress",
    "staff_only",
    "too_large",
    "unsupported_image",
    "username_confusable",
    "username_taken",
    "weak_password",
    "wrong_check_in_code",
    "wrong_password",
]
NOT_FOUND_ENTITIES = [
    "certificate", "comment", "event", "factor_set", "job", "job_run", "monthly_report", "participation", "photo",
    "report", "resource", "user",
]  # fmt: skip
BREAKERS = ["database", "cache", "broker", "smtp", "http"]
ERROR_CODES = sorted(
    {*HTTP_CODES.values(), *DOMAIN_CODES}
    | {f"{entity}_not_found" for entity in NOT_FOUND_ENTITIES}
    | {f"{name}_unavailable" for name in BREAKERS}
)
# Where a parameter came from: not part of the field's name in details.fields.
SOURCES = {"body", "query", "path", "header", "form", "file", "payload", "filters", "params"}


def error_response(status: int, message: str, /, *, code: str | None = None, **details: Any) -> JsonResponse:
    # Positional-only: a domain error's details may hold any key, "status" included (event_not_open does).
    body = {"code": code or HTTP_CODES.get(status, "error"), "message": message, "details": details}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _field_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        source = loc[0] if loc else "body"
        while loc and loc[0] in SOURCES:
            loc = loc[1:]
        loc = [part for part in loc if "[" not in part]  # a union's member tag: "str-enum[BrazilianState]"
        # A rule over several fields names them (CrossFieldError); a body that is not an object names its source.
        names = error.get("fields") or [".".join(loc) or source]
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        for name in names:
            messages = fields.setdefault(name, [])
            if message not in messages:
                messages.append(message)
    return fields


def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error_response(422, "invalid input", fields=_field_errors(exc.errors))


def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = next((code for cls, code in DOMAIN_STATUS if isinstance(exc, cls)), 400)
    details = exc.details
    if isinstance(exc, ValidationFailed):
        details = {"fields": {name: m if isinstance(m, list) else [m] for name, m in exc.details.items()}}
    response = error_response(status, exc.message, code=exc.code, **details)
    if isinstance(exc, TooManyAttempts):
        response["Retry-After"] = str(max(1, exc.retry_after_s))
    return response


def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(401, "authentication required: send a valid bearer access token")
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    wait = max(1, int(exc.wait or 1))
    response = error_response(429, "too many requests: slow down", retry_after_s=wait)
    response["Retry-After"] = str(wait)
    return response


def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, DomainError):  # ninja wraps whatever the body parser raises in a 400
        return on_domain_error(request, exc.__cause__)
    return error_response(exc.status_code, str(exc))


def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(404, "not found")


def on_too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(413, "request body too large")


def on_malformed_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Django parses the query string and form bodies lazily, inside the handler: too many fields
    # (DATA_UPLOAD_MAX_NUMBER_FIELDS / _FILES) or a broken multipart body surface here.
    logger.info("malformed request on %s: %s", request.path, exc)
    return error_response(400, f"malformed request: {exc}")


def on_data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # The schemas bound every value; this is the backstop for a value the database still refuses.
    logger.warning("database refused a value on %s: %s", request.path, exc)
    return error_response(422, "a value is out of the accepted range")


def on_database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("database unavailable on %s: %s", request.path, exc)
    response = error_response(503, "the database is unavailable, try again shortly", code="database_unavailable")
    response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE_S)
    return response


def on_breaker_open(request: HttpRequest, exc: CircuitBreakerError) -> HttpResponse:
    # Fail fast: the dependency is known to be down; tell the client when the breaker will probe again.
    name = getattr(getattr(exc, "_circuit_breaker", None), "name", "dependency")
    wait = max(1, int(getattr(getattr(exc, "_circuit_breaker", None), "open_remaining", 0) or 0))
    response = error_response(503, f"{name} unavailable, try again shortly", code=f"{name}_unavailable")
    response["Retry-After"] = str(wait)
    return response


def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal error")


def install(api: NinjaAPI) -> None:
    handlers: list[tuple[type[Exception], Any]] = [
        (Exception, on_unexpected),
        (ValidationError, on_validation_error),
        (DomainError, on_domain_error),
        (HttpError, on_http_error),
        (AuthenticationError, on_authentication_error),
        (AuthorizationError, on_http_error),
        (Throttled, on_throttled),
        (Http404, on_not_found),
        (RequestDataTooBig, on_too_big),
        (SuspiciousOperation, on_malformed_request),
        (MultiPartParserError, on_malformed_request),
        (DataError, on_data_error),
        (OperationalError, on_database_unavailable),
        (InterfaceError, on_database_unavailable),
        (CircuitBreakerError, on_breaker_open),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)
