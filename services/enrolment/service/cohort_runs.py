"""Use cases of a cohort's run: load the run (made from the roster on first use), decide, save.

Each command takes the roster fresh from the course side (`Rosters`), so a withdrawal or a late
promotion counts from the next command on, and saves with `retry_on_conflict`: a lost race loads
the run again and decides again.
"""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from enrolment.domain.cohort_run import (
    AttendanceStatus,
    Certificate,
    CohortRun,
    Comment,
    Decision,
    Homework,
    ParticipantView,
    ReviewOutcome,
    Roster,
    SessionView,
    Submission,
    TrainerView,
)
from shared.concurrency import retry_on_conflict
from shared.errors import Invalid, NotFound

T = TypeVar("T")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Rosters(Protocol):
    """The course side's word on a cohort (implemented by the course aggregate's adapter)."""

    async def roster(self, course_id: str, cohort_id: str) -> Roster:
        """The cohort as it is now; raises NotFound for an unknown course or cohort."""
        ...


class CohortRuns(Protocol):
    async def get(self, cohort_id: str) -> tuple[CohortRun, int] | None:
        """The run and the version it was loaded at, or None before its first change."""
        ...

    async def save(self, run: CohortRun, expected_version: int) -> None:
        """Store the run with the events it recorded; ConcurrencyConflict if the version moved."""
        ...

    async def cohort_of_certificate(self, number: str) -> str | None:
        """The cohort whose run may hold certificate `number` (an index entry, checked against the run)."""
        ...


class Profile(Protocol):
    @property
    def fields(self) -> Mapping[str, Any]: ...


class People(Protocol):
    """This service's copy of the directory (display names and locales for certificates)."""

    async def get(self, person_id: str) -> Profile | None: ...


async def _load(runs: CohortRuns, roster: Roster) -> tuple[CohortRun, int]:
    loaded = await runs.get(roster.cohort_id)
    if loaded is None:
        return CohortRun.start(roster), 0
    run, version = loaded
    if run.course_id != roster.course_id:
        raise NotFound(f"course {roster.course_id} has no cohort {roster.cohort_id}")
    return run, version


async def _change(
    runs: CohortRuns, rosters: Rosters, course_id: str, cohort_id: str, decide: Callable[[CohortRun, Roster], T]
) -> T:
    roster = await rosters.roster(course_id, cohort_id)

    async def attempt() -> T:
        run, version = await _load(runs, roster)
        before = run.to_state() if version else None
        result = decide(run, roster)
        if run.events or run.to_state() != before:
            await runs.save(run, version)
        return result

    return await retry_on_conflict(attempt, aggregate_id=cohort_id)


# --- the trainer's edits ------------------------------------------------------------------------------


async def edit_session(
    runs: CohortRuns,
    rosters: Rosters,
    course_id: str,
    cohort_id: str,
    number: int,
    *,
    starts_at: datetime | None = None,
    room_url: str | None = None,
    materials: list[str] | None = None,
    recording_url: str | None = None,
    clear: frozenset[str] = frozenset(),
    clock: Clock = utc_now,
) -> SessionView:
    """Change what is given (each change is its own event); `clear` names the links to remove."""
    now = clock()

    def decide(run: CohortRun, roster: Roster) -> SessionView:
        if starts_at is not None:
            run.reschedule(roster, number, starts_at, now)
        if room_url is not None or "room_url" in clear:
            run.set_room(roster, number, room_url)
        if materials is not None:
            run.set_materials(roster, number, materials)
        if recording_url is not None or "recording_url" in clear:
            run.set_recording(roster, number, recording_url, now)
        return run.session_view(number)

    return await _change(runs, rosters, course_id, cohort_id, decide)


async def mark_attendance(
    runs: CohortRuns,
    rosters: Rosters,
    course_id: str,
    cohort_id: str,
    number: int,
    person_id: str,
    status: AttendanceStatus,
    clock: Clock = utc_now,
) -> None:
    now = clock()
    await _change(
        runs,
        rosters,
        course_id,
        cohort_id,
        lambda run, roster: run.mark_attendance(roster, number, person_id, status, now),
    )


async def assign_homework(
    runs: CohortRuns, rosters: Rosters, course_id: str, cohort_id: str, session_number: int, text: str, due_at: datetime
) -> Homework:
    return await _change(
        runs,
        rosters,
        course_id,
        cohort_id,
        lambda run, roster: run.assign_homework(roster, session_number, text, due_at),
    )


