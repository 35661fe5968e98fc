"""The versioned store and the outbox relay under contention, on the real MongoDB-wire server and Kafka."""

import asyncio
import json
from datetime import UTC, datetime

from shared.concurrency import retry_on_conflict
from shared.messaging.cloudevents import OutboxEvent
from shared.messaging.kafka import KafkaEventPublisher, build_broker, ensure_topics
from shared.messaging.outbox import OutboxRelay
from shared.persistence.mongo import connect
from shared.persistence.versioned import PUBLISHED, VersionedStore
from tests.support.infra import Servers
from tests.support.kafka import eventually, header, read_topic

WRITERS = 20
INCREMENTS = 50


def incremented(counter_id: str, value: int) -> OutboxEvent:
    return OutboxEvent(
        id=f"{counter_id}-{value}",
        type="com.owlery.test.counter.incremented.v1",
        source="/owlery/tests",
        subject=counter_id,
        time=datetime.now(UTC),
        topic="counter",
        key=counter_id,
        correlation_id="test",
        data={"counter_id": counter_id, "value": value},
    )


async def test_twenty_writers_each_incrementing_fifty_times_end_at_exactly_one_thousand(
    servers: Servers, unique_name: str
) -> None:
    client = connect(servers.mongodb_url)
    database = client[unique_name]
    prefix = f"{unique_name}."
    await ensure_topics(servers.kafka_bootstrap, [prefix + "counter"], partitions=3)
    broker = build_broker(servers.kafka_bootstrap, client_id=unique_name)
    await broker.start()
    relay = OutboxRelay(database, ["counters_commits"], KafkaEventPublisher(broker, prefix), sweep_seconds=1.0)
    store = VersionedStore(database, "counters", on_commit=relay.notify)
    await store.ensure_indexes()
    await relay.start()
    try:
        await store.commit("counter-1", 0, {"value": 0}, [])

        async def increment() -> None:
            loaded = await store.load("counter-1")
            assert loaded is not None
            value = loaded.state["value"] + 1
            await store.commit("counter-1", loaded.version, {"value": value}, [incremented("counter-1", value)])

        async def writer() -> None:
            for _ in range(INCREMENTS):
                await retry_on_conflict(increment, attempts=1000)

        await asyncio.gather(*(writer() for _ in range(WRITERS)))

        final = await store.load("counter-1")
        assert final is not None
        assert final.state["value"] == WRITERS * INCREMENTS
        assert final.version == WRITERS * INCREMENTS + 1
        head = await database["counters"].find_one({"_id": "counter-1"})
        assert head is not None and head["value"] == WRITERS * INCREMENTS

        records = await read_topic(servers.kafka_bootstrap, prefix + "counter", at_least=1000, timeout=90, settle=2)
        ids = [header(record, "ce_id") for record in records]
        assert len(ids) == 1000, f"{len(ids)} records for 1000 increments"
        assert len(set(ids)) == 1000
        # One key, one partition: the increments arrive in the order they were committed.
        assert [json.loads(record.value)["value"] for record in records] == list(range(1, 1001))
        # Entries are marked published after Kafka acknowledged them: the last batch may still be marking.
        await eventually(
            lambda: database["counters_commits"].count_documents({"outbox_state": {"$ne": PUBLISHED}}),
            lambda unpublished: unpublished == 0,
        )
    finally:
        await relay.stop()
        await broker.stop()
        await client.drop_database(unique_name)
        await client.close()
