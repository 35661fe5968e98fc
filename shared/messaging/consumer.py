"""Reliable consumption: at least once, no second effect, bounded retries, dead letters.

Records arrive in batches; offsets are committed only after every record of a batch is dealt with
(FastStream's ACK policy; a failure to even dead-letter leaves the batch uncommitted, so it comes
again). A record that cannot be parsed or fails its schema goes to `<topic>.dlt` at once; a handler
that keeps failing goes there after `max_attempts`; either way the partition keeps flowing. Each
handled event id is recorded per consumer, and handlers write their effects under keys derived from
the event id, so neither a redelivery nor a crash between the effect and the record changes anything
twice.

A handler that finds an event it must never apply (say, priced by a rule version this service does
not know) raises `Rejected`: the record is dead-lettered at once, without retries. A handler that
keeps state per record (a projection that stores the offset it applied last) reads the record's
place in the log with `current_position()`. A handler registered with `on_batch` gets a run of
consecutive records at once, to apply them in a few round trips instead of a few per record.
"""

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from pymongo.asynchronous.database import AsyncDatabase

from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import Envelope, MalformedEvent, header_text, read_envelope
from shared.messaging.kafka import DEAD_LETTER_SUFFIX
from shared.metrics import EVENTS_CONSUMED, EVENTS_DEAD_LETTERED, EVENTS_RETRIED
from shared.observability import bind_correlation_id
from shared.persistence.mongo import Document, in_batches, insert_new
from shared.tracing import Received, consuming, consuming_batch

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


@dataclass(frozen=True)
class Delivery:
    """One record's event and where it sits, as a batch handler gets it."""

    event: Any
    envelope: Envelope
    position: Position


BatchHandler = Callable[[list[Delivery]], Awaitable[None]]

