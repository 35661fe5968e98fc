"""The programme report: hand-computed counts and means, and anonymity of the feedback."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentoring.domain.report import FeedbackFacts, PairFacts, ParticipantFacts, programme_report

PARTICIPANTS = (
    ParticipantFacts("mentor-anna", "mentor", left=False),
    ParticipantFacts("mentor-boris", "mentor", left=False),
    ParticipantFacts("mentor-vera", "mentor", left=True),
    ParticipantFacts("mentee-gleb", "mentee", left=False),
    ParticipantFacts("mentee-dina", "mentee", left=False),
    ParticipantFacts("mentee-egor", "mentee", left=False),
    ParticipantFacts("mentee-zoya", "mentee", left=True),
)


def pair(
    pair_id: str,
    status: str = "active",
    end_reason: str | None = None,
    meetings: int = 0,
    minutes: int = 0,
    goals: tuple[int, int] = (0, 0),
    at_risk: bool = False,
    feedback: tuple[tuple[str, int], ...] = (),
) -> PairFacts:
    return PairFacts(
        pair_id,
        status,
        end_reason,
        meetings,
        minutes,
        goals_set=goals[0],
        goals_achieved=goals[1],
        at_risk=at_risk,
        feedback=tuple(FeedbackFacts(role, rating) for role, rating in feedback),
    )


PAIRS = (
    pair("pair-a", meetings=4, minutes=240, goals=(3, 1), feedback=(("mentor", 5), ("mentee", 4))),
    pair("pair-b", meetings=1, minutes=45, goals=(2, 0), at_risk=True, feedback=(("mentee", 3),)),
    pair("pair-c", "ended", "completed", 6, 330, (2, 2), feedback=(("mentor", 4), ("mentee", 5))),
    pair("pair-d", "ended", "left", 2, 60, (1, 0), at_risk=True),  # ended: no longer at risk
    pair("pair-e", "ended", "rematch"),
    pair("pair-f", "preparing", at_risk=True),
)


def feedback_report(*answers: tuple[str, int]) -> dict[str, object]:
    feedback = programme_report("p-1", "Mentoring", "running", (), [pair("pair-a", feedback=answers)]).to_dict()
    result: dict[str, object] = feedback["feedback"]
    return result


def test_a_small_programme_hand_computed() -> None:
    report = programme_report("p-1", "Mentoring 2025", "running", PARTICIPANTS, PAIRS).to_dict()

    assert report == {
        "programme_id": "p-1",
        "title": "Mentoring 2025",
        "stage": "running",
        "participants": {
            "mentor": {"total": 3, "active": 2, "left": 1},
            "mentee": {"total": 4, "active": 3, "left": 1},
        },
        "pairs": {
            "total": 6,
            "preparing": 1,
            "active": 2,
            "ended": 3,
            "ended_by_reason": {"completed": 1, "left": 1, "rematch": 1},
        },
        "at_risk": 2,  # pair-b and pair-f
        # pairs a..e started or ended: meetings 4, 1, 6, 2, 0 -> 13 / 5; 675 minutes
        "meetings": {
            "pairs_counted": 5,
            "mean_per_pair": 2.6,
            "min_per_pair": 0,
            "max_per_pair": 6,
            "total_hours": 11.25,
        },
        "goals": {"set": 8, "achieved": 3, "achieved_share": 0.375},
        # 5 answers summing to 21; mentors answered only twice, so no role mean is shown
        "feedback": {
            "responses": 5,
            "mean_rating": 4.2,
            "suppressed": False,
            "by_role": {
                "mentor": {"responses": 2, "mean": None, "suppressed": True},
                "mentee": {"responses": 3, "mean": None, "suppressed": True},
            },
        },
        "drop_outs": {"participants_left": 2, "pairs_dropped": 2},  # pair-d (left) and pair-e (rematch)
    }


def test_the_report_names_nobody() -> None:
    text = json.dumps(programme_report("p-1", "Mentoring", "running", PARTICIPANTS, PAIRS).to_dict())

    for participant in PARTICIPANTS:
        assert participant.person_id not in text
    for one_pair in PAIRS:
        assert one_pair.pair_id not in text


def test_an_empty_programme_reports_zeros() -> None:
    report = programme_report("p-1", "Mentoring", "draft", [], [pair("pair-a", "preparing")])

    assert report.participants["mentor"].total == 0
    assert report.meetings.pairs_counted == 0
    assert (report.meetings.mean_per_pair, report.meetings.min_per_pair, report.meetings.max_per_pair) == (0.0, 0, 0)
    assert report.meetings.total_hours == 0.0
    assert report.goals.achieved_share == 0.0
    assert report.feedback.responses == 0
    assert report.feedback.mean_rating is None
    assert report.feedback.suppressed is False  # nothing to hide: nobody answered


def test_an_overall_mean_needs_three_responses() -> None:
    two = feedback_report(("mentor", 5), ("mentee", 1))
    three = feedback_report(("mentor", 5), ("mentee", 1), ("mentee", 2))

    assert (two["responses"], two["mean_rating"], two["suppressed"]) == (2, None, True)
    assert (three["responses"], three["mean_rating"], three["suppressed"]) == (3, 2.67, False)


def test_a_role_mean_shows_with_three_responses_from_that_role() -> None:
    by_role = feedback_report(("mentee", 4), ("mentee", 5), ("mentee", 5))["by_role"]

    assert by_role == {
        "mentor": {"responses": 0, "mean": None, "suppressed": False},
        "mentee": {"responses": 3, "mean": 4.67, "suppressed": False},
    }


def test_both_role_means_show_when_both_roles_reach_three() -> None:
    by_role = feedback_report(("mentor", 5), ("mentor", 4), ("mentor", 2), ("mentee", 4), ("mentee", 3), ("mentee", 5))[
        "by_role"
    ]

    assert by_role == {
        "mentor": {"responses": 3, "mean": 3.67, "suppressed": False},
        "mentee": {"responses": 3, "mean": 4.0, "suppressed": False},
    }


def test_a_lone_answer_cannot_be_worked_out_from_the_other_means() -> None:
    # Overall 4 answers with mean 4.25 and mentees' mean 4.0 would give away the single mentor's 5.
    result = feedback_report(("mentor", 5), ("mentee", 4), ("mentee", 3), ("mentee", 5))

    assert result["mean_rating"] == 4.25
    assert result["by_role"] == {
        "mentor": {"responses": 1, "mean": None, "suppressed": True},
        "mentee": {"responses": 3, "mean": None, "suppressed": True},
    }


@given(st.lists(st.tuples(st.sampled_from(["mentor", "mentee"]), st.integers(1, 5)), max_size=12))
def test_no_shown_mean_rests_on_fewer_than_three_answers_nor_reveals_a_hidden_one(
    answers: list[tuple[str, int]],
) -> None:
    report = programme_report("p-1", "Mentoring", "running", (), [pair("pair-a", feedback=tuple(answers))])
    feedback = report.feedback
    shown = [stats for stats in feedback.by_role.values() if stats.mean is not None]
    hidden = [stats for stats in feedback.by_role.values() if stats.suppressed]

    assert all(stats.responses >= 3 for stats in shown)
    assert feedback.mean_rating is None or feedback.responses >= 3
    if feedback.mean_rating is not None and hidden:
        assert not shown  # overall minus the shown roles would be the hidden role's mean


@pytest.mark.parametrize(
    "bad",
    [
        pair("pair-a", "paused"),
        pair("pair-a", meetings=-1),
        pair("pair-a", goals=(1, 2)),
        pair("pair-a", feedback=(("curator", 5),)),
    ],
)
def test_inconsistent_facts_are_a_programming_error(bad: PairFacts) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        programme_report("p-1", "Mentoring", "running", (), [bad])
