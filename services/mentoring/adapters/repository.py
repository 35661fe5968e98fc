"""Mentoring's aggregates in MongoDB: one versioned store per kind, whose commits are also the outbox.

Every aggregate here records plain domain events whose fields are exactly those of the integration
contract of the same name plus "V1", so one mapping serves them all (and a test checks every event
has its contract).
"""

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from shared.contracts import mentoring as contracts
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.erasures import replace_value
from shared.persistence.mongo import Document
from shared.persistence.versioned import VersionedStore, commit_id

SOURCE = "/owlery/mentoring"
# Event fields that can name a person: the commits' event payloads are scanned on these for erasure.
EVENT_PERSON_FIELDS = (
    "person_id",
    "mentor_id",
    "mentee_ids",
    "member_ids",
    "curator_ids",
    "participant_ids",
    "author_id",
    "owner_id",
    "reviewer_id",
    "guest_id",
    "host_id",
    "manager_id",
    "registered_by",
    "facilitator_id",
    "owner_ids",
)


class Aggregate(Protocol):
    id: str
    events: list[Any]

    def to_state(self) -> dict[str, Any]: ...

    def erase_person(self, person_id: str, replacement: str) -> bool: ...


A = TypeVar("A", bound=Aggregate)


def to_integration_event(event: Any) -> IntegrationEvent:
    contract: type[IntegrationEvent] = getattr(contracts, f"{type(event).__name__}V1")
    return contract(**{f.name: getattr(event, f.name) for f in dataclasses.fields(event)})


class MongoAggregates(Generic[A]):
    """Load, save and erase one kind of aggregate; `person_paths` are the state fields naming people."""

    def __init__(
        self, store: VersionedStore, rebuild: Callable[[str, Document], A], person_paths: Sequence[str]
    ) -> None:
        self.store = store
        self.rebuild = rebuild
        self.person_paths = tuple(person_paths)

    async def get(self, aggregate_id: str) -> tuple[A, int] | None:
        loaded = await self.store.load(aggregate_id)
        if loaded is None:
            return None
        return self.rebuild(aggregate_id, loaded.state), loaded.version

    async def save(self, aggregate: A, expected_version: int) -> None:
        correlation_id = current_correlation_id()
        outbox = [
            OutboxEvent.of(to_integration_event(event), source=SOURCE, correlation_id=correlation_id)
            for event in aggregate.events
        ]
        await self.store.commit(aggregate.id, expected_version, aggregate.to_state(), outbox)
        aggregate.events.clear()

    async def all_ids(self, **equal: Any) -> list[str]:
        """Ids of the aggregates whose newest state has these field values (a scan: periodic jobs only)."""
        return [head["_id"] async for head in self.store.heads.find(equal, {"_id": 1})]

    async def involving(self, person_id: str) -> list[str]:
        # Two scans (FerretDB looks up nothing but _id): fine for rare privacy requests, kept off hot paths.
        # The commits are the truth; the heads are asked too in case a crash left one ahead of its commits.
        heads = self.store.heads.find({"$or": [{path: person_id} for path in self.person_paths]}, {"_id": 1})
        in_commits = [{f"state.{path}": person_id} for path in self.person_paths]
        in_commits += [{f"events.data.{name}": person_id} for name in EVENT_PERSON_FIELDS]
        commits = self.store.commits.find({"$or": in_commits}, {"aggregate_id": 1})
        found = {head["_id"] async for head in heads} | {commit["aggregate_id"] async for commit in commits}
        return sorted(found)

    async def naming(self, person_id: str, *fields: str) -> list[A]:
        # A scan of the heads (FerretDB looks up nothing but _id): fine for one person's page, kept off
        # anything run per request over many people. Each is then loaded, so a head left behind is caught up.
        heads = self.store.heads.find({"$or": [{field: person_id} for field in fields]}, {"_id": 1})
        found = []
        for aggregate_id in [head["_id"] async for head in heads]:
            loaded = await self.get(aggregate_id)
            if loaded is not None:
                found.append(loaded[0])
        return found

    async def erase_from_history(
        self, aggregate_id: str, person_id: str, replacement: str, through_version: int
    ) -> int:
        """Rewrite the aggregate's past commits, read and written by _id, with a former employee in the person's place.

        Only `state` and `events` are set: the relay's outbox fields stay as they are, so a pending
        commit is still published (carrying the stand-in) and a published one is not sent again.
        """
        changed = 0
        for version in range(1, through_version + 1):
            commit = await self.store.commits.find_one({"_id": commit_id(aggregate_id, version)})
            if commit is None:
                continue
            aggregate = self.rebuild(aggregate_id, commit["state"])
            state = aggregate.to_state() if aggregate.erase_person(person_id, replacement) else commit["state"]
            state = replace_value(state, person_id, replacement)  # and anything the domain does not know of
            events = replace_value(commit["events"], person_id, replacement)
            if state == commit["state"] and events == commit["events"]:
                continue
            await self.store.commits.update_one({"_id": commit["_id"]}, {"$set": {"state": state, "events": events}})
            changed += 1
        return changed
