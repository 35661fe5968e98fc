"""The course aggregate: a trainer's proposal, the curator's review, cohorts, applications and the waitlist.

The course is the consistency boundary for seats: deciding "enrolled, waitlisted or offered" needs
every application and every cohort of the course, so two applicants racing for the last seat, or
two withdrawals racing to promote the same waiting person, are writers of one aggregate, and the
version check in the repository lets one of them win at a time. That is what makes a promotion
happen exactly once without transactions: the offer is part of the version that freed the seat.

A seat is held by a member of the cohort or by an open offer to someone from the waitlist; an
offer that is not confirmed in time lapses and the seat goes to the next person waiting.
"""

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from enrolment.domain import events as ev
from enrolment.domain.schedule import Slot, suggest_slot
from shared.errors import Conflict, Invalid, NotFound

FORMER_EMPLOYEE_PREFIX = "former-employee-"
MIN_SESSIONS, MAX_SESSIONS = 3, 12
MIN_CAPACITY, MAX_CAPACITY = 2, 30
LEVELS = ("beginner", "intermediate", "advanced")


def former_employee_id() -> str:
    """A fresh stand-in for an erased person: random, so nobody can recompute it from a known person id."""
    return FORMER_EMPLOYEE_PREFIX + secrets.token_hex(6)


def new_id() -> str:
    return secrets.token_hex(12)


class CourseStatus(StrEnum):
    PROPOSED = "proposed"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class ApplicationStatus(StrEnum):
    AWAITING_MANAGER = "awaiting_manager"
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    WITHDRAWN = "withdrawn"
    DECLINED_BY_MANAGER = "declined_by_manager"
    LAPSED = "lapsed"
    """A seat offer expired unanswered; the person may apply again."""


ACTIVE = frozenset(
    {
        ApplicationStatus.AWAITING_MANAGER,
        ApplicationStatus.ENROLLED,
        ApplicationStatus.WAITLISTED,
        ApplicationStatus.OFFERED,
    }
)


class AlreadyApplied(Conflict):
    """The person already has an active application to this course; it stands."""


@dataclass(frozen=True)
class Proposal:
    """What the trainer proposes; a curator may ask for changes to any of it."""

    title_en: str | None
    title_ru: str | None
    description: str
    competencies: tuple[str, ...]
    language: str
    sessions: int
    weekly_effort_hours: float
    prerequisites: str = ""
    availability: tuple[Slot, ...] = ()
    """Weekly slots the trainer can teach in; stream proposals pick among them."""

    def __post_init__(self) -> None:
        # Stored as shown: trimmed, and a blank title is no title.
        object.__setattr__(self, "title_en", (self.title_en or "").strip() or None)
        object.__setattr__(self, "title_ru", (self.title_ru or "").strip() or None)
        if not (self.title_en or self.title_ru):
            raise Invalid("a course needs a title in English or Russian", field="title_en")
        if not MIN_SESSIONS <= self.sessions <= MAX_SESSIONS:
            raise Invalid(f"a course has {MIN_SESSIONS} to {MAX_SESSIONS} weekly sessions", field="sessions")
        if self.language not in ("ru", "en"):
            raise Invalid("language must be ru or en", field="language")
        if self.weekly_effort_hours <= 0:
            raise Invalid("weekly effort must be positive", field="weekly_effort_hours")

    @property
    def title(self) -> str:
        """The title in the course's own language, else the other one."""
        preferred = self.title_ru if self.language == "ru" else self.title_en
        return (preferred or self.title_en or self.title_ru or "").strip()


@dataclass(frozen=True)
class Rules:
    """How the course runs: seats, approvals, withdrawals, offers, completion, feedback."""

    capacity: int = 7
    manager_approval: bool = False
    withdrawal_until_session: int = 1
    """Withdrawing is allowed until this session has started (1: only before the course starts)."""
    offer_hours: int = 48
    min_attendance: float = 0.8
    min_homework: float = 0.7
    peer_review: bool = False
    anonymous_feedback: bool = True
    trains_trainers: bool = False
    hours_per_session: float = 1.5

    def __post_init__(self) -> None:
        if not MIN_CAPACITY <= self.capacity <= MAX_CAPACITY:
            raise Invalid(f"capacity must be {MIN_CAPACITY} to {MAX_CAPACITY}", field="capacity")
        if not 0 <= self.min_attendance <= 1 or not 0 <= self.min_homework <= 1:
            raise Invalid("completion thresholds are shares between 0 and 1", field="min_attendance")
        if self.offer_hours < 1:
            raise Invalid("an offer must stay open at least an hour", field="offer_hours")
        if self.withdrawal_until_session < 1:
            raise Invalid("withdrawal_until_session counts sessions from 1", field="withdrawal_until_session")


