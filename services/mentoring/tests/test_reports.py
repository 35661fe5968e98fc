"""Outcome reports and the adapted milestone, in plain Python: every figure below is computed by hand."""

import dataclasses
import json
from datetime import UTC, date, datetime

import pytest

from mentoring.domain.pair import MenteeAdapted, Pair, PairTerms
from mentoring.domain.reports import (
    CircleFacts,
    CircleMember,
    Mentee,
    PairRecord,
    Participant,
    ProgrammeFacts,
    Scope,
    TaskRecord,
    circle_outcomes,
    flatten,
    programme_outcomes,
    programmes_overview,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound

D = date.fromisoformat


def pair(
    pair_id: str,
    formed: str,
    started: str | None,
    status: str,
    meetings: tuple[int, int],
    goals: tuple[int, int],
    ratings: tuple[tuple[str, int], ...],
    mentee: Mentee,
    ended: str | None = None,
    reason: str | None = None,
) -> PairRecord:
    return PairRecord(
        pair_id=pair_id,
        status=status,
        end_reason=reason,
        formed_on=D(formed),
        started_on=D(started) if started else None,
        ended_on=D(ended) if ended else None,
        meetings=meetings[0],
        minutes=meetings[1],
        goals_set=goals[0],
        goals_achieved=goals[1],
        ratings=ratings,
        mentees=(mentee,),
    )


# A classic programme for newcomers: eng and sales; m3 and n5 left.
PARTICIPANTS = (
    Participant("m1", "mentor", "eng", left=False),
    Participant("m2", "mentor", "eng", left=False),
    Participant("m3", "mentor", "sales", left=True),
    Participant("n1", "mentee", "eng", left=False),
    Participant("n2", "mentee", "eng", left=False),
    Participant("n3", "mentee", "sales", left=False),
    Participant("n4", "mentee", "sales", left=False),
    Participant("n5", "mentee", "sales", left=True),
)
PAIRS = (
    pair("pA", "2026-01-10", "2026-01-15", "active", (4, 240), (3, 2), (("mentor", 5), ("mentee", 4)),
         Mentee("n1", "eng", 45)),
    pair("pB", "2026-01-10", "2026-01-20", "ended", (6, 300), (2, 2), (("mentor", 4), ("mentee", 5)),
         Mentee("n2", "eng", 60), "2026-04-10", "completed"),
    pair("pC", "2026-01-10", "2026-02-03", "ended", (1, 60), (1, 0), (("mentee", 2),),
         Mentee("n3", "sales"), "2026-03-05", "left"),
    pair("pD", "2026-02-01", "2026-02-10", "active", (2, 90), (2, 1), (), Mentee("n4", "sales", 30)),
    pair("pE", "2026-02-20", None, "ended", (0, 0), (0, 0), (), Mentee("n5", "sales"), "2026-02-25", "rematch"),
)  # fmt: skip
PROGRAMME = ProgrammeFacts("prog-1", "Newcomers 2026", "classic", "running", D("2026-01-12"), PARTICIPANTS, PAIRS)

ENG = {
    "participation": {
        "registered": {"mentor": 2, "mentee": 2},
        "pairs": 2,
        "pairs_by_status": {"preparing": 0, "active": 1, "ended": 1},
        "pairs_started": 2,
    },
    "completion": {"pairs_completed": 1, "pairs_ended": 1, "completed_share": 0.5},
    "goals": {"set": 5, "achieved": 4, "achieved_share": 0.8},
    "meetings": {"held": 10, "hours": 9.0, "mean_per_pair": 5.0},
    "feedback": {
        "responses": 4,
        "mean": 4.5,  # 5 + 4 + 4 + 5 = 18 / 4
        "suppressed": False,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 2, "5": 2},
        "by_role": {"mentor": {"responses": 2, "mean": None}, "mentee": {"responses": 2, "mean": None}},
    },
    "drop_outs": {"participants_left": 0, "pairs_dropped": 0, "pairs_closed": 0},
    "adaptation": {
        "mentees": 2, "adapted": 2, "mean_days": 52.5, "median_days": 52.5, "min_days": 45, "max_days": 60,
    },
}  # fmt: skip
SALES = {
    "participation": {
        "registered": {"mentor": 1, "mentee": 3},
        "pairs": 3,
        "pairs_by_status": {"preparing": 0, "active": 1, "ended": 2},
        "pairs_started": 2,  # pC and pD; pE never started
    },
    "completion": {"pairs_completed": 0, "pairs_ended": 2, "completed_share": 0.0},
    "goals": {"set": 3, "achieved": 1, "achieved_share": 0.333},
    "meetings": {"held": 3, "hours": 2.5, "mean_per_pair": 1.5},
    # One answer: its rating would be that person's, so only the count shows.
    "feedback": {
        "responses": 1,
        "mean": None,
        "suppressed": True,
        "distribution": None,
        "by_role": {"mentor": {"responses": 0, "mean": None}, "mentee": {"responses": 1, "mean": None}},
    },
    "drop_outs": {"participants_left": 2, "pairs_dropped": 2, "pairs_closed": 0},
    "adaptation": {
        "mentees": 2, "adapted": 1, "mean_days": 30.0, "median_days": 30.0, "min_days": 30, "max_days": 30,
    },
}  # fmt: skip


