"""Idempotency records: the writes behind the API's Idempotency-Key (api/idempotency.py runs the HTTP side).

A record is claimed (inserted and committed) before the request runs; the request then runs holding the record's
row lock, and its answer is stored in the record in the request's transaction, so the writes and the answer
commit together. The lock is the lease: PostgreSQL releases it when the transaction ends, also when the process
or its connection dies.
"""

import logging

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import QuerySet

from mutiroes.core import clock
from mutiroes.core.models import IdempotencyRecord

logger = logging.getLogger(__name__)
PATH_MAX_CHARS = 500
CONTENT_TYPE_MAX_CHARS = 100


def _records(*, user_id: int, key: str) -> QuerySet[IdempotencyRecord]:
    return IdempotencyRecord.objects.filter(user_id=user_id, key=key)


def idempotency_claim(*, user_id: int, key: str, method: str, path: str, request_hash: str) -> None:
    """Insert the record of (user, key) unless one exists (replayed, in progress, or left by a request that died);
    a record older than IDEMPOTENCY_TTL is dropped first, so the key starts afresh."""
    _records(user_id=user_id, key=key).filter(created_at__lt=clock.now() - settings.IDEMPOTENCY_TTL).delete()
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                user_id=user_id, key=key, method=method, path=path[:PATH_MAX_CHARS], request_hash=request_hash
            )
    except IntegrityError:
        pass


def idempotency_lock(*, user_id: int, key: str) -> IdempotencyRecord | None:
    """The record, row-locked for the caller's transaction; None while another request holds it."""
    return _records(user_id=user_id, key=key).select_for_update(skip_locked=True).first()


def idempotency_find(*, user_id: int, key: str) -> IdempotencyRecord | None:
    return _records(user_id=user_id, key=key).first()


def idempotency_matches(*, record: IdempotencyRecord, path: str, request_hash: str) -> bool:
    return record.path == path[:PATH_MAX_CHARS] and record.request_hash == request_hash


def idempotency_answer(
    *, record: IdempotencyRecord, status_code: int, body: bytes, content_type: str
) -> DatabaseError | None:
    """Store the response in the record, in the request's transaction; the error if the database refuses."""
    record.status_code = status_code
    record.response_body = body
    record.content_type = content_type[:CONTENT_TYPE_MAX_CHARS]
    try:
        record.save(update_fields=["status_code", "response_body", "content_type"])
    except DatabaseError as exc:
        # The connection died, or the route answered after a database error that left the transaction aborted.
        logger.warning("idempotency record %s not stored: %s", record.pk, exc)
        return exc
    return None


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Free the key (a failed request is not an answer): the client's retry with it runs."""
    record.delete()