@dataclass(frozen=True)
class Review:
    curator_id: str
    verdict: str
    comment: str | None
    at: datetime


@dataclass
class Cohort:
    id: str
    number: int
    trainer_id: str
    capacity: int
    slot: Slot
    session_starts: tuple[datetime, ...]
    members: list[str] = field(default_factory=list)  # person ids, in enrolment order

    def sessions_started(self, now: datetime) -> int:
        return sum(start <= now for start in self.session_starts)

    def started(self, now: datetime) -> bool:
        return self.sessions_started(now) > 0


@dataclass
class Application:
    id: str
    person_id: str
    locale: str | None  # None once the person was erased
    status: ApplicationStatus
    arrival: int  # order of arrival in this course: the waitlist is served in this order
    cohort_id: str | None = None
    preferred_cohort_id: str | None = None
    motivation: str = ""
    level: str = "beginner"
    department: str | None = None
    time_zone: str | None = None
    manager_id: str | None = None
    applied_at: datetime | None = None  # None for applications stored before it was recorded

    def fits(self, cohort_id: str) -> bool:
        return self.preferred_cohort_id is None or self.preferred_cohort_id == cohort_id


@dataclass
class Offer:
    id: str
    person_id: str
    cohort_id: str
    expires_at: datetime


@dataclass
class StreamProposal:
    id: str
    member_ids: list[str]
    slot: Slot
    open: bool = True


@dataclass(frozen=True)
class Applicant:
    """Who applies, as the service layer knows them (from the request and its copy of the directory)."""

    person_id: str
    locale: str
    motivation: str = ""
    preferred_cohort_id: str | None = None
    level: str = "beginner"
    department: str | None = None
    time_zone: str | None = None
    manager_id: str | None = None


