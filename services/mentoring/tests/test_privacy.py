"""The directory's decisions in mentoring: blocked people cannot join, erased ones leave no trace anywhere."""

import re
from datetime import date
from typing import Any

import pytest

from mentoring.domain.model import Role
from mentoring.domain.pair import Pair
from mentoring.domain.programme import Profile, Programme, Terms
from mentoring.service import handlers
from mentoring.service.ports import Erasures, People, Ports, Repository
from mentoring.tests.fakes import InMemoryAggregates, InMemoryErasures, InMemoryPeople, fake_ports, names, published
from shared.contracts.mentoring import PairFormedV1, ParticipantRegisteredV1
from shared.errors import Invalid

STAND_IN = re.compile(r"former-employee-[0-9a-f]{12}")
CURATOR = "carol"
TERMS = Terms.checked(
    format="one_to_one",
    topics=["python"],
    enrolment_opens=date(2026, 3, 1),
    enrolment_closes=date(2026, 3, 20),
    starts=date(2026, 4, 1),
    duration_weeks=12,
    cadence_days=14,
    rules_text="Meet every two weeks; what is said in a pair stays in the pair.",
)
PROFILES = {
    "mentor": Profile.checked(Role.MENTOR, competencies={"python": 4}, topics=["python"], languages=["en"]),
    "mentee": Profile.checked(Role.MENTEE, competencies={}, topics=["python"], languages=["en"]),
}


def store(repository: Repository[Any]) -> InMemoryAggregates[Any]:
    assert isinstance(repository, InMemoryAggregates)
    return repository


def people_of(ports: Ports) -> InMemoryPeople:
    assert isinstance(ports.people, InMemoryPeople)
    return ports.people


def erasures_of(ports: Ports) -> InMemoryErasures:
    assert isinstance(ports.erasures, InMemoryErasures)
    return ports.erasures


def current(repository: InMemoryAggregates[Any]) -> list[dict[str, Any]]:
    """The newest state of every aggregate (`names` looks into dicts and lists, not the (state, version) tuples)."""
    return [state for state, _ in repository.states.values()]


def repositories(ports: Ports) -> list[InMemoryAggregates[Any]]:
    return [store(ports.programmes), store(ports.pairs), store(ports.concerns), store(ports.posts)]


def test_the_fakes_implement_the_ports() -> None:
    people: People = InMemoryPeople()
    erasures: Erasures = InMemoryErasures()
    assert people is not None
    assert erasures is not None


async def open_programme(ports: Ports, *people: tuple[str, str], title: str = "Python for analysts") -> Programme:
    """An open programme the curator filled with (person, role); a mentee joins on their own."""
    created = await handlers.create_programme(ports, title=title, kind="peer", terms=TERMS, curator_id=CURATOR)
    await handlers.advance_programme(ports, created.id, CURATOR, "open")
    for person_id, role in people:
        await join(ports, created.id, person_id, role)
    return await handlers.get_programme(ports, created.id)


async def join(ports: Ports, programme_id: str, person_id: str, role: str) -> None:
    await handlers.register(
        ports,
        programme_id,
        person_id,
        role,
        locale="ru",
        profile=PROFILES[role],
        accepted_rules=True,
        by_curator=role == "mentor",
    )


async def paired_programme(ports: Ports, mentor_id: str, mentee_id: str) -> tuple[Programme, Pair]:
    """A programme whose curator matched the two, so a pair aggregate holds them as well."""
    programme = await open_programme(ports, (mentor_id, "mentor"), (mentee_id, "mentee"))
    await handlers.advance_programme(ports, programme.id, CURATOR, "matching")
    proposal = await handlers.propose_matching(ports, programme.id, CURATOR)
    (planned,) = await handlers.approve_matching(ports, programme.id, CURATOR, proposal.id)
    found = await ports.pairs.get(planned.pair_id)
    assert found is not None
    return await handlers.get_programme(ports, programme.id), found[0]


