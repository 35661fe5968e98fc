"""The rule engine: rules checked against the event catalogue, the rule set's versions, and pricing."""

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gamification.domain.engine import (
    STARTING_RULES,
    Award,
    Condition,
    PastAwards,
    PastEntry,
    Reversal,
    Rule,
    RuleSet,
    RuleSetChanged,
    price,
    starting_rule_set,
    validate_rule,
)
from shared.contracts.base import IntegrationEvent
from shared.contracts.enrolment import CompletionDecidedV1
from shared.contracts.mentoring import (
    GoalAchievedV1,
    HelpfulCommentCreditV1,
    HelpfulCreditsRestoredV1,
    HelpfulCreditsRevokedV1,
    MeetingLoggedV1,
)
from shared.errors import Conflict, Invalid, NotFound

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Ledger:
    """An append-only ledger as the service will keep one: answers the engine's two questions."""

    def __init__(self, ruleset: RuleSet | None = None) -> None:
        self.ruleset = ruleset or starting_rule_set()
        self.entries: dict[str, Award] = {}

    def deliver(self, event_id: str, event: IntegrationEvent, at: datetime = NOW) -> list[Award]:
        """Price an event and append what it earns; returns the awards that were new."""
        data = event.model_dump(mode="json")
        awards = price(event_id, event.ce_type, data, self.ruleset, self.history, at, self.entries_of)
        new = [award for award in awards if award.entry_id not in self.entries]
        self.entries.update((award.entry_id, award) for award in new)
        return new

    def history(self, rule_id: str, person_id: str, since: datetime) -> PastAwards:
        times = [
            award.at
            for award in self.entries.values()
            if award.rule_id == rule_id
            and award.person_id == person_id
            and award.reverses_entry_id is None
            and award.at >= since
        ]
        return PastAwards(len(times), max(times, default=None))

    def is_reversed(self, entry_id: str) -> bool:
        return any(
            award.reverses_entry_id == entry_id and not self.is_reversed(award.entry_id)
            for award in self.entries.values()
        )

    def entries_of(self, rule_id: str, subject: str, person_id: str) -> Iterable[PastEntry]:
        return [
            PastEntry(award.entry_id, award.points, self.is_reversed(award.entry_id))
            for award in self.entries.values()
            if award.rule_id == rule_id and award.subject == subject and award.person_id == person_id
        ]

    def balance(self, person_id: str) -> int:
        return sum(award.points for award in self.entries.values() if award.person_id == person_id)


def nothing_before(rule_id: str, person_id: str, since: datetime) -> PastAwards:
    return PastAwards(0, None)


def no_entries(rule_id: str, subject: str, person_id: str) -> list[PastEntry]:
    return []


def helpful(comment_id: str = "c1", author_id: str = "alice", marked_by: str = "bob") -> HelpfulCommentCreditV1:
    return HelpfulCommentCreditV1(
        circle_id="circle-1", task_id="task-1", comment_id=comment_id, author_id=author_id, marked_by=marked_by
    )


def revoked(comment_id: str = "c1", author_id: str = "alice", marks: int = 1) -> HelpfulCreditsRevokedV1:
    return HelpfulCreditsRevokedV1(
        circle_id="circle-1", task_id="task-1", comment_id=comment_id, author_id=author_id, marks=marks
    )


def meeting(meeting_id: str, minutes: int = 45, mentee_ids: tuple[str, ...] = ("mia",)) -> MeetingLoggedV1:
    return MeetingLoggedV1(
        programme_id="prog-1",
        pair_id="pair-1",
        meeting_id=meeting_id,
        mentor_id="max",
        mentee_ids=list(mentee_ids),
        held_on=NOW.date(),
        minutes=minutes,
    )


def rule(**changes: Any) -> Rule:
    base = Rule(
        "meeting",
        "com.owlery.mentoring.meeting.logged.v1",
        credits="mentor_id",
        points=10,
        title_ru="Встреча",
        title_en="Meeting",
    )
    return replace(base, **changes)


def only(*rules: Rule) -> RuleSet:
    ruleset = RuleSet()
    for one in rules:
        ruleset = ruleset.edit(ruleset.version, one)
    return ruleset


