"""One service process: its database, its broker, its outbox relay and its reliable consumer.

Each service's bootstrap builds a `ServiceRuntime`, registers its handlers on `runtime.consumer`,
and hands `runtime.lifespan` to FastAPI, so the HTTP API and the Kafka side start and stop together.
"""

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import FastAPI

from shared.contracts.base import IntegrationEvent
from shared.messaging.consumer import ReliableConsumer
from shared.messaging.kafka import KafkaEventPublisher, build_broker, ensure_topics
from shared.messaging.outbox import OutboxRelay
from shared.persistence.mongo import connect, ping
from shared.settings import ServiceSettings

logger = logging.getLogger(__name__)


class ServiceRuntime:
    def __init__(
        self,
        settings: ServiceSettings,
        *,
        name: str,
        publishes: list[type[IntegrationEvent]],
        outbox_collections: list[str],
    ) -> None:
        self.settings = settings
        self.name = name
        self.client = connect(settings.mongodb_url)
        self.database = self.client[settings.mongodb_database]
        self.broker = build_broker(settings.kafka_bootstrap_servers, client_id=f"owlery-{name}")
        self.published_topics = sorted({settings.topic_prefix + contract.topic for contract in publishes})
        self.relay = OutboxRelay(
            self.database,
            outbox_collections,
            KafkaEventPublisher(self.broker, settings.topic_prefix),
            sweep_seconds=settings.outbox_sweep_seconds,
        )
        self.consumer = ReliableConsumer(
            name=settings.consumer_group,
            database=self.database,
            broker=self.broker,
            topic_prefix=settings.topic_prefix,
            max_attempts=settings.consumer_max_attempts,
            retry_backoff_seconds=settings.consumer_retry_backoff_seconds,
        )
        self._setups: list[Callable[[], Awaitable[None]]] = [self.consumer.ensure_indexes]

    def on_start(self, setup: Callable[[], Awaitable[None]]) -> None:
        """Run this (e.g. index creation) before the service takes traffic."""
        self._setups.append(setup)

    async def start(self) -> None:
        for setup in self._setups:
            await setup()
        await ensure_topics(
            self.settings.kafka_bootstrap_servers,
            self.published_topics + self.consumer.topics,
            self.settings.topic_partitions,
        )
        self.consumer.subscribe()
        await self.broker.start()
        await self.relay.start()
        logger.info("%s started", self.name)

    async def stop(self) -> None:
        await self.relay.stop()
        await self.broker.stop()
        await self.client.close()

    async def database_ready(self) -> bool:
        return await ping(self.database)

    async def broker_ready(self) -> bool:
        return await self.broker.ping(timeout=2.0)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()
