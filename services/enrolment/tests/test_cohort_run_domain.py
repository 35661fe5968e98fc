"""A cohort's run as plain Python: sessions, attendance, homework, feedback and completion."""

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from enrolment.domain.cohort_run import (
    AttendanceMarked,
    CohortFinished,
    CohortRun,
    CompletionDecided,
    HomeworkAssigned,
    HomeworkReviewed,
    HomeworkSubmitted,
    Roster,
    SessionFeedbackGiven,
    SessionUpdated,
    certificate_number,
)
from shared.errors import Conflict, Invalid, NotFound

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
WEEK = timedelta(weeks=1)
MEMBERS = ("ann", "bob", "cid")


def roster(**changes: Any) -> Roster:
    base = Roster(
        course_id="course-1",
        cohort_id="cohort-abcdef42",
        course_title="Python для аналитиков",
        trainer_id="tina",
        members=MEMBERS,
        # Four weekly sessions: three behind us, the last one a day ahead.
        session_starts=(NOW - 3 * WEEK, NOW - 2 * WEEK, NOW - WEEK, NOW + timedelta(days=1)),
        peer_review=False,
        anonymous_feedback=False,
        min_attendance=0.8,
        min_homework=0.7,
        hours_per_session=1.5,
        trains_trainers=False,
    )
    return dataclasses.replace(base, **changes)


ROSTER = roster()
AFTER_ALL = NOW + 2 * timedelta(days=1)  # the last session has started


def run_of(given: Roster = ROSTER) -> CohortRun:
    return CohortRun.start(given)


def due(session: int, days: int = 3) -> datetime:
    return ROSTER.session_starts[session - 1] + timedelta(days=days)


def round_trip(run: CohortRun) -> CohortRun:
    return CohortRun.from_state(run.cohort_id, run.to_state())


# --- sessions -------------------------------------------------------------------------------------------


def test_a_run_starts_with_the_rosters_sessions_numbered_in_time_order() -> None:
    run = run_of(roster(session_starts=(NOW + WEEK, NOW)))
    assert [(s.number, s.starts_at) for s in run.sessions] == [(1, NOW), (2, NOW + WEEK)]
    assert run.members == list(MEMBERS)
    assert run.events == []


def test_the_trainer_reschedules_a_session_that_has_not_started() -> None:
    run = run_of()
    run.reschedule(ROSTER, 4, NOW + 2 * WEEK, NOW)
    assert run.sessions[3].starts_at == NOW + 2 * WEEK
    (event,) = run.events
    assert isinstance(event, SessionUpdated)
    assert (event.session_number, event.change, event.starts_at) == (4, "rescheduled", NOW + 2 * WEEK)


def test_a_session_cannot_be_moved_into_the_past() -> None:
    with pytest.raises(Invalid) as raised:
        run_of().reschedule(ROSTER, 4, NOW - timedelta(hours=1), NOW)
    assert raised.value.details["field"] == "starts_at"


def test_a_session_that_started_cannot_be_rescheduled() -> None:
    with pytest.raises(Conflict):
        run_of().reschedule(ROSTER, 1, NOW + WEEK, NOW)


def test_an_unknown_session_is_not_found() -> None:
    with pytest.raises(NotFound):
        run_of().set_room(ROSTER, 9, "https://room")


def test_room_and_materials_are_set_and_setting_the_same_again_records_nothing() -> None:
    run = run_of()
    run.set_room(ROSTER, 4, "https://meet/owl")
    run.set_materials(ROSTER, 4, ["https://slides", "https://code"])
    run.set_room(ROSTER, 4, "https://meet/owl")
    assert [e.change for e in run.events if isinstance(e, SessionUpdated)] == ["room", "materials"]
    assert run.events[-1] == SessionUpdated(
        "course-1", "cohort-abcdef42", 4, NOW + timedelta(days=1), "https://meet/owl", None,
        ("https://slides", "https://code"), "materials",
    )  # fmt: skip


def test_a_recording_is_added_only_after_the_session_started() -> None:
    run = run_of()
    with pytest.raises(Conflict):
        run.set_recording(ROSTER, 4, "https://rec/4", NOW)
    run.set_recording(ROSTER, 1, "https://rec/1", NOW)
    assert run.sessions[0].recording_url == "https://rec/1"
    assert isinstance(run.events[-1], SessionUpdated) and run.events[-1].change == "recording"


