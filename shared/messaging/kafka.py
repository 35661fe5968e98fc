"""The Kafka side of a service: its broker, its topics and the publisher the outbox relay uses."""

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from shared.messaging.cloudevents import OutboxEvent

logger = logging.getLogger(__name__)

DEAD_LETTER_SUFFIX = ".dlt"


def build_broker(bootstrap_servers: str, client_id: str) -> KafkaBroker:
    # acks=all with idempotence: a publish the relay saw succeed is on the log exactly once.
    return KafkaBroker(
        bootstrap_servers.split(","),
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        logger=logger,
        log_level=logging.DEBUG,
    )


async def ensure_topics(bootstrap_servers: str, topics: list[str], partitions: int) -> None:
    """Create the topics (and their dead-letter topics) a service uses, if missing."""
    wanted = sorted({name for topic in topics for name in (topic, topic + DEAD_LETTER_SUFFIX)})
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers.split(","))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(name, partitions, 1) for name in wanted if name not in existing]
        if missing:
            # Another service may create one between our list and our create: that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


class LagReader:
    """Reads a consumer group's lag from the broker with clients kept between reads.

    Prometheus scrapes every few seconds: connecting an admin client and a consumer per scrape would cost
    more than the read. Clients are opened at the first read and opened again after a failed one (a
    restarted broker, say).
    """

    def __init__(self, bootstrap_servers: str) -> None:
        self.bootstrap_servers = bootstrap_servers.split(",")
        self._clients: tuple[AIOKafkaAdminClient, AIOKafkaConsumer] | None = None

    async def lag(self, group: str, topics: list[str]) -> dict[tuple[str, int], int]:
        """Per topic-partition, records the group has not committed yet: log end offset minus committed offset."""
        if not topics:
            return {}
        admin, reader = await self._connected()
        try:
            committed = await admin.list_consumer_group_offsets(group)
            described = await admin.describe_topics(topics)
            partitions = [
                TopicPartition(topic["topic"], partition["partition"])
                for topic in described
                if topic["error_code"] == 0
                for partition in topic["partitions"]
            ]
            ends = await reader.end_offsets(partitions)
        except BaseException:
            await self.close()
            raise
        return {
            (tp.topic, tp.partition): max(0, ends[tp] - (committed[tp].offset if tp in committed else 0))
            for tp in partitions
        }

    async def _connected(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._clients is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers)
            reader = AIOKafkaConsumer(bootstrap_servers=self.bootstrap_servers, enable_auto_commit=False)
            await admin.start()
            try:
                await reader.start()
            except BaseException:
                await admin.close()
                raise
            self._clients = (admin, reader)
        return self._clients

    async def close(self) -> None:
        if self._clients is not None:
            admin, reader = self._clients
            self._clients = None
            with contextlib.suppress(Exception):
                await reader.stop()
            with contextlib.suppress(Exception):
                await admin.close()


class KafkaEventPublisher:
    """Publishes outbox events in order, keyed by aggregate so each aggregate's events stay ordered."""

    def __init__(self, broker: KafkaBroker, topic_prefix: str) -> None:
        self.broker = broker
        self.topic_prefix = topic_prefix

    async def publish(self, events: list[OutboxEvent]) -> None:
        # Send all, then wait for every acknowledgement: ordered per partition, one round trip.
        pending = [
            await self.broker.publish(
                event.body(),
                topic=self.topic_prefix + event.topic,
                key=event.key.encode(),
                headers=event.headers(),
                correlation_id=event.correlation_id,
                no_confirm=True,
            )
            for event in events
        ]
        await asyncio.gather(*pending)


async def partitions_of(bootstrap_servers: str, topic: str) -> list[int]:
    """The topic's partition numbers; empty if it does not exist (yet)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers.split(","))
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for t in described if t["error_code"] == 0 for p in t["partitions"])
