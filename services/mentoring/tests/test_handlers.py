"""The use cases through the service layer, against an in-memory repository."""

import asyncio

import pytest

from mentoring.adapters.repository import to_integration_event
from mentoring.domain.events import ParticipantRegistered, ProgrammeCreated
from mentoring.domain.model import AlreadyRegistered, Role
from mentoring.service import handlers
from mentoring.service.ports import ProgrammeRepository
from mentoring.tests.fakes import InMemoryProgrammeRepository
from shared.contracts.mentoring import ParticipantRegisteredV1, ProgrammeCreatedV1
from shared.errors import Invalid, NotFound


def test_the_fake_implements_the_port() -> None:
    repository: ProgrammeRepository = InMemoryProgrammeRepository()
    assert repository is not None


@pytest.mark.asyncio
async def test_create_programme_saves_it_with_its_event() -> None:
    programmes = InMemoryProgrammeRepository()

    programme = await handlers.create_programme(handlers.CreateProgramme("Mentoring", "classic"), programmes)

    stored, version = await handlers.get_programme(programme.id, programmes)
    assert (stored.title, stored.kind.value, version) == ("Mentoring", "classic", 1)
    assert programmes.published == [ProgrammeCreatedV1(programme_id=programme.id, title="Mentoring", kind="classic")]


@pytest.mark.asyncio
async def test_create_programme_rejects_a_blank_title_and_saves_nothing() -> None:
    programmes = InMemoryProgrammeRepository()
    with pytest.raises(Invalid):
        await handlers.create_programme(handlers.CreateProgramme(" ", "classic"), programmes)
    assert programmes.states == {}


@pytest.mark.asyncio
async def test_register_saves_the_participant_and_publishes_the_contract() -> None:
    programmes = InMemoryProgrammeRepository()
    programme = await handlers.create_programme(handlers.CreateProgramme("Mentoring", "peer"), programmes)

    participant, _ = await handlers.register(handlers.Register(programme.id, "alice", "mentee", "ru"), programmes)

    assert participant.role is Role.MENTEE
    stored, version = await handlers.get_programme(programme.id, programmes)
    assert version == 2
    assert stored.count_by_role() == {Role.MENTOR: 0, Role.MENTEE: 1}
    assert programmes.published[-1] == ParticipantRegisteredV1(
        programme_id=programme.id, programme_title="Mentoring", person_id="alice", role="mentee", locale="ru"
    )


@pytest.mark.asyncio
async def test_registering_twice_is_a_conflict_carrying_the_existing_role() -> None:
    programmes = InMemoryProgrammeRepository()
    programme = await handlers.create_programme(handlers.CreateProgramme("Mentoring", "classic"), programmes)
    await handlers.register(handlers.Register(programme.id, "alice", "mentor", "en"), programmes)

    with pytest.raises(AlreadyRegistered) as raised:
        await handlers.register(handlers.Register(programme.id, "alice", "mentee", "en"), programmes)

    assert raised.value.details["role"] == "mentor"
    _, version = await handlers.get_programme(programme.id, programmes)
    assert version == 2
    assert len(programmes.published) == 2


@pytest.mark.asyncio
async def test_registering_in_an_unknown_programme_is_not_found() -> None:
    with pytest.raises(NotFound):
        await handlers.register(handlers.Register("nope", "alice", "mentor", "en"), InMemoryProgrammeRepository())


@pytest.mark.asyncio
async def test_concurrent_registrations_on_one_programme_are_all_kept() -> None:
    programmes = InMemoryProgrammeRepository(yield_on_load=True)
    programme = await handlers.create_programme(handlers.CreateProgramme("Mentoring", "peer"), programmes)
    people = [f"person-{number}" for number in range(20)]

    await asyncio.gather(
        *(
            handlers.register(
                handlers.Register(programme.id, person, "mentor" if i % 2 else "mentee", "en"), programmes
            )
            for i, person in enumerate(people)
        )
    )

    stored, version = await handlers.get_programme(programme.id, programmes)
    assert programmes.conflicts > 0  # the race really happened
    assert sorted(stored.participants) == sorted(people)
    assert stored.count_by_role() == {Role.MENTOR: 10, Role.MENTEE: 10}
    assert version == 1 + len(people)
    assert sorted(e.person_id for e in programmes.published if isinstance(e, ParticipantRegisteredV1)) == sorted(people)


def test_domain_events_map_to_the_mentoring_contracts() -> None:
    assert to_integration_event(ProgrammeCreated("p-1", "Mentoring", "reverse")) == ProgrammeCreatedV1(
        programme_id="p-1", title="Mentoring", kind="reverse"
    )
    registered = to_integration_event(ParticipantRegistered("p-1", "Mentoring", "alice", "mentor", "ru"))
    assert registered.key == "p-1"
    assert registered.model_dump() == {
        "programme_id": "p-1",
        "programme_title": "Mentoring",
        "person_id": "alice",
        "role": "mentor",
        "locale": "ru",
    }
