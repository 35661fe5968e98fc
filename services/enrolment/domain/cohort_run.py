"""A cohort's run: its sessions, attendance, homework, feedback and, at the end, completion.

One `CohortRun` per cohort, keyed by the cohort id. The course aggregate owns who is in the cohort
(withdrawals, late promotions): every command is handed the current `Roster`, and the run keeps the
members it last saw. Commands record past-tense domain events; the adapter maps them to contracts.

Rules worth knowing (the trainer's and participants' screens explain them the same way):

* attendance rate = present / (sessions - excused). An excused absence counts neither for nor
  against; a session never marked counts as absent. With nothing left to count (every session
  excused) the rate is 0: no certificate for attending nothing.
* homework rate = accepted submissions / homework assigned (1 when no homework was assigned).
* a member completes when both rates reach the course's minimums (`min_attendance`, `min_homework`).
* completion is decided once, after the last session started, for every member of the roster then;
  a second decision changes nothing. The certificate number depends only on the cohort, the person
  and the year, so a re-decided attempt (after a write conflict) gives the same number.
"""

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal, get_args

from enrolment.domain.moments import utc
from shared.errors import Conflict, Invalid, NotFound

AttendanceStatus = Literal["present", "absent", "excused"]
ATTENDANCE_STATUSES: tuple[str, ...] = get_args(AttendanceStatus)
ReviewOutcome = Literal["accepted", "returned"]
SessionChange = Literal["rescheduled", "room", "materials", "recording"]
SubmissionStatus = Literal["submitted", "accepted", "returned"]

_EPSILON = 1e-9  # 7 accepted of 10 is a rate of 0.7 and meets a 0.7 minimum, whatever floats say


@dataclass(frozen=True)
class Roster:
    """What the course aggregate says about one cohort now (taken fresh at every command)."""

    course_id: str
    cohort_id: str
    course_title: str
    trainer_id: str
    members: tuple[str, ...]
    session_starts: tuple[datetime, ...]
    peer_review: bool
    anonymous_feedback: bool
    min_attendance: float
    min_homework: float
    hours_per_session: float
    trains_trainers: bool


# --- domain events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionUpdated:
    course_id: str
    cohort_id: str
    session_number: int
    starts_at: datetime
    room_url: str | None
    recording_url: str | None
    materials: tuple[str, ...]
    change: SessionChange


@dataclass(frozen=True)
class AttendanceMarked:
    course_id: str
    cohort_id: str
    session_number: int
    person_id: str
    trainer_id: str
    status: AttendanceStatus


@dataclass(frozen=True)
class HomeworkAssigned:
    course_id: str
    cohort_id: str
    homework_id: str
    session_number: int
    due_at: datetime


@dataclass(frozen=True)
class HomeworkSubmitted:
    course_id: str
    cohort_id: str
    homework_id: str
    person_id: str
    late: bool
    attempt: int


@dataclass(frozen=True)
class HomeworkReviewed:
    course_id: str
    cohort_id: str
    homework_id: str
    person_id: str
    trainer_id: str
    outcome: ReviewOutcome
    attempt: int


@dataclass(frozen=True)
class SessionFeedbackGiven:
    """Who gave feedback; never the rating (the trainer sees averages only)."""

    course_id: str
    cohort_id: str
    session_number: int
    person_id: str


@dataclass(frozen=True)
class CompletionDecided:
    course_id: str
    cohort_id: str
    person_id: str
    trainer_id: str
    completed: bool
    attendance_rate: float
    homework_rate: float
    certificate_number: str | None
    trains_trainers: bool


@dataclass(frozen=True)
class CohortFinished:
    course_id: str
    cohort_id: str
    trainer_id: str
    participants: int
    completed: int
    average_rating: float | None


RunEvent = (
    SessionUpdated
    | AttendanceMarked
    | HomeworkAssigned
    | HomeworkSubmitted
    | HomeworkReviewed
    | SessionFeedbackGiven
    | CompletionDecided
    | CohortFinished
)


# --- the parts of a run -----------------------------------------------------------------------------------


@dataclass
class Rating:
    rating: int
    comment: str | None
    author_id: str | None
    """None when the course's feedback is anonymous: then the run never links a rating to a person."""