def test_a_classic_programme_hand_computed() -> None:
    report = programme_outcomes(PROGRAMME, Scope())

    assert report["programme"] == {
        "id": "prog-1", "title": "Newcomers 2026", "kind": "classic", "stage": "running", "starts": "2026-01-12",
    }  # fmt: skip
    assert report["filters"] == {"department": None, "from": None, "to": None}
    assert report["participation"] == {
        "registered": {"mentor": 3, "mentee": 5},
        "pairs": 5,
        "pairs_by_status": {"preparing": 0, "active": 2, "ended": 3},
        "pairs_started": 4,
    }
    assert report["completion"] == {"pairs_completed": 1, "pairs_ended": 3, "completed_share": 0.2}
    assert report["goals"] == {"set": 8, "achieved": 5, "achieved_share": 0.625}
    # Started pairs A-D: 4 + 6 + 1 + 2 = 13 meetings over 4 pairs; 690 minutes.
    assert report["meetings"] == {"held": 13, "hours": 11.5, "mean_per_pair": 3.25}
    # 5, 4, 4, 5, 2 = 20 / 5; mentors answered twice only, so no role mean shows.
    assert report["feedback"] == {
        "responses": 5,
        "mean": 4.0,
        "suppressed": False,
        "distribution": {"1": 0, "2": 1, "3": 0, "4": 2, "5": 2},
        "by_role": {"mentor": {"responses": 2, "mean": None}, "mentee": {"responses": 3, "mean": None}},
    }
    assert report["drop_outs"] == {"participants_left": 2, "pairs_dropped": 2, "pairs_closed": 0}
    # Newcomers of started pairs: n1 45, n2 60, n3 not yet, n4 30 days.
    assert report["adaptation"] == {
        "mentees": 4, "adapted": 3, "mean_days": 45.0, "median_days": 45.0, "min_days": 30, "max_days": 60,
    }  # fmt: skip
    assert report["adaptation_by_cohort"] == [
        {"cohort": "2026-01", "mentees": 2, "adapted": 2, "mean_days": 52.5, "median_days": 52.5,
         "min_days": 45, "max_days": 60},
        {"cohort": "2026-02", "mentees": 2, "adapted": 1, "mean_days": 30.0, "median_days": 30.0,
         "min_days": 30, "max_days": 30},
    ]  # fmt: skip
    assert [(p["pair_id"], p["meetings"], p["hours"], p["started_on"]) for p in report["per_pair"]] == [
        ("pA", 4, 4.0, "2026-01-15"),
        ("pB", 6, 5.0, "2026-01-20"),
        ("pC", 1, 1.0, "2026-02-03"),
        ("pD", 2, 1.5, "2026-02-10"),
        ("pE", 0, 0.0, None),
    ]
    assert report["over_time"] == [
        {"month": "2026-01", "pairs": 2, "completed": 0, "dropped": 0},
        {"month": "2026-02", "pairs": 5, "completed": 0, "dropped": 1},  # pE rematched on 25 Feb
        {"month": "2026-03", "pairs": 5, "completed": 0, "dropped": 2},  # pC left on 5 Mar
        {"month": "2026-04", "pairs": 5, "completed": 1, "dropped": 2},  # pB completed on 10 Apr
    ]
    assert report["by_department"] == [{"department": "eng", **ENG}, {"department": "sales", **SALES}]


def test_a_department_and_a_period_narrow_the_pairs() -> None:
    sales = programme_outcomes(PROGRAMME, Scope("sales"))
    assert {key: sales[key] for key in SALES} == SALES
    assert sales["by_department"] == [{"department": "sales", **SALES}]

    # Intake 5-28 Feb in sales: pD (10 Feb) and pE (formed 20 Feb, never started); pC came in on 3 Feb.
    february = programme_outcomes(PROGRAMME, Scope("sales", D("2026-02-05"), D("2026-02-28")))
    assert [p["pair_id"] for p in february["per_pair"]] == ["pD", "pE"]
    assert february["participation"]["pairs"] == 2
    assert february["goals"] == {"set": 2, "achieved": 1, "achieved_share": 0.5}
    assert february["meetings"] == {"held": 2, "hours": 1.5, "mean_per_pair": 2.0}
    assert february["drop_outs"]["pairs_dropped"] == 1
    assert february["adaptation_by_cohort"] == [
        {"cohort": "2026-02", "mentees": 1, "adapted": 1, "mean_days": 30.0, "median_days": 30.0,
         "min_days": 30, "max_days": 30},
    ]  # fmt: skip
    assert february["filters"] == {"department": "sales", "from": "2026-02-05", "to": "2026-02-28"}


