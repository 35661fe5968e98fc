"""One service process: its database, its broker, its outbox relay and its reliable consumer.

Each service's bootstrap builds a `ServiceRuntime`, registers its handlers on `runtime.consumer`,
and hands `runtime.lifespan` to FastAPI, so the HTTP API and the Kafka side start and stop together.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from shared.audit import AuditLog
from shared.auth.http import Gatekeeper, IsBlocked
from shared.auth.policy import Guardrails
from shared.auth.tokens import KeySet, TokenRules, TokenVerifier, http_key_fetcher
from shared.contracts.base import IntegrationEvent
from shared.messaging.consumer import ReliableConsumer
from shared.messaging.kafka import KafkaEventPublisher, LagReader, build_broker, ensure_topics
from shared.messaging.outbox import OutboxRelay
from shared.metrics import CONSUMER_LAG, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE
from shared.persistence.leases import Leases
from shared.persistence.mongo import connect, ping
from shared.settings import ServiceSettings
from shared.taskdump import dump_tasks_on_signal
from shared.tracing import configure_tracing

logger = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 3600.0
LEASES_KEPT = timedelta(days=1)  # ended leases kept a while, to tell who did what when


class ServiceRuntime:
    def __init__(
        self,
        settings: ServiceSettings,
        *,
        name: str,
        publishes: list[type[IntegrationEvent]],
        outbox_collections: list[str],
        transient_outboxes: Collection[str] = (),
    ) -> None:
        self.settings = settings
        self.name = name
        configure_tracing(name, settings.tracing_exporter, settings.otlp_traces_endpoint)
        self.client = connect(settings.mongodb_url)
        self.database = self.client[settings.mongodb_database]
        self.broker = build_broker(settings.kafka_bootstrap_servers, client_id=f"owlery-{name}")
        self.lag_reader = LagReader(settings.kafka_bootstrap_servers)  # /metrics reads the consumer lag with it
        self.leases = Leases(self.database)
        self.published_topics = sorted({settings.topic_prefix + contract.topic for contract in publishes})
        self.relay = OutboxRelay(
            self.database,
            outbox_collections,
            KafkaEventPublisher(self.broker, settings.topic_prefix),
            sweep_seconds=settings.outbox_sweep_seconds,
            transient=transient_outboxes,
            leases=self.leases,
            lease_seconds=settings.outbox_lease_seconds,
            orphan_seconds=settings.outbox_orphan_seconds,
            publish_timeout_seconds=settings.outbox_publish_timeout_seconds,
            store_timeout_seconds=settings.outbox_store_timeout_seconds,
            service=name,
        )
        self.consumer = ReliableConsumer(
            name=settings.consumer_group,
            database=self.database,
            broker=self.broker,
            topic_prefix=settings.topic_prefix,
            max_attempts=settings.consumer_max_attempts,
            retry_backoff_seconds=settings.consumer_retry_backoff_seconds,
            service=name,
        )
        self.audit = AuditLog(self.database)
        self.token_verifier = TokenVerifier(
            TokenRules(
                issuer=settings.oidc_issuer,
                audience=settings.oidc_audience,
                algorithms=tuple(settings.oidc_algorithms),
                person_claim=settings.oidc_person_claim,
                roles_claim=settings.oidc_roles_claim,
                role_map=settings.oidc_role_map,
            ),
            KeySet(http_key_fetcher(settings.oidc_issuer, settings.oidc_jwks_url)),
        )
        self._setups: list[Callable[[], Awaitable[None]]] = [self.consumer.ensure_indexes]
        self._jobs: list[tuple[str, float, Callable[[], Awaitable[object]], bool]] = [
            ("housekeeping", HOUSEKEEPING_SECONDS, self._housekeeping, False)
        ]
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    def gatekeeper(
        self, guardrails: Guardrails, *, is_blocked: IsBlocked | None = None, provisioning_token: str | None = None
    ) -> Gatekeeper:
        """The gate for this service's HTTP API: its policy, checked against this runtime's token verifier."""
        return Gatekeeper(
            guardrails,
            self.token_verifier,
            is_blocked=is_blocked,
            provisioning_token=provisioning_token,
            service=self.name,
        )

    def every(
        self, seconds: float, job: Callable[[], Awaitable[object]], name: str, *, every_replica: bool = False
    ) -> None:
        """Run `job` every `seconds` while the service runs (a failure is logged and retried next time).

        Once per period across the service's replicas: each period, the replica that claims the job's lease
        runs it (`every_replica=True` for work on the process's own memory, such as a cache). A run can still
        overlap the next period's on another replica, so jobs stay safe to run concurrently (decide under an
        aggregate's version, or insert a unique key), which makes them idempotent as well.
        """
        self._jobs.append((name, seconds, job, every_replica))

    def on_start(self, setup: Callable[[], Awaitable[None]]) -> None:
        """Run this (e.g. index creation) before the service takes traffic."""
        self._setups.append(setup)

    async def start(self) -> None:
        dump_tasks_on_signal(asyncio.get_running_loop())
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
        self._stopping.clear()
        self._tasks = [asyncio.create_task(self._repeat(*job), name=job[0]) for job in self._jobs]
        logger.info("%s started", self.name)

    async def stop(self) -> None:
        # Jobs are asked to finish rather than cancelled: a cancellation landing inside a PyMongo call
        # can be swallowed there, leaving the task asleep until its next round and the process unable to exit.
        self._stopping.set()
        if self._tasks:
            await asyncio.gather(*self._tasks)
        await self.relay.stop()
        await self.lag_reader.close()
        await self.broker.stop()
        await self.client.close()

    async def _repeat(
        self, name: str, seconds: float, job: Callable[[], Awaitable[object]], every_replica: bool
    ) -> None:
        while not self._stopping.is_set():
            try:
                if every_replica or await self.leases.claim(f"job:{name}", seconds) is not None:
                    await job()
            except Exception:
                logger.exception("%s failed; trying again in %.0f s", name, seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _housekeeping(self) -> None:
        retention = timedelta(hours=self.settings.processed_event_retention_hours)
        forgotten = await self.consumer.forget_handled_before(datetime.now(UTC) - retention)
        if forgotten:
            logger.info("forgot %d handled-event markers older than %s", forgotten, retention)
        await self.leases.forget_ended_before(datetime.now(UTC) - LEASES_KEPT)

    async def database_ready(self) -> bool:
        return await ping(self.database)

    async def broker_ready(self) -> bool:
        return await self.broker.ping(timeout=2.0)

    async def refresh_metrics(self) -> None:
        """Read the gauges Prometheus is about to scrape: the outbox backlog and the consumer lag."""
        backlog, oldest = await self.relay.backlog()
        OUTBOX_BACKLOG.labels(self.name).set(backlog)
        OUTBOX_OLDEST_AGE.labels(self.name).set(oldest)
        lags = await self.lag_reader.lag(self.consumer.name, self.consumer.topics)
        for (topic, partition), lag in lags.items():
            CONSUMER_LAG.labels(self.name, topic, str(partition)).set(lag)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        app.state.refresh_metrics = self.refresh_metrics  # read by /metrics (shared.http)
        await self.start()
        try:
            yield
        finally:
            await self.stop()
