"""Enrolment use cases: load the course, let it decide, save it with its events.

Every change to a course is load-decide-save under `retry_on_conflict`: when two writers race
(applicants for the last seat, withdrawals promoting the same waiting person), the loser loads the
course again and decides on what the winner left, so each seat and each promotion happens once.
"""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from enrolment.domain.cohort_run import CohortRun, Roster
from enrolment.domain.model import (
    Applicant,
    Application,
    Cohort,
    Course,
    Proposal,
    Rules,
    former_employee_id,
)
from enrolment.domain.schedule import Slot
from enrolment.domain.trainers import Trainer
from enrolment.service.ports import (
    CohortRunRecords,
    ConferenceRecords,
    CourseRepository,
    Erasures,
    MasterClassRecords,
    People,
    TrainerRecords,
)
from shared.concurrency import retry_on_conflict
from shared.errors import Invalid, NotFound

SERVICE = "enrolment"
ERASURE_PASSES = 3
T = TypeVar("T")


async def change(course_id: str, courses: CourseRepository, decide: Callable[[Course], T]) -> tuple[T, Course]:
    """Load the course, let `decide` change it, save; again from the top if another writer got there first."""

    async def attempt() -> tuple[T, Course]:
        course, version = await get_course(course_id, courses)
        outcome = decide(course)
        if course.events:
            await courses.save(course, expected_version=version)
        return outcome, course

    return await retry_on_conflict(attempt, aggregate_id=course_id)


# --- proposal and review ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposeCourse:
    trainer_id: str
    proposal: Proposal
    rules: Rules = field(default_factory=Rules)


async def propose_course(command: ProposeCourse, courses: CourseRepository) -> Course:
    course = Course.propose(str(uuid.uuid4()), command.trainer_id, command.proposal, command.rules)
    await courses.save(course, expected_version=0)
    return course


async def revise_course(course_id: str, command: ProposeCourse, courses: CourseRepository) -> Course:
    _, course = await change(
        course_id, courses, lambda c: c.revise(command.trainer_id, command.proposal, command.rules)
    )
    return course


async def review_course(
    course_id: str, curator_id: str, verdict: str, comment: str | None, now: datetime, courses: CourseRepository
) -> Course:
    _, course = await change(course_id, courses, lambda c: c.review(curator_id, verdict, comment, now))
    return course


async def schedule_rehearsal(
    course_id: str, curator_id: str, starts_at: datetime, now: datetime, courses: CourseRepository
) -> Course:
    _, course = await change(course_id, courses, lambda c: c.schedule_rehearsal(curator_id, starts_at, now))
    return course


# --- cohorts ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddCohort:
    course_id: str
    slot: Slot
    start_date: date
    capacity: int | None = None
    trainer_id: str | None = None


async def add_cohort(command: AddCohort, now: datetime, courses: CourseRepository) -> tuple[Cohort, Course]:
    cohort_id = str(uuid.uuid4())
    return await change(
        command.course_id,
        courses,
        lambda c: c.add_cohort(
            cohort_id, command.slot, command.start_date, now, capacity=command.capacity, trainer_id=command.trainer_id
        ),
    )


@dataclass(frozen=True)
class DecideStream:
    course_id: str
    proposal_id: str
    curator_id: str
    accept: bool
    member_ids: Sequence[str] | None = None
    slot: Slot | None = None
    start_date: date | None = None


async def decide_stream(
    command: DecideStream, now: datetime, courses: CourseRepository
) -> tuple[Cohort | None, Course]:
    cohort_id = str(uuid.uuid4())
    return await change(
        command.course_id,
        courses,
        lambda c: c.decide_stream(
            command.curator_id,
            command.proposal_id,
            command.accept,
            now,
            cohort_id=cohort_id,
            member_ids=command.member_ids,
            slot=command.slot,
            start_date=command.start_date,
        ),
    )


