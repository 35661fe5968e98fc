"""The enrolment HTTP API: translate requests to use cases and results to JSON."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query

from enrolment.bootstrap import Enrolment, bootstrap
from enrolment.entrypoints.cohorts_http import COHORT_POLICY, cohort_ownership_rules, cohort_router
from enrolment.entrypoints.conferences_http import conference_router
from enrolment.entrypoints.master_classes_http import master_class_router
from enrolment.entrypoints.policy import (
    CONFERENCE_POLICY,
    MASTER_CLASS_POLICY,
    conference_ownership_rules,
    guardrails,
    master_class_ownership_rules,
)
from enrolment.entrypoints.reports_http import REPORTS_POLICY, report_ownership_rules, reports_router
from enrolment.entrypoints.schemas import (
    ApplicationIn,
    ApplicationOut,
    CataloguePage,
    CohortIn,
    CourseIn,
    CourseOut,
    ManagerDecisionIn,
    OpenStreamProposalsOut,
    PersonApplicationsOut,
    RehearsalIn,
    ReviewIn,
    StreamDecisionIn,
    StreamProposalOut,
)
from enrolment.entrypoints.trainers_http import TRAINERS_POLICY, trainers_router
from enrolment.service import handlers
from shared.auth.http import caller
from shared.auth.tokens import Principal
from shared.errors import NotFound
from shared.http import health_router, prepare_app, privacy_router

MAX_OFFSET = 1_000_000
"""Paging skips at most this many: a bigger skip is never meant, and past 2**63 the database cannot take it."""

Caller = Annotated[Principal, Depends(caller)]
CatalogueStatus = Literal["open", "waitlist_only", "running", "finished"]


def courses_router(service: Enrolment) -> APIRouter:
    courses, clock = service.courses, service.clock
    router = APIRouter(prefix="/courses")

    @router.post("", status_code=201, response_model=CourseOut, tags=["courses"])
    async def propose(body: CourseIn, who: Caller) -> CourseOut:
        """A trainer proposes a course; a curator reviews it before it is published."""
        command = handlers.ProposeCourse(who.person_id, body.proposal(), body.rules.rules())
        return CourseOut.of(await handlers.propose_course(command, courses), clock())

    @router.get("", response_model=CataloguePage, tags=["catalogue"])
    async def catalogue(
        q: Annotated[
            str | None, Query(max_length=200, description="Words in the title, description or competencies")
        ] = None,
        competency: str | None = None,
        language: Literal["ru", "en"] | None = None,
        status: CatalogueStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> CataloguePage:
        """Published courses: open (a seat now), waitlist only, running or finished."""
        cards, total = await courses.search(
            clock(), text=q, competency=competency, language=language, status=status, limit=limit, offset=offset
        )
        return CataloguePage.of(cards, total)

    @router.get("/proposals", response_model=CataloguePage, tags=["review"])
    async def proposals(
        limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0
    ) -> CataloguePage:
        """Courses waiting for a curator: proposed, or back from the trainer with changes."""
        cards, total = await courses.search(
            clock(), statuses=("proposed", "changes_requested"), limit=limit, offset=offset
        )
        return CataloguePage.of(cards, total)

    @router.get("/stream-proposals", response_model=OpenStreamProposalsOut, tags=["cohorts"])
    async def open_stream_proposals() -> OpenStreamProposalsOut:
        """Streams proposed from waitlists that await a curator, with their course: the longest waitlist first."""
        return OpenStreamProposalsOut.of(await handlers.open_stream_proposals(courses))

    @router.get("/{course_id}", response_model=CourseOut, tags=["courses"])
    async def get_course(course_id: str) -> CourseOut:
        course, _ = await handlers.get_course(course_id, courses)
        return CourseOut.of(course, clock())

    @router.put("/{course_id}", response_model=CourseOut, tags=["courses"])
    async def revise(course_id: str, body: CourseIn, who: Caller) -> CourseOut:
        """The trainer revises the proposal (after a curator asked for changes, say)."""
        command = handlers.ProposeCourse(who.person_id, body.proposal(), body.rules.rules())
        return CourseOut.of(await handlers.revise_course(course_id, command, courses), clock())

    @router.post("/{course_id}/reviews", response_model=CourseOut, tags=["review"])
    async def review(course_id: str, body: ReviewIn, who: Caller) -> CourseOut:
        """Comment, request changes, approve (publish) or reject."""
        course = await handlers.review_course(course_id, who.person_id, body.verdict, body.comment, clock(), courses)
        return CourseOut.of(course, clock())

    @router.post("/{course_id}/rehearsal", response_model=CourseOut, tags=["review"])
    async def rehearsal(course_id: str, body: RehearsalIn, who: Caller) -> CourseOut:
        course = await handlers.schedule_rehearsal(course_id, who.person_id, body.starts_at, clock(), courses)
        return CourseOut.of(course, clock())

    @router.post("/{course_id}/cohorts", status_code=201, response_model=CourseOut, tags=["cohorts"])
    async def add_cohort(course_id: str, body: CohortIn) -> CourseOut:
        """Open a stream; people waiting are offered its seats first."""
        command = handlers.AddCohort(course_id, body.slot(), body.start_date, body.capacity, body.trainer_id)
        _, course = await handlers.add_cohort(command, clock(), courses)
        return CourseOut.of(course, clock())

    @router.post(
        "/{course_id}/applications",
        status_code=201,
        response_model=ApplicationOut,
        tags=["applications"],
        responses={404: {"description": "No such course"}, 409: {"description": "Already applied"}},
    )
    async def apply(course_id: str, body: ApplicationIn) -> ApplicationOut:
        command = handlers.Apply(
            course_id, body.person_id, body.locale, body.motivation, body.preferred_cohort_id, body.level
        )
        application, course = await handlers.apply(command, courses, people=service.people, now=clock())
        return ApplicationOut.of(application, course)

    @router.get("/{course_id}/applications/{person_id}", response_model=ApplicationOut, tags=["applications"])
    async def application(course_id: str, person_id: str) -> ApplicationOut:
        course, _ = await handlers.get_course(course_id, courses)
        found = course.applications.get(person_id)
        if found is None:
            raise NotFound(f"{person_id} has not applied to course {course_id}", person_id=person_id)
        return ApplicationOut.of(found, course)

    @router.post(
        "/{course_id}/applications/{person_id}/withdrawal", response_model=ApplicationOut, tags=["applications"]
    )
    async def withdraw(course_id: str, person_id: str) -> ApplicationOut:
        """Leave the course or the waitlist; a freed seat is offered to the next person waiting."""
        withdrawn, course = await handlers.withdraw(course_id, person_id, clock(), courses)
        return ApplicationOut.of(withdrawn, course)

    @router.post(
        "/{course_id}/applications/{person_id}/offer/confirmation",
        response_model=ApplicationOut,
        tags=["applications"],
    )
    async def confirm(course_id: str, person_id: str) -> ApplicationOut:
        """Take the seat offered from the waitlist, before the offer expires."""
        confirmed, course = await handlers.confirm_offer(course_id, person_id, clock(), courses)
        return ApplicationOut.of(confirmed, course)

    @router.post(
        "/{course_id}/applications/{person_id}/manager-decision", response_model=ApplicationOut, tags=["applications"]
    )
    async def manager_decision(course_id: str, person_id: str, body: ManagerDecisionIn, who: Caller) -> ApplicationOut:
        decided, course = await handlers.decide_as_manager(
            course_id, person_id, who.person_id, body.approve, clock(), courses
        )
        return ApplicationOut.of(decided, course)

    @router.get("/{course_id}/stream-proposal", response_model=StreamProposalOut, tags=["cohorts"])
    async def stream_proposal(course_id: str) -> StreamProposalOut:
        """The new stream proposed from the waitlist: who, and when most of them can attend."""
        course, _ = await handlers.get_course(course_id, courses)
        proposal = StreamProposalOut.of(course)
        if proposal is None:
            raise NotFound("no stream was proposed for this course yet", course_id=course_id)
        return proposal

    @router.post("/{course_id}/stream-proposals/{proposal_id}/decision", response_model=CourseOut, tags=["cohorts"])
    async def decide_stream(course_id: str, proposal_id: str, body: StreamDecisionIn, who: Caller) -> CourseOut:
        """Accept (as proposed or edited) or reject the proposed stream."""
        command = handlers.DecideStream(
            course_id,
            proposal_id,
            who.person_id,
            body.accept,
            body.member_ids,
            body.slot.slot() if body.slot else None,
            body.start_date,
        )
        _, course = await handlers.decide_stream(command, clock(), courses)
        return CourseOut.of(course, clock())

    return router


def people_router(service: Enrolment) -> APIRouter:
    router = APIRouter(prefix="/people")

    @router.get("/{person_id}/applications", response_model=PersonApplicationsOut, tags=["applications"])
    async def applications_of(person_id: str) -> PersonApplicationsOut:
        """The person's applications across courses, newest first: status, cohort, waitlist place, offer."""
        return PersonApplicationsOut.of(person_id, await handlers.applications_of(person_id, service.courses))

    return router


