"""A confidential concern: raised by a pair member, handled by the programme's curators only."""

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from mentoring.domain.concern import (
    Action,
    CaseAction,
    Concern,
    ConcernActionRecorded,
    ConcernRaised,
    ConcernResolved,
    ConcernStatus,
    Outcome,
)
from shared.errors import Conflict, Forbidden, Invalid

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(days=2)
SEALED = "sealed:v1:QmVuIGlzIG5ldmVyIG9uIHRpbWU="
NOTE = "sealed:v1:VGFsa2VkIHRvIGJvdGg="


def raised(curators: tuple[str, ...] = ("cora", "carl")) -> Concern:
    return Concern.raise_concern("c-1", "p-1", "pair-1", "mia", curators, SEALED, NOW)


def test_raising_a_concern_tells_the_curators_but_not_who_raised_it_nor_what_it_says() -> None:
    concern = raised()

    assert concern.status is ConcernStatus.OPEN
    assert concern.raised_by == "mia"
    assert concern.raised_at == NOW
    assert concern.events == [ConcernRaised("c-1", "p-1", "pair-1", ["cora", "carl"])]
    published = json.dumps([dataclasses.asdict(event) for event in concern.events])
    assert "mia" not in published
    assert SEALED not in published


@pytest.mark.parametrize("text", ["", "   "])
def test_a_concern_needs_a_text(text: str) -> None:
    with pytest.raises(Invalid) as error:
        Concern.raise_concern("c-1", "p-1", "pair-1", "mia", ("cora",), text, NOW)
    assert error.value.details["field"] == "text"


def test_a_curator_listed_twice_is_told_once() -> None:
    concern = raised(("cora", "cora", "carl"))

    assert concern.curator_ids == ("cora", "carl")


def test_only_the_raiser_and_the_curators_may_read_the_concern() -> None:
    concern = raised()

    assert concern.visible_to("mia")
    assert concern.visible_to("cora")
    assert concern.visible_to("carl")
    assert not concern.visible_to("max")  # the other member of the pair
    assert not concern.visible_to("")


def test_a_curator_records_actions_in_order() -> None:
    concern = raised()
    concern.events.clear()

    talk = concern.record_action("cora", "talk", NOTE, NOW)
    note = concern.record_action("carl", Action.NOTE, "sealed:v1:second", LATER)

    assert talk == CaseAction(Action.TALK, "cora", NOTE, NOW)
    assert concern.actions == [talk, note]
    assert concern.events == [
        ConcernActionRecorded("c-1", "p-1", "talk"),
        ConcernActionRecorded("c-1", "p-1", "note"),
    ]


@pytest.mark.parametrize(
    ("action", "ends_pair"),
    [("talk", False), ("note", False), ("rematch", True), ("close_pair", True)],
)
def test_a_rematch_or_a_closing_tells_the_service_to_end_the_pair(action: str, ends_pair: bool) -> None:
    recorded = raised().record_action("cora", action, NOTE, NOW)

    assert recorded.ends_pair is ends_pair


def test_an_action_without_a_note_keeps_none_and_a_note_action_needs_one() -> None:
    concern = raised()

    assert concern.record_action("cora", "talk", "  ", NOW).sealed_note is None
    with pytest.raises(Invalid) as error:
        concern.record_action("cora", "note", None, NOW)
    assert error.value.details["field"] == "note"


def test_an_unknown_action_is_refused() -> None:
    with pytest.raises(Invalid) as error:
        raised().record_action("cora", "escalate", None, NOW)
    assert error.value.details["field"] == "action"


@pytest.mark.parametrize("person", ["mia", "max", "someone"])
def test_only_curators_act_on_or_resolve_a_concern(person: str) -> None:
    concern = raised()

    with pytest.raises(Forbidden):
        concern.record_action(person, "talk", None, NOW)
    with pytest.raises(Forbidden):
        concern.resolve(person, "talked", NOW)
    assert concern.actions == []
    assert concern.is_open


def test_resolving_records_the_outcome_and_closes_the_case() -> None:
    concern = raised()
    concern.record_action("cora", "rematch", None, NOW)
    concern.events.clear()

    concern.resolve("carl", "rematched", LATER)

    assert concern.status is ConcernStatus.RESOLVED
    assert concern.outcome is Outcome.REMATCHED
    assert concern.resolved_at == LATER
    assert concern.events == [ConcernResolved("c-1", "p-1", "pair-1", "rematched")]


def test_a_resolved_concern_takes_no_more_actions_nor_a_second_outcome() -> None:
    concern = raised()
    concern.resolve("cora", "no_action", NOW)

    with pytest.raises(Conflict):
        concern.record_action("cora", "talk", None, LATER)
    with pytest.raises(Conflict):
        concern.resolve("carl", "talked", LATER)
    assert concern.outcome is Outcome.NO_ACTION
    assert concern.resolved_at == NOW


def test_an_unknown_outcome_is_refused() -> None:
    concern = raised()
    with pytest.raises(Invalid) as error:
        concern.resolve("cora", "fixed", NOW)
    assert error.value.details["field"] == "outcome"
    assert concern.is_open


def test_a_naive_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Concern.raise_concern("c-1", "p-1", "pair-1", "mia", ("cora",), SEALED, datetime(2025, 3, 1, 9, 30))


def test_the_state_round_trips_through_plain_json() -> None:
    concern = raised()
    concern.record_action("cora", "talk", NOTE, NOW)
    concern.record_action("carl", "close_pair", None, LATER)
    concern.resolve("carl", "pair_closed", LATER)

    state = json.loads(json.dumps(concern.to_state()))

    assert Concern.from_state("c-1", state) == concern
    assert Concern.from_state("c-1", raised().to_state()) == raised()


def test_erasing_the_raiser_keeps_the_case_under_a_stand_in() -> None:
    concern = raised()

    assert concern.erase_person("mia", "former-employee-1") is True

    assert concern.raised_by == "former-employee-1"
    assert not concern.visible_to("mia")
    assert concern.sealed_text == SEALED
    assert concern.events == [ConcernRaised("c-1", "p-1", "pair-1", ["cora", "carl"])]  # no event for erasure


def test_erasing_a_curator_replaces_them_in_the_list_and_in_the_case_file() -> None:
    concern = raised()
    concern.record_action("cora", "talk", NOTE, NOW)

    assert concern.erase_person("cora", "former-employee-2") is True

    assert concern.curator_ids == ("former-employee-2", "carl")
    assert concern.actions[0].by == "former-employee-2"
    assert "cora" not in json.dumps(concern.to_state())


def test_erasing_someone_not_in_the_concern_changes_nothing() -> None:
    concern = raised()
    before = concern.to_state()

    assert concern.erase_person("max", "former-employee-3") is False
    assert concern.to_state() == before
