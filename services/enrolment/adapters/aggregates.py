"""Aggregates kept in a versioned store whose commits are also the outbox (master classes, conferences).

`VersionedAggregates` loads and saves one kind of aggregate and erases people from it: the person's id is
replaced wherever it stands as a value, in the current state and in every past commit; nothing else
changes, so counts, orders and averages stay as they were.
"""

from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from shared.concurrency import retry_on_conflict
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.erasures import replace_value
from shared.persistence.versioned import VersionedStore, commit_id

SOURCE = "/owlery/enrolment"


class Recording(Protocol):
    """An aggregate that records its events until they are saved."""

    @property
    def id(self) -> str: ...

    @property
    def events(self) -> list[Any]: ...

    def to_state(self) -> dict[str, Any]: ...


A = TypeVar("A", bound=Recording)


class VersionedAggregates(Generic[A]):
    def __init__(
        self,
        store: VersionedStore,
        from_state: Callable[[str, dict[str, Any]], A],
        to_integration_event: Callable[[Any], IntegrationEvent],
    ) -> None:
        self.store = store
        self.from_state = from_state
        self.to_integration_event = to_integration_event

    @property
    def outbox_collection(self) -> str:
        return self.store.outbox_collection

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()

    async def get(self, aggregate_id: str) -> tuple[A, int] | None:
        loaded = await self.store.load(aggregate_id)
        if loaded is None:
            return None
        return self.from_state(aggregate_id, loaded.state), loaded.version

    async def save(self, aggregate: A, expected_version: int) -> None:
        correlation_id = current_correlation_id()
        outbox = [
            OutboxEvent.of(self.to_integration_event(event), source=SOURCE, correlation_id=correlation_id)
            for event in aggregate.events
        ]
        await self.store.commit(aggregate.id, expected_version, aggregate.to_state(), outbox)
        aggregate.events.clear()

    async def involving(self, person_id: str) -> list[str]:
        """Ids of the aggregates whose state or history names the person (scans: privacy requests only)."""
        return await aggregates_naming(self.store, person_id)

    async def erase_person(self, aggregate_id: str, person_id: str, replacement: str) -> bool:
        """A former employee in the person's place, state and history alike; False if nothing named them."""
        return await erase_from_aggregate(self.store, aggregate_id, person_id, replacement)


async def aggregates_naming(store: VersionedStore, person_id: str) -> list[str]:
    """Ids of the aggregates whose state or history names the person (scans: privacy requests only)."""
    named: set[str] = set()
    async for head in store.heads.find({}):
        if _names(head, person_id):
            named.add(head["_id"])
    async for commit in store.commits.find({}, {"aggregate_id": 1, "state": 1, "events": 1}):
        if _names({"state": commit.get("state"), "events": commit.get("events")}, person_id):
            named.add(commit["aggregate_id"])
    return sorted(named)


async def erase_from_aggregate(store: VersionedStore, aggregate_id: str, person_id: str, replacement: str) -> bool:
    """Put `replacement` in the person's place, state and history alike; False if nothing named them.

    The change is a new version with no events (erasure is not news), against concurrent changes like any
    other; past commits are rewritten by _id, their outbox fields kept (a pending one is still published,
    carrying the stand-in).
    """

    async def attempt() -> tuple[bool, int]:
        loaded = await store.load(aggregate_id)
        if loaded is None:
            return False, 0
        state = replace_value(loaded.state, person_id, replacement)
        if state == loaded.state:
            return False, loaded.version
        await store.commit(aggregate_id, loaded.version, state, [])
        return True, loaded.version

    erased, history = await retry_on_conflict(attempt, aggregate_id=aggregate_id)
    rewritten = 0
    for version in range(1, history + 1):
        commit = await store.commits.find_one({"_id": commit_id(aggregate_id, version)})
        if commit is None:
            continue
        state = replace_value(commit.get("state"), person_id, replacement)
        events = replace_value(commit.get("events", []), person_id, replacement)
        if state != commit.get("state") or events != commit.get("events", []):
            await store.commits.update_one({"_id": commit["_id"]}, {"$set": {"state": state, "events": events}})
            rewritten += 1
    return erased or rewritten > 0


def _names(document: Any, person_id: str) -> bool:
    return bool(replace_value(document, person_id, "\x00") != document)