# --- attendance -----------------------------------------------------------------------------------------


def test_the_trainer_marks_attendance_of_a_started_session() -> None:
    run = run_of()
    run.mark_attendance(ROSTER, 1, "ann", "present", NOW)
    assert run.events == [AttendanceMarked("course-1", "cohort-abcdef42", 1, "ann", "tina", "present")]


def test_marking_a_session_that_has_not_started_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        run_of().mark_attendance(ROSTER, 4, "ann", "present", NOW)


def test_marking_someone_not_in_the_cohort_names_person_id() -> None:
    with pytest.raises(Invalid) as raised:
        run_of().mark_attendance(ROSTER, 1, "stranger", "present", NOW)
    assert raised.value.details["field"] == "person_id"


def test_an_unknown_attendance_status_names_status() -> None:
    with pytest.raises(Invalid) as raised:
        run_of().mark_attendance(ROSTER, 1, "ann", "late", NOW)  # type: ignore[arg-type]
    assert raised.value.details["field"] == "status"


def test_attendance_can_be_corrected_and_the_same_mark_again_records_nothing() -> None:
    run = run_of()
    run.mark_attendance(ROSTER, 1, "ann", "absent", NOW)
    run.mark_attendance(ROSTER, 1, "ann", "excused", NOW)
    run.mark_attendance(ROSTER, 1, "ann", "excused", NOW)
    assert [e.status for e in run.events if isinstance(e, AttendanceMarked)] == ["absent", "excused"]
    assert run.sessions[0].attendance == {"ann": "excused"}


def test_the_roster_is_taken_fresh_a_late_promotion_can_be_marked_a_withdrawal_cannot() -> None:
    run = run_of()
    later = roster(members=("ann", "bob", "dan"))  # cid withdrew, dan got a seat
    run.mark_attendance(later, 1, "dan", "excused", NOW)
    with pytest.raises(Invalid):
        run.mark_attendance(later, 1, "cid", "present", NOW)
    assert run.members == ["ann", "bob", "dan"]


def test_a_roster_of_another_cohort_is_refused() -> None:
    with pytest.raises(NotFound):
        run_of().mark_attendance(roster(cohort_id="other"), 1, "ann", "present", NOW)


# --- homework -------------------------------------------------------------------------------------------


def test_homework_follows_a_session_and_is_due_after_it() -> None:
    run = run_of()
    homework = run.assign_homework(ROSTER, 1, "Load a CSV with pandas", due(1))
    assert homework.id == "hw-1"
    assert run.events == [HomeworkAssigned("course-1", "cohort-abcdef42", "hw-1", 1, due(1))]


def test_homework_due_before_its_session_names_due_at() -> None:
    with pytest.raises(Invalid) as raised:
        run_of().assign_homework(ROSTER, 2, "Too early", ROSTER.session_starts[1] - timedelta(hours=1))
    assert raised.value.details["field"] == "due_at"


def test_a_session_has_one_homework() -> None:
    run = run_of()
    run.assign_homework(ROSTER, 1, "First", due(1))
    with pytest.raises(Conflict):
        run.assign_homework(ROSTER, 1, "Again", due(1))


def test_a_submission_before_the_due_date_is_on_time_after_it_is_late() -> None:
    run = run_of()
    run.assign_homework(ROSTER, 1, "Task", due(1))
    on_time = run.submit_homework(ROSTER, "hw-1", "ann", "done", [], due(1) - timedelta(minutes=1))
    late = run.submit_homework(ROSTER, "hw-1", "bob", "", ["https://repo/bob"], due(1) + timedelta(minutes=1))
    assert (on_time.late, on_time.attempt, late.late) == (False, 1, True)
    submitted = [e for e in run.events if isinstance(e, HomeworkSubmitted)]
    assert [(e.person_id, e.late, e.attempt) for e in submitted] == [("ann", False, 1), ("bob", True, 1)]