# ---------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("changes", "field", "named"),
    [
        ({"id": "Meeting Rule"}, "id", ""),
        ({"version": 0}, "version", ""),
        ({"event_type": "com.owlery.mentoring.meeting.forgotten.v1"}, "event_type", "meeting.forgotten"),
        ({"event_type": "com.owlery.gamification.points.awarded.v1"}, "event_type", "gamification"),
        (
            {"conditions": (Condition("minutes", "gte", 15), Condition("agenda", "exists", True))},
            "conditions[1].field",
            "agenda",
        ),
        ({"conditions": (Condition("minutes", "about", 15),)}, "conditions[0].op", "about"),
        ({"conditions": (Condition("minutes", "gte", "long"),)}, "conditions[0].value", "long"),
        ({"conditions": (Condition("mentee_ids", "gte", 1),)}, "conditions[0].op", "mentee_ids"),
        ({"conditions": (Condition("minutes", "in", []),)}, "conditions[0].value", ""),
        ({"conditions": (Condition("minutes", "exists", "yes"),)}, "conditions[0].value", ""),
        ({"credits": "organiser_id"}, "credits", "organiser_id"),
        ({"credits": "minutes"}, "credits", "minutes"),
        ({"not_own": "logged_by"}, "not_own", "logged_by"),
        ({"subject_field": "topic_id"}, "subject_field", "topic_id"),
        ({"points": 0}, "points", ""),
        ({"points": 1001}, "points", ""),
        ({"points": True}, "points", ""),
        ({"cap_per_day": 0}, "cap_per_day", ""),
        ({"cap_per_week": -1}, "cap_per_week", ""),
        ({"cooldown_minutes": 0}, "cooldown_minutes", ""),
        # Too big to store or to hold as a time span: a 422 naming the field, never a 500 from the write.
        ({"cap_per_day": 2**64}, "cap_per_day", ""),
        ({"cap_per_week": 10_001}, "cap_per_week", ""),
        ({"cooldown_minutes": 2**64}, "cooldown_minutes", ""),
        ({"cooldown_minutes": 366 * 24 * 60 + 1}, "cooldown_minutes", ""),
        ({"points": 2**64}, "points", ""),
        ({"conditions": (Condition("minutes", "gte", 2**64),)}, "conditions[0].value", ""),
        ({"conditions": (Condition("minutes", "in", (1, -(2**63) - 1)),)}, "conditions[0].value", ""),
        ({"title_ru": "  "}, "title_ru", ""),
        ({"title_en": "x" * 121}, "title_en", ""),
        ({"points": 0, "reverses": Reversal("other", "agenda_id")}, "reverses.subject_field", "agenda_id"),
        ({"points": 0, "reverses": Reversal("meeting", "meeting_id")}, "reverses.rule_id", ""),
        ({"points": 5, "reverses": Reversal("other", "meeting_id")}, "points", ""),
        ({"points": 0, "cap_per_day": 1, "reverses": Reversal("other", "meeting_id")}, "cap_per_day", ""),
        # The service's own corrections: a rule under their id would be mistaken for (and cancel into) them.
        ({"id": "recalculation"}, "id", "recalculation"),
        ({"id": "ring-hold"}, "id", "ring-hold"),
        ({"id": "ring-release"}, "id", "ring-release"),
    ],
)
def test_each_invalid_rule_names_its_field(changes: dict[str, Any], field: str, named: str) -> None:
    with pytest.raises(Invalid) as caught:
        validate_rule(rule(**changes))
    assert caught.value.details["field"] == field
    assert named in caught.value.message


def test_a_sound_rule_validates() -> None:
    validate_rule(
        rule(
            conditions=(Condition("minutes", "gte", 15), Condition("pair_id", "in", ["p1", "p2"])),
            credits="mentee_ids",
            cap_per_day=1,
            cap_per_week=3,
            cooldown_minutes=60,
            subject_field="meeting_id",
        )
    )


def test_an_edit_refuses_an_invalid_rule_and_changes_nothing() -> None:
    ruleset = only(rule())
    with pytest.raises(Invalid) as caught:
        ruleset.edit(1, rule(credits="organiser_id"))
    assert caught.value.details["field"] == "credits"
    assert ruleset.version == 1
    assert ruleset.rules["meeting"].credits == "mentor_id"


def test_every_starting_rule_validates_against_the_catalogue() -> None:
    for starting in STARTING_RULES:
        validate_rule(starting)
    ruleset = starting_rule_set()
    assert ruleset.version == len(STARTING_RULES) == len(ruleset.rules)
    assert [event.change for event in ruleset.events] == ["created"] * len(STARTING_RULES)


# ---------------------------------------------------------------------------------- conditions


