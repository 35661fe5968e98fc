"""Events the enrolment service publishes."""

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts.base import IntegrationEvent

TOPIC = "owlery.enrolment.events"

Locale = Literal["ru", "en"]


class CourseCreatedV1(IntegrationEvent):
    """A course was created with its first cohort.

    No longer published: courses are now proposed and reviewed (course.proposed, course.published,
    cohort.scheduled). Kept so subscribers' schemas stay valid; it will not come back.
    """

    ce_type: ClassVar[str] = "com.owlery.enrolment.course.created.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    course_id: str = Field(description="Course id")
    title: str = Field(description="Course title as the trainer wrote it")
    cohort_id: str = Field(description="Id of the course's first cohort")
    capacity: int = Field(ge=1, description="Seats in the first cohort")


class ApplicationEnrolledV1(IntegrationEvent):
    """An employee's application took a seat in a cohort."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.application.enrolled.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    application_id: str = Field(description="Application id, unique per person and course")
    course_id: str
    course_title: str
    cohort_id: str
    person_id: str = Field(description="Directory id of the employee")
    locale: Locale = Field(description="Language the employee reads Owlery in")
    promoted: bool = Field(False, description="True when the seat came from the waitlist (a confirmed offer)")


class ApplicationWaitlistedV1(IntegrationEvent):
    """An employee's application found the cohort full and joined the waitlist."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.application.waitlisted.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    application_id: str
    course_id: str
    course_title: str
    person_id: str
    locale: Locale
    position: int = Field(ge=1, description="Place on the waitlist, 1 = next to be offered a seat")


# --- courses: a trainer proposes, a curator reviews -----------------------------------------------------

CourseStatus = Literal["proposed", "changes_requested", "approved", "rejected"]


class CourseProposedV1(IntegrationEvent):
    """A trainer proposed a course (or resubmitted it after changes were requested)."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.course.proposed.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    course_id: str
    trainer_id: str = Field(description="Directory id of the internal trainer")
    title_en: str | None = Field(None, description="English title, if the trainer gave one")
    title_ru: str | None = Field(None, description="Russian title, if the trainer gave one")
    language: Locale = Field(description="Language the sessions are held in")
    competencies: list[str] = Field(description="Competency codes the course builds")
    sessions: int = Field(ge=3, le=12, description="Number of weekly webinars")
    weekly_effort_hours: float = Field(gt=0, description="Expected effort per week, hours")
    resubmission: bool = Field(False, description="True when this answers a curator's request for changes")


class CourseReviewedV1(IntegrationEvent):
    """A curator reviewed a proposed course: a comment, a request for changes, an approval or a rejection."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.course.reviewed.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    course_id: str
    trainer_id: str
    curator_id: str
    verdict: Literal["comment", "changes_requested", "approved", "rejected"]
    comment: str | None = None
    status: CourseStatus = Field(description="The course's status after this review")


class RehearsalScheduledV1(IntegrationEvent):
    """A rehearsal with the curator was scheduled before approval."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.course.rehearsal_scheduled.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    course_id: str
    trainer_id: str
    curator_id: str
    starts_at: datetime


class CoursePublishedV1(IntegrationEvent):
    """An approved course entered the catalogue: employees may apply."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.course.published.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    course_id: str
    trainer_id: str
    title_en: str | None = None
    title_ru: str | None = None
    language: Locale
    competencies: list[str]
    sessions: int
    trains_trainers: bool = Field(False, description="Completing it asks HR to grant the trainer role")


class TrainerDebutedV1(IntegrationEvent):
    """A person's first course was published: they are now an internal trainer (the owl badge)."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.trainer.debuted.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "person_id"

    person_id: str
    course_id: str = Field(description="The first course they give")


# --- cohorts ("streams") --------------------------------------------------------------------------------


class CohortScheduledV1(IntegrationEvent):
    """A cohort of a course was created with its weekly slot and its generated sessions."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.cohort.scheduled.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    course_id: str
    cohort_id: str
    number: int = Field(ge=1, description="1 for the first stream, 2 for the second...")
    trainer_id: str
    capacity: int = Field(ge=2, le=30)
    time_zone: str = Field(description="IANA time zone of the weekly slot")
    session_starts: list[datetime] = Field(description="Start of every session, UTC")