async def roster(course_id: str, cohort_id: str, courses: CourseRepository) -> Roster:
    """Who is in a cohort and how the course runs: what a cohort's run needs from the course."""
    course, _ = await get_course(course_id, courses)
    cohort = course.cohort(cohort_id)
    rules = course.rules
    return Roster(
        course_id=course.id,
        cohort_id=cohort.id,
        course_title=course.title,
        trainer_id=cohort.trainer_id,
        members=tuple(cohort.members),
        session_starts=tuple(cohort.session_starts),
        peer_review=rules.peer_review,
        anonymous_feedback=rules.anonymous_feedback,
        min_attendance=rules.min_attendance,
        min_homework=rules.min_homework,
        hours_per_session=rules.hours_per_session,
        trains_trainers=rules.trains_trainers,
    )


class CourseRosters:
    """Rosters for the cohort runs, read from the courses (the course aggregate owns who is in a cohort)."""

    def __init__(self, courses: CourseRepository) -> None:
        self.courses = courses

    async def roster(self, course_id: str, cohort_id: str) -> Roster:
        return await roster(course_id, cohort_id, self.courses)


# --- applications and the waitlist ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Apply:
    course_id: str
    person_id: str
    locale: str | None = None
    motivation: str = ""
    preferred_cohort_id: str | None = None
    level: str = "beginner"


async def apply(
    command: Apply, courses: CourseRepository, *, people: People | None = None, now: datetime | None = None
) -> tuple[Application, Course]:
    """Apply for a seat; the directory's deactivated and erased people are refused.

    What the directory knows of the person (language, department, time zone, manager) goes with the
    application: it decides the manager to ask and how a future stream is composed.
    """
    profile: dict[str, Any] = {}
    if people is not None:
        found = await people.get(command.person_id)  # one read: blocked or not, and the profile
        if found is not None and (found.erased or not found.active):
            raise Invalid(f"person {command.person_id} is deactivated in the directory", field="person_id")
        profile = dict(found.fields) if found is not None else {}
    applicant = Applicant(
        person_id=command.person_id,
        locale=command.locale or profile.get("locale") or "en",
        motivation=command.motivation,
        preferred_cohort_id=command.preferred_cohort_id,
        level=command.level,
        department=profile.get("department"),
        time_zone=profile.get("time_zone"),
        manager_id=profile.get("manager_id"),
    )
    application_id = str(uuid.uuid4())
    return await change(command.course_id, courses, lambda c: c.apply(applicant, application_id, now or _now()))


async def decide_as_manager(
    course_id: str, person_id: str, manager_id: str, approve: bool, now: datetime, courses: CourseRepository
) -> tuple[Application, Course]:
    return await change(course_id, courses, lambda c: c.decide_as_manager(manager_id, person_id, approve, now))


async def withdraw(
    course_id: str, person_id: str, now: datetime, courses: CourseRepository
) -> tuple[Application, Course]:
    return await change(course_id, courses, lambda c: c.withdraw(person_id, now))


async def confirm_offer(
    course_id: str, person_id: str, now: datetime, courses: CourseRepository
) -> tuple[Application, Course]:
    return await change(course_id, courses, lambda c: c.confirm_offer(person_id, now))


async def expire_offers(now: datetime, courses: CourseRepository) -> int:
    """Let lapse every seat offer past its deadline, offering those seats on; how many lapsed.

    Safe on every replica at once: each course decides under its version, so an offer lapses once.
    """
    lapsed = 0
    for course_id in await courses.with_offers_due(now):
        count, course = await change(course_id, courses, lambda c: c.expire_offers(now))
        await courses.forget_ended_offers(course, now)
        lapsed += count
    return lapsed


def _now() -> datetime:
    return datetime.now(UTC)


async def get_course(course_id: str, courses: CourseRepository) -> tuple[Course, int]:
    found = await courses.get(course_id)
    if found is None:
        raise NotFound(f"course {course_id} does not exist", course_id=course_id)
    return found


async def open_stream_proposals(courses: CourseRepository) -> list[Course]:
    """Courses whose proposed stream awaits a curator: the longest waitlist first (most people kept waiting),
    then by course id."""
    found = await courses.with_open_stream_proposal()
    return sorted(found, key=lambda course: (-len(course.waitlist), course.id))


