"""Operations endpoints, outside /api.

``/liveness`` touches nothing, so a database outage does not make the gateway drop every replica at
once. ``/readiness`` answers whether this replica can serve (the database). Both stay open for the
orchestrator. ``/health`` is the deep view for operators: each dependency, each circuit breaker, and
whether fallbacks are in use. Instance ids, error texts and worker reports help an attacker map the
system, so that detail needs a staff user's bearer token or the operator token (HEALTH_TOKEN); anyone
else gets the overall status only.
"""

import socket
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils.crypto import constant_time_compare

from mutiroes.infra import breaker_report
from mutiroes.infra.cache import safe_cache
from mutiroes.resilience.breakers import CircuitBreakerError, all_breakers

RETRY_AFTER_S = "5"
SMTP_CHECK_TIMEOUT_S = 1.0


def _timed(check: Callable[[], None]) -> dict[str, object]:
    started = time.monotonic()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure is "down", reported with its reason
        return {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"status": "ok", "latency_ms": round((time.monotonic() - started) * 1000, 1)}


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    if not safe_cache.ping():
        raise ConnectionError("cache unreachable; serving without it")


def _broker() -> None:
    from mutiroes.infra.broker import get_broker

    client = getattr(get_broker(), "client", None)
    if client is not None:
        client.ping()


def _smtp() -> None:
    # Reachability only (no SMTP session): the workers send; the API reports whether they can.
    if not settings.EMAIL_BACKEND.endswith("smtp.EmailBackend"):
        return
    with socket.create_connection((settings.EMAIL_HOST, settings.EMAIL_PORT), timeout=SMTP_CHECK_TIMEOUT_S):
        pass


def _unavailable(body: dict[str, object]) -> JsonResponse:
    response = JsonResponse(body, status=503)
    response["Retry-After"] = RETRY_AFTER_S
    return response


def liveness(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readiness(request: HttpRequest) -> JsonResponse:
    database = _timed(_database)
    body = {"status": "ok" if database["status"] == "ok" else "unavailable", "checks": {"database": database}}
    return JsonResponse(body) if database["status"] == "ok" else _unavailable(body)


def _is_operator(request: HttpRequest) -> bool:
    from mutiroes.api.auth import jwt

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    if settings.HEALTH_TOKEN and constant_time_compare(token.strip(), settings.HEALTH_TOKEN):
        return True
    try:
        user = jwt.authenticate(request, token.strip())
    except (DatabaseError, CircuitBreakerError):
        return False  # the database is down: only the operator token shows the detail then
    return bool(user is not None and user.is_active and user.is_staff)


def health(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": _timed(_database), "cache": _timed(_cache), "broker": _timed(_broker), "smtp": _timed(_smtp),
    }  # fmt: skip
    # The database is the one hard dependency: without the cache the API is slower, without the broker
    # jobs wait in the outbox, without SMTP e-mails are delayed; all three are "degraded", not down.
    hard_down = checks["database"]["status"] != "ok"
    degraded = [name for name, check in checks.items() if check["status"] != "ok"]
    body = {
        "status": "unavailable" if hard_down else ("degraded" if degraded else "ok"),
        "instance": settings.INSTANCE_ID,
        "version": settings.VERSION,
        "mode": settings.MODE,
        "checks": checks,
        "breakers": {name: breaker.snapshot() for name, breaker in all_breakers().items()},
        # Each worker process's own breakers (smtp, broker, database), as the workers last reported them.
        "workers": breaker_report.collect(),
        "fallbacks": {
            "cache_bypassed": checks["cache"]["status"] != "ok",
            "jobs_held_in_outbox": checks["broker"]["status"] != "ok",
            "emails_delayed": checks["smtp"]["status"] != "ok",
        },
    }
    if not _is_operator(request):
        body = {"status": body["status"]}
    response = _unavailable(body) if hard_down else JsonResponse(body)
    response["Cache-Control"] = "no-store"  # the detail depends on who asks: no shared cache may keep it
    return response