def test_a_period_that_ends_before_it_starts_names_to() -> None:
    with pytest.raises(Invalid) as refused:
        Scope(None, D("2026-03-01"), D("2026-02-01"))
    assert refused.value.details["field"] == "to"


def test_the_reports_name_nobody_and_hold_no_words() -> None:
    text = json.dumps(programme_outcomes(PROGRAMME, Scope()))
    for person in ("m1", "m2", "m3", "n1", "n2", "n3", "n4", "n5"):
        assert f'"{person}"' not in text


def test_time_to_adapt_compared_across_programmes() -> None:
    later = ProgrammeFacts(
        "prog-2", "Newcomers autumn", "classic", "open", D("2026-09-01"), (),
        (pair("pF", "2026-09-01", "2026-09-03", "active", (1, 60), (1, 0), (), Mentee("n6", "eng", 20)),),
    )  # fmt: skip
    reverse = dataclasses.replace(PROGRAMME, programme_id="prog-3", title="Reverse", kind="reverse")

    overview = programmes_overview([later, reverse, PROGRAMME], Scope())

    assert [line["programme_id"] for line in overview["programmes"]] == ["prog-1", "prog-3", "prog-2"]
    first = overview["programmes"][0]
    assert (first["pairs"], first["pairs_completed"], first["completed_share"]) == (5, 1, 0.2)
    assert (first["meetings_per_pair"], first["feedback_mean"], first["pairs_dropped"]) == (3.25, 4.0, 2)
    assert (first["adapted"], first["mean_days_to_adapt"]) == (3, 45.0)
    assert (overview["programmes"][1]["adapted"], overview["programmes"][1]["mean_days_to_adapt"]) == (None, None)
    # Reverse mentoring has no newcomers: the cohorts pool the two classic programmes only.
    assert [(c["cohort"], c["mentees"], c["adapted"], c["mean_days"]) for c in overview["adaptation_by_cohort"]] == [
        ("2026-01", 2, 2, 52.5),
        ("2026-02", 2, 1, 30.0),
        ("2026-09", 1, 1, 20.0),
    ]


# ------------------------------------------------------------------------------------------ circles

CIRCLE = CircleFacts(
    "circle-1",
    "CRM automations",
    members=(
        CircleMember("a", "facilitator", "eng", D("2026-01-05"), left=False),
        CircleMember("b", "member", "eng", D("2026-01-10"), left=False),
        CircleMember("c", "member", "sales", D("2026-02-02"), left=True),
        CircleMember("d", "reviewer", "sales", D("2026-02-15"), left=False),
    ),
    tasks=(
        TaskRecord("t1", D("2026-01-12"), D("2026-01-30"), ("eng", "eng"), (("eng", True), ("eng", False)), 3, 2, 2),
        TaskRecord("t2", D("2026-02-05"), None, ("sales",), (("sales", True),), 1, 0, 0),
    ),
)


def test_a_circle_hand_computed() -> None:
    report = circle_outcomes(CIRCLE, Scope())

    assert report == {
        "circle": {"id": "circle-1", "topic": "CRM automations"},
        "filters": {"department": None, "from": None, "to": None},
        "participation": {"members": 3, "joined": 4, "by_role": {"facilitator": 1, "member": 1, "reviewer": 1}},
        "completion": {
            "tasks_published": 2, "tasks_closed": 1, "closed_share": 0.5, "solutions": 3, "solutions_per_task": 1.5,
        },
        "checks": {"checked": 3, "passed": 2, "passed_share": 0.667},
        "feedback": {
            "comments": 4, "helpful_marks": 2, "reflections": 2, "check_distribution": {"passed": 2, "not_passed": 1},
        },
        "drop_outs": {"members_left": 1},
        "per_task": [
            {"task_id": "t1", "published_on": "2026-01-12", "closed": True, "solutions": 2, "checks_passed": 1,
             "checks_not_passed": 1},
            {"task_id": "t2", "published_on": "2026-02-05", "closed": False, "solutions": 1, "checks_passed": 1,
             "checks_not_passed": 0},
        ],
        "by_department": [
            {"department": "eng", "members": 2, "left": 0},
            {"department": "sales", "members": 1, "left": 1},
        ],
        "over_time": [
            {"month": "2026-01", "members_joined": 2, "tasks_published": 1, "tasks_closed": 1},
            {"month": "2026-02", "members_joined": 4, "tasks_published": 2, "tasks_closed": 1},
        ],
    }  # fmt: skip