def test_only_members_submit_and_an_empty_submission_names_text() -> None:
    run = run_of()
    run.assign_homework(ROSTER, 1, "Task", due(1))
    with pytest.raises(Invalid) as outsider:
        run.submit_homework(ROSTER, "hw-1", "stranger", "mine", [], NOW)
    with pytest.raises(Invalid) as empty:
        run.submit_homework(ROSTER, "hw-1", "ann", "  ", [], NOW)
    assert (outsider.value.details["field"], empty.value.details["field"]) == ("person_id", "text")


def test_unknown_homework_is_not_found() -> None:
    with pytest.raises(NotFound):
        run_of().submit_homework(ROSTER, "hw-9", "ann", "x", [], NOW)


def test_a_submission_awaiting_review_cannot_be_submitted_again() -> None:
    run = run_of()
    run.assign_homework(ROSTER, 1, "Task", due(1))
    run.submit_homework(ROSTER, "hw-1", "ann", "done", [], NOW)
    with pytest.raises(Conflict):
        run.submit_homework(ROSTER, "hw-1", "ann", "done better", [], NOW)


def test_a_returned_submission_is_submitted_again_as_the_next_attempt_and_then_accepted() -> None:
    run = run_of()
    run.assign_homework(ROSTER, 1, "Task", due(1))
    run.submit_homework(ROSTER, "hw-1", "ann", "v1", [], NOW - WEEK)
    returned = run.review_homework(ROSTER, "hw-1", "ann", "returned", "Add tests", NOW - WEEK)
    assert returned.status == "returned"
    again = run.submit_homework(ROSTER, "hw-1", "ann", "v2", [], NOW)
    assert again.attempt == 2 and [c.text for c in again.comments] == ["Add tests"]
    run.review_homework(ROSTER, "hw-1", "ann", "accepted", None, NOW)
    reviewed = [e for e in run.events if isinstance(e, HomeworkReviewed)]
    assert [(e.outcome, e.attempt, e.trainer_id) for e in reviewed] == [
        ("returned", 1, "tina"),
        ("accepted", 2, "tina"),
    ]
    with pytest.raises(Conflict):
        run.submit_homework(ROSTER, "hw-1", "ann", "v3", [], NOW)


def test_returning_needs_a_comment_and_a_review_needs_a_fresh_submission() -> None:
    run = run_of()
    run.assign_homework(ROSTER, 1, "Task", due(1))
    with pytest.raises(NotFound):
        run.review_homework(ROSTER, "hw-1", "ann", "accepted", None, NOW)
    run.submit_homework(ROSTER, "hw-1", "ann", "v1", [], NOW)
    with pytest.raises(Invalid) as raised:
        run.review_homework(ROSTER, "hw-1", "ann", "returned", " ", NOW)
    assert raised.value.details["field"] == "comment"
    run.review_homework(ROSTER, "hw-1", "ann", "accepted", "Nice", NOW)
    with pytest.raises(Conflict):
        run.review_homework(ROSTER, "hw-1", "ann", "returned", "Changed my mind", NOW)


def test_peers_comment_only_when_the_course_has_peer_review() -> None:
    run = run_of()
    run.assign_homework(ROSTER, 1, "Task", due(1))
    run.submit_homework(ROSTER, "hw-1", "ann", "v1", [], NOW)
    run.comment_submission(ROSTER, "hw-1", "ann", "tina", "Good start", NOW)
    with pytest.raises(Invalid):
        run.comment_submission(ROSTER, "hw-1", "ann", "bob", "Looks fine", NOW)
    with_peers = roster(peer_review=True)
    run.comment_submission(with_peers, "hw-1", "ann", "bob", "Looks fine", NOW)
    with pytest.raises(Invalid):
        run.comment_submission(with_peers, "hw-1", "ann", "stranger", "Hi", NOW)
    comments = run.homework[0].submissions["ann"].comments
    assert [(c.author_id, c.text) for c in comments] == [("tina", "Good start"), ("bob", "Looks fine")]