class StreamProposedV1(IntegrationEvent):
    """The waitlist holds a cohort's worth of people: the curator is proposed a new stream."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.stream.proposed.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    course_id: str
    proposal_id: str
    member_ids: list[str]
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    local_time: str = Field(description="HH:MM in time_zone")
    time_zone: str


class StreamProposalDecidedV1(IntegrationEvent):
    """The curator accepted (a cohort follows) or rejected a proposed stream."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.stream.decided.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    course_id: str
    proposal_id: str
    curator_id: str
    accepted: bool
    cohort_id: str | None = None


# --- applications, withdrawals and the waitlist's seat offers ---------------------------------------------


class ApplicationAwaitingManagerV1(IntegrationEvent):
    """The course asks for manager approval: the application waits for the applicant's manager."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.application.awaiting_manager.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    application_id: str
    course_id: str
    course_title: str
    person_id: str
    manager_id: str | None = Field(description="Who is asked; None if the directory names no manager")
    locale: Locale


class ApplicationDeclinedByManagerV1(IntegrationEvent):
    ce_type: ClassVar[str] = "com.owlery.enrolment.application.declined_by_manager.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    application_id: str
    course_id: str
    course_title: str
    person_id: str
    manager_id: str
    locale: Locale


class ApplicationWithdrawnV1(IntegrationEvent):
    """A participant or applicant withdrew; a freed seat goes to the waitlist (see seat.offered)."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.application.withdrawn.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    application_id: str
    course_id: str
    person_id: str
    cohort_id: str | None = Field(description="The cohort whose seat was freed; None if they were waiting")


class SeatOfferedV1(IntegrationEvent):
    """A freed seat is offered to the first person waiting who fits the cohort; they must confirm in time."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.seat.offered.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    offer_id: str = Field(description="Unique per offer: a redelivery never makes a second one")
    application_id: str
    course_id: str
    course_title: str
    cohort_id: str
    person_id: str
    locale: Locale
    expires_at: datetime


class SeatOfferEndedV1(IntegrationEvent):
    """An offer was confirmed (the person is enrolled, see application.enrolled), declined or let expire."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.seat.offer_ended.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    offer_id: str
    application_id: str
    course_id: str
    cohort_id: str
    person_id: str
    outcome: Literal["confirmed", "declined", "expired"]


# --- a cohort's run: sessions, attendance, homework, feedback, completion ---------------------------------


class SessionUpdatedV1(IntegrationEvent):
    """A session's time, room link, materials or recording changed (the trainer's edits)."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.session.updated.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "cohort_id"

    course_id: str
    cohort_id: str
    session_number: int = Field(ge=1)
    starts_at: datetime
    room_url: str | None = None
    recording_url: str | None = None
    materials: list[str] = Field(default_factory=list, description="Links to slides, code, reading")
    change: Literal["rescheduled", "room", "materials", "recording"]


class AttendanceMarkedV1(IntegrationEvent):
    """The trainer marked one participant's attendance at one session."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.attendance.marked.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "cohort_id"

    course_id: str
    cohort_id: str
    session_number: int = Field(ge=1)
    person_id: str
    trainer_id: str
    status: Literal["present", "absent", "excused"]


class HomeworkAssignedV1(IntegrationEvent):
    ce_type: ClassVar[str] = "com.owlery.enrolment.homework.assigned.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "cohort_id"

    course_id: str
    cohort_id: str
    homework_id: str
    session_number: int = Field(ge=1)
    due_at: datetime


class HomeworkSubmittedV1(IntegrationEvent):
    ce_type: ClassVar[str] = "com.owlery.enrolment.homework.submitted.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "cohort_id"

    course_id: str
    cohort_id: str
    homework_id: str
    person_id: str
    late: bool
    attempt: int = Field(ge=1, description="1 for the first submission, 2 after a return...")


