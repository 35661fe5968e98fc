"""One trace from an HTTP request through the outbox and Kafka to every consumer in other services.

OpenTelemetry with W3C trace context: a request's span is the parent of everything it causes. An event
keeps the `traceparent` of the span that wrote it in its outbox entry (the relay publishes later, outside
that span) and carries it as a Kafka record header; a consumer's span continues it, and the events it writes
carry that span's context on. Spans are exported only when a deployment asks (`tracing_exporter`): `make run`
keeps them in the process and drops them.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
PROPAGATOR = TraceContextTextMapPropagator()
Exporter = Literal["none", "otlp"]


def configure_tracing(service: str, exporter: Exporter = "none", otlp_endpoint: str | None = None) -> None:
    """Install the process's tracer provider once (the first service of a process names its resource).

    Spans are always made, so trace ids reach logs and events; with "otlp" they also go to a collector.
    """
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return  # several services in one process (tests) share one provider
    provider = TracerProvider(resource=Resource.create({"service.name": f"owlery-{service}"}))
    if exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    trace.set_tracer_provider(provider)


def export_to(exporter: SpanExporter) -> None:
    """Also send every span of this process to `exporter` (a test's in-memory one)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        configure_tracing("tests")
        provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider.add_span_processor(SimpleSpanProcessor(exporter))


def tracer(service: str) -> trace.Tracer:
    """The service's tracer: its instrumentation scope names the service, even when services share a process."""
    return trace.get_tracer(f"owlery.{service}")


_RECORD_TRACES: ContextVar[Mapping[str, str] | None] = ContextVar("owlery_record_traces", default=None)
"""In a batch, each correlation id's own record span (as traceparent): what a record causes stays in its trace."""


def current_traceparent(correlation_id: str | None = None) -> str | None:
    """The W3C traceparent to travel with what is written now; None outside any span.

    Inside a batch, an event written for a record (same correlation id) continues that record's span rather
    than the batch's, so a request's trace goes on through every service whichever batch carried it.
    """
    if correlation_id is not None and (own := (_RECORD_TRACES.get() or {}).get(correlation_id)):
        return own
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier.get(TRACEPARENT)


def traceparent_of(span: Span) -> str | None:
    """The W3C traceparent that makes `span` the parent of what receives it."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get(TRACEPARENT)


def current_trace_id() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


def parent_from(traceparent: str | None) -> otel_context.Context | None:
    return PROPAGATOR.extract({TRACEPARENT: traceparent}) if traceparent else None


@dataclass(frozen=True)
class Received:
    """What a consumer span needs of one received record."""

    name: str
    traceparent: str | None
    correlation_id: str | None
    attributes: Mapping[str, str]


@contextmanager
def consuming_batch(service: str, records: Sequence[Received]) -> Iterator[Span]:
    """The span of a batch (continuing the first record's trace, linking the others') and one span per record.

    Each record's span continues its own trace and links the batch's, and what the batch writes for a record
    continues that record's span (by correlation id, see `current_traceparent`).
    """
    with consuming(
        service,
        f"process {len(records)} events",
        [record.traceparent for record in records],
        {"messaging.batch.message_count": str(len(records))},
    ) as batch:
        spans = [
            tracer(service).start_span(
                record.name,
                context=parent_from(record.traceparent) or otel_context.Context(),
                kind=SpanKind.CONSUMER,
                links=[Link(batch.get_span_context())],
                attributes=record.attributes,
            )
            for record in records
        ]
        own: dict[str, str] = {}
        for record, span in zip(records, spans, strict=True):
            if record.correlation_id is not None and (traceparent := traceparent_of(span)):
                own.setdefault(record.correlation_id, traceparent)
        token = _RECORD_TRACES.set(own)
        try:
            yield batch
        finally:
            _RECORD_TRACES.reset(token)
            for span in spans:
                span.end()


@contextmanager
def consuming(service: str, name: str, traceparents: list[str | None], attributes: Mapping[str, str]) -> Iterator[Span]:
    """A consumer span continuing the first record's trace and linking the others' (a batch has one span)."""
    contexts = [parent_from(traceparent) for traceparent in traceparents]
    links = [Link(trace.get_current_span(found).get_span_context()) for found in contexts[1:] if found is not None]
    with tracer(service).start_as_current_span(
        name, context=contexts[0] if contexts else None, kind=SpanKind.CONSUMER, links=links, attributes=attributes
    ) as span:
        yield span
