"""The enrolment HTTP API: translate requests to use cases and results to JSON."""

from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field

from enrolment.bootstrap import Enrolment, bootstrap
from enrolment.domain.model import Application, Course
from enrolment.entrypoints.policy import GUARDRAILS
from enrolment.service import handlers
from shared.http import health_router, prepare_app, privacy_router


class CourseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300, examples=["Python for analysts"])
    capacity: int = Field(7, ge=1, le=500, description="Seats in the first cohort (about seven by practice)")


class CohortOut(BaseModel):
    id: str
    capacity: int
    enrolled: int


class CourseOut(BaseModel):
    id: str
    title: str
    cohorts: list[CohortOut]
    waitlist_length: int

    @classmethod
    def of(cls, course: Course) -> "CourseOut":
        return cls(
            id=course.id,
            title=course.title,
            cohorts=[CohortOut(id=c.id, capacity=c.capacity, enrolled=len(c.enrolled)) for c in course.cohorts],
            waitlist_length=len(course.waitlist),
        )


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: str = Field(min_length=1, max_length=200, description="Directory id of the employee")
    locale: Literal["ru", "en"] = Field("en", description="Language the employee reads Owlery in")


class ApplicationOut(BaseModel):
    application_id: str
    course_id: str
    person_id: str
    status: Literal["enrolled", "waitlisted"]
    cohort_id: str | None
    waitlist_position: int | None

    @classmethod
    def of(cls, application: Application, course: Course) -> "ApplicationOut":
        return cls(
            application_id=application.id,
            course_id=course.id,
            person_id=application.person_id,
            status=application.status.value,
            cohort_id=application.cohort_id,
            waitlist_position=course.waitlist_position(application.person_id),
        )


def create_app(service: Enrolment | None = None) -> FastAPI:
    service = service or bootstrap()
    runtime = service.runtime
    gatekeeper = runtime.gatekeeper(GUARDRAILS, is_blocked=service.people.is_blocked)
    app = prepare_app(FastAPI(title="Owlery enrolment", version="0.1.0", lifespan=runtime.lifespan), gatekeeper)
    app.include_router(health_router({"database": runtime.database_ready, "broker": runtime.broker_ready}))

    async def export(person_id: str) -> dict[str, Any]:
        return await handlers.export_person(person_id, service.courses, service.people)

    app.include_router(privacy_router("enrolment", export, runtime.audit))

    @app.post("/courses", status_code=201, response_model=CourseOut, tags=["courses"])
    async def create_course(body: CourseIn) -> CourseOut:
        course = await handlers.create_course(handlers.CreateCourse(body.title, body.capacity), service.courses)
        return CourseOut.of(course)

    @app.get("/courses", response_model=list[CourseOut], tags=["courses"])
    async def list_courses(
        limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0
    ) -> list[CourseOut]:
        return [CourseOut.of(course) for course in await service.courses.list(limit, offset)]

    @app.get("/courses/{course_id}", response_model=CourseOut, tags=["courses"])
    async def get_course(course_id: str) -> CourseOut:
        course, _ = await handlers.get_course(course_id, service.courses)
        return CourseOut.of(course)

    @app.post(
        "/courses/{course_id}/applications",
        status_code=201,
        response_model=ApplicationOut,
        tags=["applications"],
        responses={404: {"description": "No such course"}, 409: {"description": "Already applied"}},
    )
    async def apply(course_id: str, body: ApplicationIn) -> ApplicationOut:
        application, course = await handlers.apply(
            handlers.Apply(course_id, body.person_id, body.locale), service.courses, people=service.people
        )
        return ApplicationOut.of(application, course)

    return app


def app() -> FastAPI:
    """Factory for `uvicorn --factory enrolment.entrypoints.http:app`."""
    return create_app()
