"""Mentoring use cases: load the programme, let it decide, save it with its events."""

import uuid
from dataclasses import dataclass
from typing import Any

from mentoring.domain.model import Participant, Programme, former_employee_id
from mentoring.service.ports import Erasures, People, ProgrammeRepository
from shared.concurrency import retry_on_conflict
from shared.errors import Invalid, NotFound

SERVICE = "mentoring"
ERASURE_PASSES = 3


@dataclass(frozen=True)
class CreateProgramme:
    title: str
    kind: str


@dataclass(frozen=True)
class Register:
    programme_id: str
    person_id: str
    role: str
    locale: str


async def create_programme(command: CreateProgramme, programmes: ProgrammeRepository) -> Programme:
    programme = Programme.create(str(uuid.uuid4()), command.title, command.kind)
    await programmes.save(programme, expected_version=0)
    return programme


async def register(
    command: Register, programmes: ProgrammeRepository, *, people: People | None = None
) -> tuple[Participant, Programme]:
    """Register in a programme; the directory's deactivated and erased people are refused.

    `people` is optional only so entrypoints written before the directory keep working: pass it.
    """
    if people is not None and await people.is_blocked(command.person_id):
        raise Invalid(f"person {command.person_id} is deactivated in the directory", field="person_id")

    async def attempt() -> tuple[Participant, Programme]:
        # Racing registrations conflict on the programme version; the loser re-reads the participants and decides again.
        programme, version = await get_programme(command.programme_id, programmes)
        participant = programme.register(command.person_id, command.role, command.locale)
        await programmes.save(programme, expected_version=version)
        return participant, programme

    return await retry_on_conflict(attempt)


async def get_programme(programme_id: str, programmes: ProgrammeRepository) -> tuple[Programme, int]:
    found = await programmes.get(programme_id)
    if found is None:
        raise NotFound(f"programme {programme_id} does not exist", programme_id=programme_id)
    return found


async def erase_person(person_id: str, programmes: ProgrammeRepository, people: People, erasures: Erasures) -> int:
    """Put a former employee in the person's place in every programme, current state and history alike.

    Returns how many programmes changed. Safe to run again: a repeated erasure finds nobody and
    changes nothing. The person is blocked first, so no registration can bring them back while
    the programmes are rewritten; a pass that still finds them (a registration that slipped in)
    erases again. One random stand-in per erasure, kept in `erasures` until the end, so a crash
    half way resumes with the same stand-in instead of splitting the history over two.
    """
    await people.apply_erased(person_id)
    replacement: str | None = None
    changed: set[str] = set()
    for _ in range(ERASURE_PASSES):
        programme_ids = await programmes.involving(person_id)
        if not programme_ids:
            if replacement is not None:
                await erasures.finish(person_id)
            return len(changed)
        if replacement is None:
            replacement = await erasures.begin(person_id, former_employee_id())
        for programme_id in programme_ids:
            if await _erase_from_programme(programme_id, person_id, replacement, programmes):
                changed.add(programme_id)
    raise RuntimeError(f"a person is still named in programmes after {ERASURE_PASSES} erasure passes")


async def _erase_from_programme(
    programme_id: str, person_id: str, replacement: str, programmes: ProgrammeRepository
) -> bool:
    async def attempt() -> tuple[bool, int]:
        # A normal new version: it wins or loses against concurrent registrations like any other change.
        found = await programmes.get(programme_id)
        if found is None:
            return False, 0
        programme, version = found
        if not programme.erase_person(person_id, replacement):
            return False, version  # erased already (an interrupted run): only the history may remain
        await programmes.save(programme, expected_version=version)
        return True, version

    erased, history = await retry_on_conflict(attempt, aggregate_id=programme_id)
    # The versions before the erasure; never the newest, whose state the head caches.
    rewritten = await programmes.erase_from_history(programme_id, person_id, replacement, history)
    return erased or rewritten > 0


async def export_person(person_id: str, programmes: ProgrammeRepository, people: People) -> dict[str, Any]:
    """Everything mentoring holds on the person, as plain JSON-able data (a subject access request)."""
    registrations: list[dict[str, Any]] = []
    for programme_id in await programmes.involving(person_id):
        found = await programmes.get(programme_id)
        if found is None:
            continue
        programme, _ = found
        participant = programme.participants.get(person_id)
        if participant is None:
            continue
        registrations.append(
            {
                "programme_id": programme.id,
                "programme_title": programme.title,
                "kind": programme.kind.value,
                "role": participant.role.value,
                "locale": participant.locale,
            }
        )
    return {
        "service": SERVICE,
        "person_id": person_id,
        "person": await people.export(person_id),
        "programmes": registrations,
    }
