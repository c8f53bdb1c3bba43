"""Idempotency-Key on POSTs: the same key from the same user within 24 h replays the first response.

The record is inserted (and committed) before the request runs, then the request runs in one transaction
that holds the record's row lock and ends by storing the response in it (the record's writes are
core/idempotency.py; this module is the HTTP side). So:

- a concurrent duplicate finds the row locked and is told the first one is still in progress;
- the request's writes and its recorded answer commit together: there is never an object without its
  answer, so a retry can never create a second one;
- a request that fails (5xx) frees the key; one that dies with its database connection (the database
  went down mid-request) leaves an unanswered, unlocked record and nothing else: the client's retry with
  the same key runs at once instead of being told "in progress" until some timeout.
"""

import hashlib
import logging
import re
from collections.abc import Callable

from circuitbreaker import CircuitBreakerError
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse

from mutiroes.api import errors
from mutiroes.api.auth import JWTBearer
from mutiroes.api.errors import error_response
from mutiroes.core import idempotency
from mutiroes.core.models import IdempotencyRecord
from mutiroes.infra import metrics

logger = logging.getLogger(__name__)
HEADER = "Idempotency-Key"
NOT_REPLAYED = "/api/v1/auth/"
MAX_KEY_LENGTH = 200
KEY_PATTERN = re.compile(rf"[\x20-\x7e]{{1,{MAX_KEY_LENGTH}}}")  # what the schema declares
_bearer = JWTBearer()


def _bearer_user(request: HttpRequest) -> object | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return _bearer.authenticate(request, token)


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith("/api/"):
            return self.get_response(request)
        if request.path.startswith(NOT_REPLAYED):
            # Token responses are credentials: never stored for a replay (and logins create nothing).
            return self.get_response(request)
        if not KEY_PATTERN.fullmatch(key):
            return error_response(422, f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable ASCII characters")
        try:
            user = _bearer_user(request)
            if user is None:
                return self.get_response(request)  # anonymous: the route itself answers (often 401)
            return _run_once(request, user_id=user.pk, key=key, run=self.get_response)
        except (OperationalError, InterfaceError) as exc:
            return errors.on_database_unavailable(request, exc)
        except CircuitBreakerError as exc:
            return errors.on_breaker_open(request, exc)


def _run_once(
    request: HttpRequest, *, user_id: int, key: str, run: Callable[[HttpRequest], HttpResponse]
) -> HttpResponse:
    try:
        fingerprint = _fingerprint(request)
    except RequestDataTooBig:
        return error_response(413, "request body too large")
    idempotency.idempotency_claim(
        user_id=user_id, key=key, method=request.method, path=request.path, request_hash=fingerprint
    )
    with transaction.atomic():
        # The row lock is the lease: held while this request runs.
        record = idempotency.idempotency_lock(user_id=user_id, key=key)
        if record is None:
            return _busy(request, idempotency.idempotency_find(user_id=user_id, key=key), fingerprint)
        if record.status_code is not None or not _same_request(record, request, fingerprint):
            return _replay(request, record, fingerprint)
        # Unanswered and not locked: made just now by this request, or by one that died before answering
        # (its writes died with its transaction). Either way this request runs under the key now.
        with transaction.atomic():
            response = run(request)
            refused = _answer(record, response) if response.status_code < 500 else None
            kept = response.status_code < 500 and refused is None
            if not kept:
                # A server failure is not an answer, and an answer that cannot be stored is not kept either:
                # back to before the request, none of its writes stays.
                transaction.set_rollback(True)
        if kept:
            return response
        idempotency.idempotency_release(record=record)  # still locked by us: the key is free for the client's retry
    if refused is not None and response.status_code < 400:
        return errors.on_database_unavailable(request, refused)  # the writes were undone: not a success
    return response


def _same_request(record: IdempotencyRecord, request: HttpRequest, fingerprint: str) -> bool:
    return idempotency.idempotency_matches(record=record, path=request.path, request_hash=fingerprint)


def _answer(record: IdempotencyRecord, response: HttpResponse) -> Exception | None:
    return idempotency.idempotency_answer(
        record=record, status_code=response.status_code, body=bytes(response.content),
        content_type=response.get("Content-Type", "application/json"),
    )  # fmt: skip


def _busy(request: HttpRequest, record: IdempotencyRecord | None, fingerprint: str) -> HttpResponse:
    """The record is locked by a request still running (or was deleted meanwhile)."""
    if record is None:
        return error_response(409, "a request with this Idempotency-Key just finished; retry", code="idempotency_retry")
    if record.status_code is not None or not _same_request(record, request, fingerprint):
        return _replay(request, record, fingerprint)
    response = error_response(409, "the first request with this key is still running", code="request_in_progress")
    response["Retry-After"] = "1"
    return response


def _fingerprint(request: HttpRequest) -> str:
    try:
        return hashlib.sha256(request.body).hexdigest()
    except RequestDataTooBig:
        if request.content_type != "multipart/form-data":
            raise
    # An upload beyond the in-memory limit: hash it as Django parsed it (files streamed to disk), not as one
    # string in memory. Django still refuses oversized non-file fields (RequestDataTooBig again).
    digest = hashlib.sha256()
    for name, values in sorted(request.POST.lists()):
        digest.update(repr((name, values)).encode())
    for name, uploads in sorted(request.FILES.lists()):
        for upload in uploads:
            digest.update(repr((name, upload.name, upload.size)).encode())
            for chunk in upload.chunks():
                digest.update(chunk)
    return digest.hexdigest()


def _replay(request: HttpRequest, record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if not _same_request(record, request, fingerprint):
        return error_response(422, f"this {HEADER} was used for a different request", code="idempotency_key_reused")
    logger.info("replayed idempotent response for user %s key %r", record.user_id, record.key)
    metrics.IDEMPOTENT_REPLAYS.inc()
    response = HttpResponse(bytes(record.response_body), status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response
