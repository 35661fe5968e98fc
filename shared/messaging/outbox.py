"""The outbox relay: publishes events that were stored with the state they describe.

A document is an outbox entry when it has `events` and `outbox_state` (see
`shared.persistence.versioned.outbox_fields`). The relay publishes pending entries oldest first,
then marks them published. A crash between the two publishes again on restart: consumers are
idempotent by event id, so that costs nothing but a duplicate record.

It wakes when the service writes (`notify` names the entry, which the relay then reads by _id),
sweeps once at start for what a crash left behind, and sweeps rarely after that for entries another
replica wrote. Only the sweep queries by `outbox_state`: FerretDB v1 scans a collection for any
filter other than _id, so the per-write path never does.
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
        sweep_seconds: float = 30.0,
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
        self._hints: list[tuple[str, str]] = []
        self._stopping = False

    def notify(self, collection: str, entry_id: str) -> None:
        """An entry was just written to an outbox: publish it now, found by its id."""
        self._hints.append((collection, entry_id))
        self._wake.set()

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            # The flag and the wake-up end the loop even if PyMongo swallows the cancellation mid-call.
            self._stopping = True
            self._wake.set()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        failures = 0
        sweep_due = True  # at start: whatever a crash left behind
        while not self._stopping:
            try:
                if sweep_due:
                    await self.drain()
                    sweep_due = False
                else:
                    await self.drain_hinted()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                sweep_due = True  # the failed entries are still pending: the sweep finds them
                delay = min(self.max_backoff_seconds, 0.1 * 2**failures)
                logger.exception("outbox relay failed; retrying in %.1f s", delay)
                await asyncio.sleep(delay)
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.sweep_seconds)
            except TimeoutError:
                sweep_due = True  # entries another replica wrote, or one whose hint was lost
            self._wake.clear()

    async def drain_hinted(self) -> int:
        """Publish the entries this process announced, looked up by _id: cheap at any outbox size."""
        published = 0
        while self._hints:
            batch, self._hints = self._hints[: self.batch_size], self._hints[self.batch_size :]
            pending: list[tuple[str, Document]] = []
            for name, entry_id in batch:
                # Filter on _id alone: FerretDB v1 looks that up directly but scans for any other filter.
                entry = await self.database[name].find_one({"_id": entry_id})
                if entry is not None and entry["outbox_state"] == PENDING:  # else a sweep published it
                    pending.append((name, entry))
            published += await self._publish(pending)
        return published

    async def drain(self) -> int:
        """Sweep every outbox for pending entries and publish them; return how many events went out."""
        published = 0
        for name in self.collections:
            while True:
                # This query covers what was written to this collection before it: drop only those hints,
                # not those of a collection already swept, whose newer entries would wait for the next sweep.
                self._hints = [hint for hint in self._hints if hint[0] != name]
                entries = await (
                    self.database[name]
                    .find({"outbox_state": PENDING})
                    .sort([("committed_at", 1)])
                    .limit(self.batch_size)
                    .to_list()
                )
                if not entries:
                    break
                published += await self._publish([(name, entry) for entry in entries])
        return published

    async def _publish(self, entries: list[tuple[str, Document]]) -> int:
        if not entries:
            return 0
        events = [OutboxEvent.from_document(event) for _, entry in entries for event in entry["events"]]
        failpoint("outbox.before_publish")
        try:
            await self.publisher.publish(events)
        except Exception:
            await self._count_attempt(entries)
            raise
        published_at = datetime.now(UTC)
        for name, entry in entries:  # by _id, one by one: FerretDB looks these up without a scan
            await self.database[name].update_one(
                {"_id": entry["_id"]}, {"$set": {"outbox_state": PUBLISHED, "published_at": published_at}}
            )
        return len(events)

    async def _count_attempt(self, entries: list[tuple[str, Document]]) -> None:
        # Only the relay writes these fields, so a plain $set of the next count loses nothing.
        for name, entry in entries:
            await self.database[name].update_one(
                {"_id": entry["_id"]}, {"$set": {"outbox_attempts": entry.get("outbox_attempts", 0) + 1}}
            )