@dataclass
class Session:
    number: int
    starts_at: datetime
    room_url: str | None = None
    materials: list[str] = field(default_factory=list)
    recording_url: str | None = None
    attendance: dict[str, AttendanceStatus] = field(default_factory=dict)
    feedback_from: list[str] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)

    def started(self, now: datetime) -> bool:
        return now >= self.starts_at


@dataclass
class Comment:
    author_id: str
    text: str
    at: datetime


@dataclass
class Submission:
    person_id: str
    text: str
    links: list[str]
    submitted_at: datetime
    late: bool
    attempt: int
    status: SubmissionStatus = "submitted"
    comments: list[Comment] = field(default_factory=list)


@dataclass
class Homework:
    id: str
    session_number: int
    text: str
    due_at: datetime
    submissions: dict[str, Submission] = field(default_factory=dict)


@dataclass
class Decision:
    person_id: str
    completed: bool
    attendance_rate: float
    homework_rate: float
    certificate_number: str | None


@dataclass(frozen=True)
class Certificate:
    number: str
    course_id: str
    cohort_id: str
    course_title: str
    person_id: str
    hours: float
    issued_on: date
    trainer_id: str


def certificate_number(cohort_id: str, person_id: str, year: int) -> str:
    """`OWL-<year>-<first 6 of the cohort id>-<8 hex of a hash of cohort and person>`: stable and unique."""
    cohort = re.sub(r"[^A-Za-z0-9]", "", cohort_id)[:6].upper() or "COHORT"
    digest = hashlib.sha256(f"{cohort_id}\n{person_id}".encode()).hexdigest()[:8].upper()
    return f"OWL-{year}-{cohort}-{digest}"


def homework_id_for(session_number: int) -> str:
    """One homework per session, named after it: a repeated request cannot assign it twice."""
    return f"hw-{session_number}"


# --- views ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionView:
    number: int
    starts_at: datetime
    room_url: str | None
    materials: list[str]
    recording_url: str | None


@dataclass(frozen=True)
class MemberHomework:
    person_id: str
    state: Literal["missing", "submitted", "late"]
    review: Literal["awaiting", "accepted", "returned"] | None
    attempt: int


@dataclass(frozen=True)
class HomeworkStatus:
    homework_id: str
    session_number: int
    text: str
    due_at: datetime
    members: list[MemberHomework]
    submitted: int
    late: int
    missing: int


@dataclass(frozen=True)
class FeedbackComment:
    rating: int
    comment: str
    author_id: str | None


@dataclass(frozen=True)
class SessionFeedback:
    session_number: int
    responses: int
    average: float | None
    comments: list[FeedbackComment]


@dataclass(frozen=True)
class TrainerView:
    course_id: str
    cohort_id: str
    course_title: str
    trainer_id: str
    members: list[str]
    sessions: list[SessionView]
    attendance: dict[str, dict[int, AttendanceStatus | None]]
    """person → session number → status (None: not marked yet)."""
    homework: list[HomeworkStatus]
    feedback: list[SessionFeedback]
    anonymous_feedback: bool
    finished: bool
    decisions: list[Decision]


@dataclass(frozen=True)
class OwnHomework:
    homework_id: str
    session_number: int
    text: str
    due_at: datetime
    submission: Submission | None
    peer_submissions: list[Submission]
    """Other members' submissions, shown when the course has peer review."""


@dataclass(frozen=True)
class ParticipantView:
    course_id: str
    cohort_id: str
    course_title: str
    person_id: str
    sessions: list[SessionView]
    attendance: dict[int, AttendanceStatus | None]
    homework: list[OwnHomework]
    feedback_given: list[int]
    """Numbers of the sessions the person rated (the rating itself is not shown back)."""
    decision: Decision | None
    certificate_number: str | None


# --- the aggregate ----------------------------------------------------------------------------------------


