"""Mentoring use cases: load the programme, let it decide, save it with its events."""

import uuid
from dataclasses import dataclass

from mentoring.domain.model import Participant, Programme
from mentoring.service.ports import ProgrammeRepository
from shared.concurrency import retry_on_conflict
from shared.errors import NotFound


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


async def register(command: Register, programmes: ProgrammeRepository) -> tuple[Participant, Programme]:
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