class HomeworkReviewedV1(IntegrationEvent):
    """The trainer accepted a submission or returned it with comments."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.homework.reviewed.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "cohort_id"

    course_id: str
    cohort_id: str
    homework_id: str
    person_id: str
    trainer_id: str
    outcome: Literal["accepted", "returned"]
    attempt: int = Field(ge=1)


class SessionFeedbackGivenV1(IntegrationEvent):
    """A participant rated a session. The rating itself is not here: the trainer sees averages only."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.session.feedback_given.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "cohort_id"

    course_id: str
    cohort_id: str
    session_number: int = Field(ge=1)
    person_id: str = Field(description="Who gave feedback (to credit them), never linked to the rating")


class CompletionDecidedV1(IntegrationEvent):
    """After the last session the course's completion rule decided for one participant."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.completion.decided.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "cohort_id"

    course_id: str
    cohort_id: str
    person_id: str
    trainer_id: str
    completed: bool
    attendance_rate: float = Field(ge=0, le=1)
    homework_rate: float = Field(ge=0, le=1)
    certificate_number: str | None = Field(None, description="Set when completed")
    trains_trainers: bool = Field(False, description="Completing it asks HR admins to grant the trainer role")


class CohortFinishedV1(IntegrationEvent):
    """Every participant of a cohort has a completion decision; credited to the trainer."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.cohort.finished.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "cohort_id"

    course_id: str
    cohort_id: str
    trainer_id: str
    participants: int = Field(ge=0)
    completed: int = Field(ge=0)
    average_rating: float | None = Field(None, description="Mean session rating, 1-5; None without feedback")


# --- master classes: one session of 30-120 minutes that any employee may propose and host -------------


class MasterClassProposedV1(IntegrationEvent):
    """An employee proposed a master class; `needs_approval` says whether a curator must publish it."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.master_class.proposed.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "master_class_id"

    master_class_id: str
    host_id: str = Field(description="The employee who proposed it and will run it")
    title: str
    language: Locale
    competencies: list[str] = Field(default_factory=list)
    starts_at: datetime
    duration_minutes: int = Field(ge=30, le=120)
    capacity: int = Field(ge=1)
    needs_approval: bool = Field(description="True when the company asks a curator to approve master classes")


class MasterClassPublishedV1(IntegrationEvent):
    """A master class opened for registration: approved by a curator, or directly when no approval is asked."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.master_class.published.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "master_class_id"

    master_class_id: str
    host_id: str
    title: str
    language: Locale
    competencies: list[str] = Field(default_factory=list)
    starts_at: datetime
    duration_minutes: int = Field(ge=30, le=120)
    capacity: int = Field(ge=1)
    approved_by: str | None = Field(None, description="The curator who approved it; None when published directly")


class MasterClassRegisteredV1(IntegrationEvent):
    """An employee took a seat at a master class."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.master_class.registered.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "master_class_id"

    master_class_id: str
    person_id: str
    title: str
    starts_at: datetime


class MasterClassWaitlistedV1(IntegrationEvent):
    """The master class was full: the employee joined its waitlist."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.master_class.waitlisted.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "master_class_id"

    master_class_id: str
    person_id: str
    title: str
    position: int = Field(ge=1, description="Place on the waitlist, 1 = next to get a freed seat")


class MasterClassPromotedV1(IntegrationEvent):
    """A registered person withdrew and the first person waiting took the seat (no offer to confirm)."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.master_class.promoted.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "master_class_id"

    master_class_id: str
    person_id: str
    title: str
    starts_at: datetime


class MasterClassWithdrawnV1(IntegrationEvent):
    """An employee left a master class, from a seat or from the waitlist."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.master_class.withdrawn.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "master_class_id"

    master_class_id: str
    person_id: str
    was: Literal["registered", "waitlisted"]


class MasterClassHeldV1(IntegrationEvent):
    """The host marked the master class held; credited to the host, attendance to the attendees."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.master_class.held.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "master_class_id"

    master_class_id: str
    host_id: str
    title: str
    competencies: list[str] = Field(default_factory=list)
    duration_minutes: int = Field(ge=30, le=120)
    attendee_ids: list[str] = Field(default_factory=list, description="Who attended (registered people)")


class MasterClassRecordingAttachedV1(IntegrationEvent):
    """The host attached the recording and materials of a held master class (for the knowledge base)."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.master_class.recording_attached.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "master_class_id"

    master_class_id: str
    host_id: str
    title: str
    abstract: str
    language: Locale
    competencies: list[str] = Field(default_factory=list)
    recording_url: str
    materials: list[str] = Field(default_factory=list, description="Links to slides, code, reading")


