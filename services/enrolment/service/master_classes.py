"""Use cases of master classes: load, decide, save with `retry_on_conflict` (a lost race decides again).

Seats and the waitlist live in the one aggregate, and every change is a versioned commit keyed by
(id, version): two people racing for the last seat cannot both get it, the loser reloads and decides again.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import uuid4

from enrolment.domain.master_class import MasterClass, MyStatus, Proposal, Status, View
from shared.concurrency import retry_on_conflict
from shared.errors import NotFound

T = TypeVar("T")


class MasterClasses(Protocol):
    async def get(self, master_class_id: str) -> tuple[MasterClass, int] | None:
        """The master class and the version it was loaded at."""
        ...

    async def save(self, master_class: MasterClass, expected_version: int) -> None:
        """Store it with the events it recorded; ConcurrencyConflict if the version moved."""
        ...

    async def listed(self, statuses: tuple[Status, ...]) -> list[MasterClass]:
        """Master classes in these statuses, soonest first."""
        ...


async def get(master_classes: MasterClasses, master_class_id: str) -> MasterClass:
    loaded = await master_classes.get(master_class_id)
    if loaded is None:
        raise NotFound(f"no master class {master_class_id}", master_class_id=master_class_id)
    return loaded[0]


async def _change(master_classes: MasterClasses, master_class_id: str, decide: Callable[[MasterClass], T]) -> T:
    async def attempt() -> T:
        loaded = await master_classes.get(master_class_id)
        if loaded is None:
            raise NotFound(f"no master class {master_class_id}", master_class_id=master_class_id)
        master_class, version = loaded
        result = decide(master_class)
        if master_class.events:
            await master_classes.save(master_class, version)
        return result

    return await retry_on_conflict(attempt, aggregate_id=master_class_id)


async def propose(
    master_classes: MasterClasses, host_id: str, proposal: Proposal, needs_approval: bool, now: datetime
) -> MasterClass:
    master_class = MasterClass.propose(f"mc-{uuid4().hex[:16]}", host_id, proposal, needs_approval, now)
    await master_classes.save(master_class, 0)
    return master_class


async def approve(master_classes: MasterClasses, master_class_id: str, curator_id: str, now: datetime) -> MasterClass:
    def decide(master_class: MasterClass) -> MasterClass:
        master_class.approve(curator_id, now)
        return master_class

    return await _change(master_classes, master_class_id, decide)


async def register(master_classes: MasterClasses, master_class_id: str, person_id: str, now: datetime) -> View:
    def decide(master_class: MasterClass) -> View:
        master_class.register(person_id, now)
        return master_class.view(person_id)

    return await _change(master_classes, master_class_id, decide)


async def withdraw(master_classes: MasterClasses, master_class_id: str, person_id: str, now: datetime) -> View:
    def decide(master_class: MasterClass) -> View:
        master_class.withdraw(person_id, now)
        return master_class.view(person_id)

    return await _change(master_classes, master_class_id, decide)


async def mark_held(
    master_classes: MasterClasses, master_class_id: str, host_id: str, attendee_ids: list[str] | None, now: datetime
) -> View:
    def decide(master_class: MasterClass) -> View:
        master_class.mark_held(now, attendee_ids)
        return master_class.view(host_id)

    return await _change(master_classes, master_class_id, decide)


async def attach_recording(
    master_classes: MasterClasses, master_class_id: str, host_id: str, recording_url: str, materials: list[str]
) -> View:
    def decide(master_class: MasterClass) -> View:
        master_class.attach_recording(recording_url, materials)
        return master_class.view(host_id)

    return await _change(master_classes, master_class_id, decide)


async def give_feedback(
    master_classes: MasterClasses,
    master_class_id: str,
    person_id: str,
    score: int,
    comment: str | None,
    now: datetime,
) -> View:
    def decide(master_class: MasterClass) -> View:
        master_class.give_feedback(person_id, score, comment, now)
        return master_class.view(person_id)

    return await _change(master_classes, master_class_id, decide)


async def status_of(master_classes: MasterClasses, master_class_id: str, person_id: str) -> MyStatus:
    return (await get(master_classes, master_class_id)).status_of(person_id)
