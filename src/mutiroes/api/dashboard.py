"""Dramatiq's dashboard (vendored, no auth of its own) mounted at /dashboard/ behind Django staff login."""

import io
from functools import cache
from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

PREFIX = "/dashboard"


def _dashboard_app() -> Any:
    from mutiroes.infra.broker import get_broker

    return _dashboard_app_for(get_broker())  # per broker: install_broker() may switch it


@cache
def _dashboard_app_for(broker: Any) -> Any:
    from dramatiq.brokers.redis import RedisBroker

    from mutiroes.jobs.registry import QUEUES
    from mutiroes.vendor.dramatiq_dashboard import DashboardApp

    if not isinstance(broker, RedisBroker):
        return None
    # The dashboard lists the queues its broker declared, and this process (API, dashboard) declares no actors.
    for queue_name in sorted(set(QUEUES.values())):
        broker.declare_queue(queue_name)
    return DashboardApp(broker, PREFIX)


# The dashboard protects its own forms with a CSRF token of its own; Django's would reject them.
@csrf_exempt
@staff_member_required
def dashboard(request: HttpRequest, path: str = "") -> HttpResponse:
    app = _dashboard_app()
    if app is None:
        return HttpResponse(
            "The Dramatiq dashboard needs the Redis broker; this process uses another broker (embedded mode?).",
            status=503, content_type="text/plain; charset=utf-8",
        )  # fmt: skip
    environ = {
        **request.META,
        "SCRIPT_NAME": "",
        "PATH_INFO": "/" + path,
        "wsgi.input": io.BytesIO(request.body),
        "CONTENT_LENGTH": str(len(request.body)),
    }
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        captured["status"], captured["headers"] = status, headers

    body = app(environ, start_response)
    if body is None:
        return HttpResponse("not found", status=404, content_type="text/plain")
    response = HttpResponse(b"".join(_as_bytes(chunk) for chunk in body), status=int(captured["status"].split()[0]))
    for name, value in captured["headers"]:
        response[name] = value
    return response


def _as_bytes(chunk: bytes | str) -> bytes:
    return chunk if isinstance(chunk, bytes) else chunk.encode()
