"""An in-memory course repository that behaves like the versioned store: state round-trips, versions clash."""

import asyncio
import builtins
from typing import Any

from enrolment.domain.events import DomainEvent
from enrolment.domain.model import Course
from shared.concurrency import ConcurrencyConflict


class InMemoryCourseRepository:
    def __init__(self, *, yield_on_load: bool = False) -> None:
        self.states: dict[str, tuple[dict[str, Any], int]] = {}
        self.titles: dict[str, str] = {}
        self.published: builtins.list[DomainEvent] = []
        self.conflicts = 0
        self.yield_on_load = yield_on_load  # lets concurrent use cases interleave between load and save

    async def get(self, course_id: str) -> tuple[Course, int] | None:
        found = self.states.get(course_id)
        if self.yield_on_load:
            await asyncio.sleep(0)
        if found is None:
            return None
        state, version = found
        return Course.from_state(course_id, state), version

    async def save(self, course: Course, expected_version: int) -> None:
        _, current = self.states.get(course.id, ({}, 0))
        if current != expected_version:
            self.conflicts += 1
            raise ConcurrencyConflict(f"{course.id} is at version {current}, not {expected_version}")
        # A copy through plain data, as a real store would keep it: nothing shared by reference.
        self.states[course.id] = (Course.from_state(course.id, course.to_state()).to_state(), expected_version + 1)
        self.published.extend(course.events)
        course.events.clear()

    async def list(self, limit: int, offset: int) -> builtins.list[Course]:
        return [Course.from_state(course_id, state) for course_id, (state, _) in sorted(self.states.items())][
            offset : offset + limit
        ]