@dataclass
class Course:
    id: str
    trainer_id: str
    proposal: Proposal
    rules: Rules
    status: CourseStatus = CourseStatus.PROPOSED
    reviews: list[Review] = field(default_factory=list)
    rehearsal_at: datetime | None = None
    cohorts: list[Cohort] = field(default_factory=list)
    applications: dict[str, Application] = field(default_factory=dict)  # by person id
    waitlist: list[str] = field(default_factory=list)  # person ids, first = next to be offered a seat
    offers: dict[str, Offer] = field(default_factory=dict)  # by person id
    stream_proposal: StreamProposal | None = None
    stream_threshold: int = 0
    """Waitlist length at which the next stream is proposed (a rejected proposal raises it)."""
    arrivals: int = 0
    events: list[ev.DomainEvent] = field(default_factory=list, compare=False)

    # --- proposal and review ---------------------------------------------------------------------------

    @classmethod
    def propose(cls, course_id: str, trainer_id: str, proposal: Proposal, rules: Rules) -> "Course":
        course = cls(id=course_id, trainer_id=trainer_id, proposal=proposal, rules=rules)
        course.stream_threshold = rules.capacity
        course._record_proposed(resubmission=False)
        return course

    @property
    def title(self) -> str:
        return self.proposal.title

    def revise(self, trainer_id: str, proposal: Proposal, rules: Rules) -> None:
        """The trainer answers the curator's requests (or improves a proposal still under review)."""
        self._by_trainer(trainer_id)
        if self.status not in (CourseStatus.PROPOSED, CourseStatus.CHANGES_REQUESTED):
            raise Conflict(f"a {self.status.value} course can no longer be revised", status=self.status.value)
        resubmission = self.status is CourseStatus.CHANGES_REQUESTED
        self.proposal, self.rules, self.status = proposal, rules, CourseStatus.PROPOSED
        self.stream_threshold = rules.capacity
        self._record_proposed(resubmission=resubmission)

    def review(self, curator_id: str, verdict: str, comment: str | None, now: datetime) -> None:
        """A curator comments, asks for changes, approves (publishes) or rejects."""
        transitions = {
            "comment": self.status,
            "changes_requested": CourseStatus.CHANGES_REQUESTED,
            "approved": CourseStatus.APPROVED,
            "rejected": CourseStatus.REJECTED,
        }
        if verdict not in transitions:
            raise Invalid("verdict must be comment, changes_requested, approved or rejected", field="verdict")
        if self.status in (CourseStatus.APPROVED, CourseStatus.REJECTED):
            raise Conflict(f"the course is already {self.status.value}", status=self.status.value)
        if verdict == "approved" and self.status is not CourseStatus.PROPOSED:
            raise Conflict("only a proposed course can be approved: the trainer has changes to make")
        if verdict in ("comment", "changes_requested") and not (comment or "").strip():
            raise Invalid("say what to change", field="comment")
        self.status = transitions[verdict]
        self.reviews.append(Review(curator_id, verdict, comment, now))
        self.events.append(ev.CourseReviewed(self.id, self.trainer_id, curator_id, verdict, comment, self.status.value))
        if self.status is CourseStatus.APPROVED:
            p = self.proposal
            self.events.append(
                ev.CoursePublished(
                    self.id,
                    self.trainer_id,
                    p.title_en,
                    p.title_ru,
                    p.language,
                    p.competencies,
                    p.sessions,
                    self.rules.trains_trainers,
                )
            )

    def schedule_rehearsal(self, curator_id: str, starts_at: datetime, now: datetime) -> None:
        if self.status not in (CourseStatus.PROPOSED, CourseStatus.CHANGES_REQUESTED):
            raise Conflict("rehearsals happen before approval", status=self.status.value)
        if starts_at <= now:
            raise Invalid("a rehearsal is scheduled in the future", field="starts_at")
        self.rehearsal_at = starts_at
        self.events.append(ev.RehearsalScheduled(self.id, self.trainer_id, curator_id, starts_at))

    # --- cohorts ---------------------------------------------------------------------------------------

    def add_cohort(
        self,
        cohort_id: str,
        slot: Slot,
        start_date: date,
        now: datetime,
        *,
        capacity: int | None = None,
        trainer_id: str | None = None,
    ) -> Cohort:
        """Open a stream; its seats go to the people waiting (as offers) before anyone new."""
        self._published()
        seats = self.rules.capacity if capacity is None else capacity
        if not MIN_CAPACITY <= seats <= MAX_CAPACITY:
            raise Invalid(f"capacity must be {MIN_CAPACITY} to {MAX_CAPACITY}", field="capacity")
        starts = slot.sessions(start_date, self.proposal.sessions)
        if starts[0] <= now:
            raise Invalid("the first session must be in the future", field="start_date")
        cohort = Cohort(cohort_id, len(self.cohorts) + 1, trainer_id or self.trainer_id, seats, slot, starts)
        self.cohorts.append(cohort)
        self.events.append(
            ev.CohortScheduled(self.id, cohort.id, cohort.number, cohort.trainer_id, seats, slot.time_zone, starts)
        )
        self._offer_free_seats(cohort, now)
        return cohort

    def cohort(self, cohort_id: str) -> Cohort:
        found = next((c for c in self.cohorts if c.id == cohort_id), None)
        if found is None:
            raise NotFound(f"course {self.id} has no cohort {cohort_id}", cohort_id=cohort_id)
        return found

    def _joinable(self, cohort: Cohort, now: datetime) -> bool:
        """New members may still join: fewer sessions started than the withdrawal window allows."""
        return cohort.sessions_started(now) < min(self.rules.withdrawal_until_session, len(cohort.session_starts))

    def _free_seats(self, cohort: Cohort) -> int:
        held = sum(1 for offer in self.offers.values() if offer.cohort_id == cohort.id)
        return cohort.capacity - len(cohort.members) - held

    # --- applications ----------------------------------------------------------------------------------

    def apply(self, applicant: Applicant, application_id: str, now: datetime) -> Application:
        self._published()
        if applicant.person_id.startswith(FORMER_EMPLOYEE_PREFIX):
            raise Invalid("former employees cannot apply", field="person_id")
        if applicant.level not in LEVELS:
            raise Invalid(f"level must be one of {', '.join(LEVELS)}", field="level")
        preferred = applicant.preferred_cohort_id
        if preferred is not None and all(cohort.id != preferred for cohort in self.cohorts):
            raise Invalid("the course has no such cohort", field="preferred_cohort_id")
        existing = self.applications.get(applicant.person_id)
        if existing is not None and existing.status in ACTIVE:
            raise AlreadyApplied(
                "this person has already applied to this course",
                application_id=existing.id,
                status=existing.status.value,
            )
        if self.rules.manager_approval and applicant.manager_id is None:
            raise Invalid("the course needs a manager's approval and the directory names no manager", field="person_id")
        self.arrivals += 1
        application = Application(
            application_id,
            applicant.person_id,
            applicant.locale,
            ApplicationStatus.AWAITING_MANAGER,
            self.arrivals,
            None,
            applicant.preferred_cohort_id,
            applicant.motivation.strip(),
            applicant.level,
            applicant.department,
            applicant.time_zone,
            applicant.manager_id,
            now,
        )
        self.applications[applicant.person_id] = application
        if self.rules.manager_approval:
            self.events.append(
                ev.ApplicantAwaitingManager(
                    self.id,
                    self.title,
                    application.id,
                    application.person_id,
                    application.manager_id,
                    applicant.locale,
                )
            )
        else:
            self._place(application, now)
        return application

    def decide_as_manager(self, manager_id: str, person_id: str, approve: bool, now: datetime) -> Application:
        application = self._application(person_id)
        if application.status is not ApplicationStatus.AWAITING_MANAGER:
            raise Conflict("this application is not waiting for a manager", status=application.status.value)
        if application.manager_id != manager_id:
            raise Conflict("only the applicant's manager decides", manager_id=application.manager_id)
        if approve:
            self._place(application, now)
        else:
            application.status = ApplicationStatus.DECLINED_BY_MANAGER
            self.events.append(
                ev.ApplicantDeclinedByManager(
                    self.id, self.title, application.id, person_id, manager_id, application.locale or "en"
                )
            )
        return application

    def _place(self, application: Application, now: datetime) -> None:
        cohort = next(
            (c for c in self.cohorts if application.fits(c.id) and self._joinable(c, now) and self._free_seats(c) > 0),
            None,
        )
        if cohort is not None:
            self._enrol(application, cohort, promoted=False)
            return
        application.status = ApplicationStatus.WAITLISTED
        self.waitlist.append(application.person_id)
        self.events.append(
            ev.ApplicantWaitlisted(
                self.id,
                self.title,
                application.id,
                application.person_id,
                application.locale or "en",
                len(self.waitlist),
            )
        )
        self._maybe_propose_stream(now)

    def _enrol(self, application: Application, cohort: Cohort, *, promoted: bool) -> None:
        application.status, application.cohort_id = ApplicationStatus.ENROLLED, cohort.id
        cohort.members.append(application.person_id)
        self.events.append(
            ev.ApplicantEnrolled(
                self.id,
                self.title,
                cohort.id,
                application.id,
                application.person_id,
                application.locale or "en",
                promoted,
            )
        )

    def withdraw(self, person_id: str, now: datetime) -> Application:
        """Leave the course; a freed seat is offered to the first person waiting who fits the cohort."""
        application = self._application(person_id)
        if application.status not in ACTIVE:
            raise Conflict("this application was already withdrawn or ended", status=application.status.value)
        freed: Cohort | None = None
        if application.status is ApplicationStatus.ENROLLED:
            freed = self.cohort(str(application.cohort_id))
            if freed.sessions_started(now) >= self.rules.withdrawal_until_session:
                raise Conflict(
                    f"withdrawal closed when session {self.rules.withdrawal_until_session} started",
                    field="person_id",
                )
            freed.members.remove(person_id)
        elif application.status is ApplicationStatus.WAITLISTED:
            self.waitlist.remove(person_id)
        elif application.status is ApplicationStatus.OFFERED:
            offer = self.offers.pop(person_id)
            freed = self.cohort(offer.cohort_id)
            self.events.append(
                ev.SeatOfferEnded(self.id, offer.id, application.id, offer.cohort_id, person_id, "declined")
            )
        application.status = ApplicationStatus.WITHDRAWN
        self.events.append(ev.ApplicantWithdrew(self.id, application.id, person_id, freed.id if freed else None))
        if freed is not None:
            self._offer_free_seats(freed, now)
        return application

    # --- seat offers -----------------------------------------------------------------------------------

    def _offer_free_seats(self, cohort: Cohort, now: datetime) -> None:
        if not self._joinable(cohort, now):
            return
        while self._free_seats(cohort) > 0:
            person_id = next((p for p in self.waitlist if self.applications[p].fits(cohort.id)), None)
            if person_id is None:
                return
            application = self.applications[person_id]
            self.waitlist.remove(person_id)
            offer = Offer(new_id(), person_id, cohort.id, now + timedelta(hours=self.rules.offer_hours))
            self.offers[person_id] = offer
            application.status = ApplicationStatus.OFFERED
            self.events.append(
                ev.SeatOffered(
                    self.id,
                    self.title,
                    offer.id,
                    application.id,
                    cohort.id,
                    person_id,
                    application.locale or "en",
                    offer.expires_at,
                )
            )

    def confirm_offer(self, person_id: str, now: datetime) -> Application:
        application = self._application(person_id)
        offer = self.offers.get(person_id)
        if offer is None:
            raise Conflict("there is no open seat offer for this person", status=application.status.value)
        if offer.expires_at <= now:  # the expiry job has not got to it yet: too late all the same
            raise Conflict("the seat offer has expired", expired_at=offer.expires_at.isoformat())
        if not self._joinable(self.cohort(offer.cohort_id), now):
            raise Conflict("the cohort has gone past the sessions a newcomer may join at", cohort_id=offer.cohort_id)
        del self.offers[person_id]
        self.events.append(
            ev.SeatOfferEnded(self.id, offer.id, application.id, offer.cohort_id, person_id, "confirmed")
        )
        self._enrol(application, self.cohort(offer.cohort_id), promoted=True)
        return application

    def expire_offers(self, now: datetime) -> int:
        """Let lapse every offer past its deadline and offer those seats to the next people; how many lapsed."""
        expired = [offer for offer in self.offers.values() if offer.expires_at <= now]
        for offer in expired:
            del self.offers[offer.person_id]
            application = self.applications[offer.person_id]
            application.status = ApplicationStatus.LAPSED
            self.events.append(
                ev.SeatOfferEnded(self.id, offer.id, application.id, offer.cohort_id, offer.person_id, "expired")
            )
        for cohort_id in dict.fromkeys(offer.cohort_id for offer in expired):
            self._offer_free_seats(self.cohort(cohort_id), now)
        return len(expired)

    def next_offer_deadline(self) -> datetime | None:
        return min((offer.expires_at for offer in self.offers.values()), default=None)

    # --- new streams from the waitlist -------------------------------------------------------------------

    def _maybe_propose_stream(self, now: datetime) -> None:
        if self.stream_proposal is not None and self.stream_proposal.open:
            return
        waiting = self._waiting_for_any_cohort()
        if len(waiting) < max(self.stream_threshold, self.rules.capacity):
            return
        members = balanced_members(waiting, self.rules.capacity)
        trainer_tz = next((s.time_zone for s in self.proposal.availability), None) or (
            self.cohorts[-1].slot.time_zone if self.cohorts else "UTC"
        )
        member_zones = [m.time_zone or trainer_tz for m in members]
        slot = suggest_slot(member_zones, self.proposal.availability, trainer_tz, (now + timedelta(days=7)).date())
        proposal = StreamProposal(new_id(), [m.person_id for m in members], slot)
        self.stream_proposal = proposal
        self.events.append(
            ev.StreamProposed(
                self.id, proposal.id, tuple(proposal.member_ids), slot.weekday, slot.local_time, slot.time_zone
            )
        )

    def decide_stream(
        self,
        curator_id: str,
        proposal_id: str,
        accept: bool,
        now: datetime,
        *,
        cohort_id: str,
        member_ids: Sequence[str] | None = None,
        slot: Slot | None = None,
        start_date: date | None = None,
    ) -> Cohort | None:
        """Accept (optionally edited: members, slot, start) or reject the proposed stream."""
        proposal = self.stream_proposal
        if proposal is None or proposal.id != proposal_id:
            raise NotFound(f"no stream proposal {proposal_id}", proposal_id=proposal_id)
        if not proposal.open:
            raise Conflict("this stream proposal was already decided")
        if not accept:
            proposal.open = False
            self.stream_threshold = len(self._waiting_for_any_cohort()) + self.rules.capacity
            self.events.append(ev.StreamProposalDecided(self.id, proposal.id, curator_id, False, None))
            return None
        members = list(dict.fromkeys(member_ids)) if member_ids is not None else self._still_proposed(proposal)
        not_waiting = [p for p in members if p not in self.waitlist]
        if not_waiting:
            raise Invalid(f"not on the waitlist: {', '.join(not_waiting)}", field="member_ids")
        if not members or len(members) > MAX_CAPACITY:
            raise Invalid(f"a stream has 1 to {MAX_CAPACITY} members", field="member_ids")
        chosen_slot = slot or proposal.slot
        first_day = start_date or (now + timedelta(days=7)).date()
        # Enrolled first, then the cohort opens: its remaining seats go to whoever still waits.
        cohort = Cohort(
            cohort_id,
            len(self.cohorts) + 1,
            self.trainer_id,
            max(self.rules.capacity, len(members)),
            chosen_slot,
            chosen_slot.sessions(first_day, self.proposal.sessions),
        )
        if cohort.session_starts[0] <= now:
            raise Invalid("the first session must be in the future", field="start_date")
        # Everything checked: from here on the decision is made.
        proposal.open = False
        self.stream_threshold = self.rules.capacity
        self.cohorts.append(cohort)
        self.events.append(
            ev.CohortScheduled(
                self.id,
                cohort.id,
                cohort.number,
                cohort.trainer_id,
                cohort.capacity,
                chosen_slot.time_zone,
                cohort.session_starts,
            )
        )
        for person_id in members:
            self.waitlist.remove(person_id)
            self._enrol(self.applications[person_id], cohort, promoted=True)
        self.events.append(ev.StreamProposalDecided(self.id, proposal.id, curator_id, True, cohort.id))
        self._offer_free_seats(cohort, now)
        return cohort

    def proposed_members(self) -> list[str]:
        """Who the open stream proposal would enrol now (as decided, once it is closed)."""
        proposal = self.stream_proposal
        if proposal is None:
            return []
        return self._still_proposed(proposal) if proposal.open else list(proposal.member_ids)

    def _waiting_for_any_cohort(self) -> list[Application]:
        """Who waits without naming a cohort: the people a new stream can take."""
        return [self.applications[p] for p in self.waitlist if self.applications[p].preferred_cohort_id is None]

    def _still_proposed(self, proposal: StreamProposal) -> list[str]:
        """The proposed members still waiting, topped up (balanced again) from whoever waits now.

        Between proposal and decision people leave the waitlist (a seat offer, a withdrawal) and join it.
        """
        members = [p for p in proposal.member_ids if p in self.waitlist]
        others = [
            self.applications[p]
            for p in self.waitlist
            if p not in members and self.applications[p].preferred_cohort_id is None
        ]
        kept = [self.applications[p] for p in members]
        members += [a.person_id for a in balanced_members(others, self.rules.capacity - len(members), kept)]
        return members

    # --- reading -----------------------------------------------------------------------------------------

    def waitlist_position(self, person_id: str) -> int | None:
        return self.waitlist.index(person_id) + 1 if person_id in self.waitlist else None

    def cohort_windows(self) -> list["CohortWindow"]:
        """When each cohort can still be joined and when it ends: all the catalogue needs to show a status."""
        until = self.rules.withdrawal_until_session
        return [
            CohortWindow(
                c.session_starts[min(until, len(c.session_starts)) - 1], c.session_starts[-1], self._free_seats(c) > 0
            )
            for c in self.cohorts
        ]

    def catalogue_status(self, now: datetime) -> str:
        return catalogue_status(self.cohort_windows(), now)

    # --- privacy -----------------------------------------------------------------------------------------

    def involves(self, person_id: str) -> bool:
        return (
            person_id in self.applications
            or person_id in self.waitlist
            or person_id in self.offers
            or any(person_id in cohort.members for cohort in self.cohorts)
            or (self.stream_proposal is not None and person_id in self.stream_proposal.member_ids)
            or person_id == self.trainer_id
            or any(person_id == cohort.trainer_id for cohort in self.cohorts)
            or any(person_id == review.curator_id for review in self.reviews)
        )

    def erase_person(self, person_id: str, replacement: str) -> bool:
        """Put a former employee in the person's place; False if the person is not here (erased already).

        Seats, queue order and application ids stay as they were, so counts and other people's
        positions do not move; the person's details go with them. No event is recorded: erasure is
        not news for other services (they follow the directory themselves), and an event would
        only carry the person's trace to Kafka. An erased trainer's courses go on under the stand-in
        (their profile moves to it too), and an erased curator's reviews stay, signed by theirs.
        """
        if not self.involves(person_id):
            return False
        if self.involves(replacement):
            raise ValueError("the replacement id is already in use in this course")

        def swap(person: str) -> str:
            return replacement if person == person_id else person

        self.applications = {
            swap(key): (
                replace(
                    application,
                    person_id=replacement,
                    locale=None,
                    motivation="",
                    department=None,
                    time_zone=None,
                    manager_id=None,
                )
                if key == person_id
                else application
            )
            for key, application in self.applications.items()
        }
        self.trainer_id = swap(self.trainer_id)
        self.reviews = [replace(review, curator_id=swap(review.curator_id)) for review in self.reviews]
        for cohort in self.cohorts:
            cohort.trainer_id = swap(cohort.trainer_id)
            cohort.members = [swap(p) for p in cohort.members]
        self.waitlist = [swap(p) for p in self.waitlist]
        self.offers = {swap(k): replace(o, person_id=swap(o.person_id)) for k, o in self.offers.items()}
        if self.stream_proposal is not None:
            self.stream_proposal.member_ids = [swap(p) for p in self.stream_proposal.member_ids]
        return True

    # --- helpers -----------------------------------------------------------------------------------------

    def _application(self, person_id: str) -> Application:
        application = self.applications.get(person_id)
        if application is None:
            raise NotFound(f"{person_id} has not applied to course {self.id}", person_id=person_id)
        return application

    def _published(self) -> None:
        if self.status is not CourseStatus.APPROVED:
            raise Conflict(f"the course is {self.status.value}, not published yet", status=self.status.value)

    def _by_trainer(self, trainer_id: str) -> None:
        if trainer_id != self.trainer_id:
            raise Conflict("only the course's trainer revises it", trainer_id=self.trainer_id)

    def _record_proposed(self, *, resubmission: bool) -> None:
        p = self.proposal
        self.events.append(
            ev.CourseProposed(
                self.id,
                self.trainer_id,
                p.title_en,
                p.title_ru,
                p.language,
                p.competencies,
                p.sessions,
                p.weekly_effort_hours,
                resubmission,
            )
        )

    # --- the state as plain data, for the repository: the domain decides its own shape --------------------

    def to_state(self) -> dict[str, Any]:
        p, r = self.proposal, self.rules
        return {
            "trainer_id": self.trainer_id,
            "status": self.status.value,
            "proposal": {
                "title_en": p.title_en,
                "title_ru": p.title_ru,
                "description": p.description,
                "competencies": list(p.competencies),
                "language": p.language,
                "sessions": p.sessions,
                "weekly_effort_hours": p.weekly_effort_hours,
                "prerequisites": p.prerequisites,
                "availability": [_slot_state(s) for s in p.availability],
            },
            "rules": dict(r.__dict__),
            "reviews": [dict(review.__dict__) for review in self.reviews],
            "rehearsal_at": self.rehearsal_at,
            "cohorts": [
                {
                    "id": c.id,
                    "number": c.number,
                    "trainer_id": c.trainer_id,
                    "capacity": c.capacity,
                    "slot": _slot_state(c.slot),
                    "session_starts": list(c.session_starts),
                    "members": list(c.members),
                }
                for c in self.cohorts
            ],
            "applications": [{**a.__dict__, "status": a.status.value} for a in self.applications.values()],
            "waitlist": list(self.waitlist),
            "offers": [dict(o.__dict__) for o in self.offers.values()],
            "stream_proposal": None
            if self.stream_proposal is None
            else {
                "id": self.stream_proposal.id,
                "member_ids": list(self.stream_proposal.member_ids),
                "slot": _slot_state(self.stream_proposal.slot),
                "open": self.stream_proposal.open,
            },
            "stream_threshold": self.stream_threshold,
            "arrivals": self.arrivals,
        }

    @classmethod
    def from_state(cls, course_id: str, state: dict[str, Any]) -> "Course":
        p = state["proposal"]
        proposal = Proposal(
            p["title_en"],
            p["title_ru"],
            p["description"],
            tuple(p["competencies"]),
            p["language"],
            p["sessions"],
            p["weekly_effort_hours"],
            p.get("prerequisites", ""),
            tuple(_slot(s) for s in p.get("availability", [])),
        )
        proposal_state = state.get("stream_proposal")
        return cls(
            id=course_id,
            trainer_id=state["trainer_id"],
            proposal=proposal,
            rules=Rules(**state["rules"]),
            status=CourseStatus(state["status"]),
            reviews=[Review(**review) for review in state["reviews"]],
            rehearsal_at=state.get("rehearsal_at"),
            cohorts=[
                Cohort(
                    c["id"],
                    c["number"],
                    c["trainer_id"],
                    c["capacity"],
                    _slot(c["slot"]),
                    tuple(c["session_starts"]),
                    list(c["members"]),
                )
                for c in state["cohorts"]
            ],
            applications={
                a["person_id"]: Application(**{**a, "status": ApplicationStatus(a["status"])})
                for a in state["applications"]
            },
            waitlist=list(state["waitlist"]),
            offers={o["person_id"]: Offer(**o) for o in state["offers"]},
            stream_proposal=None
            if proposal_state is None
            else StreamProposal(
                proposal_state["id"],
                list(proposal_state["member_ids"]),
                _slot(proposal_state["slot"]),
                proposal_state["open"],
            ),
            stream_threshold=state["stream_threshold"],
            arrivals=state["arrivals"],
        )