async def applications_of(person_id: str, courses: CourseRepository) -> list[tuple[Application, Course]]:
    """The person's applications across courses, each with its course: newest first.

    Applications stored before their date was recorded come last, in course order.
    """
    found = [
        (course.applications[person_id], course)
        for course in await courses.applied_to_by(person_id)
        if person_id in course.applications
    ]
    undated = datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda pair: pair[0].applied_at or undated, reverse=True)  # stable: ties keep course order
    return found


async def erase_person(
    person_id: str,
    courses: CourseRepository,
    people: People,
    erasures: Erasures,
    *,
    runs: CohortRunRecords | None = None,
    trainers: TrainerRecords | None = None,
    master_classes: MasterClassRecords | None = None,
    conferences: ConferenceRecords | None = None,
) -> int:
    """Put a former employee in the person's place everywhere enrolment holds them, state and history alike.

    Courses (applications, seats, queues), cohort runs (membership, attendance, homework, comments,
    feedback, completion, certificates; as a member or as the trainer), the trainer's profile and
    debut, master classes (hosted, registered, waiting, attended, rated) and conferences (committee,
    chair, speaker, scores, seats, attendance, feedback), all under one stand-in.
    Returns how many courses, runs, profiles and master classes changed. Safe to run again: a
    repeated erasure finds nobody and changes nothing. The person is blocked first, so no
    application (and no late event of the trainers' projection) can bring them back while the
    stores are rewritten; a pass that still finds them (something slipped in) erases again. One
    random stand-in per erasure, kept in `erasures` until the end, so a crash half way resumes with
    the same stand-in instead of splitting the history over two.

    Not here: the trainer id of the courses the person gives, which `Course.erase_person` keeps by
    design (who gives those courses now is HR's decision on the course). Cohort runs take their
    trainer from the course, so a run changed after the erasure names that trainer id again.
    """
    await people.apply_erased(person_id)
    replacement: str | None = None
    changed: set[tuple[str, str]] = set()
    for _ in range(ERASURE_PASSES):
        course_ids = await courses.involving(person_id)
        run_ids = await runs.involving(person_id) if runs is not None else []
        profiles = await trainers.involving(person_id) if trainers is not None else []
        classes = await master_classes.involving(person_id) if master_classes is not None else []
        conference_ids = await conferences.involving(person_id) if conferences is not None else []
        if not (course_ids or run_ids or profiles or classes or conference_ids):
            if replacement is not None:
                await erasures.finish(person_id)
            return len(changed)
        if replacement is None:
            replacement = await erasures.begin(person_id, former_employee_id())
        for course_id in course_ids:
            if await _erase_from_course(course_id, person_id, replacement, courses):
                changed.add(("course", course_id))
        if runs is not None:
            for cohort_id in run_ids:
                if await _erase_from_run(cohort_id, person_id, replacement, runs):
                    changed.add(("cohort_run", cohort_id))
        if trainers is not None and profiles and await trainers.erase_from_history(person_id, replacement) > 0:
            changed.add(("trainer", replacement))
        for master_class_id in classes:
            if master_classes is not None and await master_classes.erase_person(
                master_class_id, person_id, replacement
            ):
                changed.add(("master_class", master_class_id))
        for conference_id in conference_ids:
            if conferences is not None and await conferences.erase_person(conference_id, person_id, replacement):
                changed.add(("conference", conference_id))
    raise RuntimeError(f"a person is still named in enrolment after {ERASURE_PASSES} erasure passes")


async def _erase_from_course(course_id: str, person_id: str, replacement: str, courses: CourseRepository) -> bool:
    async def attempt() -> tuple[bool, int]:
        # A normal new version: it wins or loses against concurrent applicants like any other change.
        found = await courses.get(course_id)
        if found is None:
            return False, 0
        course, version = found
        if not course.erase_person(person_id, replacement):
            return False, version  # erased already (an interrupted run): only the history may remain
        await courses.save(course, expected_version=version)
        return True, version

    erased, history = await retry_on_conflict(attempt, aggregate_id=course_id)
    # The versions before the erasure; never the newest, whose state the head caches.
    rewritten = await courses.erase_from_history(course_id, person_id, replacement, history)
    return erased or rewritten > 0


