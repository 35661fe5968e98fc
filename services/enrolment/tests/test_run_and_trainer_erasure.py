"""Erasure and export of cohort runs and trainers' profiles: the domain's erase methods, then the use cases on fakes."""

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from enrolment.domain.cohort_run import AttendanceStatus, CohortRun, Roster, certificate_number
from enrolment.domain.trainers import CohortResult, Debut, Trainer
from enrolment.service import cohort_runs, handlers, trainers
from enrolment.service.ports import CohortRunRecords, TrainerRecords
from enrolment.tests.builders import published_course
from enrolment.tests.fakes import (
    FakeRosters,
    InMemoryCohortRuns,
    InMemoryCourseRepository,
    InMemoryErasures,
    InMemoryPeople,
    InMemoryTrainerRecords,
    names,
)
from shared.errors import NotFound

STAND_IN = re.compile(r"former-employee-[0-9a-f]{12}")
REPLACEMENT = "former-employee-00000000000a"
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
WEEK = timedelta(weeks=1)
AFTER_ALL = NOW + WEEK


def roster(**changes: Any) -> Roster:
    base = Roster(
        course_id="course-1",
        cohort_id="cohort-abcdef42",
        course_title="Python для аналитиков",
        trainer_id="tina",
        members=("ann", "bob", "cid"),
        session_starts=(NOW - 3 * WEEK, NOW - 2 * WEEK, NOW - WEEK, NOW - timedelta(days=1)),
        peer_review=True,
        anonymous_feedback=False,
        min_attendance=0.7,
        min_homework=0.5,
        hours_per_session=1.5,
        trains_trainers=False,
    )
    return dataclasses.replace(base, **changes)


def finished_run(given: Roster) -> CohortRun:
    """Four sessions marked (ann misses one, cid two), two homework, comments, feedback, completion decided."""
    run = CohortRun.start(given)
    marks = {"ann": "ppap", "bob": "pppp", "cid": "paap"}
    for person, statuses in marks.items():
        for number, mark in enumerate(statuses, start=1):
            run.mark_attendance(given, number, person, "present" if mark == "p" else "absent", NOW)
    for session in (1, 2):
        homework = run.assign_homework(given, session, f"Exercise {session}", given.session_starts[session - 1] + WEEK)
        for person in ("ann", "bob"):
            run.submit_homework(given, homework.id, person, f"{person}'s answer", ["https://git.example.com/x"], NOW)
            run.review_homework(given, homework.id, person, "accepted", "Good" if person == "ann" else None, NOW)
    run.comment_submission(given, "hw-1", "bob", "ann", "Nice one", NOW)  # ann comments on bob's work
    run.comment_submission(given, "hw-1", "ann", "bob", "Thanks", NOW)
    for person, rating in (("ann", 5), ("bob", 3), ("cid", 4)):
        run.give_feedback(given, 1, person, rating, f"from {person}" if person != "cid" else None, NOW)
    run.decide_completion(given, AFTER_ALL, decided_by=given.trainer_id)
    run.events.clear()
    return run


def figures(run: CohortRun, who: dict[str, str]) -> dict[str, Any]:
    """The run's numbers, with each person looked up under the id they have now (`who`)."""
    return {
        "members": len(run.members),
        "attendance": {p: run.attendance_rate(now) for p, now in who.items()},
        "homework": {p: run.homework_rate(now) for p, now in who.items()},
        "average": run.average_rating(),
        "responses": [len(s.ratings) for s in run.sessions],
        "completed": sorted(d.completed for d in run.decisions),
        "certificates": len(run.certificates),
        "hours": sorted(c.hours for c in run.certificates.values()),
    }


# --- the cohort run -------------------------------------------------------------------------------------