BATCH = 500
"""Records handed over at most per batch."""
BATCH_WAIT_MS = 100
"""How long an idle consumer waits for records before polling again."""

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
        service: str | None = None,
    ) -> None:
        self.name = name
        self.service = service or name
        """The service's name in spans and metrics (the group's name may carry a deployment's suffix)."""
        self.database = database
        self.broker = broker
        self.topic_prefix = topic_prefix
        self.max_attempts = max_attempts
        self.retry_backoff_seconds = retry_backoff_seconds
        self._handlers: dict[str, Handler] = {}
        self._batch_handlers: dict[str, BatchHandler] = {}
        self._unmarked: set[str] = set()
        self._topics: set[str] = set()

    def on(self, contract: type[E], handler: Callable[[E, Envelope], Awaitable[None]]) -> None:
        self._handlers[contract.ce_type] = handler
        self._topics.add(self.topic_prefix + contract.topic)

    def on_batch(
        self, contracts: Iterable[type[IntegrationEvent]], handler: BatchHandler, *, marked: bool = True
    ) -> None:
        """Apply consecutive records of these events together: `handler` gets them in log order.

        It must be as safe to run twice as a per-record handler. When it fails for good (or raises
        `Rejected`), the records are applied one by one through it, so only the bad one is dead-lettered.
        `marked=False` keeps no handled-event markers for them: for a handler whose every effect is keyed
        by the event, so applying one again costs a little work and changes nothing, saving two writes.
        """

        async def one(event: IntegrationEvent, envelope: Envelope) -> None:
            position = current_position()
            assert position is not None
            await handler([Delivery(event, envelope, position)])

        for contract in contracts:
            self.on(contract, one)
            self._batch_handlers[contract.ce_type] = handler
            if not marked:
                self._unmarked.add(contract.ce_type)

    @property
    def topics(self) -> list[str]:
        return sorted(self._topics)

    @property
    def handled_types(self) -> list[str]:
        """The CloudEvents types this consumer handles (what its service's AsyncAPI document says it receives)."""
        return sorted(self._handlers)

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
            await self.handle_batch(message.raw_message)

        async def undecoded(message: KafkaMessage) -> Any:
            # Parsing is ours (read_envelope): a body FastStream failed to decode could not be dead-lettered.
            return message.body

        # Records come in batches (as many as have arrived, up to BATCH): one read of the markers and one
        # write of them per batch, and batch handlers apply a run of records in a few round trips.
        self.broker.subscriber(
            *self.topics,
            batch=True,
            max_records=BATCH,
            batch_timeout_ms=BATCH_WAIT_MS,
            decoder=undecoded,
            group_id=self.name,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
        )(receive)

    async def handle_record(self, record: ConsumerRecord[bytes, bytes]) -> None:
        await self.handle_batch([record])

    async def handle_batch(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        """Deal with records in log order: each is applied once, dead-lettered, or skipped as not ours."""
        arrived: list[tuple[ConsumerRecord[bytes, bytes], Envelope]] = []
        for record in records:
            try:
                envelope = read_envelope(dict(record.headers or ()), record.value or b"")
            except MalformedEvent as error:
                await self.dead_letter(record, reason="malformed", error=str(error), attempts=0)
                continue
            if envelope is not None and envelope.type in self._handlers:
                arrived.append((record, envelope))  # else an event other consumers subscribe to
            elif envelope is None and (version := self._unknown_version_of_ours(record)) is not None:
                # A version of an event we handle that no contract here declares: a producer moved ahead of
                # us (or a record was forged). Kept in the dead-letter topic until we can read it, not dropped.
                await self.dead_letter(
                    record, reason="unknown-version", error=f"no contract for {version} here", attempts=0
                )
        seen = await self._handled_before([self._marker(e) for _, e in arrived if e.type not in self._unmarked])
        fresh: list[tuple[ConsumerRecord[bytes, bytes], Envelope]] = []
        for record, envelope in arrived:
            if self._marker(envelope) in seen:
                logger.info("skipping redelivered event", extra={"fields": {"event_id": envelope.id}})
                EVENTS_CONSUMED.labels(self.service, envelope.type, "duplicate").inc()
                continue
            seen.add(self._marker(envelope))  # the same event twice in one batch is applied once
            fresh.append((record, envelope))
        handled: list[Envelope] = []
        for run in self._runs(fresh):
            handled.extend(await self._apply_run(run))
        for envelope in handled:
            EVENTS_CONSUMED.labels(self.service, envelope.type, "handled").inc()
        now = datetime.now(UTC)
        await insert_new(
            self.database,
            PROCESSED_EVENTS,
            [
                {"_id": self._marker(envelope), "event_id": envelope.id, "type": envelope.type, "handled_at": now}
                for envelope in handled
                if envelope.type not in self._unmarked
            ],
        )

    def _unknown_version_of_ours(self, record: ConsumerRecord[bytes, bytes]) -> str | None:
        """The record's event type if it is another version of an event this consumer handles, else None."""
        ce_type = header_text(dict(record.headers or ()), "ce_type") or ""
        name, dot_v, version = ce_type.rpartition(".v")
        if not dot_v or not version.isdigit():
            return None
        return ce_type if any(handled.rpartition(".v")[0] == name for handled in self._handlers) else None

    def _marker(self, envelope: Envelope) -> str:
        return f"{self.name}:{envelope.id}"

    async def _handled_before(self, markers: list[str]) -> set[str]:
        seen: set[str] = set()
        for ids in in_batches(markers):
            # A filter on _id alone: the launcher's FerretDB reads these through its index.
            async for found in self.database[PROCESSED_EVENTS].find({"_id": {"$in": ids}}, {"_id": 1}):
                seen.add(found["_id"])
        return seen

    def _runs(
        self, arrived: list[tuple[ConsumerRecord[bytes, bytes], Envelope]]
    ) -> Iterator[list[tuple[ConsumerRecord[bytes, bytes], Envelope]]]:
        """Consecutive records for one batch handler go together; any other record alone, order kept."""
        run: list[tuple[ConsumerRecord[bytes, bytes], Envelope]] = []
        for item in arrived:
            handler = self._batch_handlers.get(item[1].type)
            if run and (handler is None or handler is not self._batch_handlers.get(run[0][1].type)):
                yield run
                run = []
            run.append(item)
            if handler is None:
                yield run
                run = []
        if run:
            yield run

    async def _apply_run(self, run: list[tuple[ConsumerRecord[bytes, bytes], Envelope]]) -> list[Envelope]:
        """Apply a run of records; the envelopes of those applied (not dead-lettered)."""
        batch_handler = self._batch_handlers.get(run[0][1].type)
        if batch_handler is not None and len(run) > 1:
            deliveries = [Delivery(envelope.event, envelope, _position_of(record)) for record, envelope in run]
            received = [
                Received(
                    f"process {envelope.type}", envelope.traceparent, envelope.correlation_id, _span_fields(envelope)
                )
                for _, envelope in run
            ]
            for attempt in range(1, self.max_attempts + 1):
                try:
                    # One span for the run, and one per record in its own trace (see consuming_batch).
                    with consuming_batch(self.service, received):
                        await batch_handler(deliveries)
                    return [envelope for _, envelope in run]
                except Rejected:
                    break  # one of them can never be applied: find it below
                except Exception as error:
                    if attempt == self.max_attempts:
                        break
                    for _, envelope in run:
                        EVENTS_RETRIED.labels(self.service, envelope.type).inc()
                    delay = self.retry_backoff_seconds * 2 ** (attempt - 1)
                    logger.warning("batch handler failed (attempt %d), retrying in %.2f s: %r", attempt, delay, error)
                    await asyncio.sleep(delay)
            logger.warning("batch of %d failed; applying its records one by one", len(run))
        # One by one, each with its own retries: a record that keeps failing is dead-lettered alone.
        return [envelope for record, envelope in run if await self._apply_one(record, envelope)]

    async def _apply_one(self, record: ConsumerRecord[bytes, bytes], envelope: Envelope) -> bool:
        bind_correlation_id(envelope.correlation_id)
        handler = self._handlers[envelope.type]
        for attempt in range(1, self.max_attempts + 1):
            token = _position.set(_position_of(record))
            try:
                with consuming(
                    self.service, f"process {envelope.type}", [envelope.traceparent], _span_fields(envelope)
                ):
                    await handler(envelope.event, envelope)
                return True
            except Rejected as error:
                # Retrying cannot help: the event is wrong for this service, not the moment.
                logger.warning("handler rejected the event; dead-lettering: %s", error, extra=_fields(envelope))
                await self.dead_letter(record, reason="rejected", error=str(error), attempts=attempt)
                return False
            except Exception as error:
                if attempt == self.max_attempts:
                    logger.exception("handler failed for good; dead-lettering", extra=_fields(envelope))
                    await self.dead_letter(record, reason="handler-failed", error=repr(error), attempts=attempt)
                    return False
                EVENTS_RETRIED.labels(self.service, envelope.type).inc()
                delay = self.retry_backoff_seconds * 2 ** (attempt - 1)
                logger.warning("handler failed (attempt %d), retrying in %.2f s: %r", attempt, delay, error)
                await asyncio.sleep(delay)
            finally:
                _position.reset(token)
        return False

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
        EVENTS_DEAD_LETTERED.labels(self.service, headers.get("ce_type", "unknown"), reason).inc()
        await self.broker.publish(
            record.value or b"", topic=record.topic + DEAD_LETTER_SUFFIX, key=record.key, headers=headers
        )


def _position_of(record: ConsumerRecord[bytes, bytes]) -> Position:
    return Position(record.topic, record.partition, record.offset)


def _span_fields(envelope: Envelope) -> dict[str, str]:
    return {"messaging.system": "kafka", "messaging.message.id": envelope.id, "cloudevents.event_type": envelope.type}


def _fields(envelope: Envelope) -> dict[str, Any]:
    return {"fields": {"event_id": envelope.id, "event_type": envelope.type}}
