"""The outbox relay: publishes events that were stored with the state they describe.

A document is an outbox entry when it has `events` and `outbox_state` (see
`shared.persistence.versioned.outbox_fields`). The relay publishes pending entries oldest first,
then marks them published. A crash between the two publishes again on restart: consumers are
idempotent by event id, so that costs nothing but a duplicate record.

It wakes when the service writes (`notify` names the entry, which the relay then reads by _id, a
batch of them at once), sweeps once at start for what a crash left behind, and sweeps rarely after
that for entries another replica wrote. Only the sweep queries by `outbox_state`: FerretDB v1 scans a collection for any
filter other than _id (one id or, as the launcher builds it, a list), so the per-write path never does.

With several replicas, no two publish the same entry at the same time. A replica publishes the entries it
wrote itself, at once, and gives up on them if that fails or takes longer than `publish_timeout_seconds`.
What is left (its writer failed or died) is an orphan once it has waited `orphan_seconds`, and only the
replica holding the service's sweep lease (`shared.persistence.leases`) publishes orphans, starting a batch
only while its lease has time enough left to finish it. A dead replica's lease ends with its period.
"""

import asyncio
import contextlib
import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol

import pymongo
from opentelemetry.trace import SpanKind, StatusCode
from pymongo.asynchronous.database import AsyncDatabase

from shared.faults import failpoint
from shared.messaging.cloudevents import OutboxEvent
from shared.metrics import EVENTS_PUBLISHED
from shared.persistence.leases import Lease, Leases
from shared.persistence.mongo import Document, in_batches
from shared.persistence.versioned import PENDING, PUBLISHED, commit_id
from shared.tracing import parent_from, traceparent_of, tracer

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SWEEP_LEASE = "outbox-sweep"
MARK_SECONDS = 1.0  # time left in a sweep lease, beyond a publish, to mark what was published
REMEMBERED_PUBLISHED = 10_000  # entry ids, to skip reading a commit's predecessor back (see _earlier_commits)
RESWEEP_DELAY = 0.1  # seconds after a lease period ends before a sweep cut short (or refused) tries the next one


