"""Reliable consumption: at least once, no second effect, bounded retries, dead letters.

Offsets are committed only after a record is dealt with (FastStream's ACK policy; a failure to
even dead-letter leaves it uncommitted, so it comes again). A record that cannot be parsed or
fails its schema goes to `<topic>.dlt` at once; a handler that keeps failing goes there after
`max_attempts`; either way the partition keeps flowing. Each handled event id is recorded per
consumer, and handlers write their effects under keys derived from the event id, so neither a
redelivery nor a crash between the effect and the record changes anything twice.

A handler that finds an event it must never apply (say, priced by a rule version this service does
not know) raises `Rejected`: the record is dead-lettered at once, without retries. A handler that
keeps state per record (a projection that stores the offset it applied last) reads the record's
place in the log with `current_position()`.
"""

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from pymongo.asynchronous.database import AsyncDatabase

from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import Envelope, MalformedEvent, read_envelope
from shared.messaging.kafka import DEAD_LETTER_SUFFIX
from shared.observability import bind_correlation_id
from shared.persistence.mongo import Document, insert_once

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=IntegrationEvent)
Handler = Callable[[Any, Envelope], Awaitable[None]]

PROCESSED_EVENTS = "processed_events"


class Rejected(Exception):
    """Raised by a handler for an event that can never be applied: dead-lettered at once, never retried."""


@dataclass(frozen=True)
class Position:
    """Where a record sits in the log: the topic as read (prefix included), its partition and offset."""

    topic: str
    partition: int
    offset: int


_position: contextvars.ContextVar[Position | None] = contextvars.ContextVar("record_position", default=None)


def current_position() -> Position | None:
    """The position of the record whose handler is running; None outside a handler."""
    return _position.get()


class ReliableConsumer:
    def __init__(
        self,
        *,
        name: str,
        database: AsyncDatabase[Document],
        broker: KafkaBroker,
        topic_prefix: str = "",
        max_attempts: int = 4,
        retry_backoff_seconds: float = 0.2,
    ) -> None:
        self.name = name
        self.database = database
        self.broker = broker
        self.topic_prefix = topic_prefix
        self.max_attempts = max_attempts
        self.retry_backoff_seconds = retry_backoff_seconds
        self._handlers: dict[str, Handler] = {}
        self._topics: set[str] = set()

    def on(self, contract: type[E], handler: Callable[[E, Envelope], Awaitable[None]]) -> None:
        self._handlers[contract.ce_type] = handler
        self._topics.add(self.topic_prefix + contract.topic)

    @property
    def topics(self) -> list[str]:
        return sorted(self._topics)

    async def ensure_indexes(self) -> None:
        await self.database[PROCESSED_EVENTS].create_index("handled_at")

    async def forget_handled_before(self, cutoff: datetime) -> int:
        """Drop idempotency markers older than any redelivery can be (FerretDB has no TTL index)."""
        result = await self.database[PROCESSED_EVENTS].delete_many({"handled_at": {"$lt": cutoff}})
        return result.deleted_count

    def subscribe(self) -> None:
        """Register one subscriber over every topic this consumer reads (call before broker.start)."""
        if not self._topics:
            return

        async def receive(message: KafkaMessage) -> None:
            await self.handle_record(message.raw_message)

        async def undecoded(message: KafkaMessage) -> bytes:
            # Parsing is ours (read_envelope): a body FastStream failed to decode could not be dead-lettered.
            return message.body

        self.broker.subscriber(
            *self.topics,
            decoder=undecoded,
            group_id=self.name,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            max_records=None,
        )(receive)

    async def handle_record(self, record: ConsumerRecord[bytes, bytes]) -> None:
        headers = dict(record.headers or ())
        try:
            envelope = read_envelope(headers, record.value or b"")
        except MalformedEvent as error:
            await self.dead_letter(record, reason="malformed", error=str(error), attempts=0)
            return
        if envelope is None or envelope.type not in self._handlers:
            return  # an event other consumers subscribe to
        marker = f"{self.name}:{envelope.id}"
        if await self.database[PROCESSED_EVENTS].find_one({"_id": marker}, {"_id": 1}):
            logger.info("skipping redelivered event", extra={"fields": {"event_id": envelope.id}})
            return
        bind_correlation_id(envelope.correlation_id)
        handler = self._handlers[envelope.type]
        for attempt in range(1, self.max_attempts + 1):
            token = _position.set(Position(record.topic, record.partition, record.offset))
            try:
                await handler(envelope.event, envelope)
                break
            except Rejected as error:
                # Retrying cannot help: the event is wrong for this service, not the moment.
                logger.warning("handler rejected the event; dead-lettering: %s", error, extra=_fields(envelope))
                await self.dead_letter(record, reason="rejected", error=str(error), attempts=attempt)
                return
            except Exception as error:
                if attempt == self.max_attempts:
                    logger.exception("handler failed for good; dead-lettering", extra=_fields(envelope))
                    await self.dead_letter(record, reason="handler-failed", error=repr(error), attempts=attempt)
                    return
                delay = self.retry_backoff_seconds * 2 ** (attempt - 1)
                logger.warning("handler failed (attempt %d), retrying in %.2f s: %r", attempt, delay, error)
                await asyncio.sleep(delay)
            finally:
                _position.reset(token)
        await insert_once(
            self.database,
            PROCESSED_EVENTS,
            {"_id": marker, "event_id": envelope.id, "type": envelope.type, "handled_at": datetime.now(UTC)},
        )

    async def dead_letter(
        self, record: ConsumerRecord[bytes, bytes], *, reason: str, error: str, attempts: int
    ) -> None:
        headers = {name: value.decode("utf-8", errors="replace") for name, value in record.headers or ()}
        headers.update(
            {
                "dlt_reason": reason,
                "dlt_error": error[:2000],
                "dlt_consumer": self.name,
                "dlt_original_topic": record.topic,
                "dlt_original_partition": str(record.partition),
                "dlt_original_offset": str(record.offset),
                "dlt_attempts": str(attempts),
                "dlt_failed_at": datetime.now(UTC).isoformat(),
            }
        )
        logger.error("dead-lettered %s:%d@%d: %s", record.topic, record.partition, record.offset, error)
        await self.broker.publish(
            record.value or b"", topic=record.topic + DEAD_LETTER_SUFFIX, key=record.key, headers=headers
        )


def _fields(envelope: Envelope) -> dict[str, Any]:
    return {"fields": {"event_id": envelope.id, "event_type": envelope.type}}
