"""The outbox relay: publishes events that were stored with the state they describe.

A document is an outbox entry when it has `events` and `outbox_state` (see
`shared.persistence.versioned.outbox_fields`). The relay publishes pending entries oldest first,
then marks them published. A crash between the two publishes again on restart: consumers are
idempotent by event id, so that costs nothing but a duplicate record.

It wakes when the service writes (`notify`), sweeps once at start for what a crash left behind,
and sweeps rarely after that for entries written by another replica of the service.
"""

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Protocol

from pymongo.asynchronous.database import AsyncDatabase

from shared.faults import failpoint
from shared.messaging.cloudevents import OutboxEvent
from shared.persistence.mongo import Document
from shared.persistence.versioned import PENDING, PUBLISHED

logger = logging.getLogger(__name__)


class EventPublisher(Protocol):
    async def publish(self, events: list[OutboxEvent]) -> None: ...


class OutboxRelay:
    def __init__(
        self,
        database: AsyncDatabase[Document],
        collections: list[str],
        publisher: EventPublisher,
        *,
        sweep_seconds: float = 10.0,
        batch_size: int = 500,
        max_backoff_seconds: float = 5.0,
    ) -> None:
        self.database = database
        self.collections = collections
        self.publisher = publisher
        self.sweep_seconds = sweep_seconds
        self.batch_size = batch_size
        self.max_backoff_seconds = max_backoff_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def notify(self) -> None:
        """Something was written to an outbox: publish it now."""
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self.drain()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                delay = min(self.max_backoff_seconds, 0.1 * 2**failures)
                logger.exception("outbox relay failed; retrying in %.1f s", delay)
                await asyncio.sleep(delay)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.sweep_seconds)
            self._wake.clear()

    async def drain(self) -> int:
        """Publish every pending entry; return how many events went out."""
        published = 0
        for name in self.collections:
            collection = self.database[name]
            while True:
                self._wake.clear()  # what is written from here on is caught by the next query
                entries = await (
                    collection.find({"outbox_state": PENDING})
                    .sort([("committed_at", 1)])
                    .limit(self.batch_size)
                    .to_list()
                )
                if not entries:
                    break
                events = [OutboxEvent.from_document(event) for entry in entries for event in entry["events"]]
                failpoint("outbox.before_publish")
                try:
                    await self.publisher.publish(events)
                except Exception:
                    await self._count_attempt(name, entries)
                    raise
                await collection.update_many(
                    {"_id": {"$in": [entry["_id"] for entry in entries]}},
                    {"$set": {"outbox_state": PUBLISHED, "published_at": datetime.now(UTC)}},
                )
                published += len(events)
        return published

    async def _count_attempt(self, name: str, entries: list[Document]) -> None:
        # Only the relay writes these fields, so a plain $set of the next count loses nothing.
        for entry in entries:
            await self.database[name].update_one(
                {"_id": entry["_id"]}, {"$set": {"outbox_attempts": entry.get("outbox_attempts", 0) + 1}}
            )