def test_erasing_a_member_replaces_them_in_every_role_and_keeps_every_figure() -> None:
    given = roster()
    run = finished_run(given)
    before = figures(run, {"ann": "ann", "bob": "bob", "cid": "cid"})
    old_number = certificate_number(given.cohort_id, "ann", AFTER_ALL.year)
    assert old_number in run.certificates

    assert run.erase_person("ann", REPLACEMENT) is True

    assert not names(run.to_state(), "ann")
    assert run.events == []  # erasure is no news
    assert figures(run, {"ann": REPLACEMENT, "bob": "bob", "cid": "cid"}) == before
    assert run.members == [REPLACEMENT, "bob", "cid"]  # same places
    assert run.sessions[0].feedback_from == [REPLACEMENT, "bob", "cid"]
    assert [(r.rating, r.comment, r.author_id) for r in run.sessions[0].ratings] == [
        (5, "from ann", REPLACEMENT),
        (3, "from bob", "bob"),
        (4, None, "cid"),
    ]
    homework = run.homework[0]
    assert list(homework.submissions) == [REPLACEMENT, "bob"]
    assert homework.submissions[REPLACEMENT].text == "ann's answer"  # her contribution stays, as the stand-in's
    assert [c.author_id for c in homework.submissions["bob"].comments] == [REPLACEMENT]
    # The certificate is renumbered: the old number hashed her id, so anyone knowing it could find the stand-in.
    new_number = certificate_number(given.cohort_id, REPLACEMENT, AFTER_ALL.year)
    assert old_number not in run.certificates
    assert run.certificate(new_number).person_id == REPLACEMENT
    decision = next(d for d in run.decisions if d.person_id == REPLACEMENT)
    assert (decision.completed, decision.certificate_number) == (True, new_number)
    assert run.erased_certificate_numbers("ann", REPLACEMENT) == {old_number: new_number}
    assert CohortRun.from_state(run.cohort_id, run.to_state()).to_state() == run.to_state()


def test_anonymous_ratings_have_no_author_to_replace_only_who_gave_feedback() -> None:
    given = roster(anonymous_feedback=True)
    run = finished_run(given)
    ratings = [(r.rating, r.comment, r.author_id) for r in run.sessions[0].ratings]
    assert all(author is None for *_, author in ratings)

    run.erase_person("ann", REPLACEMENT)

    assert [(r.rating, r.comment, r.author_id) for r in run.sessions[0].ratings] == ratings
    assert run.sessions[0].feedback_from == [REPLACEMENT, "bob", "cid"]
    assert not names(run.to_state(), "ann")


def test_erasing_the_trainer_replaces_their_marks_reviews_decision_and_certificates_signature() -> None:
    given = roster()
    run = finished_run(given)
    before = figures(run, {"ann": "ann", "bob": "bob", "cid": "cid"})

    assert run.erase_person("tina", REPLACEMENT) is True

    assert not names(run.to_state(), "tina")
    assert (run.trainer_id, run.decided_by) == (REPLACEMENT, REPLACEMENT)
    assert {c.trainer_id for c in run.certificates.values()} == {REPLACEMENT}
    assert run.homework[0].submissions["ann"].comments[0].author_id == REPLACEMENT
    assert figures(run, {"ann": "ann", "bob": "bob", "cid": "cid"}) == before
    assert run.erased_certificate_numbers("tina", REPLACEMENT) == {}  # the trainer held no certificate


def test_a_run_without_the_person_or_erased_already_is_left_alone() -> None:
    run = finished_run(roster())
    state = run.to_state()

    assert run.erase_person("stranger", REPLACEMENT) is False
    assert run.to_state() == state
    run.erase_person("ann", REPLACEMENT)
    assert run.erase_person("ann", REPLACEMENT) is False
    with pytest.raises(ValueError, match="already in use"):
        run.erase_person("bob", REPLACEMENT)  # the stand-in already has a place here


def test_the_records_of_a_member_list_what_the_run_holds_on_them() -> None:
    given = roster()
    run = finished_run(given)

    records = run.records_of("ann")

    assert records["roles"] == ["member"]
    assert [a["status"] for a in records["attendance"]] == ["present", "present", "absent", "present"]
    assert [(h["homework_id"], h["status"], [c["text"] for c in h["comments"]]) for h in records["homework"]] == [
        ("hw-1", "accepted", ["Good", "Thanks"]),
        ("hw-2", "accepted", ["Good"]),
    ]
    assert records["comments_written"] == [
        {"homework_id": "hw-1", "on_submission_of": "bob", "text": "Nice one", "at": NOW.isoformat()}
    ]
    assert records["feedback_given"] == [{"session_number": 1, "rating": 5, "comment": "from ann"}]
    assert records["completion"] == {
        "completed": True,
        "attendance_rate": 0.75,
        "homework_rate": 1.0,
        "certificate_number": certificate_number(given.cohort_id, "ann", AFTER_ALL.year),
    }
    assert [c["hours"] for c in records["certificates"]] == [6.0]
    anonymous = finished_run(roster(anonymous_feedback=True)).records_of("ann")
    assert anonymous["feedback_given"] == [{"session_number": 1, "rating": None, "comment": None}]
    assert finished_run(given).records_of("tina")["roles"] == ["trainer", "decided_completion"]


