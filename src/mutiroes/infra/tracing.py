"""OpenTelemetry traces: one trace from the gateway's request to the e-mail an actor sends.

A trace starts where work enters the platform: an HTTP request (the gateway's ``traceparent``, or a new one), a
message with no context, a scheduler firing. Django, psycopg and redis-py are instrumented; the context crosses
the outbox in the row (``OutboxMessage.trace_context``) and the broker in the message's options
(``trace_context``, W3C ``traceparent``/``tracestate``), and the actor's span is the parent of its database and
SMTP spans.

Off unless configured (``settings.TRACING_ENABLED``): the embedded mode exports nothing by default. The exporter
reads the standard OTEL_* variables itself (``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_HEADERS``,
``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``...). Without the SDK every call here is a cheap no-op.
"""

import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

logger = logging.getLogger(__name__)
TRACER = "mutiroes"
OPTION = "trace_context"  # the Dramatiq message option that carries the context across the broker
_lock = threading.Lock()
_instrumented = False


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER)


def carrier() -> dict[str, str]:
    """The current context as W3C headers (``traceparent``, ``tracestate``); empty outside any sampled span."""
    headers: dict[str, str] = {}
    if trace.get_current_span().get_span_context().is_valid:
        propagate.inject(headers)
    return headers


@contextlib.contextmanager
def span(name: str, *, parent: Mapping[str, str] | None = None, kind: SpanKind = SpanKind.INTERNAL,
         attributes: dict[str, Any] | None = None) -> Iterator[trace.Span]:  # fmt: skip
    """A span, child of ``parent`` (a carrier) when given, else of the current span; errors are recorded on it."""
    parent_context = propagate.extract(dict(parent)) if parent else None
    with tracer().start_as_current_span(name, context=parent_context, kind=kind, attributes=attributes) as current:
        yield current


def setup(service: str) -> None:
    """Install the SDK's tracer provider and the instrumentations once per process (``CoreConfig.ready``)."""
    from django.conf import settings

    if not settings.TRACING_ENABLED:
        return
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    # OTEL_SERVICE_NAME, when set, wins over the process's own name (Resource.create reads it).
    resource = Resource.create({} if settings.OTEL_SERVICE_NAME else {SERVICE_NAME: service})
    provider = TracerProvider(resource=resource, sampler=sampler())
    if settings.TRACES_EXPORTER == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif settings.TRACES_EXPORTER == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    instrument(provider)
    logger.info("tracing on: %s spans exported by %s", resource.attributes.get(SERVICE_NAME), settings.TRACES_EXPORTER)


def instrument(provider: trace.TracerProvider) -> None:
    """Django (server spans, the incoming traceparent), psycopg and redis-py (client spans)."""
    global _instrumented
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    with _lock:
        if _instrumented:
            return
        DjangoInstrumentor().instrument(tracer_provider=provider, is_sql_commentor_enabled=False)
        PsycopgInstrumentor().instrument(tracer_provider=provider, enable_commenter=False, skip_dep_check=True)
        RedisInstrumentor().instrument(tracer_provider=provider)
        _instrumented = True


def uninstrument() -> None:
    global _instrumented
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    with _lock:
        for instrumentor in (DjangoInstrumentor(), PsycopgInstrumentor(), RedisInstrumentor()):
            instrumentor.uninstrument()
        _instrumented = False


def sampler() -> Any:
    """Children follow their parent; a root span is kept only where work enters (request, message, firing).

    Without this, every background poll (the relay's query, the worker's Redis fetch, the leader's heartbeat) would
    be a trace of its own.
    """
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased, Sampler

    class EntryPoints(Sampler):
        def should_sample(self, parent_context: Any, trace_id: int, name: str, kind: SpanKind | None = None,
                          attributes: Any = None, links: Sequence[Any] | None = None) -> Any:  # fmt: skip
            entry = kind in (SpanKind.SERVER, SpanKind.CONSUMER, SpanKind.PRODUCER)
            chosen = ALWAYS_ON if entry else ALWAYS_OFF
            return chosen.should_sample(parent_context, trace_id, name, kind, attributes, links)

        def get_description(self) -> str:
            return "EntryPoints"

    return ParentBased(root=EntryPoints())


def record_failure(current: trace.Span, exc: BaseException) -> None:
    current.record_exception(exc)
    current.set_status(Status(StatusCode.ERROR, type(exc).__name__))


def attach(current: trace.Span) -> object:
    return context.attach(trace.set_span_in_context(current))


def detach(token: object) -> None:
    context.detach(token)