@pytest.mark.parametrize(
    ("condition", "data", "holds"),
    [
        (Condition("outcome", "eq", "accepted"), {"outcome": "accepted"}, True),
        (Condition("outcome", "eq", "accepted"), {"outcome": "returned"}, False),
        (Condition("outcome", "eq", "accepted"), {}, False),
        (Condition("completed", "eq", True), {"completed": True}, True),
        (Condition("completed", "eq", True), {"completed": 1}, False),
        (Condition("outcome", "ne", "returned"), {"outcome": "accepted"}, True),
        (Condition("outcome", "ne", "returned"), {"outcome": "returned"}, False),
        (Condition("outcome", "ne", "returned"), {}, True),
        (Condition("kind", "in", ["article", "news"]), {"kind": "news"}, True),
        (Condition("kind", "in", ["article", "news"]), {"kind": "success_story"}, False),
        (Condition("kind", "not_in", ["article", "news"]), {"kind": "success_story"}, True),
        (Condition("kind", "not_in", ["article", "news"]), {"kind": "article"}, False),
        (Condition("minutes", "gte", 15), {"minutes": 15}, True),
        (Condition("minutes", "gte", 15), {"minutes": 14}, False),
        (Condition("minutes", "lte", 15), {"minutes": 15}, True),
        (Condition("minutes", "lte", 15), {"minutes": 16}, False),
        (Condition("minutes", "gte", 15), {"minutes": None}, False),
        (Condition("minutes", "gte", 15), {"minutes": "many"}, False),
        (Condition("average_rating", "exists", True), {"average_rating": 4.5}, True),
        (Condition("average_rating", "exists", True), {"average_rating": None}, False),
        (Condition("average_rating", "exists", False), {}, True),
    ],
)
def test_conditions_on_event_data(condition: Condition, data: dict[str, Any], holds: bool) -> None:
    assert condition.holds(data) is holds


def test_a_rule_awards_only_when_every_condition_holds() -> None:
    ledger = Ledger()
    passed = {"course_id": "c", "cohort_id": "h", "person_id": "ann", "trainer_id": "tom"}
    rates = {"attendance_rate": 1.0, "homework_rate": 1.0, "certificate_number": None, "trains_trainers": False}
    assert ledger.deliver("e1", CompletionDecidedV1(**passed, **rates, completed=False)) == []
    awarded = ledger.deliver("e2", CompletionDecidedV1(**passed, **rates, completed=True))
    assert [(award.person_id, award.rule_id, award.points) for award in awarded] == [("ann", "enrolment-completed", 50)]
    assert ledger.deliver("e3", meeting("m1", minutes=5)) == []  # a two-minute meeting earns nothing


# ------------------------------------------------------------------------------------- credits


def test_a_list_field_credits_each_listed_person_once() -> None:
    ledger = Ledger()
    goal = GoalAchievedV1(
        programme_id="prog-1", pair_id="pair-1", goal_id="g1", mentor_id="max", mentee_ids=["mia", "noah", "mia"]
    )
    awarded = ledger.deliver("e1", goal)
    assert sorted((award.person_id, award.rule_id) for award in awarded) == [
        ("max", "goal-achieved-mentor"),
        ("mia", "goal-achieved-mentee"),
        ("noah", "goal-achieved-mentee"),
    ]


def test_no_points_for_acting_on_ones_own_content() -> None:
    ledger = Ledger()
    assert ledger.deliver("e1", helpful(author_id="alice", marked_by="alice")) == []
    assert [award.person_id for award in ledger.deliver("e2", helpful(author_id="alice", marked_by="bob"))] == ["alice"]


def test_an_award_explains_itself_and_its_id_does_not_show_the_person() -> None:
    (award,) = Ledger().deliver("event-7", helpful(comment_id="c9"))
    assert (award.rule_id, award.rule_version, award.cause_event_id, award.at) == ("helpful-comment", 1, "event-7", NOW)
    assert award.cause_event_type == "com.owlery.mentoring.comment.helpful_credit.v1"
    assert award.subject == "c9"
    assert len(award.entry_id) == 32
    assert "alice" not in award.entry_id


# ------------------------------------------------------------------------------ caps, cooldown


def test_a_daily_cap_stops_awards_until_a_day_has_passed() -> None:
    ledger = Ledger(only(rule(cap_per_day=2)))
    awarded = [ledger.deliver(f"e{n}", meeting(f"m{n}"), NOW + timedelta(hours=n)) for n in range(3)]
    assert [len(awards) for awards in awarded] == [1, 1, 0]
    assert ledger.deliver("e3", meeting("m3"), NOW + timedelta(hours=24)) == []  # the first is 24 h old: still in
    assert len(ledger.deliver("e4", meeting("m4"), NOW + timedelta(hours=24, minutes=1))) == 1
    assert ledger.balance("max") == 30


