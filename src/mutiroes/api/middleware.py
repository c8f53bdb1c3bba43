"""HTTP hygiene for /api: NUL bytes and oversized query strings refused up front, and every error body in the
documented JSON shape; and the request's log context (request and user ids)."""

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpRequest, HttpResponse

from mutiroes.api.errors import HTTP_CODES, error_response
from mutiroes.infra import logs

request_log = logging.getLogger("mutiroes.request")
# What a request id may look like when it comes from outside (nginx's $request_id is 32 hex digits).
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

API_PREFIX = "/api/"
# The replacement carries every header of the original (Allow, Retry-After, security headers...) but these.
REPLACED_HEADERS = {"content-type", "content-length"}


class ApiHygieneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or b"\x00" in unquote_to_bytes(query):
            return error_response(400, "NUL characters are not allowed in the URL")
        try:
            request.GET  # noqa: B018 - parsed here so every route refuses an oversized query, not only those reading it
        except TooManyFieldsSent:
            return error_response(400, f"more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} query parameters")
        response = self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            replacement = error_response(response.status_code, _message(response))
            for header, value in response.items():
                if header.lower() not in REPLACED_HEADERS:
                    replacement[header] = value
            return replacement
        return response


def _is_json(response: HttpResponse) -> bool:
    if not response.get("Content-Type", "").startswith("application/json"):
        return False
    try:
        body = json.loads(response.content)
    except (ValueError, AttributeError):
        return False
    return isinstance(body, dict) and "code" in body


def _message(response: HttpResponse) -> str:
    if response.status_code == 405:
        return f"method not allowed; allowed: {response.get('Allow', '')}"
    return HTTP_CODES.get(response.status_code, "error").replace("_", " ")


class RequestContextMiddleware:
    """Binds the request id (and, once authenticated, the user id) to every log line the request writes.

    The gateway sends X-Request-ID (nginx's $request_id); without one (a direct call, `mutiroes dev`) a new id is
    made and returned in the response. With LOG_REQUESTS, one line per request replaces gunicorn's access log:
    method, path without the query string (where tokens would be), status and duration.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        started = time.perf_counter()
        with logs.bound(request_id=request_id, user_id=None):
            response = self.get_response(request)
            if settings.LOG_REQUESTS:
                duration_ms = round((time.perf_counter() - started) * 1000, 1)
                request_log.info(
                    "%s %s %s", request.method, request.path, response.status_code,
                    extra={"status": response.status_code, "duration_ms": duration_ms},
                )  # fmt: skip
        if not incoming:
            response["X-Request-ID"] = request_id
        return response