def test_the_trainer_lists_submitted_late_and_missing_per_member() -> None:
    run = run_of()
    run.assign_homework(ROSTER, 1, "Task", due(1))
    run.submit_homework(ROSTER, "hw-1", "ann", "v1", [], due(1) - timedelta(hours=1))
    run.submit_homework(ROSTER, "hw-1", "bob", "v1", [], due(1) + timedelta(hours=1))
    run.review_homework(ROSTER, "hw-1", "ann", "accepted", None, NOW)
    (status,) = run.trainer_view(ROSTER).homework
    assert [(m.person_id, m.state, m.review) for m in status.members] == [
        ("ann", "submitted", "accepted"),
        ("bob", "late", "awaiting"),
        ("cid", "missing", None),
    ]
    assert (status.submitted, status.late, status.missing) == (1, 1, 1)


# --- feedback -------------------------------------------------------------------------------------------


def test_feedback_is_given_once_per_member_and_session_and_the_event_has_no_rating() -> None:
    run = run_of()
    run.give_feedback(ROSTER, 1, "ann", 5, "Great", NOW)
    assert run.events == [SessionFeedbackGiven("course-1", "cohort-abcdef42", 1, "ann")]
    with pytest.raises(Conflict):
        run.give_feedback(ROSTER, 1, "ann", 4, None, NOW)


@pytest.mark.parametrize("rating", [0, 6])
def test_a_rating_outside_one_to_five_names_rating(rating: int) -> None:
    with pytest.raises(Invalid) as raised:
        run_of().give_feedback(ROSTER, 1, "ann", rating, None, NOW)
    assert raised.value.details["field"] == "rating"


def test_feedback_waits_for_the_session_to_start_and_comes_from_members() -> None:
    with pytest.raises(Conflict):
        run_of().give_feedback(ROSTER, 4, "ann", 5, None, NOW)
    with pytest.raises(Invalid):
        run_of().give_feedback(ROSTER, 1, "stranger", 5, None, NOW)


def test_the_trainer_sees_averages_and_comments_with_authors_when_feedback_is_not_anonymous() -> None:
    run = run_of()
    run.give_feedback(ROSTER, 1, "ann", 5, "Great", NOW)
    run.give_feedback(ROSTER, 1, "bob", 2, None, NOW)
    first = run.trainer_view(ROSTER).feedback[0]
    assert (first.responses, first.average) == (2, 3.5)
    assert [(c.rating, c.comment, c.author_id) for c in first.comments] == [(5, "Great", "ann")]


def test_anonymous_feedback_hides_authors_from_the_trainer_and_is_not_stored_with_them() -> None:
    anonymous = roster(anonymous_feedback=True)
    run = run_of(anonymous)
    run.give_feedback(anonymous, 1, "ann", 5, "Great", NOW)
    run.give_feedback(anonymous, 1, "bob", 1, "Too fast", NOW)
    view = run.trainer_view(anonymous).feedback[0]
    assert view.average == 3.0
    assert {(c.rating, c.comment, c.author_id) for c in view.comments} == {(5, "Great", None), (1, "Too fast", None)}
    stored = run.to_state()["sessions"][0]
    assert all(r["author_id"] is None for r in stored["ratings"])
    assert [r["rating"] for r in stored["ratings"]] == [1, 5]  # sorted: the order does not follow who gave it
    assert run.participant_view(anonymous, "ann").feedback_given == [1]


# --- completion -----------------------------------------------------------------------------------------


def attend(run: CohortRun, person_id: str, *statuses: str, given: Roster = ROSTER) -> None:
    for number, status in enumerate(statuses, start=1):
        run.mark_attendance(given, number, person_id, status, AFTER_ALL)  # type: ignore[arg-type]


def accept(run: CohortRun, person_id: str, homework_id: str, given: Roster = ROSTER) -> None:
    run.submit_homework(given, homework_id, person_id, "work", [], NOW)
    run.review_homework(given, homework_id, person_id, "accepted", None, NOW)


def test_completion_waits_for_the_last_session_to_start() -> None:
    with pytest.raises(Conflict):
        run_of().decide_completion(ROSTER, NOW, "tina")


def test_attendance_rate_counts_present_and_leaves_excused_out() -> None:
    run = run_of()
    attend(run, "ann", "present", "excused", "present", "absent")
    attend(run, "bob", "excused", "excused", "excused", "excused")
    assert run.attendance_rate("ann") == pytest.approx(2 / 3)
    assert run.attendance_rate("bob") == 0.0  # nothing to count: no certificate for attending nothing
    assert run.attendance_rate("cid") == 0.0  # never marked counts as absent


