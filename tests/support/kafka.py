"""Reading and writing real Kafka topics from tests."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import OutboxEvent
from shared.messaging.consumer import ReliableConsumer
from shared.messaging.kafka import partitions_of

T = TypeVar("T")


async def read_topic(
    bootstrap: str, topic: str, *, at_least: int, timeout: float = 30.0, settle: float = 1.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of a topic from the start: waits for `at_least`, then `settle` more seconds for extras."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        deadline = time.monotonic() + timeout
        partitions: list[int] = []
        while not partitions and time.monotonic() < deadline:
            partitions = await partitions_of(bootstrap, topic)
            if not partitions:
                await asyncio.sleep(0.2)
        if not partitions:
            raise AssertionError(f"topic {topic} never appeared")
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        settled_at: float | None = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for rows in batch.values():
                records.extend(rows)
            if len(records) >= at_least:
                settled_at = settled_at or time.monotonic()
                if time.monotonic() - settled_at >= settle:
                    break
    finally:
        await consumer.stop()
    return records


async def produce(bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes, dict[str, str]]]) -> None:
    """Send (key, value, headers) records and wait until Kafka has them all."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value, key=key, headers=[(k, v.encode()) for k, v in headers.items()])
            for key, value, headers in records
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def cloud_event_record(event: OutboxEvent) -> tuple[bytes, bytes, dict[str, str]]:
    return event.key.encode(), event.body(), event.headers()


def header(record: ConsumerRecord[Any, Any], name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return bytes(value).decode()
    return None


async def eventually(probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], timeout: float = 10.0) -> T:
    """Poll `probe` until `accept` holds; fail with the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last value: {value!r}")
        await asyncio.sleep(0.1)


def record_of(outbox: OutboxEvent, topic: str, partition: int = 0, offset: int = 0) -> ConsumerRecord[bytes, bytes]:
    """The record Kafka would deliver for this event at this position."""
    key, value, headers = cloud_event_record(outbox)
    return ConsumerRecord(
        topic=topic,
        partition=partition,
        offset=offset,
        timestamp=int(time.time() * 1000),
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=len(value),
        headers=[(name, text.encode()) for name, text in headers.items()],
    )


async def deliver(consumer: ReliableConsumer, event: IntegrationEvent | OutboxEvent, source: str = "") -> None:
    """Hand a service's consumer the record Kafka would deliver for this event, without a broker round trip.

    An `OutboxEvent` is delivered as it is (its id stays the same on every delivery); an integration event
    is wrapped in a fresh one from `source`.
    """
    outbox = event if isinstance(event, OutboxEvent) else OutboxEvent.of(event, source=source, correlation_id="test")
    await consumer.handle_record(record_of(outbox, consumer.topic_prefix + outbox.topic))


async def caught_up(bootstrap: str, group: str, topics: list[str]) -> bool:
    """True once the consumer group has committed every record now in `topics` (it has handled them all)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        partitions = [TopicPartition(topic, p) for topic in topics for p in await partitions_of(bootstrap, topic)]
        ends = await consumer.end_offsets(partitions)
        return all(ends[tp] == 0 or (tp in committed and committed[tp].offset >= ends[tp]) for tp in partitions)
    finally:
        await consumer.stop()
        await admin.close()


async def group_members(bootstrap: str, group: str) -> dict[str, list[tuple[str, int]]]:
    """Each live member of the consumer group with the topic partitions assigned to it."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        members: dict[str, list[tuple[str, int]]] = {}
        for response in await admin.describe_consumer_groups([group]):
            for described in response.to_object()["groups"]:
                for member in described["members"]:
                    raw = member["member_assignment"]
                    assignment = ConsumerProtocolMemberAssignment.decode(raw).assignment if raw else []
                    members[member["member_id"]] = sorted(
                        (topic, partition) for topic, partitions in assignment for partition in partitions
                    )
        return members
    finally:
        await admin.close()