def test_a_weekly_cap_counts_the_last_seven_days() -> None:
    ledger = Ledger()  # the starting mentor rule: at most 3 meetings a week
    awarded = [ledger.deliver(f"e{n}", meeting(f"m{n}"), NOW + timedelta(days=n)) for n in range(5)]
    assert [sum(a.person_id == "max" for a in awards) for awards in awarded] == [1, 1, 1, 0, 0]
    assert [sum(a.person_id == "mia" for a in awards) for awards in awarded] == [1, 1, 1, 0, 0]
    later = ledger.deliver("e9", meeting("m9"), NOW + timedelta(days=7, minutes=1))
    assert sorted(award.person_id for award in later) == ["max", "mia"]


def test_a_cooldown_spaces_two_awards_of_one_rule() -> None:
    ledger = Ledger(only(rule(cooldown_minutes=60)))
    assert len(ledger.deliver("e1", meeting("m1"), NOW)) == 1
    assert ledger.deliver("e2", meeting("m2"), NOW + timedelta(minutes=59)) == []
    assert len(ledger.deliver("e3", meeting("m3"), NOW + timedelta(minutes=60))) == 1


def test_limits_count_per_person() -> None:
    ledger = Ledger(only(rule(credits="mentee_ids", cap_per_day=1)))
    assert len(ledger.deliver("e1", meeting("m1", mentee_ids=("mia",)))) == 1
    assert [a.person_id for a in ledger.deliver("e2", meeting("m2", mentee_ids=("mia", "noah")))] == ["noah"]


# ----------------------------------------------------------------------------------- entry ids


def test_the_same_event_priced_twice_gives_the_same_entries() -> None:
    ruleset = starting_rule_set()
    data = meeting("m1", mentee_ids=("mia", "noah")).model_dump(mode="json")
    first = price("e1", MeetingLoggedV1.ce_type, data, ruleset, nothing_before, NOW, no_entries)
    again = price("e1", MeetingLoggedV1.ce_type, data, ruleset, nothing_before, NOW, no_entries)
    assert len(first) == 3
    assert first == again


def test_a_redelivered_event_never_awards_twice() -> None:
    ledger = Ledger()
    assert len(ledger.deliver("e1", helpful())) == 1
    assert ledger.deliver("e1", helpful(), NOW + timedelta(hours=5)) == []
    assert ledger.balance("alice") == 5


def test_a_new_rule_version_gives_new_entry_ids() -> None:
    ruleset = starting_rule_set()
    edited = ruleset.edit(ruleset.version, replace(ruleset.rules["helpful-comment"], points=7))
    data = helpful().model_dump(mode="json")
    (before,) = price("e1", HelpfulCommentCreditV1.ce_type, data, ruleset, nothing_before, NOW, no_entries)
    (after,) = price("e1", HelpfulCommentCreditV1.ce_type, data, edited, nothing_before, NOW, no_entries)
    assert (before.rule_version, after.rule_version) == (1, 2)
    assert after.points == 7
    assert before.entry_id != after.entry_id


# ----------------------------------------------------------------------------------- reversals


def test_a_hidden_comment_reverses_each_of_its_helpful_entries_once() -> None:
    ledger = Ledger()
    for n, marker in enumerate(["bob", "carol", "dan"]):
        ledger.deliver(f"mark{n}", helpful("c1", marked_by=marker))
    ledger.deliver("mark-other", helpful("c2"))
    ledger.deliver("mark-other-author", helpful("c1", author_id="erin"))
    assert ledger.balance("alice") == 20

    reversals = ledger.deliver("hide1", revoked("c1", marks=3))
    cancelled = {award.entry_id for award in ledger.entries.values() if award.subject == "c1"}
    assert len(reversals) == 3
    assert all(award.points == -5 and award.rule_id == "helpful-comment-revoked" for award in reversals)
    assert {award.reverses_entry_id for award in reversals} < cancelled
    assert ledger.balance("alice") == 5  # the other comment's point stands
    assert ledger.balance("erin") == 5  # another author's entries on the same comment are not touched

    assert ledger.deliver("hide1", revoked("c1", marks=3)) == []  # redelivered
    assert ledger.deliver("hide2", revoked("c1", marks=3)) == []  # hidden again: nothing left to cancel
    assert ledger.balance("alice") == 5


