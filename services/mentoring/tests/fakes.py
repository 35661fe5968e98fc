"""In-memory stand-ins for the adapters: a directory copy, an erasure ledger, and a programme repository
that behaves like the versioned store (state round-trips, versions clash, each version kept with its payloads)."""

import asyncio
from typing import Any

from mentoring.adapters.repository import to_integration_event
from mentoring.domain.model import Programme
from shared.concurrency import ConcurrencyConflict
from shared.contracts.base import IntegrationEvent
from shared.persistence.erasures import replace_value


def names(value: Any, person_id: str) -> bool:
    """True if `person_id` is stored anywhere in `value`."""
    return bool(replace_value(value, person_id, f"\0{person_id}") != value)


class InMemoryProgrammeRepository:
    def __init__(self, *, yield_on_load: bool = False) -> None:
        self.states: dict[str, tuple[dict[str, Any], int]] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}  # per programme, version N at index N-1
        self.published: list[IntegrationEvent] = []
        self.conflicts = 0
        self.yield_on_load = yield_on_load  # lets concurrent use cases interleave between load and save

    async def get(self, programme_id: str) -> tuple[Programme, int] | None:
        found = self.states.get(programme_id)
        if self.yield_on_load:
            await asyncio.sleep(0)
        if found is None:
            return None
        state, version = found
        return Programme.from_state(programme_id, state), version

    async def save(self, programme: Programme, expected_version: int) -> None:
        _, current = self.states.get(programme.id, ({}, 0))
        if current != expected_version:
            self.conflicts += 1
            raise ConcurrencyConflict(f"{programme.id} is already at version {current + 1}")
        events = [to_integration_event(event) for event in programme.events]  # what the outbox would hold
        self.states[programme.id] = (programme.to_state(), expected_version + 1)
        commit = {"state": programme.to_state(), "events": [event.model_dump(mode="json") for event in events]}
        self.history.setdefault(programme.id, []).append(commit)
        self.published.extend(events)
        programme.events.clear()

    async def involving(self, person_id: str) -> list[str]:
        return sorted(
            programme_id
            for programme_id in self.states
            if names(self.states[programme_id][0], person_id) or names(self.history.get(programme_id, []), person_id)
        )

    async def erase_from_history(
        self, programme_id: str, person_id: str, replacement: str, through_version: int
    ) -> int:
        changed = 0
        for commit in self.history.get(programme_id, [])[:through_version]:
            programme = Programme.from_state(programme_id, commit["state"])
            state = programme.to_state() if programme.erase_person(person_id, replacement) else commit["state"]
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
