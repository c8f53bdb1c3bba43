"""Idempotency-Key on POSTs: the same key from the same user within 24 h replays the first response.

The record is inserted before the request runs, so a concurrent duplicate hits the UNIQUE (user, key)
constraint and is told the first one is still in progress instead of creating a second object.
"""

import hashlib
import logging
from collections.abc import Callable
from datetime import timedelta

from circuitbreaker import CircuitBreakerError
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse

from mutiroes.api import errors
from mutiroes.api.auth import JWTBearer
from mutiroes.api.errors import error_response
from mutiroes.core import clock
from mutiroes.core.models import IdempotencyRecord

logger = logging.getLogger(__name__)
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
# A record still without a response after this long belongs to a request that died; its key is freed.
ABANDONED_AFTER = timedelta(minutes=5)
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
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return error_response(422, f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable characters")
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
    now = clock.now()
    try:
        fingerprint = _fingerprint(request)
    except RequestDataTooBig:
        return error_response(413, "request body too large")
    IdempotencyRecord.objects.filter(user_id=user_id, key=key, created_at__lt=now - settings.IDEMPOTENCY_TTL).delete()
    IdempotencyRecord.objects.filter(
        user_id=user_id, key=key, status_code__isnull=True, created_at__lt=now - ABANDONED_AFTER
    ).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user_id=user_id, key=key, method=request.method, path=request.path[:500], request_hash=fingerprint
            )
    except IntegrityError:
        return _replay(request, user_id=user_id, key=key, fingerprint=fingerprint)
    try:
        response = run(request)
    except Exception:
        record.delete()
        raise
    if response.status_code >= 500:
        record.delete()  # a server failure is not an answer: the client may retry with the same key
        return response
    record.status_code = response.status_code
    record.response_body = bytes(response.content)
    record.content_type = response.get("Content-Type", "application/json")[:100]
    record.save(update_fields=["status_code", "response_body", "content_type"])
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


def _replay(request: HttpRequest, *, user_id: int, key: str, fingerprint: str) -> HttpResponse:
    record = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
    if record is None:
        return error_response(409, "a request with this Idempotency-Key just finished; retry", code="idempotency_retry")
    if record.path != request.path[:500] or record.request_hash != fingerprint:
        return error_response(422, f"this {HEADER} was used for a different request", code="idempotency_key_reused")
    if record.status_code is None:
        response = error_response(409, "the first request with this key is still running", code="request_in_progress")
        response["Retry-After"] = "1"
        return response
    logger.info("replayed idempotent response for user %s key %r", user_id, key)
    response = HttpResponse(bytes(record.response_body), status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response
