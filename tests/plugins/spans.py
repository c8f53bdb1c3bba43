"""The process's spans in the SDK's in-memory exporter, for the tests of the traces (the `spans` fixture).

The process's tracer provider can be set once, so the session holds one; a test that asks for `spans` opens the
gate to the exporter and has Django, psycopg and redis-py instrumented until it ends.
"""

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from mutiroes.infra import tracing


class _Gate(SpanProcessor):
    """The process's tracer provider can be set once: spans reach the exporter only while a test holds the gate."""

    def __init__(self, inner: SpanProcessor) -> None:
        self.inner, self.open = inner, False

    def on_end(self, span: ReadableSpan) -> None:
        if self.open:
            self.inner.on_end(span)


@pytest.fixture(scope="session")
def _provider() -> tuple[TracerProvider, _Gate, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    gate = _Gate(SimpleSpanProcessor(exporter))
    provider = TracerProvider(sampler=tracing.sampler())
    provider.add_span_processor(gate)
    trace.set_tracer_provider(provider)
    return provider, gate, exporter


@pytest.fixture
def spans(_provider) -> Iterator[InMemorySpanExporter]:
    provider, gate, exporter = _provider
    tracing.instrument(provider)
    exporter.clear()
    gate.open = True
    yield exporter
    gate.open = False
    tracing.uninstrument()
    exporter.clear()