# --- the trainer's profile ------------------------------------------------------------------------------


def test_erasing_a_trainer_makes_the_profile_the_stand_ins_with_the_same_figures() -> None:
    trainer = Trainer("ann", debut=Debut("c-1", NOW))
    trainer.give_course("c-1", title_en="Python", title_ru=None, competencies=["python"])
    trainer.schedule_cohort("c-1", "k-1")
    trainer.finish_cohort("c-1", CohortResult("k-1", participants=7, completed=5, average_rating=4.5))
    trainer.finish_cohort("c-1", CohortResult("k-2", participants=3, completed=3, average_rating=3.0))
    state = trainer.to_state()

    assert trainer.erase_person("ann", REPLACEMENT) is True

    assert trainer.to_state() == {**state, "person_id": REPLACEMENT}
    assert (trainer.rating.average, trainer.participants_taught, trainer.cohorts_given) == (3.75, 10, 2)
    assert trainer.erase_person("ann", REPLACEMENT) is False  # not hers any more
    assert Trainer("bob").erase_person("ann", REPLACEMENT) is False
    with pytest.raises(ValueError, match="the person's own"):
        Trainer("ann").erase_person("ann", "ann")


# --- the use cases --------------------------------------------------------------------------------------


def test_the_fakes_implement_the_privacy_ports() -> None:
    runs: CohortRunRecords = InMemoryCohortRuns()
    profiles: TrainerRecords = InMemoryTrainerRecords()
    assert runs is not None and profiles is not None


async def run_in_store(runs: InMemoryCohortRuns, given: Roster) -> FakeRosters:
    """The `finished_run` story through the use cases, one version per command."""
    rosters = FakeRosters()
    rosters.put(given)
    c, k = given.course_id, given.cohort_id

    def at(moment: datetime) -> Any:
        return lambda: moment

    for person, statuses in {"alice": "ppap", "bob": "pppp"}.items():
        for number, mark in enumerate(statuses, start=1):
            status: AttendanceStatus = "present" if mark == "p" else "absent"
            await cohort_runs.mark_attendance(runs, rosters, c, k, number, person, status, clock=at(NOW))
    await cohort_runs.assign_homework(runs, rosters, c, k, 1, "Exercise", NOW + WEEK)
    for person in ("alice", "bob"):
        await cohort_runs.submit_homework(runs, rosters, c, k, "hw-1", person, "answer", [], clock=at(NOW))
        await cohort_runs.review_homework(runs, rosters, c, k, "hw-1", person, "accepted", None, clock=at(NOW))
    await cohort_runs.comment_submission(runs, rosters, c, k, "hw-1", "bob", "alice", "Nice", clock=at(NOW))
    await cohort_runs.give_feedback(runs, rosters, c, k, 1, "alice", 5, "Great", clock=at(NOW))
    await cohort_runs.give_feedback(runs, rosters, c, k, 1, "bob", 3, None, clock=at(NOW))
    await cohort_runs.decide_completion(runs, rosters, c, k, "tina", clock=at(AFTER_ALL))
    return rosters