def test_a_restored_comment_gets_its_points_back_and_can_be_hidden_again() -> None:
    ledger = Ledger()
    ledger.deliver("mark1", helpful("c1", marked_by="bob"))
    ledger.deliver("mark2", helpful("c1", marked_by="carol"))
    ledger.deliver("hide1", revoked("c1", marks=2))
    assert ledger.balance("alice") == 0

    restored = HelpfulCreditsRestoredV1(
        circle_id="circle-1", task_id="task-1", comment_id="c1", author_id="alice", marks=2
    )
    assert [award.points for award in ledger.deliver("restore1", restored)] == [5, 5]
    assert ledger.balance("alice") == 10

    again = ledger.deliver("hide2", revoked("c1", marks=2))
    assert [award.points for award in again] == [-5, -5]
    assert ledger.balance("alice") == 0


def test_a_reversal_finds_entries_through_the_callers_store() -> None:
    ruleset = starting_rule_set()
    asked: list[tuple[str, str, str]] = []

    def entries_of(rule_id: str, subject: str, person_id: str) -> list[PastEntry]:
        asked.append((rule_id, subject, person_id))
        return [PastEntry("a", 5, reversed=False), PastEntry("b", 5, reversed=True), PastEntry("a", 5, False)]

    data = revoked("c1").model_dump(mode="json")
    awards = price("hide1", HelpfulCreditsRevokedV1.ce_type, data, ruleset, nothing_before, NOW, entries_of)
    assert asked == [("helpful-comment", "c1", "alice")]
    assert [(award.reverses_entry_id, award.points, award.subject) for award in awards] == [("a", -5, "c1")]


# ------------------------------------------------------------------------------------ rule set


def test_editing_bumps_the_set_and_the_rule_and_records_the_change() -> None:
    ruleset = only(rule())
    edited = ruleset.edit(1, rule(points=20))
    assert (edited.version, edited.rules["meeting"].version, edited.rules["meeting"].points) == (2, 2, 20)
    assert edited.events[-1] == RuleSetChanged(version=2, rule_id="meeting", rule_version=2, change="edited")
    assert ruleset.rules["meeting"].points == 10  # the set read before is unchanged


def test_editing_a_superseded_version_is_a_conflict() -> None:
    ruleset = only(rule()).edit(1, rule(points=20))
    with pytest.raises(Conflict) as caught:
        ruleset.edit(1, rule(points=30))
    assert caught.value.message == "this rule set changed since you read it: version 2"
    with pytest.raises(Conflict):
        ruleset.deactivate(1, "meeting")


def test_a_deactivated_rule_prices_nothing_and_keeps_its_versions() -> None:
    ruleset = only(rule())
    off = ruleset.deactivate(1, "meeting")
    assert off.events[-1] == RuleSetChanged(version=2, rule_id="meeting", rule_version=2, change="deactivated")
    assert off.for_event(MeetingLoggedV1.ce_type) == ()
    assert Ledger(off).deliver("e1", meeting("m1")) == []
    with pytest.raises(Conflict):
        off.deactivate(2, "meeting")
    with pytest.raises(NotFound):
        off.deactivate(2, "no-such-rule")
    on = off.edit(2, rule())
    assert (on.rules["meeting"].version, on.rules["meeting"].active) == (3, True)
    assert on.events[-1].change == "edited"


def test_a_reversal_needs_a_rule_that_stores_its_subject() -> None:
    target = rule(id="meeting")
    reversal = rule(id="meeting-undone", points=0, reverses=Reversal("meeting", "meeting_id"))
    with pytest.raises(Invalid) as caught:
        only(reversal)
    assert caught.value.details["field"] == "reverses.rule_id"
    with pytest.raises(Invalid) as caught:
        only(target, reversal)
    assert caught.value.details["field"] == "reverses.rule_id"
    ruleset = only(replace(target, subject_field="meeting_id"), reversal)
    with pytest.raises(Invalid) as caught:
        ruleset.edit(ruleset.version, target)  # dropping the subject would strand the reversal
    assert caught.value.details["field"] == "subject_field"


def test_a_rule_set_round_trips_through_its_state() -> None:
    ruleset = starting_rule_set().deactivate(len(STARTING_RULES), "session-feedback-given")
    assert RuleSet.from_state(ruleset.to_state()) == ruleset