async def _erase_from_run(cohort_id: str, person_id: str, replacement: str, runs: CohortRunRecords) -> bool:
    async def attempt() -> tuple[CohortRun | None, bool, int]:
        # A new version with no events, against concurrent marks and submissions like any other change.
        found = await runs.get(cohort_id)
        if found is None:
            return None, False, 0
        run, version = found
        if not run.erase_person(person_id, replacement):
            return run, False, version  # erased already (an interrupted run): index and history may remain
        await runs.save(run, expected_version=version)
        return run, True, version

    run, erased, history = await retry_on_conflict(attempt, aggregate_id=cohort_id)
    # The certificate index, then the history last: while history names the person, a rerun finds the run.
    dropped = await runs.erase_certificates(run, person_id, replacement) if run is not None else 0
    rewritten = await runs.erase_from_history(cohort_id, person_id, replacement, history)
    return erased or dropped > 0 or rewritten > 0


def _trainer_record(trainer: Trainer) -> dict[str, Any]:
    debut = trainer.debut
    return {
        "debut": None if debut is None else {"course_id": debut.course_id, "at": debut.at.isoformat()},
        "courses": [
            {
                "course_id": course.course_id,
                "published": course.published,
                "title_en": course.title_en,
                "title_ru": course.title_ru,
                "competencies": list(course.competencies),
                "cohorts_scheduled": list(course.scheduled),
                "cohorts_finished": [
                    {
                        "cohort_id": result.cohort_id,
                        "participants": result.participants,
                        "completed": result.completed,
                        "average_rating": result.average_rating,
                    }
                    for result in course.finished
                ],
            }
            for course in trainer.courses
        ],
        "average_rating": trainer.rating.average,
        "rated_cohorts": trainer.rating.count,
    }


async def export_person(
    person_id: str,
    courses: CourseRepository,
    people: People,
    *,
    runs: CohortRunRecords | None = None,
    trainers: TrainerRecords | None = None,
    master_classes: MasterClassRecords | None = None,
    conferences: ConferenceRecords | None = None,
) -> dict[str, Any]:
    """Everything enrolment holds on the person, as plain JSON-able data (a subject access request).

    Anonymous ratings are stored without their author, so a run lists that the person gave
    feedback on a session, not which rating was theirs. Master classes and conferences show the
    person's own part only (`MasterClass.records_of`, `Conference.records_of`): never another
    committee member's scores, nor anyone else's registration or feedback.
    """
    applications: list[dict[str, Any]] = []
    for course_id in await courses.involving(person_id):
        found = await courses.get(course_id)
        if found is None:
            continue
        course, _ = found
        application = course.applications.get(person_id)
        if application is None:
            continue
        applications.append(
            {
                "application_id": application.id,
                "course_id": course.id,
                "course_title": course.title,
                "status": application.status.value,
                "cohort_id": application.cohort_id,
                "waitlist_position": course.waitlist_position(person_id),
                "locale": application.locale,
            }
        )
    cohort_runs: list[dict[str, Any]] = []
    if runs is not None:
        for cohort_id in await runs.involving(person_id):
            loaded = await runs.get(cohort_id)
            if loaded is not None and loaded[0].involves(person_id):  # not only in past versions
                cohort_runs.append(loaded[0].records_of(person_id))
    profile = await trainers.get(person_id) if trainers is not None else None
    master_class_records: list[dict[str, Any]] = []
    if master_classes is not None:
        for master_class_id in await master_classes.involving(person_id):
            found_class = await master_classes.get(master_class_id)
            record = found_class[0].records_of(person_id) if found_class is not None else None
            if record is not None:  # not only in past versions
                master_class_records.append(record)
    conference_records: list[dict[str, Any]] = []
    if conferences is not None:
        for conference_id in await conferences.involving(person_id):
            found_conference = await conferences.get(conference_id)
            record = found_conference[0].records_of(person_id) if found_conference is not None else None
            if record is not None:
                conference_records.append(record)
    return {
        "service": SERVICE,
        "person_id": person_id,
        "person": await people.export(person_id),
        "applications": applications,
        "cohort_runs": cohort_runs,
        "trainer_profile": _trainer_record(profile[0]) if profile is not None else None,
        "master_classes": master_class_records,
        "conferences": conference_records,
    }