@dataclass(frozen=True)
class CohortWindow:
    joinable_until: datetime
    """Newcomers may join until this session starts (the withdrawal window's last session)."""
    last_start: datetime
    has_free_seat: bool
    """Whether, not how many: the card then changes only when a cohort fills up or frees a seat."""


def catalogue_status(windows: Sequence[CohortWindow], now: datetime) -> str:
    """open (a seat to take now), waitlist_only, running or finished, as the catalogue shows a published course."""
    if not windows:
        return "waitlist_only"
    if all(w.last_start <= now for w in windows):
        return "finished"
    joinable = [w for w in windows if now < w.joinable_until]
    if any(w.has_free_seat for w in joinable):
        return "open"
    return "waitlist_only" if joinable else "running"


def _slot_state(slot: Slot) -> dict[str, Any]:
    return {"weekday": slot.weekday, "local_time": slot.local_time, "time_zone": slot.time_zone}


def _slot(state: dict[str, Any]) -> Slot:
    return Slot(state["weekday"], state["local_time"], state["time_zone"])


def balanced_members(
    waiting: Iterable[Application], size: int, joining: Sequence[Application] = ()
) -> list[Application]:
    """Up to `size` people from the waitlist for a new stream, fair to arrival and mixed in background.

    Departments take turns (each in arrival order, the department waiting longest first), so one
    department does not fill the stream; then, if everyone chosen is a beginner while someone more
    experienced waits, the last beginner makes room for the first of them: beginners alone "trade
    misconceptions". `joining` are people already in the group, counted for that rule.
    """
    queue = sorted(waiting, key=lambda a: a.arrival)
    by_department: dict[str, list[Application]] = {}
    for application in queue:
        by_department.setdefault(application.department or "", []).append(application)
    chosen: list[Application] = []
    while len(chosen) < size and any(by_department.values()):
        for department in list(by_department):
            if by_department[department] and len(chosen) < size:
                chosen.append(by_department[department].pop(0))
    experienced = [a for a in queue if a.level != "beginner" and a not in chosen]
    if chosen and experienced and all(a.level == "beginner" for a in [*joining, *chosen]):
        chosen[-1] = experienced[0]
    return sorted(chosen, key=lambda a: a.arrival)
