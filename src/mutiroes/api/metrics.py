"""The API's request metrics (a middleware) and its /metrics view (served on the replica's own port only).

Routes are labelled by their URL template (``api/v1/events/<event_id>/join``), never by the path a
client sent: ids and free text would make a series per user. Unmatched paths share one label.
"""

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse

from mutiroes.infra import metrics

METRICS_PATH = "/metrics"
UNMATCHED = "unmatched"


class _QueryMeter:
    """Counts and times the SQL a request runs, on every database alias (primary and replica)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else UNMATCHED


class RequestMetricsMiddleware:
    """Outermost: the latency includes every other middleware; a 429 from anywhere counts as throttled."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == METRICS_PATH:
            return self.get_response(request)
        meter = _QueryMeter()
        started = time.perf_counter()
        metrics.HTTP_IN_FLIGHT.inc()
        try:
            with ExitStack() as stack:
                for connection in connections.all():
                    stack.enter_context(connection.execute_wrapper(meter))
                response = self.get_response(request)
        finally:
            metrics.HTTP_IN_FLIGHT.dec()
        route = route_of(request)
        metrics.HTTP_DURATION.labels(route, request.method).observe(time.perf_counter() - started)
        metrics.HTTP_REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        metrics.DB_QUERIES.labels(route).observe(meter.count)
        metrics.DB_SECONDS.labels(route).observe(meter.seconds)
        if response.status_code == 429:
            metrics.THROTTLED.labels(route).inc()
        return response


def metrics_view(request: HttpRequest) -> HttpResponse:
    body, content_type = metrics.render(metrics.registry())
    return HttpResponse(body, content_type=content_type)
