"""An in-memory programme repository that behaves like the versioned store: state round-trips, versions clash."""

import asyncio
from typing import Any

from mentoring.adapters.repository import to_integration_event
from mentoring.domain.model import Programme
from shared.concurrency import ConcurrencyConflict
from shared.contracts.base import IntegrationEvent


class InMemoryProgrammeRepository:
    def __init__(self, *, yield_on_load: bool = False) -> None:
        self.states: dict[str, tuple[dict[str, Any], int]] = {}
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
        self.published.extend(events)
        programme.events.clear()