@pytest.mark.parametrize("how", ["deactivated", "erased"])
async def test_a_blocked_person_cannot_join(how: str) -> None:
    ports = fake_ports()
    programme = await open_programme(ports)
    people_of(ports).upsert("alice", display_name="Alice")
    if how == "deactivated":
        people_of(ports).deactivate("alice")
    else:
        await ports.people.apply_erased("alice")
    version = store(ports.programmes).states[programme.id][1]

    with pytest.raises(Invalid) as raised:
        await join(ports, programme.id, "alice", "mentee")
    with pytest.raises(Invalid):
        await join(ports, programme.id, "alice", "mentor")  # not even when a curator adds them
    with pytest.raises(Invalid):
        await handlers.nominate(
            ports,
            programme.id,
            "alice",
            "alice",
            reason="",
            locale="en",
            profile=PROFILES["mentor"],
            accepted_rules=True,
        )
    with pytest.raises(Invalid):
        await handlers.nominate(
            ports, programme.id, "bob", "alice", reason="Great", locale=None, profile=None, accepted_rules=False
        )

    assert raised.value.message == "person alice is deactivated in the directory"
    assert raised.value.details == {"field": "person_id"}
    assert store(ports.programmes).states[programme.id][1] == version  # nothing saved


async def test_active_and_unknown_people_may_join() -> None:
    ports = fake_ports()
    programme = await open_programme(ports)
    people_of(ports).upsert("alice", display_name="Alice")

    await join(ports, programme.id, "alice", "mentor")
    await join(ports, programme.id, "newcomer", "mentee")

    stored = await handlers.get_programme(ports, programme.id)
    assert list(stored.participants) == ["alice", "newcomer"]


async def test_erasure_replaces_the_person_in_every_aggregate_and_keeps_the_counts() -> None:
    ports = fake_ports()
    people_of(ports).upsert("alice", display_name="Alice", manager_id="boss", job_title="Analyst")
    mentoring, pair = await paired_programme(ports, "alice", "bob")
    learning = await open_programme(ports, ("bob", "mentor"), ("alice", "mentee"), ("carl", "mentee"))
    untouched = await open_programme(ports, ("bob", "mentor"))
    programmes = store(ports.programmes)
    versions = {key: version for key, (_, version) in programmes.states.items()}
    published_before = list(published(ports))
    assert names(current(programmes), "alice")
    assert names(current(store(ports.pairs)), "alice")

    changed = await handlers.erase_person("alice", ports)

    assert changed == 3  # two programmes and the pair
    for repository in repositories(ports):
        assert not names(current(repository), "alice")
        assert not names(repository.history, "alice")
        assert await repository.involving("alice") == []
    first = await handlers.get_programme(ports, mentoring.id)
    second = await handlers.get_programme(ports, learning.id)
    stand_in = next(iter(first.participants))
    assert STAND_IN.fullmatch(stand_in)
    assert list(first.participants) == [stand_in, "bob"]
    assert list(second.participants) == ["bob", stand_in, "carl"]  # one stand-in per erasure
    assert first.participants[stand_in].locale is None
    assert first.count_by_role() == {Role.MENTOR: 1, Role.MENTEE: 1}
    assert second.count_by_role() == {Role.MENTOR: 1, Role.MENTEE: 2}
    assert [line.mentor_id for line in first.roster.values()] == [stand_in]
    assert first.proposal is not None
    assert first.proposal.pairings[0].mentor_id == stand_in
    found = await ports.pairs.get(pair.id)
    assert found is not None
    assert (found[0].mentor_id, found[0].mentee_ids) == (stand_in, ["bob"])  # the same stand-in as in programmes
    assert programmes.states[mentoring.id][1] == versions[mentoring.id] + 1
    assert programmes.states[learning.id][1] == versions[learning.id] + 1
    assert programmes.states[untouched.id][1] == versions[untouched.id]
    assert published(ports) == published_before  # the erasure publishes nothing
    registered = programmes.history[mentoring.id][2]["events"][0]  # the mentor added after opening
    assert (registered["person_id"], registered["role"]) == (stand_in, "mentor")
    assert ParticipantRegisteredV1.model_validate(registered)  # the payload still meets its contract
    (formed,) = store(ports.pairs).history[pair.id][0]["events"]
    assert PairFormedV1.model_validate(formed).mentor_id == stand_in
    assert people_of(ports).documents["alice"] == {"active": False, "erased": True}
    assert erasures_of(ports).under_way == {}