def test_a_circle_in_one_department_and_period() -> None:
    report = circle_outcomes(CIRCLE, Scope("sales", D("2026-02-01"), D("2026-02-28")))

    assert report["participation"] == {"members": 1, "joined": 2, "by_role": {"reviewer": 1}}
    assert report["completion"]["solutions"] == 1  # t2 only: t1 came out in January
    assert report["checks"] == {"checked": 1, "passed": 1, "passed_share": 1.0}
    assert report["drop_outs"] == {"members_left": 1}


def test_flat_rows_key_lines_by_their_first_field() -> None:
    rows = {row["metric"]: row["value"] for row in flatten(programme_outcomes(PROGRAMME, Scope()))}

    assert rows["meetings.mean_per_pair"] == 3.25
    assert rows["per_pair.pB.meetings"] == 6
    assert rows["adaptation_by_cohort.2026-01.mean_days"] == 52.5
    assert rows["by_department.sales.drop_outs.pairs_dropped"] == 2
    assert rows["feedback.distribution.4"] == 2
    assert rows["over_time.2026-04.completed"] == 1


# ------------------------------------------------------------------------------------------ the adapted milestone

TERMS = PairTerms("Newcomers", "classic", ("onboarding",), D("2026-01-12"), D("2026-06-01"), 14, ("carol",))


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


def started(kind: str = "classic") -> Pair:
    pair = Pair.form("pair-1", "prog-1", dataclasses.replace(TERMS, kind=kind), "alice", ["bob"], "matching",
                     at("2026-01-10"))  # fmt: skip
    pair.start(at("2026-01-15"))
    pair.events.clear()
    return pair


def test_a_curator_records_a_newcomer_adapted_once() -> None:
    pair = started()

    adaptation = pair.record_adaptation("carol", "bob", D("2026-03-01"), "sealed", at("2026-03-02"), by_manager=False)

    assert (adaptation.started_on, adaptation.days_to_adapt) == (D("2026-01-15"), 45)
    assert pair.events == [MenteeAdapted("pair-1", "prog-1", "bob", "alice", D("2026-03-01"), 45)]
    assert Pair.from_state(pair.id, json.loads(json.dumps(pair.to_state()))) == pair
    with pytest.raises(Conflict):
        pair.record_adaptation("carol", "bob", D("2026-03-02"), None, at("2026-03-02"), by_manager=False)


def test_the_managers_word_counts_too_and_nobody_elses() -> None:
    pair = started()
    with pytest.raises(Forbidden):
        pair.record_adaptation("alice", "bob", D("2026-03-01"), None, at("2026-03-02"), by_manager=False)
    assert pair.record_adaptation("boss", "bob", D("2026-01-15"), None, at("2026-03-02"), by_manager=True)
    assert pair.adaptations[0].days_to_adapt == 0


@pytest.mark.parametrize("day", ["2026-01-14", "2026-03-03"])
def test_a_date_before_the_start_or_in_the_future_names_adapted_on(day: str) -> None:
    with pytest.raises(Invalid) as refused:
        started().record_adaptation("carol", "bob", D(day), None, at("2026-03-02"), by_manager=False)
    assert refused.value.details["field"] == "adapted_on"


def test_only_started_classic_pairs_and_their_mentees_adapt() -> None:
    with pytest.raises(Conflict):
        started("peer").record_adaptation("carol", "bob", D("2026-03-01"), None, at("2026-03-02"), by_manager=False)
    with pytest.raises(NotFound):
        started().record_adaptation("carol", "alice", D("2026-03-01"), None, at("2026-03-02"), by_manager=False)
    preparing = Pair.form("pair-2", "prog-1", TERMS, "alice", ["bob"], "matching", at("2026-01-10"))
    with pytest.raises(Conflict):
        preparing.record_adaptation("carol", "bob", D("2026-03-01"), None, at("2026-03-02"), by_manager=False)


def test_erasure_replaces_the_mentee_and_the_recorder() -> None:
    pair = started()
    pair.record_adaptation("carol", "bob", D("2026-03-01"), None, at("2026-03-02"), by_manager=False)
    assert pair.erase_person("bob", "former-employee-1")
    assert pair.erase_person("carol", "former-employee-2")
    assert (pair.adaptations[0].person_id, pair.adaptations[0].recorded_by) == (
        "former-employee-1",
        "former-employee-2",
    )
