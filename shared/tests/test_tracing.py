"""Trace context through a consumer's batch: what a batch writes for a record stays in that record's trace."""

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared.contracts.enrolment import ApplicationEnrolledV1
from shared.messaging.cloudevents import OutboxEvent
from shared.tracing import Received, consuming_batch, export_to, tracer

SPANS = InMemorySpanExporter()
export_to(SPANS)


def enrolled(person_id: str) -> ApplicationEnrolledV1:
    return ApplicationEnrolledV1(
        application_id=f"a-{person_id}",
        course_id="c1",
        course_title="Трассировка",
        cohort_id="k1",
        person_id=person_id,
        locale="en",
    )


def trace_of(traceparent: str | None) -> str:
    assert traceparent is not None
    return traceparent.split("-")[1]


def test_an_event_written_in_a_batch_continues_the_trace_of_the_record_that_caused_it() -> None:
    # Two requests in two traces; their events reach a consumer in one batch.
    with tracer("enrolment").start_as_current_span("POST first"):
        first = OutboxEvent.of(enrolled("boris"), source="/owlery/enrolment", correlation_id="request-1")
    with tracer("enrolment").start_as_current_span("POST second"):
        second = OutboxEvent.of(enrolled("anna"), source="/owlery/enrolment", correlation_id="request-2")
    assert trace_of(first.traceparent) != trace_of(second.traceparent)
    SPANS.clear()

    records = [
        Received(f"process {event.type}", event.traceparent, event.correlation_id, {"messaging.message.id": event.id})
        for event in (first, second)
    ]
    with consuming_batch("gamification", records) as batch:
        points_for_anna = OutboxEvent.of(enrolled("anna"), source="/owlery/gamification", correlation_id="request-2")
        unrelated = OutboxEvent.of(enrolled("vera"), source="/owlery/gamification", correlation_id="request-9")

    # Anna's points go on in her request's trace, not in the first record's (which the batch span continues).
    assert trace_of(points_for_anna.traceparent) == trace_of(second.traceparent)
    # Something no record of the batch caused continues the batch span.
    assert trace_of(unrelated.traceparent) == format(batch.get_span_context().trace_id, "032x")
    assert trace_of(first.traceparent) == format(batch.get_span_context().trace_id, "032x")

    finished = SPANS.get_finished_spans()
    per_record = [span for span in finished if span.name == f"process {second.type}" and span.context is not None]
    assert sorted(format(span.context.trace_id, "032x") for span in per_record if span.context) == sorted(
        trace_of(event.traceparent) for event in (first, second)
    )
    assert all(span.kind is SpanKind.CONSUMER for span in per_record)
    assert all(link.context.span_id == batch.get_span_context().span_id for span in per_record for link in span.links)
    # Anna's event's parent is her record's span.
    anna_span = next(
        span
        for span in per_record
        if span.context and trace_of(second.traceparent) == format(span.context.trace_id, "032x")
    )
    assert anna_span.context is not None
    assert points_for_anna.traceparent is not None
    assert points_for_anna.traceparent.split("-")[2] == format(anna_span.context.span_id, "016x")


def test_outside_a_batch_an_event_continues_the_current_span() -> None:
    with tracer("enrolment").start_as_current_span("POST") as span:
        event = OutboxEvent.of(enrolled("anna"), source="/owlery/enrolment", correlation_id="request-2")
    assert trace_of(event.traceparent) == format(span.get_span_context().trace_id, "032x")
