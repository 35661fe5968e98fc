"""A mentoring pair's rules, in plain Python: lifecycle, membership, goals, meetings, check-ins, health."""

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from mentoring.domain.goals import GoalDraft
from mentoring.domain.pair import (
    CheckInRecorded,
    EndReason,
    ExperimentPublished,
    FeedbackGiven,
    GoalAchieved,
    GoalProgressed,
    GoalSet,
    HealthReason,
    MeetingLogged,
    MeetingScheduled,
    Pair,
    PairAtRisk,
    PairEnded,
    PairFormed,
    PairMemberLeft,
    PairRecovered,
    PairStarted,
    PairStatus,
    PairTerms,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound

# Programme 1 Feb .. 31 May 2025 (119 days): a third is in by 12 Mar 2025 16:00 UTC.
# A meeting every 14 days: more than 21 days without one puts the pair at risk.
TERMS = PairTerms(
    programme_title="AI for everyone",
    kind="classic",
    topics=("ai", "data analysis"),
    starts=date(2025, 2, 1),
    ends=date(2025, 5, 31),
    cadence_days=14,
    curator_ids=("carol",),
)
STARTED = datetime(2025, 2, 3, 10, 0, tzinfo=UTC)
GOOD_GOAL = GoalDraft("Build a Slack bot that answers 20 common HR questions", date(2025, 4, 15), ("ai",))
VAGUE_GOAL = GoalDraft("Improve my skills", date(2025, 4, 15), ("ai",))


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def formed(mentees: tuple[str, ...] = ("bob",), kind: str = "classic") -> Pair:
    terms = dataclasses.replace(TERMS, kind=kind)
    pair = Pair.form("pair-1", "prog-1", terms, "alice", list(mentees), "matching", at("2025-02-01", 9))
    pair.events.clear()
    return pair


def active(mentees: tuple[str, ...] = ("bob",), kind: str = "classic") -> Pair:
    pair = formed(mentees, kind)
    pair.start(STARTED)
    pair.events.clear()
    return pair


def field_of(error: pytest.ExceptionInfo[Invalid]) -> Any:
    return error.value.details["field"]


# --- lifecycle ---------------------------------------------------------------------------------


def test_forming_a_pair_records_pair_formed_and_waits_for_preparation() -> None:
    pair = Pair.form("pair-1", "prog-1", TERMS, "alice", ["bob", "dan"], "request", at("2025-02-01", 9))

    assert pair.status is PairStatus.PREPARING
    assert pair.member_ids == ("alice", "bob", "dan")
    assert pair.events == [
        PairFormed("pair-1", "prog-1", "AI for everyone", "classic", "alice", ["bob", "dan"], "request", ["carol"])
    ]


@pytest.mark.parametrize(
    ("mentor", "mentees", "field"),
    [
        ("alice", [], "mentee_ids"),
        ("alice", ["bob", "alice"], "mentee_ids"),
        ("alice", ["bob", "bob"], "mentee_ids"),
        ("  ", ["bob"], "mentor_id"),
    ],
)
def test_a_pair_needs_one_mentor_and_distinct_mentees(mentor: str, mentees: list[str], field: str) -> None:
    with pytest.raises(Invalid) as raised:
        Pair.form("pair-1", "prog-1", TERMS, mentor, mentees, "matching", at("2025-02-01"))
    assert field_of(raised) == field


def test_a_pair_is_formed_by_matching_request_or_rematch_only() -> None:
    with pytest.raises(Invalid) as raised:
        Pair.form("pair-1", "prog-1", TERMS, "alice", ["bob"], "lottery", at("2025-02-01"))
    assert field_of(raised) == "via"


def test_a_pair_starts_once_and_ends_once() -> None:
    pair = formed()

    pair.start(STARTED)
    with pytest.raises(Conflict):
        pair.start(STARTED)
    pair.end(EndReason.COMPLETED, at("2025-05-31"))
    with pytest.raises(Conflict, match="ended"):
        pair.end(EndReason.CLOSED, at("2025-06-01"))

    assert pair.status is PairStatus.ENDED
    assert pair.end_reason is EndReason.COMPLETED
    assert pair.events == [
        PairStarted("pair-1", "prog-1", ["alice", "bob"]),
        PairEnded("pair-1", "prog-1", "completed", ["alice", "bob"], ["carol"], "alice"),
    ]


def test_a_curator_may_close_a_pair_still_in_preparation() -> None:
    pair = formed()

    pair.end("closed", at("2025-02-02"))

    assert pair.status is PairStatus.ENDED
    assert pair.end_reason is EndReason.CLOSED


def test_a_mentee_leaving_a_group_leaves_the_others_mentoring() -> None:
    pair = active(mentees=("bob", "dan"))

    pair.remove_mentee("bob", at("2025-02-10"))

    assert pair.status is PairStatus.ACTIVE
    assert pair.member_ids == ("alice", "dan")
    assert pair.events == [PairMemberLeft("pair-1", "prog-1", "bob")]
    with pytest.raises(Forbidden):
        pair.check_in("bob", "2025-02", 4, None, at("2025-02-11"))


def test_the_last_mentee_leaving_ends_the_pair() -> None:
    pair = active()

    pair.remove_mentee("bob", at("2025-02-10"))

    assert pair.status is PairStatus.ENDED
    assert pair.end_reason is EndReason.LEFT
    assert pair.events == [PairEnded("pair-1", "prog-1", "left", ["alice", "bob"], ["carol"], "alice")]


def test_the_mentor_does_not_leave_as_a_mentee() -> None:
    with pytest.raises(Invalid):
        active().remove_mentee("alice", at("2025-02-10"))


# --- membership --------------------------------------------------------------------------------

OPERATIONS_BY_A_PERSON: dict[str, Callable[[Pair, str], object]] = {
    "set_goal": lambda pair, who: pair.set_goal(who, "g-1", GOOD_GOAL, False, date(2025, 2, 10), "en"),
    "update_goal": lambda pair, who: pair.update_goal(who, "g-1", 50, "", at("2025-02-10")),
    "schedule_meeting": lambda pair, who: pair.schedule_meeting(who, "m-1", at("2025-02-20"), 60, at("2025-02-10")),
    "log_meeting": lambda pair, who: pair.log_meeting(who, "m-1", date(2025, 2, 10), 60, (), None, at("2025-02-10")),
    "check_in": lambda pair, who: pair.check_in(who, "2025-02", 4, None, at("2025-02-10")),
    "give_feedback": lambda pair, who: pair.give_feedback(who, 5, None, at("2025-02-10")),
    "log_experiment": lambda pair, who: pair.log_experiment(who, "x-1", "Idea", "", "", at("2025-02-10")),
    "publish_experiment": lambda pair, who: pair.publish_experiment(who, "x-1", at("2025-02-10")),
    "remove_mentee": lambda pair, who: pair.remove_mentee(who, at("2025-02-10")),
    "role_of": lambda pair, who: pair.role_of(who),
}


@pytest.mark.parametrize("operation", OPERATIONS_BY_A_PERSON)
def test_only_members_act_on_a_pair(operation: str) -> None:
    pair = active(kind="reverse")
    pair.set_goal("bob", "g-1", GOOD_GOAL, False, date(2025, 2, 10), "en")
    pair.log_experiment("bob", "x-1", "Idea", "", "", at("2025-02-10"))
    before = pair.to_state()

    with pytest.raises(Forbidden, match="not a member"):
        OPERATIONS_BY_A_PERSON[operation](pair, "carol")  # the curator is not a member either

    assert pair.to_state() == before


def test_roles_of_the_members() -> None:
    pair = active(mentees=("bob", "dan"))

    assert [pair.role_of(person) for person in pair.member_ids] == ["mentor", "mentee", "mentee"]
    assert pair.is_member("dan")
    assert not pair.is_member("carol")


# --- meetings ----------------------------------------------------------------------------------


def test_scheduling_a_meeting_tells_the_members() -> None:
    pair = active()

    pair.schedule_meeting("bob", "m-1", at("2025-02-12", 15), 60, at("2025-02-10"))

    assert pair.events == [MeetingScheduled("pair-1", "prog-1", "m-1", at("2025-02-12", 15), 60, ["alice", "bob"])]
    assert pair.meetings_held == 0


def test_meetings_wait_for_the_kickoff() -> None:
    with pytest.raises(Conflict, match="kickoff"):
        formed().schedule_meeting("bob", "m-1", at("2025-02-12"), 60, at("2025-02-01"))


def test_an_ended_pair_neither_schedules_nor_logs_meetings() -> None:
    pair = active()
    pair.end(EndReason.COMPLETED, at("2025-05-31"))

    with pytest.raises(Conflict, match="this pair has ended"):
        pair.schedule_meeting("bob", "m-1", at("2025-06-02"), 60, at("2025-06-01"))
    with pytest.raises(Conflict, match="this pair has ended"):
        pair.log_meeting("bob", "m-1", date(2025, 5, 30), 60, (), None, at("2025-06-01"))


@pytest.mark.parametrize(
    ("starts_at", "minutes", "field"),
    [
        (at("2025-02-10", 11), 60, "starts_at"),  # an hour ago
        (at("2025-02-12"), 14, "minutes"),
        (at("2025-02-12"), 481, "minutes"),
        (datetime(2025, 2, 12, 12), 60, "starts_at"),  # no time zone
    ],
)
def test_a_meeting_is_scheduled_in_the_future_for_a_sensible_time(
    starts_at: datetime, minutes: int, field: str
) -> None:
    with pytest.raises(Invalid) as raised:
        active().schedule_meeting("bob", "m-1", starts_at, minutes, at("2025-02-10"))
    assert field_of(raised) == field


def test_logging_fills_in_a_scheduled_meeting_once() -> None:
    pair = active()
    pair.schedule_meeting("bob", "m-1", at("2025-02-12", 15), 60, at("2025-02-10"))
    pair.events.clear()

    pair.log_meeting("alice", "m-1", date(2025, 2, 12), 75, ("ai",), "sealed:notes", at("2025-02-12", 17))

    assert len(pair.meetings) == 1
    meeting = pair.meetings[0]
    assert (meeting.scheduled_for, meeting.held_on, meeting.minutes) == (at("2025-02-12", 15), date(2025, 2, 12), 75)
    assert (meeting.sealed_notes, meeting.logged_by) == ("sealed:notes", "alice")
    assert pair.events == [MeetingLogged("pair-1", "prog-1", "m-1", "alice", ["bob"], date(2025, 2, 12), 75)]
    with pytest.raises(Conflict, match="logged already"):
        pair.log_meeting("bob", "m-1", date(2025, 2, 12), 60, (), None, at("2025-02-13"))


def test_a_meeting_nobody_scheduled_can_be_logged_and_counts() -> None:
    pair = active()

    pair.log_meeting("bob", "m-1", date(2025, 2, 5), 30, (), None, at("2025-02-06"))
    pair.log_meeting("bob", "m-2", date(2025, 2, 19), 45, (), None, at("2025-02-19"))
    pair.schedule_meeting("bob", "m-3", at("2025-03-05"), 60, at("2025-02-19"))

    assert (pair.meetings_held, pair.minutes_held) == (2, 75)


@pytest.mark.parametrize(
    ("held_on", "minutes", "field"),
    [
        (date(2025, 2, 11), 60, "held_on"),  # tomorrow
        (date(2025, 2, 2), 60, "held_on"),  # before the pair started
        (date(2025, 2, 10), 4, "minutes"),
        (date(2025, 2, 10), 601, "minutes"),
    ],
)
def test_a_logged_meeting_was_held_while_the_pair_ran(held_on: date, minutes: int, field: str) -> None:
    with pytest.raises(Invalid) as raised:
        active().log_meeting("bob", "m-1", held_on, minutes, (), None, at("2025-02-10"))
    assert field_of(raised) == field


# --- goals -------------------------------------------------------------------------------------


def test_a_smart_goal_is_saved_without_confirmation() -> None:
    pair = formed()  # goals may be set while preparing

    goal, check = pair.set_goal("bob", "g-1", GOOD_GOAL, False, date(2025, 2, 10), "en")

    assert check.passed
    assert pair.goals == [goal]
    assert pair.events == [GoalSet("pair-1", "prog-1", "g-1", date(2025, 4, 15), [])]


def test_a_flagged_goal_needs_confirmation_and_remembers_its_letters() -> None:
    pair = active()

    with pytest.raises(Invalid) as raised:
        pair.set_goal("bob", "g-1", VAGUE_GOAL, False, date(2025, 2, 10), "en")
    assert field_of(raised) == "confirm"
    assert raised.value.details["letters"] == ["S", "M"]
    assert pair.goals == []

    goal, check = pair.set_goal("bob", "g-1", VAGUE_GOAL, True, date(2025, 2, 10), "en")
    assert goal.confirmed_despite == check.letters == ("S", "M")
    assert pair.events == [GoalSet("pair-1", "prog-1", "g-1", date(2025, 4, 15), ["S", "M"])]


def test_a_pair_holds_three_goals_at_most() -> None:
    pair = active()
    for goal_id in ("g-1", "g-2", "g-3"):
        pair.set_goal("bob", goal_id, GOOD_GOAL, False, date(2025, 2, 10), "en")

    with pytest.raises(Invalid) as raised:
        pair.set_goal("bob", "g-4", GOOD_GOAL, False, date(2025, 2, 10), "en")
    assert field_of(raised) == "goals"
    assert [goal.id for goal in pair.goals] == ["g-1", "g-2", "g-3"]


def test_reaching_100_percent_is_announced_the_first_time_only() -> None:
    pair = active(mentees=("bob", "dan"))
    pair.set_goal("bob", "g-1", GOOD_GOAL, False, date(2025, 2, 10), "en")
    pair.events.clear()

    pair.update_goal("bob", "g-1", 100, "done", at("2025-02-20"))
    pair.update_goal("bob", "g-1", 80, "one more bug", at("2025-02-21"))
    pair.update_goal("dan", "g-1", 100, "done again", at("2025-02-22"))

    assert pair.events == [
        GoalProgressed("pair-1", "prog-1", "g-1", 100),
        GoalAchieved("pair-1", "prog-1", "g-1", "alice", ["bob", "dan"]),
        GoalProgressed("pair-1", "prog-1", "g-1", 80),
        GoalProgressed("pair-1", "prog-1", "g-1", 100),
    ]
    assert pair.goals[0].status == "done again"
    assert pair.goals_achieved == 1


def test_progress_needs_a_known_goal_a_percent_and_a_running_pair() -> None:
    pair = active()
    pair.set_goal("bob", "g-1", GOOD_GOAL, False, date(2025, 2, 10), "en")

    with pytest.raises(NotFound):
        pair.update_goal("bob", "g-9", 50, "", at("2025-02-20"))
    with pytest.raises(Invalid) as raised:
        pair.update_goal("bob", "g-1", 101, "", at("2025-02-20"))
    assert field_of(raised) == "progress"
    pair.end(EndReason.COMPLETED, at("2025-05-31"))
    with pytest.raises(Conflict, match="ended"):
        pair.update_goal("bob", "g-1", 50, "", at("2025-06-01"))
    with pytest.raises(Conflict, match="ended"):
        pair.set_goal("bob", "g-2", GOOD_GOAL, False, date(2025, 5, 1), "en")


# --- check-ins and feedback --------------------------------------------------------------------


def test_each_member_checks_in_once_a_month_and_the_score_stays_here() -> None:
    pair = active(mentees=("bob", "dan"))

    pair.check_in("bob", "2025-02", 4, "sealed:answers", at("2025-02-10"))
    pair.check_in("dan", "2025-02", 5, None, at("2025-02-10"))
    with pytest.raises(Conflict, match="already"):
        pair.check_in("bob", "2025-02", 3, None, at("2025-02-12"))
    pair.check_in("bob", "2025-03", 3, None, at("2025-02-20"))

    assert pair.events == [
        CheckInRecorded("pair-1", "prog-1", "bob", "2025-02"),
        CheckInRecorded("pair-1", "prog-1", "dan", "2025-02"),
        CheckInRecorded("pair-1", "prog-1", "bob", "2025-03"),
    ]


@pytest.mark.parametrize(
    ("month", "score", "field"),
    [
        ("2025-13", 3, "month"),
        ("2025-2", 3, "month"),
        ("february", 3, "month"),
        ("2025-02", 0, "score"),
        ("2025-02", 6, "score"),
        ("2025-02", True, "score"),
    ],
)
def test_a_check_in_names_its_month_and_scores_one_to_five(month: str, score: int, field: str) -> None:
    with pytest.raises(Invalid) as raised:
        active().check_in("bob", month, score, None, at("2025-02-10"))
    assert field_of(raised) == field


def test_feedback_is_given_once_per_member_also_after_the_end() -> None:
    pair = formed()
    with pytest.raises(Conflict):
        pair.give_feedback("bob", 5, None, at("2025-02-02"))
    pair.start(STARTED)
    pair.end(EndReason.COMPLETED, at("2025-05-31"))
    pair.events.clear()

    pair.give_feedback("bob", 5, "sealed:thanks", at("2025-06-01"))
    pair.give_feedback("alice", 4, None, at("2025-06-01"))
    with pytest.raises(Conflict):
        pair.give_feedback("bob", 1, None, at("2025-06-02"))
    with pytest.raises(Invalid) as raised:
        active().give_feedback("bob", 6, None, at("2025-02-10"))

    assert field_of(raised) == "rating"
    assert pair.events == [
        FeedbackGiven("pair-1", "prog-1", "bob", "mentee"),
        FeedbackGiven("pair-1", "prog-1", "alice", "mentor"),
    ]
    assert [(given.person_id, given.rating) for given in pair.feedback] == [("bob", 5), ("alice", 4)]


# --- idea experiments --------------------------------------------------------------------------


def test_idea_experiments_belong_to_reverse_mentoring() -> None:
    for kind in ("classic", "peer"):
        with pytest.raises(Conflict, match="reverse mentoring"):
            active(kind=kind).log_experiment("alice", "x-1", "Copilot halves review time", "", "", at("2025-02-10"))


def test_a_reverse_pair_logs_and_publishes_an_experiment_once() -> None:
    pair = active(kind="reverse")

    pair.log_experiment("alice", "x-1", "Copilot halves review time", "Two weeks, 10 PRs", "-30 %", at("2025-02-10"))
    assert pair.events == []  # news only once published
    pair.publish_experiment("bob", "x-1", at("2025-02-11"))
    with pytest.raises(Conflict, match="published already"):
        pair.publish_experiment("alice", "x-1", at("2025-02-12"))
    with pytest.raises(NotFound):
        pair.publish_experiment("alice", "x-2", at("2025-02-12"))

    assert pair.experiments[0].published
    assert pair.experiments[0].author_id == "alice"
    assert pair.events == [ExperimentPublished("pair-1", "prog-1", "x-1")]


@pytest.mark.parametrize(
    ("hypothesis", "test", "field"),
    [("  ", "", "hypothesis"), ("x" * 2001, "", "hypothesis"), ("Idea", "y" * 2001, "test")],
)
def test_an_experiment_needs_a_hypothesis_and_short_texts(hypothesis: str, test: str, field: str) -> None:
    with pytest.raises(Invalid) as raised:
        active(kind="reverse").log_experiment("alice", "x-1", hypothesis, test, "", at("2025-02-10"))
    assert field_of(raised) == field


# --- health ------------------------------------------------------------------------------------


def test_no_meeting_for_over_one_and_a_half_cadences_puts_the_pair_at_risk_until_it_meets() -> None:
    pair = active()  # started 3 Feb, cadence 14 days: at risk from day 22

    assert pair.assess_health(at("2025-02-24")) == ()  # 21 days
    assert pair.refresh_health(at("2025-02-25"))  # 22 days
    assert pair.at_risk == (HealthReason.NO_RECENT_MEETING,)
    pair.log_meeting("bob", "m-1", date(2025, 2, 26), 60, (), None, at("2025-02-26"))

    assert not pair.at_risk
    assert pair.events == [
        PairAtRisk("pair-1", "prog-1", ["carol"], ["no_recent_meeting"]),
        MeetingLogged("pair-1", "prog-1", "m-1", "alice", ["bob"], date(2025, 2, 26), 60),
        PairRecovered("pair-1", "prog-1", ["carol"]),
    ]
    assert pair.assess_health(at("2025-03-12", 15)) == ()  # 14 days after that meeting


def test_a_third_of_the_programme_without_goal_progress_stalls_the_pair_until_a_goal_moves() -> None:
    pair = active()
    pair.log_meeting("bob", "m-1", date(2025, 3, 10), 60, (), None, at("2025-03-10"))  # keep meetings fresh

    assert pair.assess_health(at("2025-03-12", 15)) == ()  # just before a third of the programme
    assert pair.assess_health(at("2025-03-12", 17)) == (HealthReason.GOALS_STALLED,)  # no goal at all
    pair.set_goal("bob", "g-1", GOOD_GOAL, False, date(2025, 3, 12), "en")
    assert pair.refresh_health(at("2025-03-12", 17))
    assert pair.at_risk == (HealthReason.GOALS_STALLED,)  # a goal at 0 % is stalled too

    pair.update_goal("bob", "g-1", 10, "first draft", at("2025-03-13"))

    assert not pair.at_risk
    assert isinstance(pair.events[-1], PairRecovered)


def test_a_low_latest_check_in_of_any_member_puts_the_pair_at_risk_for_45_days() -> None:
    pair = active(mentees=("bob", "dan"))
    pair.check_in("dan", "2025-02", 5, None, at("2025-02-10"))

    pair.check_in("bob", "2025-02", 2, None, at("2025-02-10"))

    assert pair.at_risk == (HealthReason.LOW_CHECK_IN,)
    assert pair.events[-1] == PairAtRisk("pair-1", "prog-1", ["carol"], ["low_check_in"])
    assert HealthReason.LOW_CHECK_IN in pair.assess_health(at("2025-02-10") + timedelta(days=45))
    assert HealthReason.LOW_CHECK_IN not in pair.assess_health(at("2025-02-10") + timedelta(days=45, seconds=1))

    pair.log_meeting("bob", "m-1", date(2025, 2, 25), 60, (), None, at("2025-02-25"))
    pair.check_in("bob", "2025-03", 4, None, at("2025-03-01"))  # bob's latest now is fine

    assert not pair.at_risk
    assert isinstance(pair.events[-1], PairRecovered)


def test_the_low_check_in_of_a_mentee_who_left_no_longer_counts() -> None:
    pair = active(mentees=("bob", "dan"))
    pair.check_in("bob", "2025-02", 1, None, at("2025-02-10"))

    pair.remove_mentee("bob", at("2025-02-11"))

    assert pair.at_risk == ()


def test_reasons_come_in_a_fixed_order_and_a_change_of_reasons_is_news() -> None:
    pair = active()
    assert pair.refresh_health(at("2025-03-20"))  # no meeting since 3 Feb, no goals after a third
    assert not pair.refresh_health(at("2025-03-21"))  # nothing changed: nothing to say

    pair.check_in("alice", "2025-03", 1, None, at("2025-03-22"))

    assert pair.at_risk == tuple(HealthReason)
    assert pair.events == [
        PairAtRisk("pair-1", "prog-1", ["carol"], ["no_recent_meeting", "goals_stalled"]),
        CheckInRecorded("pair-1", "prog-1", "alice", "2025-03"),
        PairAtRisk("pair-1", "prog-1", ["carol"], ["no_recent_meeting", "goals_stalled", "low_check_in"]),
    ]


def test_only_an_active_pair_is_at_risk() -> None:
    late = at("2025-05-01")
    assert formed().assess_health(late) == ()

    pair = active()
    pair.refresh_health(late)
    pair.end(EndReason.COMPLETED, late)

    assert pair.at_risk == ()
    assert pair.assess_health(late) == ()
    assert not pair.refresh_health(late)


# --- confidentiality, erasure, state -----------------------------------------------------------


def busy_reverse_pair() -> Pair:
    """A pair that did a bit of everything, with sealed texts and scores a leak would show."""
    pair = Pair.form(
        "pair-1", "prog-1", dataclasses.replace(TERMS, kind="reverse"), "alice", ["bob"], "rematch", at("2025-02-01")
    )
    pair.start(STARTED)
    pair.set_goal("bob", "g-1", VAGUE_GOAL, True, date(2025, 2, 10), "en")
    pair.update_goal("bob", "g-1", 100, "done", at("2025-02-11"))
    pair.schedule_meeting("bob", "m-1", at("2025-02-12", 15), 60, at("2025-02-10"))
    pair.log_meeting("alice", "m-1", date(2025, 2, 12), 50, ("ai",), "SEALED-NOTES", at("2025-02-12", 17))
    pair.check_in("bob", "2025-02", 2, "SEALED-ANSWERS", at("2025-02-13"))
    pair.log_experiment("alice", "x-1", "Copilot halves review time", "10 PRs", "-30 %", at("2025-02-14"))
    pair.publish_experiment("bob", "x-1", at("2025-02-15"))
    pair.end(EndReason.COMPLETED, at("2025-05-31"))
    pair.give_feedback("bob", 3, "SEALED-FEEDBACK", at("2025-06-01"))
    return pair


def test_events_carry_no_confidential_text_and_no_scores() -> None:
    pair = busy_reverse_pair()

    fields = [dataclasses.asdict(event) for event in pair.events]
    text = repr(fields)

    for secret in ("SEALED-NOTES", "SEALED-ANSWERS", "SEALED-FEEDBACK"):
        assert secret not in text
    assert not any(name in {"score", "rating", "notes", "answers", "text"} for event in fields for name in event)


def test_erasing_a_member_replaces_them_everywhere_without_an_event() -> None:
    pair = busy_reverse_pair()
    pair.events.clear()

    assert pair.erase_person("alice", "former-employee-1")

    state = json.dumps(pair.to_state())
    assert "alice" not in state
    assert pair.mentor_id == "former-employee-1"
    assert pair.meetings[0].logged_by == "former-employee-1"
    assert pair.experiments[0].author_id == "former-employee-1"
    assert pair.role_of("former-employee-1") == "mentor"
    assert pair.events == []
    assert not pair.erase_person("alice", "former-employee-2")  # erased already


def test_erasing_a_mentee_moves_their_check_ins_and_feedback() -> None:
    pair = busy_reverse_pair()

    pair.erase_person("bob", "former-employee-1")

    assert "bob" not in json.dumps(pair.to_state())
    assert pair.mentee_ids == ["former-employee-1"]
    assert [c.person_id for c in pair.check_ins] == ["former-employee-1"]
    assert [f.person_id for f in pair.feedback] == ["former-employee-1"]


def test_a_stranger_is_not_erased_from_a_pair() -> None:
    pair = busy_reverse_pair()
    before = pair.to_state()

    assert not pair.erase_person("zoe", "former-employee-1")
    assert pair.to_state() == before


def test_the_state_round_trips_through_plain_json() -> None:
    pair = busy_reverse_pair()

    state = json.loads(json.dumps(pair.to_state()))
    restored = Pair.from_state("pair-1", state)

    assert restored == pair
    assert restored.started_at == STARTED and restored.started_at.tzinfo is not None
    assert restored.goals[0].confirmed_despite == ("S", "M")
    assert restored.achieved_goal_ids == ["g-1"]


def test_an_at_risk_pair_stays_at_risk_after_a_round_trip() -> None:
    pair = active()
    pair.refresh_health(at("2025-03-20"))

    restored = Pair.from_state("pair-1", json.loads(json.dumps(pair.to_state())))

    assert restored == pair
    assert not restored.refresh_health(at("2025-03-20"))  # nothing new to tell the curators
