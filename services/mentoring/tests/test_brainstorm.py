"""The brainstorm aggregate: phases, vote limits, anonymity under pseudonyms, themes and the decision."""

from datetime import UTC, datetime

import pytest

from mentoring.domain.brainstorm import (
    Brainstorm,
    BrainstormDecided,
    BrainstormIdeaAdded,
    BrainstormOpened,
    BrainstormVoted,
    BrainstormVotingStarted,
    Phase,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.privacy.anonymity import Pseudonymizer

NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)
PSEUDONYMS = Pseudonymizer(b"k" * 32)


def opened(votes: int = 2) -> Brainstorm:
    return Brainstorm.open("b1", "c1", "fac", "Clients forget to pay on time\nWhat do we do?", votes, NOW)


def with_ideas(votes: int = 2) -> Brainstorm:
    brainstorm = opened(votes)
    brainstorm.add_idea("ann", "i1", "Remind them a day before", False, None, NOW)
    brainstorm.add_idea("bob", "i2", "Offer a payment plan", True, PSEUDONYMS.pseudonym("bob", "b1"), NOW)
    brainstorm.add_idea("bob", "i3", "Automate the reminder", True, PSEUDONYMS.pseudonym("bob", "b1"), NOW)
    return brainstorm


def test_opening_checks_the_case_and_the_votes_per_member() -> None:
    brainstorm = opened()
    assert (brainstorm.title, brainstorm.phase) == ("Clients forget to pay on time", Phase.IDEAS)
    assert brainstorm.events == [BrainstormOpened("c1", "b1", "fac", 2)]
    for votes in (0, 11):
        with pytest.raises(Invalid) as refused:
            Brainstorm.open("b", "c", "fac", "a case", votes, NOW)
        assert refused.value.details["field"] == "votes_per_member"
    with pytest.raises(Invalid) as empty:
        Brainstorm.open("b", "c", "fac", "   ", 3, NOW)
    assert empty.value.details["field"] == "case"


def test_an_anonymous_idea_shows_one_pseudonym_per_person_and_brainstorm() -> None:
    brainstorm = with_ideas()
    second, third = brainstorm.ideas["i2"], brainstorm.ideas["i3"]
    assert second.shown_author == third.shown_author == PSEUDONYMS.pseudonym("bob", "b1")
    assert second.shown_author != "bob" and second.author_id == "bob"
    assert brainstorm.ideas["i1"].shown_author == "ann"
    added = [e for e in brainstorm.events if isinstance(e, BrainstormIdeaAdded)]
    assert [(e.author, e.anonymous) for e in added] == [
        ("ann", False),
        (second.shown_author, True),
        (second.shown_author, True),
    ]
    assert all("bob" not in repr(e) for e in added)
    # Another brainstorm gives the same person another pseudonym: voices are not linked across discussions.
    assert PSEUDONYMS.pseudonym("bob", "b2") != second.shown_author


def test_only_the_facilitator_closes_the_idea_phase_and_then_ideas_stop() -> None:
    brainstorm = with_ideas()
    with pytest.raises(Forbidden):
        brainstorm.close_ideas(facilitates=False)
    brainstorm.close_ideas(facilitates=True)
    assert brainstorm.phase is Phase.VOTING
    assert brainstorm.events[-1] == BrainstormVotingStarted("c1", "b1", 3)
    with pytest.raises(Conflict):
        brainstorm.add_idea("ann", "i4", "Too late", False, None, NOW)
    with pytest.raises(Conflict):
        brainstorm.close_ideas(facilitates=True)
    with pytest.raises(Conflict):
        opened().close_ideas(facilitates=True)  # nothing to vote on


def test_votes_are_limited_per_member_and_one_per_idea() -> None:
    brainstorm = with_ideas(votes=2)
    with pytest.raises(Conflict):
        brainstorm.vote("ann", "i1", NOW)  # still the idea phase
    brainstorm.close_ideas(facilitates=True)
    brainstorm.vote("ann", "i2", NOW)
    with pytest.raises(Conflict):
        brainstorm.vote("ann", "i2", NOW)
    brainstorm.vote("ann", "i3", NOW)
    assert brainstorm.votes_left("ann") == 0
    with pytest.raises(Invalid) as too_many:
        brainstorm.vote("ann", "i1", NOW)
    assert too_many.value.details["field"] == "votes"
    with pytest.raises(NotFound):
        brainstorm.vote("bob", "nope", NOW)
    brainstorm.vote("bob", "i2", NOW)
    assert brainstorm.tally() == {"i1": 0, "i2": 2, "i3": 1}
    assert [(idea.id, n) for idea, n in brainstorm.top_ideas()] == [("i2", 2), ("i3", 1)]
    assert brainstorm.events[-1] == BrainstormVoted("c1", "b1", "i2", "bob")


def test_the_decision_groups_ideas_into_themes_and_closes_the_brainstorm() -> None:
    brainstorm = with_ideas()
    themes = [{"title": "Reminders", "idea_ids": ["i1", "i3"]}, {"title": "Plans", "idea_ids": ["i2"]}]
    with pytest.raises(Conflict):
        brainstorm.decide(True, themes, "Automate reminders", ["ann"], "k1", NOW)  # no vote yet
    brainstorm.close_ideas(facilitates=True)
    brainstorm.vote("ann", "i3", NOW)
    with pytest.raises(Forbidden):
        brainstorm.decide(False, themes, "Automate reminders", ["ann"], "k1", NOW)
    for bad_themes in ([{"title": "X", "idea_ids": ["nope"]}], [{"title": "A", "idea_ids": ["i1"]}] * 2):
        with pytest.raises(Invalid) as refused:
            brainstorm.decide(True, bad_themes, "Automate reminders", ["ann"], "k1", NOW)
        assert refused.value.details["field"] == "themes"
    with pytest.raises(Invalid) as no_owner:
        brainstorm.decide(True, themes, "Automate reminders", [], "k1", NOW)
    assert no_owner.value.details["field"] == "owner_ids"

    brainstorm.decide(True, themes, "Automate reminders", ["ann", "bob"], "k1", NOW, tags=["CRM"])
    assert brainstorm.phase is Phase.DECIDED and brainstorm.tags == ("crm",)
    assert brainstorm.events[-1] == BrainstormDecided("c1", "b1", "fac", ["ann", "bob"], 2, 3, 1, "k1")
    summary = brainstorm.summary()
    assert "Case: Clients forget" in summary and "Decision: Automate reminders" in summary
    assert "- Reminders" in summary and "1. Automate the reminder (1)" in summary
    with pytest.raises(Conflict):
        brainstorm.decide(True, themes, "Again", ["ann"], "k1", NOW)


def test_state_round_trips_and_erasure_replaces_the_person_but_keeps_pseudonyms() -> None:
    brainstorm = with_ideas()
    brainstorm.close_ideas(facilitates=True)
    brainstorm.vote("bob", "i1", NOW)
    brainstorm.decide(True, [{"title": "All", "idea_ids": ["i1", "i2"]}], "Go", ["bob"], "k1", NOW)
    brainstorm.events.clear()
    again = Brainstorm.from_state("b1", brainstorm.to_state())
    assert again == brainstorm

    pseudonym = brainstorm.ideas["i2"].pseudonym
    assert brainstorm.erase_person("bob", "former-1")
    assert "bob" not in repr(brainstorm.to_state())
    assert brainstorm.ideas["i2"].pseudonym == pseudonym
    assert brainstorm.owner_ids == ["former-1"] and brainstorm.votes[0].person_id == "former-1"
    assert not brainstorm.erase_person("bob", "former-1")
