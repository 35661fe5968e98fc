"""The directory's decisions in mentoring: blocked people cannot register, erased ones leave no trace."""

import re

import pytest

from mentoring.domain.model import Programme, Role
from mentoring.service import handlers
from mentoring.service.ports import Erasures, People
from mentoring.tests.fakes import InMemoryErasures, InMemoryPeople, InMemoryProgrammeRepository, names
from shared.contracts.mentoring import ParticipantRegisteredV1
from shared.errors import Invalid

STAND_IN = re.compile(r"former-employee-[0-9a-f]{12}")


def test_the_fakes_implement_the_ports() -> None:
    people: People = InMemoryPeople()
    erasures: Erasures = InMemoryErasures()
    assert people is not None
    assert erasures is not None


async def programme_with(programmes: InMemoryProgrammeRepository, *people: tuple[str, str]) -> Programme:
    created = await handlers.create_programme(handlers.CreateProgramme("Mentoring", "peer"), programmes)
    for person, role in people:
        await handlers.register(handlers.Register(created.id, person, role, "ru"), programmes)
    programme, _ = await handlers.get_programme(created.id, programmes)
    return programme


@pytest.mark.parametrize("how", ["deactivated", "erased"])
async def test_a_blocked_person_cannot_register(how: str) -> None:
    programmes, people = InMemoryProgrammeRepository(), InMemoryPeople()
    programme = await programme_with(programmes)
    people.upsert("alice", display_name="Alice")
    if how == "deactivated":
        people.deactivate("alice")
    else:
        await people.apply_erased("alice")

    with pytest.raises(Invalid) as raised:
        await handlers.register(handlers.Register(programme.id, "alice", "mentor", "en"), programmes, people=people)

    assert raised.value.message == "person alice is deactivated in the directory"
    assert raised.value.details == {"field": "person_id"}
    assert programmes.states[programme.id][1] == 1  # nothing saved


async def test_active_and_unknown_people_may_register() -> None:
    programmes, people = InMemoryProgrammeRepository(), InMemoryPeople()
    programme = await programme_with(programmes)
    people.upsert("alice", display_name="Alice")

    await handlers.register(handlers.Register(programme.id, "alice", "mentor", "en"), programmes, people=people)
    await handlers.register(handlers.Register(programme.id, "newcomer", "mentee", "en"), programmes, people=people)

    stored, _ = await handlers.get_programme(programme.id, programmes)
    assert list(stored.participants) == ["alice", "newcomer"]


async def test_erasure_replaces_the_person_everywhere_and_keeps_the_counts() -> None:
    programmes, people, erasures = InMemoryProgrammeRepository(), InMemoryPeople(), InMemoryErasures()
    people.upsert("alice", display_name="Alice", manager_id="boss", job_title="Analyst")
    mentoring = await programme_with(programmes, ("alice", "mentor"), ("bob", "mentee"), ("carol", "mentee"))
    learning = await programme_with(programmes, ("bob", "mentor"), ("alice", "mentee"))
    untouched = await programme_with(programmes, ("bob", "mentor"))
    published_before = list(programmes.published)

    changed = await handlers.erase_person("alice", programmes, people, erasures)

    assert changed == 2
    assert not names(programmes.states, "alice")
    assert not names(programmes.history, "alice")
    assert await programmes.involving("alice") == []
    first, first_version = await handlers.get_programme(mentoring.id, programmes)
    second, second_version = await handlers.get_programme(learning.id, programmes)
    stand_in = next(iter(first.participants))
    assert STAND_IN.fullmatch(stand_in)
    assert list(first.participants) == [stand_in, "bob", "carol"]
    assert list(second.participants) == ["bob", stand_in]  # one stand-in per erasure
    assert first.participants[stand_in].locale is None
    assert first.count_by_role() == {Role.MENTOR: 1, Role.MENTEE: 2}
    assert second.count_by_role() == {Role.MENTOR: 1, Role.MENTEE: 1}
    assert (first_version, second_version) == (5, 4)
    assert programmes.states[untouched.id][1] == 2
    assert programmes.published == published_before  # the erasure publishes nothing
    registered = programmes.history[mentoring.id][1]["events"][0]
    assert (registered["person_id"], registered["role"]) == (stand_in, "mentor")
    assert ParticipantRegisteredV1.model_validate(registered)  # the payload still meets its contract
    assert people.documents["alice"] == {"active": False, "erased": True}
    assert erasures.under_way == {}


