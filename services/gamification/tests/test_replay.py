"""Replaying stored deeds: the same entries the live path writes, caps, cooldowns and reversals included."""

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gamification.domain.engine import RuleSet, starting_rule_set
from gamification.domain.ledger import Deed
from gamification.domain.replay import Totals, deed_order, replay, totals
from gamification.service import handlers
from gamification.tests.fakes import InMemoryLedger, InMemoryPeople, InMemoryRules

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
ENROLLED = "com.owlery.enrolment.application.enrolled.v1"
FEEDBACK = "com.owlery.enrolment.session.feedback_given.v1"
MEETING = "com.owlery.mentoring.meeting.logged.v1"
SOLUTION = "com.owlery.mentoring.solution.published.v1"
HELPFUL = "com.owlery.mentoring.comment.helpful_credit.v1"
REVOKED = "com.owlery.mentoring.comment.credits_revoked.v1"
RESTORED = "com.owlery.mentoring.comment.credits_restored.v1"
PEOPLE = ("ann", "bob", "cid", "dee")


def with_feedback_cooldown(minutes: int = 60) -> RuleSet:
    """The starting rules, session feedback limited to one award per person per `minutes`."""
    ruleset = starting_rule_set()
    feedback = ruleset.rules["session-feedback-given"]
    return ruleset.edit(ruleset.version, replace(feedback, cooldown_minutes=minutes))


def enrolled(event_id: str, person: str, at: datetime) -> Deed:
    return Deed(event_id, ENROLLED, {"person_id": person, "course_id": "go"}, at)


def feedback(event_id: str, person: str, at: datetime) -> Deed:
    return Deed(
        event_id, FEEDBACK, {"course_id": "go", "cohort_id": "c1", "session_number": 1, "person_id": person}, at
    )


def meeting(event_id: str, mentor: str, mentees: list[str], at: datetime, minutes: int = 45) -> Deed:
    data = {"pair_id": "p1", "meeting_id": event_id, "mentor_id": mentor, "mentee_ids": mentees, "minutes": minutes}
    return Deed(event_id, MEETING, data, at)


def solution(event_id: str, author: str, at: datetime) -> Deed:
    data = {"circle_id": "circle-1", "task_id": "t1", "solution_id": f"s-{event_id}", "author_id": author}
    return Deed(event_id, SOLUTION, data, at)


def helpful(event_id: str, author: str, marked_by: str, comment: str, at: datetime) -> Deed:
    data = {
        "circle_id": "circle-1",
        "task_id": "t1",
        "comment_id": comment,
        "author_id": author,
        "marked_by": marked_by,
    }
    return Deed(event_id, HELPFUL, data, at, restricted=True)


def hidden(event_id: str, author: str, comment: str, at: datetime, restored: bool = False) -> Deed:
    data: dict[str, Any] = {"circle_id": "circle-1", "task_id": "t1", "comment_id": comment, "author_id": author}
    data["marks"] = 1
    return Deed(event_id, RESTORED if restored else REVOKED, data, at, restricted=True)


def varied_deeds(count: int, seed: int) -> list[Deed]:
    """A few weeks of everything the limits and reversals care about, for a handful of people."""
    chance = random.Random(seed)
    deeds: list[Deed] = []
    comments: list[tuple[str, str]] = []
    for n in range(count):
        at = START + timedelta(minutes=chance.randrange(0, 21 * 24 * 60, 7))
        person, other = chance.sample(PEOPLE, 2)
        kind = chance.randrange(8)
        event_id = f"e{n:05d}"
        if kind == 0:
            deeds.append(enrolled(event_id, person, at))
        elif kind == 1:
            deeds.append(feedback(event_id, person, at))
        elif kind == 2:
            deeds.append(meeting(event_id, person, [other, chance.choice(PEOPLE)], at, chance.choice((10, 30, 60))))
        elif kind == 3:
            deeds.append(solution(event_id, person, at))
        elif kind in (4, 5):
            comment = f"k{chance.randrange(12)}"
            comments.append((person, comment))
            deeds.append(helpful(event_id, person, chance.choice(PEOPLE), comment, at))
        elif comments:
            author, comment = chance.choice(comments)
            deeds.append(hidden(event_id, author, comment, at, restored=kind == 7))
    return sorted(deeds, key=deed_order)


async def credited_live(deeds: list[Deed], ruleset: RuleSet) -> InMemoryLedger:
    ledger, people, rules = InMemoryLedger(), InMemoryPeople(), InMemoryRules(ruleset)
    for deed in deeds:
        await handlers.credit_deed(deed, ledger, people, rules)
    return ledger


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_a_replay_gives_the_entries_the_live_path_wrote(seed: int) -> None:
    ruleset = with_feedback_cooldown()
    deeds = varied_deeds(600, seed)
    ledger = await credited_live(deeds, ruleset)

    replayed = replay(deeds, ruleset)

    assert [award.entry() for award in replayed] == ledger.recorded
    # The comparison means something: every limit and correction had work to do.
    rules_used = {entry.rule for entry in ledger.recorded}
    assert {"helpful-comment-revoked", "helpful-comment-restored", "session-feedback-given"} <= rules_used
    priced_meetings = sum(1 for deed in deeds if deed.event_type == MEETING and deed.data["minutes"] >= 15)
    assert sum(1 for entry in ledger.recorded if entry.rule == "mentoring-meeting-mentor") < priced_meetings


