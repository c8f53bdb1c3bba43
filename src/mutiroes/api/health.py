"""Operations endpoints, outside /api: liveness touches nothing, readiness and health check dependencies."""

import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse


def liveness(request: HttpRequest) -> JsonResponse:
    # Never a dependency call here: a database outage must not make the gateway drop every replica.
    return JsonResponse({"status": "ok"})


def _check_database() -> dict[str, object]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"status": "ok", "latency_ms": round((time.monotonic() - started) * 1000, 1)}
    except Exception as exc:  # noqa: BLE001 - any failure is "down", reported with its reason
        return {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}


def readiness(request: HttpRequest) -> JsonResponse:
    database = _check_database()
    ok = database["status"] == "ok"
    response = JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": {"database": database}}, status=200 if ok else 503
    )
    if not ok:
        response["Retry-After"] = "5"
    return response


def health(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database()}
    ok = all(check["status"] == "ok" for check in checks.values())
    body = {
        "status": "ok" if ok else "unavailable",
        "instance": settings.INSTANCE_ID,
        "version": settings.VERSION,
        "mode": settings.MODE,
        "checks": checks,
    }
    response = JsonResponse(body, status=200 if ok else 503)
    if not ok:
        response["Retry-After"] = "5"
    return response
