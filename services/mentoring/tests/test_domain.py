"""The programme's rules, in plain Python."""

import re

import pytest

from mentoring.domain.events import ParticipantRegistered, ProgrammeCreated
from mentoring.domain.model import AlreadyRegistered, Programme, ProgrammeKind, Role, former_employee_id
from shared.errors import Conflict, Invalid


def test_creating_a_programme_records_programme_created() -> None:
    programme = Programme.create("p-1", "  Reverse mentoring  ", "reverse")

    assert programme.title == "Reverse mentoring"
    assert programme.kind is ProgrammeKind.REVERSE
    assert programme.events == [ProgrammeCreated("p-1", "Reverse mentoring", "reverse")]


@pytest.mark.parametrize("title", ["", "   "])
def test_a_programme_needs_a_title(title: str) -> None:
    with pytest.raises(Invalid) as raised:
        Programme.create("p-1", title, "classic")
    assert raised.value.details["field"] == "title"


def test_a_programme_kind_is_classic_reverse_or_peer() -> None:
    with pytest.raises(Invalid) as raised:
        Programme.create("p-1", "Mentoring", "group")
    assert raised.value.details["field"] == "kind"


def test_registering_records_participant_registered() -> None:
    programme = Programme.create("p-1", "Mentoring", "classic")
    programme.events.clear()

    participant = programme.register("alice", "mentor", "ru")

    assert participant.role is Role.MENTOR
    assert programme.events == [ParticipantRegistered("p-1", "Mentoring", "alice", "mentor", "ru")]
    assert programme.count_by_role() == {Role.MENTOR: 1, Role.MENTEE: 0}


def test_the_same_person_cannot_register_twice_in_one_programme() -> None:
    programme = Programme.create("p-1", "Mentoring", "peer")
    programme.register("alice", "mentor", "en")
    programme.events.clear()

    with pytest.raises(AlreadyRegistered) as raised:
        programme.register("alice", "mentee", "en")

    assert isinstance(raised.value, Conflict)
    assert raised.value.details == {"person_id": "alice", "role": "mentor"}
    assert programme.events == []
    assert programme.count_by_role() == {Role.MENTOR: 1, Role.MENTEE: 0}


def test_one_person_may_be_in_several_programmes() -> None:
    first, second = Programme.create("p-1", "One", "classic"), Programme.create("p-2", "Two", "classic")
    first.register("alice", "mentor", "en")
    second.register("alice", "mentee", "en")

    assert first.participants["alice"].role is Role.MENTOR
    assert second.participants["alice"].role is Role.MENTEE


@pytest.mark.parametrize(
    ("person_id", "role", "locale", "field"),
    [("", "mentor", "en", "person_id"), ("alice", "coach", "en", "role"), ("alice", "mentor", "de", "locale")],
)
def test_a_registration_must_be_well_formed(person_id: str, role: str, locale: str, field: str) -> None:
    programme = Programme.create("p-1", "Mentoring", "classic")
    with pytest.raises(Invalid) as raised:
        programme.register(person_id, role, locale)
    assert raised.value.details["field"] == field


def test_state_round_trips_without_events() -> None:
    programme = Programme.create("p-1", "Mentoring", "peer")
    programme.register("alice", "mentor", "ru")
    programme.register("bob", "mentee", "en")

    restored = Programme.from_state("p-1", programme.to_state())

    assert restored == programme
    assert restored.events == []
    assert list(restored.participants) == ["alice", "bob"]


def test_erasing_a_person_puts_a_former_employee_in_their_place_and_role() -> None:
    programme = Programme.create("p-1", "Mentoring", "peer")
    programme.register("alice", "mentor", "ru")
    programme.register("bob", "mentee", "en")
    programme.register("carol", "mentee", "ru")
    programme.events.clear()

    assert programme.erase_person("bob", "former-employee-00000000000b") is True

    assert list(programme.participants) == ["alice", "former-employee-00000000000b", "carol"]
    erased = programme.participants["former-employee-00000000000b"]
    assert (erased.person_id, erased.role, erased.locale) == ("former-employee-00000000000b", Role.MENTEE, None)
    assert programme.count_by_role() == {Role.MENTOR: 1, Role.MENTEE: 2}
    assert programme.events == []  # nothing to publish: the stand-in is no news for anyone
    assert "bob" not in str(programme.to_state())
    assert Programme.from_state("p-1", programme.to_state()) == programme


def test_erasing_someone_who_is_not_there_changes_nothing() -> None:
    programme = Programme.create("p-1", "Mentoring", "peer")
    programme.register("alice", "mentor", "ru")
    before = programme.to_state()

    assert programme.erase_person("stranger", "former-employee-000000000001") is False
    assert programme.to_state() == before


def test_a_former_employee_id_is_random_and_cannot_register() -> None:
    first, second = former_employee_id(), former_employee_id()

    assert first != second
    assert re.fullmatch(r"former-employee-[0-9a-f]{12}", first)
    with pytest.raises(Invalid) as raised:
        Programme.create("p-1", "Mentoring", "peer").register(first, "mentor", "en")
    assert raised.value.details == {"field": "person_id"}