async def submit_homework(
    runs: CohortRuns,
    rosters: Rosters,
    course_id: str,
    cohort_id: str,
    homework_id: str,
    person_id: str,
    text: str,
    links: list[str],
    clock: Clock = utc_now,
) -> Submission:
    now = clock()
    return await _change(
        runs,
        rosters,
        course_id,
        cohort_id,
        lambda run, roster: run.submit_homework(roster, homework_id, person_id, text, links, now),
    )


async def comment_submission(
    runs: CohortRuns,
    rosters: Rosters,
    course_id: str,
    cohort_id: str,
    homework_id: str,
    person_id: str,
    author_id: str,
    text: str,
    clock: Clock = utc_now,
) -> Comment:
    now = clock()
    return await _change(
        runs,
        rosters,
        course_id,
        cohort_id,
        lambda run, roster: run.comment_submission(roster, homework_id, person_id, author_id, text, now),
    )


async def review_homework(
    runs: CohortRuns,
    rosters: Rosters,
    course_id: str,
    cohort_id: str,
    homework_id: str,
    person_id: str,
    outcome: ReviewOutcome,
    comment: str | None,
    clock: Clock = utc_now,
) -> Submission:
    now = clock()
    return await _change(
        runs,
        rosters,
        course_id,
        cohort_id,
        lambda run, roster: run.review_homework(roster, homework_id, person_id, outcome, comment, now),
    )


async def give_feedback(
    runs: CohortRuns,
    rosters: Rosters,
    course_id: str,
    cohort_id: str,
    number: int,
    person_id: str,
    rating: int,
    comment: str | None,
    clock: Clock = utc_now,
) -> None:
    now = clock()
    await _change(
        runs,
        rosters,
        course_id,
        cohort_id,
        lambda run, roster: run.give_feedback(roster, number, person_id, rating, comment, now),
    )


async def decide_completion(
    runs: CohortRuns, rosters: Rosters, course_id: str, cohort_id: str, decided_by: str, clock: Clock = utc_now
) -> list[Decision]:
    now = clock()
    return await _change(
        runs, rosters, course_id, cohort_id, lambda run, roster: run.decide_completion(roster, now, decided_by)
    )


# --- views --------------------------------------------------------------------------------------------


async def _view(
    runs: CohortRuns, rosters: Rosters, course_id: str, cohort_id: str, read: Callable[[CohortRun, Roster], T]
) -> T:
    roster = await rosters.roster(course_id, cohort_id)
    run, _ = await _load(runs, roster)
    return read(run, roster)


async def trainer_view(runs: CohortRuns, rosters: Rosters, course_id: str, cohort_id: str) -> TrainerView:
    """Sessions, the attendance grid, homework status per member, feedback averages (authors hidden if anonymous)."""
    return await _view(runs, rosters, course_id, cohort_id, lambda run, roster: run.trainer_view(roster))


async def participant_view(
    runs: CohortRuns, rosters: Rosters, course_id: str, cohort_id: str, person_id: str
) -> ParticipantView:
    def read(run: CohortRun, roster: Roster) -> ParticipantView:
        if person_id not in roster.members:
            raise NotFound(f"{person_id} is not in this cohort")
        return run.participant_view(roster, person_id)

    return await _view(runs, rosters, course_id, cohort_id, read)


async def certificate(runs: CohortRuns, number: str) -> Certificate:
    cohort_id = await runs.cohort_of_certificate(number)
    loaded = await runs.get(cohort_id) if cohort_id is not None else None
    if loaded is None:
        raise NotFound(f"no certificate {number}", field="number")
    return loaded[0].certificate(number)


async def display_name(people: People, person_id: str) -> str | None:
    profile = await people.get(person_id)
    name = profile.fields.get("display_name") if profile is not None else None
    return name if isinstance(name, str) and name.strip() else None


async def locale_of(people: People, person_id: str, asked: str | None) -> str:
    if asked is not None:
        if asked not in ("ru", "en"):
            raise Invalid("a certificate is in ru or en", field="locale")
        return asked
    profile = await people.get(person_id)
    locale = profile.fields.get("locale") if profile is not None else None
    return locale if locale in ("ru", "en") else "en"
