"""One join, one trace: the API's request, its queries, the outbox row, the relay, the broker (real Redis), the
actor and its SMTP call (real SMTP sink), all under the trace id the gateway sent in `traceparent`.

This process's spans are collected by the SDK's in-memory exporter. The first test runs the worker in this process
(a Dramatiq worker on the same Redis broker and middleware stack that `mutiroes worker` builds), so the whole
trace is in one exporter; the second runs a real `mutiroes worker` process configured only by OTEL_* variables,
which exports its spans over OTLP/HTTP to a receiver in this test.
"""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dramatiq
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from mutiroes.infra.broker import get_broker
from mutiroes.jobs.models import OutboxMessage
from tests.support.polling import wait_for
from tests.support.processes import LOOPBACK

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
GATEWAY_PARENT = "00f067aa0ba902b7"


@pytest.fixture
def worker(redis_server, use_broker) -> Iterator[dramatiq.Worker]:
    """A worker thread pool on a Redis broker, with the actors the process declared on its first broker."""
    import mutiroes.jobs.actors  # noqa: F401 - declares them (on the process's broker) if nothing did yet

    declared = list(get_broker().actors.values())
    broker = use_broker(redis_server)
    for actor in declared:
        broker.actors.setdefault(actor.actor_name, actor)
        broker.declare_queue(actor.queue_name)
    running = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    running.start()
    yield running
    running.stop()


def test_one_join_is_one_trace_from_the_request_to_the_smtp_call(
    spans, api_client, user_factory, event_factory, slow_smtp_server, worker
):
    event = event_factory(max_participants=10)
    volunteer = user_factory()

    response = api_client.post(
        f"/api/v1/events/{event.pk}/join", user=volunteer,
        headers={"traceparent": f"00-{TRACE_ID}-{GATEWAY_PARENT}-01"},
    )  # fmt: skip

    assert response.status_code == 201, response.content
    wait_for(lambda: len(slow_smtp_server.messages) >= 1, timeout_s=30, what="the registration e-mail")
    wait_for(lambda: any(s.name == "smtp send" and s.end_time for s in spans.get_finished_spans()), timeout_s=10,
         what="the SMTP span")  # fmt: skip
    wait_for(lambda: any(s.kind == SpanKind.CONSUMER for s in spans.get_finished_spans()), timeout_s=10,
         what="the actor's span ended")  # fmt: skip
    finished = spans.get_finished_spans()
    in_trace = [s for s in finished if format(s.context.trace_id, "032x") == TRACE_ID]
    by_id = {s.context.span_id: s for s in in_trace}

    [request] = [s for s in in_trace if s.kind == SpanKind.SERVER]
    assert format(request.parent.span_id, "016x") == GATEWAY_PARENT and request.parent.is_remote
    assert request.attributes.get("http.response.status_code", request.attributes.get("http.status_code")) == 201
    assert any(s.attributes.get("db.system") == "postgresql" and _descends(s, request, by_id) for s in in_trace)
    [relay] = [s for s in in_trace if s.kind == SpanKind.PRODUCER]
    assert relay.name == "send_event_notification_email relay" and _descends(relay, request, by_id)
    assert any(s.attributes.get("db.system") == "redis" and _descends(s, relay, by_id) for s in in_trace)
    [actor] = [s for s in in_trace if s.kind == SpanKind.CONSUMER]
    assert actor.name == "send_event_notification_email process" and actor.parent.span_id == relay.context.span_id
    [smtp] = [s for s in in_trace if s.name == "smtp send"]
    assert smtp.parent.span_id == actor.context.span_id and smtp.attributes["server.port"] == slow_smtp_server.port
    assert any(s.attributes.get("db.system") == "postgresql" and _descends(s, actor, by_id) for s in in_trace)
    # Nothing of this join went into another trace, and the row keeps the context it was written in.
    assert not [s for s in finished if s not in in_trace and s.kind in (SpanKind.CONSUMER, SpanKind.PRODUCER)]
    [row] = OutboxMessage.objects.all()
    assert row.trace_context["traceparent"].startswith(f"00-{TRACE_ID}-")


def test_a_request_without_traceparent_starts_its_own_trace(spans, api_client, user_factory, event_factory):
    event = event_factory(max_participants=10)

    assert api_client.post(f"/api/v1/events/{event.pk}/join", user=user_factory()).status_code == 201

    [request] = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert request.parent is None
    [row] = OutboxMessage.objects.all()
    assert row.trace_context["traceparent"].startswith(f"00-{format(request.context.trace_id, '032x')}-")


class _OtlpReceiver(ThreadingHTTPServer):
    """What a collector's OTLP/HTTP receiver does, for the test: decode each export and keep its spans."""

    def __init__(self) -> None:
        super().__init__((LOOPBACK, 0), _OtlpHandler)
        self.spans: list[tuple[str, object]] = []  # (service.name, protobuf span)

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}"


class _OtlpHandler(BaseHTTPRequestHandler):
    server: _OtlpReceiver

    def do_POST(self) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
            ExportTraceServiceResponse,
        )

        export = ExportTraceServiceRequest.FromString(self.rfile.read(int(self.headers["Content-Length"])))
        for resource_spans in export.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope in resource_spans.scope_spans:
                self.server.spans += [(attributes.get("service.name", ""), span) for span in scope.spans]
        body = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def otlp_receiver() -> Iterator[_OtlpReceiver]:
    receiver = _OtlpReceiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    yield receiver
    receiver.shutdown()
    receiver.server_close()


def test_a_worker_process_continues_the_trace_and_exports_it_over_otlp(
    spans, api_client, user_factory, event_factory, redis_server, redis_broker, smtp_server, workers, otlp_receiver
):
    otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}
    workers.start(redis_url=redis_server.url(), smtp_port=smtp_server.port, extra_env=otel)
    event = event_factory(max_participants=10)

    response = api_client.post(
        f"/api/v1/events/{event.pk}/join", user=user_factory(),
        headers={"traceparent": f"00-{TRACE_ID}-{GATEWAY_PARENT}-01"},
    )  # fmt: skip

    assert response.status_code == 201, response.content
    wait_for(
        lambda: any(s.name == "smtp send" for _, s in otlp_receiver.spans), timeout_s=30, what="the worker's spans"
    )
    [relay] = [s for s in spans.get_finished_spans() if s.kind == SpanKind.PRODUCER]
    exported = {
        span.span_id: (service, span) for service, span in otlp_receiver.spans if span.trace_id.hex() == TRACE_ID
    }
    [(service, actor)] = [(sv, s) for sv, s in exported.values() if s.name == "send_event_notification_email process"]
    assert service == "mutiroes-worker" and actor.parent_span_id == relay.context.span_id.to_bytes(8, "big")
    [(_, smtp)] = [(sv, s) for sv, s in exported.values() if s.name == "smtp send"]
    assert smtp.parent_span_id == actor.span_id
    assert any(s.parent_span_id == actor.span_id and s.name != "smtp send" for _, s in exported.values()), "no query"


def _descends(span: ReadableSpan, ancestor: ReadableSpan, by_id: dict[int, ReadableSpan]) -> bool:
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        if span is ancestor:
            return True
    return False
