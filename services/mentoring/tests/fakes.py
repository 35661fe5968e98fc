"""In-memory stand-ins for the adapters: repositories that behave like the versioned store (state
round-trips, versions clash, each version kept with its payloads), a directory copy, an erasure ledger,
and `fake_ports()` wiring them with a real note cipher and a clock the test moves."""

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from mentoring.adapters.repository import Aggregate, to_integration_event
from mentoring.domain.channel import Post
from mentoring.domain.circle import Circle
from mentoring.domain.coffee_round import CoffeeRound
from mentoring.domain.concern import Concern
from mentoring.domain.flag import Flag
from mentoring.domain.library import LibraryEntry
from mentoring.domain.pair import Pair
from mentoring.domain.programme import Programme
from mentoring.domain.task import Task
from mentoring.service.ports import Ports
from shared.concurrency import ConcurrencyConflict
from shared.contracts.base import IntegrationEvent
from shared.persistence.erasures import replace_value
from shared.persistence.people import PersonCopy
from shared.privacy.anonymity import Pseudonymizer
from shared.privacy.notes import NoteCipher, generate_key

A = TypeVar("A", bound=Aggregate)


def nested_array(value: Any, inside_array: bool = False) -> bool:
    """True if `value` holds an array inside an array, which FerretDB refuses to store."""
    if isinstance(value, list | tuple):
        return inside_array or any(nested_array(item, True) for item in value)
    if isinstance(value, dict):
        return any(nested_array(item) for item in value.values())
    return False


def names(value: Any, person_id: str) -> bool:
    """True if `person_id` is stored anywhere in `value` (dicts, lists and tuples looked into)."""
    if isinstance(value, str):
        return value == person_id
    if isinstance(value, dict):
        return any(names(key, person_id) or names(item, person_id) for key, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(names(item, person_id) for item in value)
    return False


class InMemoryAggregates(Generic[A]):
    def __init__(self, rebuild: Callable[[str, Any], A], *, yield_on_load: bool = False) -> None:
        self.rebuild = rebuild
        self.states: dict[str, tuple[dict[str, Any], int]] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}  # per aggregate, version N at index N-1
        self.published: list[IntegrationEvent] = []
        self.conflicts = 0
        self.yield_on_load = yield_on_load  # lets concurrent use cases interleave between load and save

    async def get(self, aggregate_id: str) -> tuple[A, int] | None:
        found = self.states.get(aggregate_id)
        if self.yield_on_load:
            await asyncio.sleep(0)
        if found is None:
            return None
        state, version = found
        return self.rebuild(aggregate_id, state), version

    async def save(self, aggregate: A, expected_version: int) -> None:
        _, current = self.states.get(aggregate.id, ({}, 0))
        if current != expected_version:
            self.conflicts += 1
            raise ConcurrencyConflict(f"{aggregate.id} is already at version {current + 1}")
        events = [to_integration_event(event) for event in aggregate.events]  # what the outbox would hold
        if nested_array(aggregate.to_state()):
            raise ValueError(f"{aggregate.id}: nested arrays are not supported (FerretDB refuses them)")
        self.states[aggregate.id] = (aggregate.to_state(), expected_version + 1)
        commit = {"state": aggregate.to_state(), "events": [event.model_dump(mode="json") for event in events]}
        self.history.setdefault(aggregate.id, []).append(commit)
        self.published.extend(events)
        aggregate.events.clear()

    async def all_ids(self, **equal: Any) -> list[str]:
        return [key for key, (state, _) in self.states.items() if all(state.get(k) == v for k, v in equal.items())]

    async def involving(self, person_id: str) -> list[str]:
        return sorted(
            key
            for key in self.states
            if names(self.states[key][0], person_id) or names(self.history.get(key, []), person_id)
        )

    async def naming(self, person_id: str, *fields: str) -> list[A]:
        return [
            self.rebuild(key, state)
            for key, (state, _) in self.states.items()
            if any(
                person_id == value or (isinstance(value, list) and person_id in value)
                for value in (state.get(field) for field in fields)
            )
        ]

    async def erase_from_history(
        self, aggregate_id: str, person_id: str, replacement: str, through_version: int
    ) -> int:
        changed = 0
        for commit in self.history.get(aggregate_id, [])[:through_version]:
            aggregate = self.rebuild(aggregate_id, commit["state"])
            state = aggregate.to_state() if aggregate.erase_person(person_id, replacement) else commit["state"]
            state = replace_value(state, person_id, replacement)
            events = replace_value(commit["events"], person_id, replacement)
            if state != commit["state"] or events != commit["events"]:
                commit.update(state=state, events=events)
                changed += 1
        return changed