class CohortRun:
    def __init__(
        self,
        course_id: str,
        cohort_id: str,
        course_title: str,
        trainer_id: str,
        sessions: list[Session],
        members: list[str] | None = None,
        homework: list[Homework] | None = None,
        decisions: list[Decision] | None = None,
        certificates: dict[str, Certificate] | None = None,
        finished_at: datetime | None = None,
        decided_by: str | None = None,
    ) -> None:
        self.course_id = course_id
        self.cohort_id = cohort_id
        self.course_title = course_title
        self.trainer_id = trainer_id
        self.sessions = sessions
        self.members = members or []
        self.homework = homework or []
        self.decisions = decisions or []
        self.certificates = certificates or {}
        self.finished_at = finished_at
        self.decided_by = decided_by
        self.events: list[RunEvent] = []

    @property
    def id(self) -> str:
        return self.cohort_id

    @classmethod
    def start(cls, roster: Roster) -> "CohortRun":
        """A run as the roster describes it, before anything happened."""
        sessions = [
            Session(number=number, starts_at=utc(starts_at))
            for number, starts_at in enumerate(sorted(roster.session_starts), start=1)
        ]
        run = cls(roster.course_id, roster.cohort_id, roster.course_title, roster.trainer_id, sessions)
        run.take(roster)
        return run

    # --- the roster -------------------------------------------------------------------------------------

    def take(self, roster: Roster) -> None:
        """Remember the roster as it is now: members join (late promotions) and leave (withdrawals)."""
        if roster.cohort_id != self.cohort_id or roster.course_id != self.course_id:
            raise NotFound(f"cohort {roster.cohort_id} of course {roster.course_id} has no such run")
        self.members = list(roster.members)
        self.trainer_id = roster.trainer_id
        self.course_title = roster.course_title
        # The course may add sessions (never removes them here: what happened stays recorded).
        for number in range(len(self.sessions) + 1, len(roster.session_starts) + 1):
            self.sessions.append(Session(number=number, starts_at=utc(sorted(roster.session_starts)[number - 1])))

    def _member(self, roster: Roster, person_id: str) -> None:
        if person_id not in roster.members:
            raise Invalid(f"{person_id} is not a member of this cohort", field="person_id")

    def _session(self, number: int) -> Session:
        for session in self.sessions:
            if session.number == number:
                return session
        raise NotFound(f"this cohort has no session {number}", field="session_number")

    def _homework(self, homework_id: str) -> Homework:
        for homework in self.homework:
            if homework.id == homework_id:
                return homework
        raise NotFound(f"no homework {homework_id} in this cohort", field="homework_id")

    def _not_finished(self) -> None:
        if self.finished_at is not None:
            raise Conflict("the cohort has finished: completion is decided", finished_at=self.finished_at.isoformat())

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    # --- the trainer's edits of sessions ----------------------------------------------------------------

    def _updated(self, session: Session, change: SessionChange) -> None:
        self.events.append(
            SessionUpdated(
                self.course_id,
                self.cohort_id,
                session.number,
                session.starts_at,
                session.room_url,
                session.recording_url,
                tuple(session.materials),
                change,
            )
        )

    def reschedule(self, roster: Roster, number: int, starts_at: datetime, now: datetime) -> None:
        self.take(roster)
        session = self._session(number)
        starts_at = utc(starts_at)
        if session.started(now):
            raise Conflict(f"session {number} has already started", starts_at=session.starts_at.isoformat())
        if starts_at < now:
            raise Invalid("a session cannot be moved into the past", field="starts_at")
        if starts_at == session.starts_at:
            return
        session.starts_at = starts_at
        self._updated(session, "rescheduled")

    def set_room(self, roster: Roster, number: int, room_url: str | None) -> None:
        self.take(roster)
        session = self._session(number)
        if session.room_url == room_url:
            return
        session.room_url = room_url
        self._updated(session, "room")

    def set_materials(self, roster: Roster, number: int, materials: list[str]) -> None:
        self.take(roster)
        session = self._session(number)
        if session.materials == list(materials):
            return
        session.materials = list(materials)
        self._updated(session, "materials")

    def set_recording(self, roster: Roster, number: int, recording_url: str | None, now: datetime) -> None:
        self.take(roster)
        session = self._session(number)
        if not session.started(now):
            raise Conflict(
                f"session {number} has not started: no recording yet", starts_at=session.starts_at.isoformat()
            )
        if session.recording_url == recording_url:
            return
        session.recording_url = recording_url
        self._updated(session, "recording")

    # --- attendance -------------------------------------------------------------------------------------

    def mark_attendance(
        self, roster: Roster, number: int, person_id: str, status: AttendanceStatus, now: datetime
    ) -> None:
        self.take(roster)
        session = self._session(number)
        if status not in ATTENDANCE_STATUSES:
            raise Invalid(f"attendance is one of {', '.join(ATTENDANCE_STATUSES)}", field="status")
        self._member(roster, person_id)
        self._not_finished()
        if not session.started(now):
            raise Conflict(f"session {number} has not started yet", starts_at=session.starts_at.isoformat())
        if session.attendance.get(person_id) == status:
            return
        session.attendance[person_id] = status
        self.events.append(AttendanceMarked(self.course_id, self.cohort_id, number, person_id, self.trainer_id, status))

    # --- homework ---------------------------------------------------------------------------------------

    def assign_homework(self, roster: Roster, session_number: int, text: str, due_at: datetime) -> Homework:
        self.take(roster)
        session = self._session(session_number)
        self._not_finished()
        due_at = utc(due_at)
        if not text.strip():
            raise Invalid("the assignment needs a text", field="text")
        if due_at <= session.starts_at:
            raise Invalid("homework is due after the session it follows", field="due_at")
        homework_id = homework_id_for(session_number)
        if any(homework.id == homework_id for homework in self.homework):
            raise Conflict(f"session {session_number} already has its homework", homework_id=homework_id)
        homework = Homework(homework_id, session_number, text, due_at)
        self.homework.append(homework)
        self.events.append(HomeworkAssigned(self.course_id, self.cohort_id, homework_id, session_number, due_at))
        return homework

    def submit_homework(
        self, roster: Roster, homework_id: str, person_id: str, text: str, links: list[str], now: datetime
    ) -> Submission:
        self.take(roster)
        homework = self._homework(homework_id)
        self._member(roster, person_id)
        self._not_finished()
        if not text.strip() and not links:
            raise Invalid("a submission needs a text or a link", field="text")
        previous = homework.submissions.get(person_id)
        if previous is not None and previous.status == "accepted":
            raise Conflict("this homework is already accepted", attempt=previous.attempt)
        if previous is not None and previous.status == "submitted":
            raise Conflict("this homework awaits the trainer's review", attempt=previous.attempt)
        attempt = 1 if previous is None else previous.attempt + 1
        submission = Submission(
            person_id=person_id,
            text=text,
            links=list(links),
            submitted_at=now,
            late=now > homework.due_at,
            attempt=attempt,
            comments=[] if previous is None else previous.comments,
        )
        homework.submissions[person_id] = submission
        self.events.append(
            HomeworkSubmitted(self.course_id, self.cohort_id, homework_id, person_id, submission.late, attempt)
        )
        return submission

    def comment_submission(
        self, roster: Roster, homework_id: str, person_id: str, author_id: str, text: str, now: datetime
    ) -> Comment:
        """The trainer comments; so do the cohort's members when the course has peer review."""
        self.take(roster)
        homework = self._homework(homework_id)
        submission = homework.submissions.get(person_id)
        if submission is None:
            raise NotFound(f"{person_id} has not submitted {homework_id}", field="person_id")
        if author_id != roster.trainer_id and not (roster.peer_review and author_id in roster.members):
            raise Invalid("only the trainer (and members, when the course has peer review) comment", field="author_id")
        if not text.strip():
            raise Invalid("a comment needs a text", field="text")
        comment = Comment(author_id, text, now)
        submission.comments.append(comment)
        return comment

    def review_homework(
        self,
        roster: Roster,
        homework_id: str,
        person_id: str,
        outcome: ReviewOutcome,
        comment: str | None,
        now: datetime,
    ) -> Submission:
        self.take(roster)
        homework = self._homework(homework_id)
        self._not_finished()
        submission = homework.submissions.get(person_id)
        if submission is None:
            raise NotFound(f"{person_id} has not submitted {homework_id}", field="person_id")
        if submission.status != "submitted":
            raise Conflict(f"attempt {submission.attempt} was already {submission.status}", status=submission.status)
        if outcome not in ("accepted", "returned"):
            raise Invalid("a review accepts or returns", field="outcome")
        if outcome == "returned" and not (comment or "").strip():
            raise Invalid("say what to change when returning homework", field="comment")
        if comment and comment.strip():
            submission.comments.append(Comment(roster.trainer_id, comment, now))
        submission.status = outcome
        self.events.append(
            HomeworkReviewed(
                self.course_id, self.cohort_id, homework_id, person_id, self.trainer_id, outcome, submission.attempt
            )
        )
        return submission

    # --- feedback ---------------------------------------------------------------------------------------

    def give_feedback(
        self, roster: Roster, number: int, person_id: str, rating: int, comment: str | None, now: datetime
    ) -> None:
        self.take(roster)
        session = self._session(number)
        self._member(roster, person_id)
        if not 1 <= rating <= 5:
            raise Invalid("a rating is 1 to 5", field="rating")
        if not session.started(now):
            raise Conflict(f"session {number} has not started yet", starts_at=session.starts_at.isoformat())
        if person_id in session.feedback_from:
            raise Conflict(f"you already gave feedback on session {number}")
        comment = comment.strip() if comment and comment.strip() else None
        session.feedback_from.append(person_id)
        session.ratings.append(Rating(rating, comment, None if roster.anonymous_feedback else person_id))
        if roster.anonymous_feedback:
            # Kept in an order of their own, so a rating's place says nothing of who gave it.
            session.ratings.sort(key=lambda r: (r.rating, r.comment or "", r.author_id or ""))
        self.events.append(SessionFeedbackGiven(self.course_id, self.cohort_id, number, person_id))

    # --- completion -------------------------------------------------------------------------------------

    def attendance_rate(self, person_id: str) -> float:
        marks = [session.attendance.get(person_id) for session in self.sessions]
        countable = len(marks) - marks.count("excused")
        return marks.count("present") / countable if countable else 0.0

    def homework_rate(self, person_id: str) -> float:
        if not self.homework:
            return 1.0
        accepted = sum(
            1
            for homework in self.homework
            if (s := homework.submissions.get(person_id)) is not None and s.status == "accepted"
        )
        return accepted / len(self.homework)

    def average_rating(self) -> float | None:
        ratings = [r.rating for session in self.sessions for r in session.ratings]
        return sum(ratings) / len(ratings) if ratings else None

    def decide_completion(self, roster: Roster, now: datetime, decided_by: str) -> list[Decision]:
        """Decide for every member once; a second call finds it done and records nothing."""
        self.take(roster)
        if self.finished:
            return self.decisions
        if not self.sessions or not all(session.started(now) for session in self.sessions):
            last = max((s.starts_at for s in self.sessions), default=None)
            raise Conflict(
                "completion is decided after the last session started",
                last_session_starts_at=last.isoformat() if last else None,
            )
        hours = len(self.sessions) * roster.hours_per_session
        decisions: list[Decision] = []
        for person_id in roster.members:
            attendance, homework = self.attendance_rate(person_id), self.homework_rate(person_id)
            completed = attendance + _EPSILON >= roster.min_attendance and homework + _EPSILON >= roster.min_homework
            number = certificate_number(self.cohort_id, person_id, now.year) if completed else None
            decision = Decision(person_id, completed, round(attendance, 4), round(homework, 4), number)
            decisions.append(decision)
            if number is not None:
                self.certificates[number] = Certificate(
                    number=number,
                    course_id=self.course_id,
                    cohort_id=self.cohort_id,
                    course_title=roster.course_title,
                    person_id=person_id,
                    hours=hours,
                    issued_on=now.date(),
                    trainer_id=roster.trainer_id,
                )
            self.events.append(
                CompletionDecided(
                    self.course_id,
                    self.cohort_id,
                    person_id,
                    roster.trainer_id,
                    completed,
                    decision.attendance_rate,
                    decision.homework_rate,
                    number,
                    roster.trains_trainers,
                )
            )
        self.decisions = decisions
        self.finished_at = now
        self.decided_by = decided_by
        average = self.average_rating()
        self.events.append(
            CohortFinished(
                self.course_id,
                self.cohort_id,
                roster.trainer_id,
                participants=len(decisions),
                completed=sum(1 for d in decisions if d.completed),
                average_rating=round(average, 2) if average is not None else None,
            )
        )
        return decisions

    def certificate(self, number: str) -> Certificate:
        found = self.certificates.get(number)
        if found is None:
            raise NotFound(f"no certificate {number}", field="number")
        return found

    # --- privacy ----------------------------------------------------------------------------------------

    def involves(self, person_id: str) -> bool:
        """True if the run names the person in any role: member, trainer, author, the one who decided."""
        return (
            person_id in self.members
            or person_id in (self.trainer_id, self.decided_by)
            or any(
                person_id in session.attendance
                or person_id in session.feedback_from
                or any(rating.author_id == person_id for rating in session.ratings)
                for session in self.sessions
            )
            or any(
                key == person_id
                or submission.person_id == person_id
                or any(comment.author_id == person_id for comment in submission.comments)
                for homework in self.homework
                for key, submission in homework.submissions.items()
            )
            or any(decision.person_id == person_id for decision in self.decisions)
            or any(person_id in (c.person_id, c.trainer_id) for c in self.certificates.values())
        )

    def erase_person(self, person_id: str, replacement: str) -> bool:
        """Put a former employee in the person's place in every role; False if the person is not here.

        Every count stays: the same members in the same order, the same marks, submissions, ratings
        and decisions, so attendance and homework rates, cohort sizes and averages do not move. What
        the person wrote (submissions, comments, rating comments) stays too, as the stand-in's.
        Their certificates are renumbered after the stand-in (`erased_certificate_numbers`): the old
        number is a hash of the person id, so anyone knowing the id could recompute it and find the
        stand-in. No event is recorded (erasure is not news, and an event would carry the person's
        trace to Kafka).
        """
        if not self.involves(person_id):
            return False
        if self.involves(replacement):
            raise ValueError("the replacement id is already in use in this run")

        def swap(person: str) -> str:
            return replacement if person == person_id else person

        self.members = [swap(p) for p in self.members]
        self.trainer_id = swap(self.trainer_id)
        self.decided_by = None if self.decided_by is None else swap(self.decided_by)
        for session in self.sessions:
            session.attendance = {swap(p): status for p, status in session.attendance.items()}
            session.feedback_from = [swap(p) for p in session.feedback_from]
            for rating in session.ratings:  # anonymous ratings have no author: nothing links them to anyone
                if rating.author_id is not None:
                    rating.author_id = swap(rating.author_id)
        for homework in self.homework:
            submissions: dict[str, Submission] = {}
            for key, submission in homework.submissions.items():
                submission.person_id = swap(submission.person_id)
                for comment in submission.comments:
                    comment.author_id = swap(comment.author_id)
                submissions[swap(key)] = submission
            homework.submissions = submissions
        renumbered: dict[str, str] = {}
        certificates: dict[str, Certificate] = {}
        for number, certificate in self.certificates.items():
            if certificate.person_id == person_id:
                new_number = certificate_number(self.cohort_id, replacement, certificate.issued_on.year)
                renumbered[number] = new_number
                certificate = replace(certificate, number=new_number, person_id=replacement)
            certificates[certificate.number] = replace(certificate, trainer_id=swap(certificate.trainer_id))
        self.certificates = certificates
        for decision in self.decisions:
            if decision.person_id == person_id:
                decision.person_id = replacement
                if decision.certificate_number is not None:
                    decision.certificate_number = renumbered.get(
                        decision.certificate_number, decision.certificate_number
                    )
        return True

    def erased_certificate_numbers(self, person_id: str, replacement: str) -> dict[str, str]:
        """After `erase_person`: the number each of the stand-in's certificates had when it was the person's.

        Numbers depend only on cohort, person and year, so the old ones are recomputed, not
        remembered: an erasure resumed after a crash finds them the same way (to drop them from
        indexes and from the recorded events).
        """
        return {
            certificate_number(self.cohort_id, person_id, c.issued_on.year): c.number
            for c in self.certificates.values()
            if c.person_id == replacement
        }

    def records_of(self, person_id: str) -> dict[str, Any]:
        """What the run holds on the person, as plain data (for a subject access request)."""
        roles = [
            role
            for role, holds in (
                ("member", person_id in self.members),
                ("trainer", person_id == self.trainer_id),
                ("decided_completion", person_id == self.decided_by),
            )
            if holds
        ]
        return {
            "course_id": self.course_id,
            "cohort_id": self.cohort_id,
            "course_title": self.course_title,
            "roles": roles,
            "attendance": [
                {"session_number": s.number, "status": s.attendance[person_id]}
                for s in self.sessions
                if person_id in s.attendance
            ],
            "homework": [
                {
                    "homework_id": h.id,
                    "session_number": h.session_number,
                    "text": s.text,
                    "links": list(s.links),
                    "submitted_at": s.submitted_at.isoformat(),
                    "late": s.late,
                    "attempt": s.attempt,
                    "status": s.status,
                    "comments": [
                        {"author_id": c.author_id, "text": c.text, "at": c.at.isoformat()} for c in s.comments
                    ],
                }
                for h in self.homework
                if (s := h.submissions.get(person_id)) is not None
            ],
            "comments_written": [
                {"homework_id": h.id, "on_submission_of": s.person_id, "text": c.text, "at": c.at.isoformat()}
                for h in self.homework
                for s in h.submissions.values()
                if s.person_id != person_id
                for c in s.comments
                if c.author_id == person_id
            ],
            # Anonymous ratings are stored without their author: only that feedback was given is known.
            "feedback_given": [
                {
                    "session_number": s.number,
                    **next(
                        ({"rating": r.rating, "comment": r.comment} for r in s.ratings if r.author_id == person_id),
                        {"rating": None, "comment": None},
                    ),
                }
                for s in self.sessions
                if person_id in s.feedback_from
            ],
            "completion": next(
                (
                    {
                        "completed": d.completed,
                        "attendance_rate": d.attendance_rate,
                        "homework_rate": d.homework_rate,
                        "certificate_number": d.certificate_number,
                    }
                    for d in self.decisions
                    if d.person_id == person_id
                ),
                None,
            ),
            "certificates": [
                {"number": c.number, "hours": c.hours, "issued_on": c.issued_on.isoformat()}
                for c in self.certificates.values()
                if c.person_id == person_id
            ],
        }

    # --- views ------------------------------------------------------------------------------------------

    def _session_views(self) -> list[SessionView]:
        return [
            SessionView(s.number, s.starts_at, s.room_url, list(s.materials), s.recording_url) for s in self.sessions
        ]

    def session_view(self, number: int) -> SessionView:
        session = self._session(number)
        return SessionView(
            session.number, session.starts_at, session.room_url, list(session.materials), session.recording_url
        )

    def homework_status(self, homework: Homework, members: list[str]) -> HomeworkStatus:
        rows: list[MemberHomework] = []
        for person_id in members:
            submission = homework.submissions.get(person_id)
            if submission is None:
                rows.append(MemberHomework(person_id, "missing", None, 0))
                continue
            review: Literal["awaiting", "accepted", "returned"] = (
                "awaiting" if submission.status == "submitted" else submission.status
            )
            rows.append(
                MemberHomework(person_id, "late" if submission.late else "submitted", review, submission.attempt)
            )
        return HomeworkStatus(
            homework.id,
            homework.session_number,
            homework.text,
            homework.due_at,
            rows,
            submitted=sum(1 for row in rows if row.state == "submitted"),
            late=sum(1 for row in rows if row.state == "late"),
            missing=sum(1 for row in rows if row.state == "missing"),
        )

    def trainer_view(self, roster: Roster) -> TrainerView:
        self.take(roster)
        members = list(roster.members)
        feedback = []
        for session in self.sessions:
            ratings = session.ratings
            average = round(sum(r.rating for r in ratings) / len(ratings), 2) if ratings else None
            comments = [
                FeedbackComment(r.rating, r.comment, None if roster.anonymous_feedback else r.author_id)
                for r in ratings
                if r.comment
            ]
            feedback.append(SessionFeedback(session.number, len(ratings), average, comments))
        return TrainerView(
            course_id=self.course_id,
            cohort_id=self.cohort_id,
            course_title=self.course_title,
            trainer_id=self.trainer_id,
            members=members,
            sessions=self._session_views(),
            attendance={p: {s.number: s.attendance.get(p) for s in self.sessions} for p in members},
            homework=[self.homework_status(homework, members) for homework in self.homework],
            feedback=feedback,
            anonymous_feedback=roster.anonymous_feedback,
            finished=self.finished,
            decisions=list(self.decisions),
        )

    def participant_view(self, roster: Roster, person_id: str) -> ParticipantView:
        self.take(roster)
        decision = next((d for d in self.decisions if d.person_id == person_id), None)
        return ParticipantView(
            course_id=self.course_id,
            cohort_id=self.cohort_id,
            course_title=self.course_title,
            person_id=person_id,
            sessions=self._session_views(),
            attendance={s.number: s.attendance.get(person_id) for s in self.sessions},
            homework=[
                OwnHomework(
                    homework.id,
                    homework.session_number,
                    homework.text,
                    homework.due_at,
                    homework.submissions.get(person_id),
                    [s for p, s in homework.submissions.items() if p != person_id] if roster.peer_review else [],
                )
                for homework in self.homework
            ],
            feedback_given=[s.number for s in self.sessions if person_id in s.feedback_from],
            decision=decision,
            certificate_number=decision.certificate_number if decision else None,
        )

    # --- state ------------------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "course_id": self.course_id,
            "cohort_id": self.cohort_id,
            "course_title": self.course_title,
            "trainer_id": self.trainer_id,
            "members": list(self.members),
            "sessions": [
                {
                    "number": s.number,
                    "starts_at": s.starts_at,
                    "room_url": s.room_url,
                    "materials": list(s.materials),
                    "recording_url": s.recording_url,
                    # A list, not a map keyed by person: ids may hold dots, which field names may not.
                    "attendance": [{"person_id": p, "status": status} for p, status in s.attendance.items()],
                    "feedback_from": list(s.feedback_from),
                    "ratings": [
                        {"rating": r.rating, "comment": r.comment, "author_id": r.author_id} for r in s.ratings
                    ],
                }
                for s in self.sessions
            ],
            "homework": [
                {
                    "id": h.id,
                    "session_number": h.session_number,
                    "text": h.text,
                    "due_at": h.due_at,
                    "submissions": [
                        {
                            "person_id": s.person_id,
                            "text": s.text,
                            "links": list(s.links),
                            "submitted_at": s.submitted_at,
                            "late": s.late,
                            "attempt": s.attempt,
                            "status": s.status,
                            "comments": [{"author_id": c.author_id, "text": c.text, "at": c.at} for c in s.comments],
                        }
                        for s in h.submissions.values()
                    ],
                }
                for h in self.homework
            ],
            "decisions": [
                {
                    "person_id": d.person_id,
                    "completed": d.completed,
                    "attendance_rate": d.attendance_rate,
                    "homework_rate": d.homework_rate,
                    "certificate_number": d.certificate_number,
                }
                for d in self.decisions
            ],
            "certificates": [
                {
                    "number": c.number,
                    "course_id": c.course_id,
                    "cohort_id": c.cohort_id,
                    "course_title": c.course_title,
                    "person_id": c.person_id,
                    "hours": c.hours,
                    "issued_on": c.issued_on.isoformat(),
                    "trainer_id": c.trainer_id,
                }
                for c in self.certificates.values()
            ],
            "finished_at": self.finished_at,
            "decided_by": self.decided_by,
        }

    @classmethod
    def from_state(cls, cohort_id: str, state: dict[str, Any]) -> "CohortRun":
        sessions = [
            Session(
                number=s["number"],
                starts_at=utc(s["starts_at"]),
                room_url=s.get("room_url"),
                materials=list(s.get("materials", [])),
                recording_url=s.get("recording_url"),
                attendance={a["person_id"]: a["status"] for a in s.get("attendance", [])},
                feedback_from=list(s.get("feedback_from", [])),
                ratings=[Rating(r["rating"], r.get("comment"), r.get("author_id")) for r in s.get("ratings", [])],
            )
            for s in state["sessions"]
        ]
        homework = [
            Homework(
                id=h["id"],
                session_number=h["session_number"],
                text=h["text"],
                due_at=utc(h["due_at"]),
                submissions={
                    s["person_id"]: Submission(
                        person_id=s["person_id"],
                        text=s["text"],
                        links=list(s["links"]),
                        submitted_at=utc(s["submitted_at"]),
                        late=s["late"],
                        attempt=s["attempt"],
                        status=s["status"],
                        comments=[Comment(c["author_id"], c["text"], utc(c["at"])) for c in s["comments"]],
                    )
                    for s in h["submissions"]
                },
            )
            for h in state.get("homework", [])
        ]
        certificates = {
            c["number"]: Certificate(
                number=c["number"],
                course_id=c["course_id"],
                cohort_id=c["cohort_id"],
                course_title=c["course_title"],
                person_id=c["person_id"],
                hours=c["hours"],
                issued_on=date.fromisoformat(c["issued_on"]),
                trainer_id=c["trainer_id"],
            )
            for c in state.get("certificates", [])
        }
        finished_at = state.get("finished_at")
        return cls(
            course_id=state["course_id"],
            cohort_id=cohort_id,
            course_title=state["course_title"],
            trainer_id=state["trainer_id"],
            sessions=sessions,
            members=list(state.get("members", [])),
            homework=homework,
            decisions=[Decision(**d) for d in state.get("decisions", [])],
            certificates=certificates,
            finished_at=utc(finished_at) if finished_at is not None else None,
            decided_by=state.get("decided_by"),
        )