async def test_one_erasure_puts_one_stand_in_in_courses_runs_and_the_certificate_index() -> None:
    courses, people, erasures, runs = (
        InMemoryCourseRepository(),
        InMemoryPeople(),
        InMemoryErasures(),
        InMemoryCohortRuns(),
    )
    people.upsert("alice", display_name="Alice")
    course = await published_course(courses)
    await handlers.apply(handlers.Apply(course.id, "alice", "ru"), courses, now=NOW)
    given = roster(course_id=course.id, members=("alice", "bob"))
    await run_in_store(runs, given)
    old_number = certificate_number(given.cohort_id, "alice", AFTER_ALL.year)
    assert await cohort_runs.certificate(runs, old_number)
    version = runs.states[given.cohort_id][1]
    run_before, _ = await runs.get(given.cohort_id) or (None, 0)
    assert run_before is not None
    exported = await handlers.export_person("alice", courses, people, runs=runs)
    assert [r["cohort_id"] for r in exported["cohort_runs"]] == [given.cohort_id]

    changed = await handlers.erase_person("alice", courses, people, erasures, runs=runs)

    assert changed == 2  # the course and the run
    assert not names((courses.states, courses.history, runs.states, runs.history, runs.certificates), "alice")
    stored, _ = await handlers.get_course(course.id, courses)
    stand_in = stored.cohorts[0].members[0]
    assert STAND_IN.fullmatch(stand_in)
    run, now_version = await runs.get(given.cohort_id) or (None, 0)
    assert run is not None and now_version == version + 1
    assert run.members == [stand_in, "bob"]  # the same stand-in as in the course
    assert run.attendance_rate(stand_in) == run_before.attendance_rate("alice") == 0.75
    assert run.average_rating() == run_before.average_rating() == 4.0
    new_number = certificate_number(given.cohort_id, stand_in, AFTER_ALL.year)
    assert (await cohort_runs.certificate(runs, new_number)).person_id == stand_in
    with pytest.raises(NotFound):
        await cohort_runs.certificate(runs, old_number)
    completed = [e for c in runs.history[given.cohort_id] for e in c["events"] if "certificate_number" in e]
    assert {(e["person_id"], e["certificate_number"]) for e in completed if e["completed"]} == {
        (stand_in, new_number),
        ("bob", certificate_number(given.cohort_id, "bob", AFTER_ALL.year)),
    }
    assert runs.history[given.cohort_id][-1]["events"] == []  # the erasure's own version says nothing
    assert erasures.under_way == {}
    assert (await handlers.export_person("alice", courses, people, runs=runs))["cohort_runs"] == []

    snapshot = repr((courses.states, courses.history, runs.states, runs.history, runs.certificates))
    assert await handlers.erase_person("alice", courses, people, erasures, runs=runs) == 0
    assert repr((courses.states, courses.history, runs.states, runs.history, runs.certificates)) == snapshot


async def test_an_erased_trainer_s_profile_and_debut_move_to_the_stand_in_and_stay_gone() -> None:
    courses, people, erasures = InMemoryCourseRepository(), InMemoryPeople(), InMemoryErasures()
    profiles = InMemoryTrainerRecords(people)
    people.upsert("tina", display_name="Tina")
    published = trainers.CoursePublished("tina", "c-1", "Python", None, ("python",), NOW, "corr-1")
    await trainers.course_published(published, profiles)
    await trainers.cohort_finished(trainers.CohortFinished("tina", "c-1", "k-1", 7, 5, 4.5), profiles)
    exported = await handlers.export_person("tina", courses, people, trainers=profiles)
    assert exported["trainer_profile"]["debut"] == {"course_id": "c-1", "at": NOW.isoformat()}
    assert exported["trainer_profile"]["average_rating"] == 4.5

    assert await handlers.erase_person("tina", courses, people, erasures, trainers=profiles) == 1

    assert not names((profiles.history, profiles.debuts), "tina")
    (stand_in,) = profiles.history
    assert STAND_IN.fullmatch(stand_in)
    trainer, version = await profiles.get(stand_in) or (None, 0)
    assert trainer is not None and version == 2
    assert (trainer.person_id, trainer.rating.average, trainer.participants_taught) == (stand_in, 4.5, 7)
    assert profiles.debuts[stand_in] == (Debut("c-1", NOW), False)
    # A replayed publication and a late cohort store nothing under her id and announce no second debut.
    await trainers.course_published(published, profiles)
    await trainers.cohort_finished(trainers.CohortFinished("tina", "c-1", "k-2", 3, 3, 5.0), profiles)
    assert profiles.announced == [("tina", "c-1")]
    assert not names((profiles.history, profiles.debuts), "tina")
    assert await handlers.erase_person("tina", courses, people, erasures, trainers=profiles) == 0
    assert (await handlers.export_person("tina", courses, people, trainers=profiles))["trainer_profile"] is None