class InMemoryPeople:
    """The directory copy's rules: a deactivated or erased person is blocked, an unknown one is not."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}

    def upsert(self, person_id: str, *, active: bool = True, **fields: Any) -> None:
        self.documents[person_id] = {"active": active, "erased": False, "version": 1, **fields}

    def deactivate(self, person_id: str) -> None:
        self.documents.setdefault(person_id, {"erased": False, "version": 1})["active"] = False

    async def get(self, person_id: str) -> PersonCopy | None:
        document = self.documents.get(person_id)
        if document is None:
            return None
        fields = {k: v for k, v in document.items() if k not in ("active", "erased", "version")}
        return PersonCopy(person_id, bool(document["active"]), bool(document["erased"]), fields)

    async def is_blocked(self, person_id: str) -> bool:
        document = self.documents.get(person_id)
        return document is not None and (not document["active"] or document["erased"])

    async def export(self, person_id: str) -> dict[str, Any] | None:
        document = self.documents.get(person_id)
        return None if document is None or document["erased"] else dict(document)

    async def apply_erased(self, person_id: str) -> None:
        self.documents[person_id] = {"active": False, "erased": True}


class InMemoryErasures:
    def __init__(self) -> None:
        self.under_way: dict[str, str] = {}
        self.begun = 0

    async def begin(self, person_id: str, replacement: str) -> str:
        self.begun += 1
        return self.under_way.setdefault(person_id, replacement)

    async def finish(self, person_id: str) -> None:
        self.under_way.pop(person_id, None)


class InMemoryAudit:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    async def record(
        self,
        action: str,
        actor_id: str,
        subject_id: str,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
        entry_id: str | None = None,
    ) -> dict[str, Any]:
        entry = {"action": action, "actor_id": actor_id, "subject_id": subject_id, "reason": reason, **(details or {})}
        self.entries.append(entry)
        return entry


class Clock:
    """Now, as the test wants it: starts at a fixed instant, moved on with `advance`."""

    def __init__(self, now: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def fake_ports(*, clock: Clock | None = None, yield_on_load: bool = False) -> Ports:
    return Ports(
        programmes=InMemoryAggregates(Programme.from_state, yield_on_load=yield_on_load),
        pairs=InMemoryAggregates(Pair.from_state, yield_on_load=yield_on_load),
        concerns=InMemoryAggregates(Concern.from_state),
        posts=InMemoryAggregates(Post.from_state),
        people=InMemoryPeople(),
        erasures=InMemoryErasures(),
        sealer=NoteCipher.from_settings({"test-1": generate_key()}, "test-1"),
        clock=clock or Clock(),
        circles=InMemoryAggregates(Circle.from_state, yield_on_load=yield_on_load),
        tasks=InMemoryAggregates(Task.from_state, yield_on_load=yield_on_load),
        flags=InMemoryAggregates(Flag.from_state),
        library=InMemoryAggregates(LibraryEntry.from_state),
        coffee=InMemoryAggregates(CoffeeRound.from_state),
        pseudonyms=Pseudonymizer(b"test-pseudonym-key-0123456789abcdef"),
        audit=InMemoryAudit(),
    )


def published(ports: Ports) -> list[IntegrationEvent]:
    """Every event the fakes' outboxes hold, programmes first, then pairs, concerns and posts."""
    found: list[IntegrationEvent] = []
    repositories = (
        ports.programmes, ports.pairs, ports.concerns, ports.posts,
        ports.circles, ports.tasks, ports.flags, ports.library, ports.coffee,
    )  # fmt: skip
    for repository in repositories:
        assert isinstance(repository, InMemoryAggregates)
        found.extend(repository.published)
    return found
