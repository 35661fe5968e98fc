"""CloudEvents 1.0 in Kafka binary mode: attributes travel as `ce_*` headers, the data is the body.

An `OutboxEvent` is the stored form of one event between the state write and the publish;
`Envelope` is what a consumer reads back from a record.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from shared.contracts.base import IntegrationEvent, contract_for
from shared.tracing import TRACEPARENT, current_traceparent

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
CORRELATION_HEADER = "ce_correlationid"  # CloudEvents extension attribute


class MalformedEvent(Exception):
    """A record that can never be handled: not a CloudEvent, not JSON, or failing its schema."""


@dataclass(frozen=True)
class OutboxEvent:
    """One event waiting in a document's outbox for the relay to publish it."""

    id: str
    type: str
    source: str
    subject: str
    time: datetime
    topic: str
    key: str
    correlation_id: str
    data: dict[str, Any]
    traceparent: str | None = None
    """The W3C trace context of the span that wrote it: the relay publishes later, outside that span."""

    @classmethod
    def of(
        cls, event: IntegrationEvent, *, source: str, correlation_id: str, event_id: str | None = None
    ) -> "OutboxEvent":
        """The event to store in an outbox; `event_id` when its id must derive from what it announces (else new)."""
        return cls(
            id=event_id or str(uuid.uuid4()),
            type=event.ce_type,
            source=source,
            subject=event.key,
            time=datetime.now(UTC),
            topic=event.topic,
            key=event.key,
            correlation_id=correlation_id,
            data=event.model_dump(mode="json"),
            traceparent=current_traceparent(correlation_id),
        )

    def to_document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "subject": self.subject,
            "time": self.time,
            "topic": self.topic,
            "key": self.key,
            "correlation_id": self.correlation_id,
            "data": self.data,
            "traceparent": self.traceparent,
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "OutboxEvent":
        time = document["time"]
        if time.tzinfo is None:  # BSON dates come back naive, in UTC
            time = time.replace(tzinfo=UTC)
        return cls(**{**document, "time": time})

    def headers(self) -> dict[str, str]:
        trace = {TRACEPARENT: self.traceparent} if self.traceparent else {}
        return trace | {
            "ce_id": self.id,
            "ce_source": self.source,
            "ce_specversion": SPEC_VERSION,
            "ce_type": self.type,
            "ce_time": self.time.isoformat().replace("+00:00", "Z"),
            "ce_subject": self.subject,
            "content-type": CONTENT_TYPE,
            CORRELATION_HEADER: self.correlation_id,
        }

    def body(self) -> bytes:
        return json.dumps(self.data, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Envelope:
    """A received event: its CloudEvents attributes and its validated data."""

    id: str
    type: str
    source: str
    subject: str | None
    time: str | None
    correlation_id: str | None
    event: IntegrationEvent
    traceparent: str | None = None


def header_text(headers: dict[str, Any], name: str) -> str | None:
    value = headers.get(name)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if value is None or isinstance(value, str) else str(value)


def read_envelope(headers: dict[str, Any], body: bytes) -> Envelope | None:
    """Parse a record; None for a well-formed event of a type this code does not know (someone else's)."""
    ce_id, ce_type, ce_source = (header_text(headers, name) for name in ("ce_id", "ce_type", "ce_source"))
    missing = [name for name, value in (("ce_id", ce_id), ("ce_type", ce_type), ("ce_source", ce_source)) if not value]
    if missing:
        raise MalformedEvent(f"not a CloudEvent: missing header(s) {', '.join(missing)}")
    assert ce_id
    assert ce_type
    assert ce_source
    if header_text(headers, "ce_specversion") != SPEC_VERSION:
        raise MalformedEvent(f"unsupported ce_specversion {header_text(headers, 'ce_specversion')!r}")
    contract = contract_for(ce_type)
    if contract is None:
        return None
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedEvent(f"body is not JSON: {error}") from error
    try:
        event = contract.model_validate(data)
    except ValidationError as error:
        fields = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<body>'}: {e['msg']}" for e in error.errors())
        raise MalformedEvent(f"{ce_type} fails its schema: {fields}") from error
    return Envelope(
        id=ce_id,
        type=ce_type,
        source=ce_source,
        subject=header_text(headers, "ce_subject"),
        time=header_text(headers, "ce_time"),
        correlation_id=header_text(headers, CORRELATION_HEADER),
        event=event,
        traceparent=header_text(headers, TRACEPARENT),
    )