class MasterClassFeedbackGivenV1(IntegrationEvent):
    """An attendee answered the one feedback question. The score is not here: the host sees the average."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.master_class.feedback_given.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "master_class_id"

    master_class_id: str
    host_id: str
    person_id: str = Field(description="Who gave feedback (to credit them), never linked to the score")


# --- internal conferences -------------------------------------------------------------------------------


class ConferenceCreatedV1(IntegrationEvent):
    """A curator or HR admin created a conference; its call for speakers is open."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.conference.created.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "conference_id"

    conference_id: str
    title: str
    starts_on: str = Field(description="First day (ISO date, in the conference's time zone)")
    ends_on: str = Field(description="Last day (ISO date)")
    tracks: list[str] = Field(default_factory=list)
    committee_ids: list[str] = Field(default_factory=list, description="The programme committee (curators)")
    chair_id: str = Field(description="The committee member who accepts, rejects and schedules")
    created_by: str


class ConferenceProposalSubmittedV1(IntegrationEvent):
    """An employee proposed a talk to a conference's call for speakers."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.conference.proposal_submitted.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "conference_id"

    conference_id: str
    proposal_id: str
    speaker_id: str
    title: str
    level: Literal["beginner", "intermediate", "advanced"]
    competencies: list[str] = Field(default_factory=list)


class ConferenceProposalScoredV1(IntegrationEvent):
    """A committee member scored a proposal (the scores stay inside the committee: blind review)."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.conference.proposal_scored.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "conference_id"

    conference_id: str
    proposal_id: str
    member_id: str


class ConferenceProposalDecidedV1(IntegrationEvent):
    """The chair accepted or rejected a proposal, with a message for the speaker."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.conference.proposal_decided.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "conference_id"

    conference_id: str
    proposal_id: str
    speaker_id: str
    title: str
    decision: Literal["accepted", "rejected"]
    message: str = Field(description="The chair's words to the speaker")
    decided_by: str


class ConferenceTalkScheduledV1(IntegrationEvent):
    """The chair placed an accepted talk in a slot (track, room, start, duration)."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.conference.talk_scheduled.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "conference_id"

    conference_id: str
    talk_id: str
    speaker_id: str
    title: str
    track: str
    room: str
    starts_at: datetime
    duration_minutes: int = Field(ge=1)


class ConferenceProgrammePublishedV1(IntegrationEvent):
    """The chair published the programme: the call is closed, registration per talk is open."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.conference.programme_published.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "conference_id"

    conference_id: str
    title: str
    talk_ids: list[str] = Field(default_factory=list)
    speaker_ids: list[str] = Field(default_factory=list, description="Who speaks (for speaking rewards)")


class ConferenceTalkRegisteredV1(IntegrationEvent):
    """Someone registered for one talk of a published programme."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.conference.talk_registered.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "conference_id"

    conference_id: str
    talk_id: str
    person_id: str
    title: str
    starts_at: datetime


class ConferenceTalkAttendedV1(IntegrationEvent):
    """The speaker or the chair marked a registered person as present at a talk."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.conference.talk_attended.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "conference_id"

    conference_id: str
    talk_id: str
    person_id: str
    speaker_id: str
    competencies: list[str] = Field(default_factory=list)


class ConferenceTalkFeedbackGivenV1(IntegrationEvent):
    """An attendee rated a talk (once; the score stays in enrolment)."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.conference.talk_feedback_given.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "conference_id"

    conference_id: str
    talk_id: str
    speaker_id: str
    person_id: str


class ConferenceTalkRecordingAttachedV1(IntegrationEvent):
    """The speaker attached the recording and slides of a given talk (for the knowledge base)."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.conference.talk_recording_attached.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "conference_id"

    conference_id: str
    talk_id: str
    speaker_id: str
    title: str
    abstract: str
    language: Locale
    competencies: list[str] = Field(default_factory=list)
    recording_url: str
    slides_url: str | None = None