async def test_a_second_erasure_finds_nothing_and_changes_nothing() -> None:
    programmes, people, erasures = InMemoryProgrammeRepository(), InMemoryPeople(), InMemoryErasures()
    await programme_with(programmes, ("alice", "mentor"), ("bob", "mentee"))
    await handlers.erase_person("alice", programmes, people, erasures)
    states, history, published = programmes.states.copy(), repr(programmes.history), list(programmes.published)

    assert await handlers.erase_person("alice", programmes, people, erasures) == 0

    assert programmes.states == states
    assert repr(programmes.history) == history
    assert programmes.published == published
    assert erasures.begun == 1


async def test_each_erasure_picks_its_own_random_stand_in() -> None:
    stand_ins = []
    for _ in range(2):
        programmes = InMemoryProgrammeRepository()
        programme = await programme_with(programmes, ("alice", "mentor"))
        await handlers.erase_person("alice", programmes, InMemoryPeople(), InMemoryErasures())
        stored, _ = await handlers.get_programme(programme.id, programmes)
        stand_ins.append(next(iter(stored.participants)))

    assert stand_ins[0] != stand_ins[1]  # not derived from the person id
    assert all(STAND_IN.fullmatch(stand_in) for stand_in in stand_ins)


async def test_an_interrupted_erasure_resumes_with_its_stand_in() -> None:
    programmes, erasures = InMemoryProgrammeRepository(), InMemoryErasures()
    programme = await programme_with(programmes, ("alice", "mentor"))
    erasures.under_way["alice"] = "former-employee-0123456789ab"  # chosen by a run that crashed
    half_done, version = await handlers.get_programme(programme.id, programmes)
    half_done.erase_person("alice", "former-employee-0123456789ab")
    await programmes.save(half_done, version)  # ... after the new version, before the history

    assert await handlers.erase_person("alice", programmes, InMemoryPeople(), erasures) == 1

    assert not names(programmes.history, "alice")
    assert names(programmes.history[programme.id][1], "former-employee-0123456789ab")
    assert erasures.under_way == {}


async def test_export_lists_the_profile_and_every_role() -> None:
    programmes, people = InMemoryProgrammeRepository(), InMemoryPeople()
    people.upsert("alice", display_name="Alice", manager_id="boss", job_title="Analyst")
    first = await programme_with(programmes, ("alice", "mentor"))
    second = await programme_with(programmes, ("bob", "mentor"), ("alice", "mentee"))
    await programme_with(programmes, ("bob", "mentee"))

    exported = await handlers.export_person("alice", programmes, people)

    assert exported["service"] == "mentoring"
    assert exported["person"] == {
        "active": True,
        "erased": False,
        "version": 1,
        "display_name": "Alice",
        "manager_id": "boss",
        "job_title": "Analyst",
    }
    assert sorted(exported["programmes"], key=lambda p: p["role"]) == [
        {"programme_id": second.id, "programme_title": "Mentoring", "kind": "peer", "role": "mentee", "locale": "ru"},
        {"programme_id": first.id, "programme_title": "Mentoring", "kind": "peer", "role": "mentor", "locale": "ru"},
    ]


async def test_after_erasure_the_export_is_empty() -> None:
    programmes, people = InMemoryProgrammeRepository(), InMemoryPeople()
    people.upsert("alice", display_name="Alice")
    await programme_with(programmes, ("alice", "mentor"))
    await handlers.erase_person("alice", programmes, people, InMemoryErasures())

    exported = await handlers.export_person("alice", programmes, people)

    assert (exported["person"], exported["programmes"]) == (None, [])