def test_a_weekly_cap_counts_the_seven_days_before_each_deed() -> None:
    week = timedelta(days=7)
    moments = {"m0": timedelta(0), "m1": timedelta(days=1), "m2": timedelta(days=2), "m3": timedelta(days=3)}
    moments |= {"m4": week, "m5": week + timedelta(minutes=1)}  # the window includes its first instant
    deeds = [meeting(event_id, "ann", ["bob"], START + offset) for event_id, offset in moments.items()]

    replayed = replay(deeds, starting_rule_set())

    mentor = [award.award.cause_event_id for award in replayed if award.award.rule_id == "mentoring-meeting-mentor"]
    assert mentor == ["m0", "m1", "m2", "m5"]  # the fourth in a week earns nothing; once m0 is a week old, one does


def test_a_cooldown_keeps_awards_of_one_rule_apart() -> None:
    times = (0, 30, 59, 60, 61, 150)
    deeds = [feedback(f"f{minute}", "ann", START + timedelta(minutes=minute)) for minute in times]

    replayed = replay(deeds, with_feedback_cooldown(60))

    assert [award.award.cause_event_id for award in replayed] == ["f0", "f60", "f150"]


def test_a_cap_and_a_cooldown_are_per_person() -> None:
    deeds = [feedback("f1", "ann", START), feedback("f2", "bob", START), feedback("f3", "ann", START)]

    replayed = replay(sorted(deeds, key=deed_order), with_feedback_cooldown(60))

    assert sorted(award.award.cause_event_id for award in replayed) == ["f1", "f2"]


def test_a_hidden_comment_takes_its_points_back_and_a_restore_gives_them_again_as_often_as_it_happens() -> None:
    deeds = [
        helpful("h1", "ann", "bob", "k1", START),
        helpful("h2", "ann", "cid", "k1", START + timedelta(minutes=1)),
        helpful("h3", "ann", "bob", "k2", START + timedelta(minutes=2)),
        hidden("r1", "ann", "k1", START + timedelta(hours=1)),
        hidden("s1", "ann", "k1", START + timedelta(hours=2), restored=True),
        hidden("r2", "ann", "k1", START + timedelta(hours=3)),
    ]

    replayed = replay(deeds, starting_rule_set())

    balances = []
    for cutoff in (3, 4, 5, 6):
        earned = {deed.event_id for deed in deeds[:cutoff]}
        balances.append(sum(a.award.points for a in replayed if a.award.cause_event_id in earned))
    assert balances == [15, 5, 15, 5]  # k2's five points are never touched
    assert totals(replayed) == {"ann": Totals(public=0, restricted=5)}


def test_restricted_deeds_give_restricted_awards_and_totals_keep_them_apart() -> None:
    deeds = [
        enrolled("e1", "ann", START),
        helpful("h1", "ann", "bob", "k1", START + timedelta(minutes=1)),
        helpful("h2", "bob", "ann", "k2", START + timedelta(minutes=2)),
        solution("s1", "bob", START + timedelta(minutes=3)),
    ]

    replayed = replay(deeds, starting_rule_set())

    assert [(a.award.cause_event_id, a.restricted) for a in replayed] == [
        ("e1", False),
        ("h1", True),
        ("h2", True),
        ("s1", False),
    ]
    assert [a.circle_id for a in replayed] == [None, "circle-1", "circle-1", "circle-1"]
    assert totals(replayed) == {"ann": Totals(public=10, restricted=5), "bob": Totals(public=10, restricted=5)}
    assert totals(replayed)["ann"].points == 15


def test_a_replay_prices_with_the_rules_it_is_given() -> None:
    ruleset = starting_rule_set()
    doubled = ruleset.edit(ruleset.version, replace(ruleset.rules["enrolment.enrolled"], points=20))
    deeds = [enrolled("e1", "ann", START), enrolled("e2", "ann", START + timedelta(days=1))]

    assert totals(replay(deeds, ruleset)) == {"ann": Totals(public=20)}
    assert totals(replay(deeds, doubled)) == {"ann": Totals(public=40)}
    assert {a.award.rule_version for a in replay(deeds, doubled)} == {2}


def test_deeds_out_of_time_order_are_refused() -> None:
    deeds = [enrolled("e1", "ann", START + timedelta(hours=1)), enrolled("e2", "ann", START)]

    with pytest.raises(ValueError, match="oldest first"):
        replay(deeds, starting_rule_set())


def test_deeds_no_rule_prices_give_nothing() -> None:
    deeds = [meeting("m1", "ann", ["bob"], START, minutes=5), Deed("x1", "com.owlery.unknown.thing.done.v1", {}, START)]

    assert replay(deeds, starting_rule_set()) == []
    assert totals([]) == {}