def test_homework_rate_is_accepted_over_assigned_and_one_without_homework() -> None:
    run = run_of()
    assert run.homework_rate("ann") == 1.0
    for session in (1, 2, 3):
        run.assign_homework(ROSTER, session, f"Task {session}", due(session))
    accept(run, "ann", "hw-1")
    accept(run, "ann", "hw-2")
    run.submit_homework(ROSTER, "hw-3", "ann", "work", [], NOW)  # submitted, not accepted: does not count
    assert run.homework_rate("ann") == pytest.approx(2 / 3)


def test_completion_applies_both_minimums_and_issues_certificates_to_who_completed() -> None:
    run = run_of()
    for session in (1, 2, 3):
        run.assign_homework(ROSTER, session, f"Task {session}", due(session))
    # ann: 4/4 present (one excused: 3/3), 3/3 accepted -> completes
    attend(run, "ann", "present", "excused", "present", "present")
    for homework_id in ("hw-1", "hw-2", "hw-3"):
        accept(run, "ann", homework_id)
    # bob: 3/4 present = 0.75 < 0.8 -> does not complete, whatever his homework
    attend(run, "bob", "present", "present", "absent", "present")
    for homework_id in ("hw-1", "hw-2", "hw-3"):
        accept(run, "bob", homework_id)
    # cid: 4/4 present, 2/3 accepted = 0.67 < 0.7 -> does not complete
    attend(run, "cid", "present", "present", "present", "present")
    accept(run, "cid", "hw-1")
    accept(run, "cid", "hw-2")
    run.give_feedback(ROSTER, 1, "ann", 5, None, AFTER_ALL)
    run.give_feedback(ROSTER, 2, "bob", 4, None, AFTER_ALL)
    run.events.clear()

    decisions = run.decide_completion(ROSTER, AFTER_ALL, "tina")

    assert [(d.person_id, d.completed, d.attendance_rate, d.homework_rate) for d in decisions] == [
        ("ann", True, 1.0, 1.0),
        ("bob", False, 0.75, 1.0),
        ("cid", False, 1.0, 0.6667),
    ]
    number = certificate_number("cohort-abcdef42", "ann", 2025)
    assert decisions[0].certificate_number == number and number.startswith("OWL-2025-COHORT-")
    decided = [e for e in run.events if isinstance(e, CompletionDecided)]
    assert [(e.person_id, e.completed, e.certificate_number) for e in decided] == [
        ("ann", True, number),
        ("bob", False, None),
        ("cid", False, None),
    ]
    assert run.events[-1] == CohortFinished("course-1", "cohort-abcdef42", "tina", 3, 1, 4.5)
    certificate = run.certificate(number)
    assert (certificate.person_id, certificate.hours, certificate.issued_on) == ("ann", 6.0, AFTER_ALL.date())
    assert certificate.course_title == "Python для аналитиков"


def test_exactly_the_minimum_completes() -> None:
    given = roster(
        members=("ann",),
        session_starts=tuple(NOW - (10 - n) * WEEK for n in range(10)),
        min_attendance=0.8,
        min_homework=0.7,
    )
    run = run_of(given)
    for number in range(1, 11):
        run.mark_attendance(given, number, "ann", "present" if number <= 8 else "absent", NOW)
        run.assign_homework(given, number, "Task", given.session_starts[number - 1] + WEEK)
        if number <= 7:
            accept(run, "ann", f"hw-{number}", given)
    (decision,) = run.decide_completion(given, NOW, "tina")
    assert (decision.attendance_rate, decision.homework_rate, decision.completed) == (0.8, 0.7, True)


def test_completion_is_decided_once_a_second_call_records_nothing() -> None:
    run = run_of()
    first = run.decide_completion(ROSTER, AFTER_ALL, "tina")
    run.events.clear()
    again = run.decide_completion(roster(members=(*MEMBERS, "late")), AFTER_ALL + WEEK, "curt")
    assert run.events == [] and again == first and run.decided_by == "tina"


