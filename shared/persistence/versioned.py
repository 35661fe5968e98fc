"""Optimistic concurrency for aggregates that holds on FerretDB v1 as on MongoDB.

FerretDB applies every update as read, change in memory, replace: a filter on a version field is
no compare-and-set there. The one exclusive primitive both servers share is a unique key. So each
change of an aggregate is a new *commit* document keyed by (aggregate id, version): it carries the
whole new state and the events the change caused (its outbox). Inserting version N+1 when another
writer already did fails with a duplicate key: that writer won, and the loser reloads and re-decides.

The commit log is the truth. `<name>` holds the newest state of each aggregate for queries (a
cache, repaired whenever a load finds a newer commit); `<name>_commits` is also the outbox the
relay publishes from, so state and events are written in one single-document insert.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

from shared.concurrency import ConcurrencyConflict
from shared.messaging.cloudevents import OutboxEvent
from shared.persistence.mongo import Document, is_duplicate_key

logger = logging.getLogger(__name__)

PENDING = "pending"
PUBLISHED = "published"


@dataclass(frozen=True)
class Loaded:
    state: Document
    version: int


def outbox_fields(events: list[OutboxEvent]) -> Document:
    """The fields that make any document an outbox entry the relay will publish."""
    return {
        "events": [event.to_document() for event in events],
        "outbox_state": PENDING if events else PUBLISHED,
        "outbox_attempts": 0,
        "committed_at": datetime.now(UTC),
    }


async def ensure_outbox_indexes(database: AsyncDatabase[Document], collection: str) -> None:
    await database[collection].create_index([("outbox_state", ASCENDING), ("committed_at", ASCENDING)])


def commit_id(aggregate_id: str, version: int) -> str:
    return f"{aggregate_id}@{version}"


class VersionedStore:
    def __init__(
        self, database: AsyncDatabase[Document], name: str, on_commit: Callable[[str, str], None] | None = None
    ) -> None:
        self.heads = database[name]
        self.commits = database[f"{name}_commits"]
        self.on_commit = on_commit  # wakes the outbox relay

    @property
    def outbox_collection(self) -> str:
        return self.commits.name

    async def ensure_indexes(self) -> None:
        # No index on (aggregate_id, version): the _id "<aggregate id>@<version>" is already the unique key.
        await ensure_outbox_indexes(self.commits.database, self.commits.name)

    async def load(self, aggregate_id: str) -> Loaded | None:
        head = await self.heads.find_one({"_id": aggregate_id})
        version = head["version"] if head else 0
        # Commits newer than the head exist when a writer crashed (or is slow) between its commit and
        # its head write. Probe them by _id: a primary-key lookup stays fast on FerretDB at any size.
        newest: Document | None = None
        while (newer := await self.commits.find_one({"_id": commit_id(aggregate_id, version + 1)})) is not None:
            newest, version = newer, version + 1
        if newest is not None:
            await self._write_head(aggregate_id, version, newest["state"])
            return Loaded(state=newest["state"], version=version)
        if head is None:
            return None
        state = {key: value for key, value in head.items() if key not in ("_id", "version")}
        return Loaded(state=state, version=version)

    async def commit(self, aggregate_id: str, expected_version: int, state: Document, events: list[OutboxEvent]) -> int:
        """Write version expected+1; raise ConcurrencyConflict if another writer got there first."""
        version = expected_version + 1
        document = {
            "_id": commit_id(aggregate_id, version),
            "aggregate_id": aggregate_id,
            "version": version,
            "state": state,
            **outbox_fields(events),
        }
        try:
            await self.commits.insert_one(document)
        except (DuplicateKeyError, OperationFailure) as error:
            if is_duplicate_key(error):
                raise ConcurrencyConflict(f"{aggregate_id} is already at version {version}") from error
            raise
        if events and self.on_commit is not None:
            self.on_commit(self.commits.name, document["_id"])
        # The change is made: the head is a cache (every load repairs it from the commits), so a
        # failure here (SQLite busy under load, say) must not tell the caller the change failed.
        try:
            await self._write_head(aggregate_id, version, state)
        except Exception:
            logger.warning("head of %s not updated to version %d; the next load repairs it", aggregate_id, version)
        return version

    async def _write_head(self, aggregate_id: str, version: int, state: Document) -> None:
        # No read of the stored version first: inside a process writes of one aggregate take turns
        # (retry_on_conflict), and if a slow replica puts an older head back, every load probes the
        # commits past the head and repairs it. The filter is on _id alone, which FerretDB v1 looks up
        # directly; any other filter field would make it scan the whole collection.
        try:
            await self.heads.replace_one({"_id": aggregate_id}, {**state, "version": version}, upsert=True)
        except (DuplicateKeyError, OperationFailure) as error:
            if not is_duplicate_key(error):  # two first writes raced: the other one is there
                raise