def create_app(service: Enrolment | None = None) -> FastAPI:
    service = service or bootstrap()
    runtime = service.runtime
    rosters = handlers.CourseRosters(service.courses)
    policy = guardrails(
        service.courses,
        (TRAINERS_POLICY, {}),
        (COHORT_POLICY, cohort_ownership_rules(service.runs, rosters)),
        (MASTER_CLASS_POLICY, master_class_ownership_rules(service.master_classes)),
        (CONFERENCE_POLICY, conference_ownership_rules(service.conferences)),
        (REPORTS_POLICY, report_ownership_rules(service.reports)),
    )
    gatekeeper = runtime.gatekeeper(policy, is_blocked=service.people.is_blocked)
    app = prepare_app(FastAPI(title="Owlery enrolment", version="0.2.0", lifespan=runtime.lifespan), gatekeeper)
    app.include_router(health_router({"database": runtime.database_ready, "broker": runtime.broker_ready}))

    async def export(person_id: str) -> dict[str, Any]:
        return await handlers.export_person(
            person_id,
            service.courses,
            service.people,
            runs=service.runs,
            trainers=service.trainers,
            master_classes=service.master_classes,
            conferences=service.conferences,
        )

    app.include_router(privacy_router("enrolment", export, runtime.audit))
    app.include_router(courses_router(service))
    app.include_router(people_router(service))
    app.include_router(trainers_router(service.trainers))
    app.include_router(cohort_router(service.runs, rosters, service.people, clock=service.clock))
    app.include_router(
        master_class_router(service.master_classes, lambda: service.clock(), service.master_class_approval)
    )
    app.include_router(conference_router(service.conferences, lambda: service.clock()))
    app.include_router(reports_router(service.reports, lambda: service.clock()))
    return app


def app() -> FastAPI:
    """Factory for `uvicorn --factory enrolment.entrypoints.http:app`."""
    return create_app()