def test_the_certificate_number_is_stable_and_unique_per_person() -> None:
    numbers = {certificate_number("cohort-abcdef42", person, 2025) for person in ("ann", "bob", "cid")}
    assert len(numbers) == 3
    assert certificate_number("cohort-abcdef42", "ann", 2025) == certificate_number("cohort-abcdef42", "ann", 2025)
    assert "." not in "".join(numbers)  # "/certificates/{number}.pdf" stays unambiguous


def test_after_completion_the_run_refuses_submissions_attendance_and_reviews() -> None:
    run = run_of()
    run.assign_homework(ROSTER, 1, "Task", due(1))
    run.submit_homework(ROSTER, "hw-1", "bob", "v1", [], NOW)
    run.decide_completion(ROSTER, AFTER_ALL, "tina")
    with pytest.raises(Conflict):
        run.submit_homework(ROSTER, "hw-1", "ann", "too late", [], AFTER_ALL)
    with pytest.raises(Conflict):
        run.mark_attendance(ROSTER, 1, "ann", "present", AFTER_ALL)
    with pytest.raises(Conflict):
        run.review_homework(ROSTER, "hw-1", "bob", "accepted", None, AFTER_ALL)
    with pytest.raises(Conflict):
        run.assign_homework(ROSTER, 2, "More", due(2))


def test_an_unknown_certificate_is_not_found() -> None:
    with pytest.raises(NotFound):
        run_of().certificate("OWL-2025-NOPE")


# --- views and state ------------------------------------------------------------------------------------


def test_a_participant_sees_their_own_marks_homework_and_decision() -> None:
    with_peers = roster(peer_review=True)
    run = run_of(with_peers)
    run.assign_homework(with_peers, 1, "Task", due(1))
    run.submit_homework(with_peers, "hw-1", "ann", "mine", [], NOW)
    run.submit_homework(with_peers, "hw-1", "bob", "his", [], NOW)
    run.mark_attendance(with_peers, 1, "ann", "present", NOW)
    view = run.participant_view(with_peers, "ann")
    assert view.attendance == {1: "present", 2: None, 3: None, 4: None}
    (homework,) = view.homework
    assert homework.submission is not None and homework.submission.text == "mine"
    assert [s.person_id for s in homework.peer_submissions] == ["bob"]
    assert run.participant_view(ROSTER, "ann").homework[0].peer_submissions == []
    assert view.decision is None and view.certificate_number is None


def test_the_trainer_view_has_the_attendance_grid() -> None:
    run = run_of()
    run.mark_attendance(ROSTER, 1, "ann", "present", NOW)
    run.mark_attendance(ROSTER, 2, "bob", "excused", NOW)
    grid = run.trainer_view(ROSTER).attendance
    assert grid["ann"] == {1: "present", 2: None, 3: None, 4: None}
    assert grid["bob"][2] == "excused" and set(grid) == set(MEMBERS)


def test_the_state_round_trips_with_everything_in_it() -> None:
    run = run_of(roster(peer_review=True))
    run.set_materials(ROSTER, 1, ["https://slides"])
    run.mark_attendance(ROSTER, 1, "ann", "present", NOW)
    run.assign_homework(ROSTER, 1, "Task", due(1))
    run.submit_homework(ROSTER, "hw-1", "ann", "v1", ["https://repo"], NOW)
    run.review_homework(ROSTER, "hw-1", "ann", "returned", "More", NOW)
    run.give_feedback(ROSTER, 1, "ann", 4, "ok", NOW)
    run.decide_completion(ROSTER, AFTER_ALL, "tina")
    copy = round_trip(run)
    assert copy.to_state() == run.to_state()
    assert copy.trainer_view(ROSTER) == run.trainer_view(ROSTER)
    assert copy.finished and copy.events == []


def test_naive_datetimes_from_storage_come_back_as_utc() -> None:
    run = run_of()
    state = run.to_state()
    state["sessions"][0]["starts_at"] = state["sessions"][0]["starts_at"].replace(tzinfo=None)
    assert CohortRun.from_state(run.cohort_id, state).sessions[0].starts_at == run.sessions[0].starts_at