async def test_erasing_a_curator_keeps_the_programme_and_its_pairs_curated() -> None:
    ports = fake_ports()
    programme, pair = await paired_programme(ports, "alice", "bob")

    assert await handlers.erase_person(CURATOR, ports) == 2

    for repository in repositories(ports):
        assert not names(current(repository), CURATOR)
        assert not names(repository.history, CURATOR)
    stored = await handlers.get_programme(ports, programme.id)
    (stand_in,) = stored.curator_ids
    assert STAND_IN.fullmatch(stand_in)
    found = await ports.pairs.get(pair.id)
    assert found is not None
    assert found[0].terms.curator_ids == (stand_in,)


async def test_a_second_erasure_finds_nothing_and_changes_nothing() -> None:
    ports = fake_ports()
    await paired_programme(ports, "alice", "bob")
    await handlers.erase_person("alice", ports)
    states = [repr(repository.states) for repository in repositories(ports)]
    history = [repr(repository.history) for repository in repositories(ports)]
    published_before = list(published(ports))

    assert await handlers.erase_person("alice", ports) == 0

    assert [repr(repository.states) for repository in repositories(ports)] == states
    assert [repr(repository.history) for repository in repositories(ports)] == history
    assert published(ports) == published_before
    assert erasures_of(ports).begun == 1


async def test_each_erasure_picks_its_own_random_stand_in() -> None:
    stand_ins = []
    for _ in range(2):
        ports = fake_ports()
        programme = await open_programme(ports, ("alice", "mentor"))
        await handlers.erase_person("alice", ports)
        stored = await handlers.get_programme(ports, programme.id)
        stand_ins.append(next(iter(stored.participants)))

    assert stand_ins[0] != stand_ins[1]  # not derived from the person id
    assert all(STAND_IN.fullmatch(stand_in) for stand_in in stand_ins)


async def test_an_interrupted_erasure_resumes_with_its_stand_in() -> None:
    ports = fake_ports()
    programme, pair = await paired_programme(ports, "alice", "bob")
    erasures_of(ports).under_way["alice"] = "former-employee-0123456789ab"  # chosen by a run that crashed
    found = await ports.programmes.get(programme.id)
    assert found is not None
    half_done, version = found
    half_done.erase_person("alice", "former-employee-0123456789ab")
    await ports.programmes.save(half_done, version)  # ... after the programme's new version, before the rest

    assert await handlers.erase_person("alice", ports) == 2

    for repository in repositories(ports):
        assert not names(current(repository), "alice")
        assert not names(repository.history, "alice")
    assert names(store(ports.programmes).history[programme.id][2], "former-employee-0123456789ab")
    assert names(store(ports.pairs).states[pair.id][0], "former-employee-0123456789ab")
    assert erasures_of(ports).under_way == {}


async def test_export_lists_the_profile_every_role_and_every_pair() -> None:
    ports = fake_ports()
    people_of(ports).upsert("alice", display_name="Alice", manager_id="boss", job_title="Analyst")
    first, pair = await paired_programme(ports, "alice", "bob")
    second = await open_programme(ports, ("bob", "mentor"), ("alice", "mentee"))
    await handlers.leave(ports, second.id, "alice")
    await open_programme(ports, ("bob", "mentee"))

    exported = await handlers.export_person("alice", ports)

    assert exported["service"] == "mentoring"
    assert exported["person_id"] == "alice"
    assert exported["person"] == {
        "active": True,
        "erased": False,
        "version": 1,
        "display_name": "Alice",
        "manager_id": "boss",
        "job_title": "Analyst",
    }
    common = {"programme_title": "Python for analysts", "kind": "peer", "locale": "ru"}
    assert sorted(exported["programmes"], key=lambda p: p["role"]) == [
        {
            **common,
            "programme_id": second.id,
            "role": "mentee",
            "active": False,
            "profile": PROFILES["mentee"].to_state(),
        },
        {
            **common,
            "programme_id": first.id,
            "role": "mentor",
            "active": True,
            "profile": PROFILES["mentor"].to_state(),
        },
    ]
    assert exported["pairs"] == [
        {"pair_id": pair.id, "programme_id": first.id, "role": "mentor", "goals": [], "meetings": []}
    ]


async def test_after_erasure_the_export_is_empty() -> None:
    ports = fake_ports()
    people_of(ports).upsert("alice", display_name="Alice")
    await paired_programme(ports, "alice", "bob")
    await handlers.erase_person("alice", ports)

    exported = await handlers.export_person("alice", ports)

    assert (exported["person"], exported["programmes"], exported["pairs"]) == (None, [], [])