class Notify(Protocol):
    """What a store calls after writing an outbox entry (`OutboxRelay.notify`)."""

    def __call__(self, collection: str, entry_id: str, document: Document | None = None) -> None: ...


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
        transient: Collection[str] = (),
        leases: Leases | None = None,
        lease_seconds: float = 30.0,
        orphan_seconds: float = 10.0,
        publish_timeout_seconds: float = 4.0,
        store_timeout_seconds: float = 20.0,
        service: str = "owlery",
    ) -> None:
        self.database = database
        self.service = service
        self.collections = collections
        self.transient = set(transient)
        """Collections whose documents only carry events: deleted once published (FerretDB rewrites a whole
        document to mark it, a cost that grows with its size; a delete by _id does not)."""
        self.publisher = publisher
        self.sweep_seconds = sweep_seconds
        self.batch_size = batch_size
        self.max_backoff_seconds = max_backoff_seconds
        self.leases = leases
        """None: this process is the only publisher (a tool, a test), so it sweeps without asking."""
        self.lease_seconds = lease_seconds
        self.orphan_seconds = orphan_seconds
        self.publish_timeout_seconds = publish_timeout_seconds
        self.store_timeout_seconds = store_timeout_seconds
        """Each store call's bound: the chaos test caught FerretDB leaving a query unanswered for good after a
        pause, and with no bound the relay waited on it for as long as the process lived, publishing nothing."""
        if leases is not None and orphan_seconds <= publish_timeout_seconds:
            raise ValueError("an entry becomes an orphan only after its writer's publish has timed out")
        if leases is not None and lease_seconds <= 2 * (publish_timeout_seconds + MARK_SECONDS):
            raise ValueError("a sweep lease lasts long enough for two batches")
        self._wake = asyncio.Event()
        self._sweep_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # Without leases a sweep takes fresh entries too, so it and the announced path take turns: else both
        # would publish the same entries at once. With leases a sweep takes only orphans and runs alongside.
        self._one_at_a_time = asyncio.Lock()
        self._hints: list[tuple[str, str]] = []
        self._written: dict[tuple[str, str], Document] = {}
        # Entries this relay published lately: an aggregate's next commit need not read its predecessor back
        # to learn it is no longer pending (published is final).
        self._published: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._stopping = False
        self._sweep_turn = 0
        # When a sweep could not start a batch (the lease was another's, or too short for it), the next period's
        # start. Sweeps `sweep_seconds` apart keep their place in a period of the same length, so a relay that
        # happened to sweep in a period's last seconds would find its lease too short for as long as it ran.
        self._resweep_at: datetime | None = None

    def notify(self, collection: str, entry_id: str, document: Document | None = None) -> None:
        """An entry was just written to an outbox: publish it now, found by its id (or as `document`, if given:
        the entry as written, so the relay need not read it back)."""
        self._hints.append((collection, entry_id))
        if document is not None:
            self._written[(collection, entry_id)] = document
        self._wake.set()

    async def start(self) -> None:
        self._stopping = False
        # Two loops: a sweep scans (FerretDB reads the whole collection for its filter), and however slow
        # that gets, the entries this process announces go out meanwhile.
        self._tasks = [
            asyncio.create_task(self._publish_announced(), name="outbox-relay"),
            asyncio.create_task(self._sweep_periodically(), name="outbox-sweep"),
        ]

    async def stop(self) -> None:
        # The flag and the wake-ups end the loops even if PyMongo swallows the cancellation mid-call.
        self._stopping = True
        self._wake.set()
        self._sweep_wake.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _publish_announced(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                async with self._turn():
                    await self.drain_hinted()
                failures = 0
            except (asyncio.CancelledError, Exception) as error:
                failures += 1
                self._sweep_wake.set()  # given up here, the failed entries become orphans: a sweep takes them
                await self._back_off(error, failures)
                continue
            await self._wake.wait()
            self._wake.clear()

    async def _sweep_periodically(self) -> None:
        """A sweep at start (whatever a crash left behind), then every `sweep_seconds`, busy or not."""
        failures = 0
        loop = asyncio.get_running_loop()
        while not self._stopping:
            swept_at = loop.time()
            try:
                async with self._turn():
                    await self.sweep()
                failures = 0
            except (asyncio.CancelledError, Exception) as error:
                failures += 1
                await self._back_off(error, failures)
                continue
            waited = max(0.0, self.sweep_seconds - (loop.time() - swept_at))
            if self._resweep_at is not None:
                waited = min(waited, max(0.0, (self._resweep_at - datetime.now(UTC)).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._sweep_wake.wait(), timeout=waited)
            self._sweep_wake.clear()

    def _turn(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self._one_at_a_time if self.leases is None else contextlib.nullcontext()

    async def _back_off(self, error: BaseException, failures: int) -> None:
        delay = min(self.max_backoff_seconds, 0.1 * 2**failures)
        if isinstance(error, asyncio.CancelledError):
            task = asyncio.current_task()
            if self._stopping or (task is not None and task.cancelling()):
                raise error
            # Not ours: aiokafka cancels its pending sends when a broker connection drops. Left to
            # propagate, it would end the relay silently and leave every later entry pending.
            logger.warning("outbox relay: a publish was cancelled under it; retrying")
        else:
            logger.error("outbox relay failed; retrying in %.1f s", delay, exc_info=error)
        await asyncio.sleep(delay)

    async def drain_hinted(self) -> int:
        """Publish the entries this process announced, looked up by _id: cheap at any outbox size."""
        published = 0
        while self._hints:
            batch, self._hints = self._hints[: self.batch_size], self._hints[self.batch_size :]
            pending: list[tuple[str, Document]] = []
            for name in dict.fromkeys(name for name, _ in batch):
                ids = [entry_id for hinted, entry_id in batch if hinted == name]
                for chunk in in_batches(ids):
                    found = {i: self._written.pop((name, i)) for i in chunk if (name, i) in self._written}
                    unread = [entry_id for entry_id in chunk if entry_id not in found]
                    if unread:
                        # A filter on _id alone: FerretDB (as the launcher builds it) reads these by index, no scan.
                        with self._bounded():
                            found |= {
                                entry["_id"]: entry
                                async for entry in self.database[name].find({"_id": {"$in": unread}})
                            }
                    pending.extend(
                        (name, found[entry_id])
                        for entry_id in chunk  # in the order written
                        if entry_id in found and found[entry_id]["outbox_state"] == PENDING  # else a sweep published it
                    )
            # A writer may announce its commit after the next writer of the same aggregate announced the next
            # one (it resumed later): that aggregate's earlier commits still pending go out first, in order.
            for name in dict.fromkeys(name for name, _ in pending):
                pending += [(name, entry) for entry in await self._earlier_commits(name, pending)]
            pending.sort(key=lambda hinted: hinted[1].get("committed_at") or EPOCH)
            published += await self._publish(pending)
        return published

    async def _earlier_commits(self, name: str, entries: list[tuple[str, Document]]) -> list[Document]:
        """The still pending commits of these entries' aggregates older than them (versioned stores' commits)."""
        have = {entry["_id"] for hinted, entry in entries if hinted == name}
        earlier: list[Document] = []
        wanted = _predecessors(entry for hinted, entry in entries if hinted == name) - have
        wanted = {entry_id for entry_id in wanted if (name, entry_id) not in self._published}
        while wanted:
            found = []
            for chunk in in_batches(sorted(wanted)):
                with self._bounded():
                    found += [entry async for entry in self.database[name].find({"_id": {"$in": chunk}})]
            have |= wanted
            waiting = [entry for entry in found if entry["outbox_state"] == PENDING]
            earlier += waiting
            wanted = _predecessors(waiting) - have
        return earlier

    async def sweep(self) -> int:
        """Publish what other writers left behind, if this replica holds the sweep lease; how many events went out.

        Without leases (one publisher) that is every pending entry; with them, entries pending for longer than
        `orphan_seconds`, whose writers have given up on them.
        """
        self._resweep_at = None
        if self.leases is None:
            return await self.drain()
        with self._bounded():
            lease = await self.leases.claim(SWEEP_LEASE, self.lease_seconds)
        if lease is None:
            # Another replica holds this period (or held it and died): try for the next one when it starts.
            self._resweep_at = self.leases.period_end(self.lease_seconds) + timedelta(seconds=RESWEEP_DELAY)
            return 0
        return await self.drain(orphaned_before=datetime.now(UTC) - timedelta(seconds=self.orphan_seconds), lease=lease)

    async def drain(self, orphaned_before: datetime | None = None, lease: Lease | None = None) -> int:
        """Publish every pending entry (written before `orphaned_before`, if given); how many events went out.

        Under a `lease`, a batch starts only while the lease has time for it: it never runs into the next holder's.
        """
        published = 0
        query: Document = {"outbox_state": PENDING}
        if orphaned_before is not None:
            query["committed_at"] = {"$lt": orphaned_before}
        # Each sweep starts one collection further on: a slow scan of a busy one (FerretDB scans for this filter)
        # must not spend every lease before the others are reached.
        start = self._sweep_turn % max(len(self.collections), 1)
        self._sweep_turn += 1
        for name in self.collections[start:] + self.collections[:start]:
            while True:
                if orphaned_before is None:
                    # This query covers what was written to this collection before it: drop only those hints,
                    # not those of a collection already swept, whose newer entries would wait for the next sweep.
                    self._hints = [hint for hint in self._hints if hint[0] != name]
                    self._written = {hint: entry for hint, entry in self._written.items() if hint[0] != name}
                with self._bounded():  # one batch, one round trip: no cursor left open on the server
                    found = self.database[name].find(query).sort([("committed_at", 1)])
                    entries = await found.limit(self.batch_size).batch_size(self.batch_size).to_list()
                if not entries:
                    break
                if lease is not None and not self._time_left(lease):
                    # The rest waits for the next period, under a lease with time for it.
                    self._resweep_at = lease.ends_at + timedelta(seconds=RESWEEP_DELAY)
                    return published
                published += await self._publish([(name, entry) for entry in entries])
        return published

    async def backlog(self) -> tuple[int, float]:
        """How many entries wait to be published, and the age in seconds of the oldest (0 when none)."""
        waiting, oldest = 0, None
        for name in self.collections:
            waiting += await self.database[name].count_documents({"outbox_state": PENDING})
            first = await self.database[name].find_one({"outbox_state": PENDING}, sort=[("committed_at", 1)])
            if first is not None and (oldest is None or first["committed_at"] < oldest):
                oldest = first["committed_at"]
        return waiting, (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0

    def _bounded(self) -> contextlib.AbstractContextManager[None]:
        """A bound on the store calls inside: past it they fail (the connection is dropped) and the relay retries."""
        return pymongo.timeout(self.store_timeout_seconds)

    def _time_left(self, lease: Lease) -> bool:
        """Whether the lease has time for one more batch: a publish at its longest, and a second to mark it."""
        return lease.remaining(datetime.now(UTC)).total_seconds() > self.publish_timeout_seconds + MARK_SECONDS

    async def _publish(self, entries: list[tuple[str, Document]]) -> int:
        if not entries:
            return 0
        stored = [OutboxEvent.from_document(event) for _, entry in entries for event in entry["events"]]
        # One producer span per event, a child of the span that wrote it; the record carries it on.
        spans = [
            tracer(self.service).start_span(
                f"publish {event.type}",
                context=parent_from(event.traceparent),
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": event.topic,
                    "messaging.message.id": event.id,
                },
            )
            for event in stored
        ]
        events = [
            dataclasses.replace(e, traceparent=traceparent_of(span)) for e, span in zip(stored, spans, strict=True)
        ]
        failpoint("outbox.before_publish")
        try:
            # Bounded: past it, this replica gives the entries up, and they become orphans only later.
            await asyncio.wait_for(self.publisher.publish(events), self.publish_timeout_seconds)
        except Exception as error:
            for span in spans:
                span.set_status(StatusCode.ERROR, repr(error))
            await self._count_attempt(entries)
            raise
        finally:
            for span in spans:
                span.end()
        for event in events:
            EVENTS_PUBLISHED.labels(self.service, event.type).inc()
        for name in dict.fromkeys(name for name, _ in entries):
            for chunk in in_batches([entry["_id"] for hinted, entry in entries if hinted == name]):
                with self._bounded():
                    if name in self.transient:
                        await self.database[name].delete_many({"_id": {"$in": chunk}})
                    else:
                        # The state alone, no time: an entry may be a record whose time must not be kept (a badge
                        # earned through an anonymous comment keeps only its day).
                        marked = {"$set": {"outbox_state": PUBLISHED}}
                        await self.database[name].update_many({"_id": {"$in": chunk}}, marked)
                self._published.update(dict.fromkeys((name, entry_id) for entry_id in chunk))
        while len(self._published) > REMEMBERED_PUBLISHED:
            self._published.popitem(last=False)
        return len(events)

    async def _count_attempt(self, entries: list[tuple[str, Document]]) -> None:
        # Only the relay writes these fields, so a plain $set of the next count loses nothing.
        for name, entry in entries:
            with self._bounded():
                await self.database[name].update_one(
                    {"_id": entry["_id"]}, {"$set": {"outbox_attempts": entry.get("outbox_attempts", 0) + 1}}
                )


def _predecessors(entries: Iterable[Document]) -> set[str]:
    """The ids of the commits just before these, for entries that are commits of a versioned store."""
    return {
        commit_id(entry["aggregate_id"], entry["version"] - 1)
        for entry in entries
        if "aggregate_id" in entry and isinstance(entry.get("version"), int) and entry["version"] > 1
    }
