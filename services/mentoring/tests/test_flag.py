"""Moderation flags on a circle's solutions and comments: raised by a member, resolved once by a moderator."""

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from mentoring.domain.flag import (
    MAX_TEXT_LENGTH,
    Flag,
    FlaggedItemKind,
    FlagOutcome,
    FlagRaised,
    FlagReason,
    FlagResolved,
    FlagStatus,
)
from shared.errors import Conflict, Invalid

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=3)


def raised(
    text: str = "The answer says lists are immutable; they are not.",
    reason: str = "false_information",
    item_kind: str = "solution",
) -> Flag:
    return Flag.raise_flag("flag-1", "circle-1", "task-1", "sol-1", item_kind, reason, text, "mia", NOW)


def test_raising_a_flag_keeps_the_case_and_tells_others_without_the_flagger() -> None:
    flag = raised(text="  Rude reply to a newcomer.  ", reason="rudeness", item_kind="comment")

    assert flag.status is FlagStatus.OPEN
    assert flag.item_kind is FlaggedItemKind.COMMENT
    assert flag.reason is FlagReason.RUDENESS
    assert flag.text == "Rude reply to a newcomer."
    assert flag.flagged_by == "mia"
    assert flag.events == [FlagRaised("circle-1", "flag-1", "task-1", "comment", "rudeness")]
    event_values = json.dumps(dataclasses.asdict(flag.events[0]))
    assert "mia" not in event_values
    assert "newcomer" not in event_values


@pytest.mark.parametrize("text", ["", "   \n", "x" * (MAX_TEXT_LENGTH + 1)])
def test_a_flag_must_say_what_is_wrong_in_1_to_2000_characters(text: str) -> None:
    with pytest.raises(Invalid) as error:
        raised(text=text)
    assert error.value.details["field"] == "text"


def test_the_longest_text_is_accepted() -> None:
    assert len(raised(text="x" * MAX_TEXT_LENGTH).text) == 2000


def test_an_unknown_reason_is_refused_by_name() -> None:
    with pytest.raises(Invalid) as error:
        raised(reason="boring")
    assert error.value.details["field"] == "reason"


def test_only_solutions_and_comments_can_be_flagged() -> None:
    with pytest.raises(Invalid) as error:
        raised(item_kind="task")
    assert error.value.details["field"] == "item_kind"


def test_resolving_records_the_moderator_and_tells_only_the_outcome() -> None:
    flag = raised()
    flag.events.clear()

    flag.resolve("mod-1", "hidden", "  Wrong and misleading; the author was told.  ", LATER)

    assert flag.status is FlagStatus.RESOLVED
    assert flag.outcome is FlagOutcome.HIDDEN
    assert flag.moderator_id == "mod-1"
    assert flag.note == "Wrong and misleading; the author was told."
    assert flag.resolved_at == LATER
    assert flag.events == [FlagResolved("circle-1", "flag-1", "hidden")]


@pytest.mark.parametrize("outcome", ["hidden", "edited"])
@pytest.mark.parametrize("note", [None, "", "   "])
def test_hiding_or_editing_needs_a_note(outcome: str, note: str | None) -> None:
    flag = raised()

    with pytest.raises(Invalid) as error:
        flag.resolve("mod-1", outcome, note, LATER)

    assert error.value.details["field"] == "note"
    assert flag.is_open


@pytest.mark.parametrize("outcome", ["restored", "dismissed"])
def test_restoring_or_dismissing_needs_no_note(outcome: str) -> None:
    flag = raised()

    flag.resolve("mod-1", outcome, "  ", LATER)

    assert flag.outcome == outcome
    assert flag.note is None


def test_an_unknown_outcome_is_refused_by_name() -> None:
    with pytest.raises(Invalid) as error:
        raised().resolve("mod-1", "deleted", "gone", LATER)
    assert error.value.details["field"] == "outcome"


def test_a_flag_is_resolved_only_once() -> None:
    flag = raised()
    flag.resolve("mod-1", "dismissed", None, LATER)

    with pytest.raises(Conflict):
        flag.resolve("mod-2", "hidden", "second thoughts", LATER)

    assert flag.outcome is FlagOutcome.DISMISSED
    assert flag.moderator_id == "mod-1"
    assert len(flag.events) == 2


@pytest.mark.parametrize("resolved", [False, True])
def test_the_state_round_trips_through_plain_json(resolved: bool) -> None:
    flag = raised()
    if resolved:
        flag.resolve("mod-1", "edited", "Removed the wrong claim.", LATER)

    state = json.loads(json.dumps(flag.to_state()))

    assert Flag.from_state("flag-1", state) == flag


def test_erasure_replaces_the_flagger_and_the_moderator() -> None:
    flag = raised()
    flag.resolve("mod-1", "restored", None, LATER)
    flag.events.clear()

    assert flag.erase_person("mia", "former-employee-1") is True
    assert flag.erase_person("mod-1", "former-employee-2") is True

    assert flag.flagged_by == "former-employee-1"
    assert flag.moderator_id == "former-employee-2"
    state = json.dumps(flag.to_state())
    assert "mia" not in state
    assert "mod-1" not in state
    assert flag.events == []


def test_erasing_someone_not_on_the_flag_changes_nothing() -> None:
    flag = raised()
    before = flag.to_state()

    assert flag.erase_person("max", "former-employee-3") is False
    assert flag.to_state() == before
