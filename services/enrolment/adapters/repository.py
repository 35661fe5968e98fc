"""Courses in MongoDB: a versioned store whose commits are also the outbox."""

from enrolment.domain.events import ApplicantEnrolled, ApplicantWaitlisted, CourseCreated, DomainEvent
from enrolment.domain.model import Course
from shared.contracts import enrolment as contracts
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.versioned import VersionedStore

SOURCE = "/owlery/enrolment"


def to_integration_event(event: DomainEvent) -> IntegrationEvent:
    match event:
        case CourseCreated():
            return contracts.CourseCreatedV1(
                course_id=event.course_id, title=event.title, cohort_id=event.cohort_id, capacity=event.capacity
            )
        case ApplicantEnrolled():
            return contracts.ApplicationEnrolledV1(
                application_id=event.application_id,
                course_id=event.course_id,
                course_title=event.course_title,
                cohort_id=event.cohort_id,
                person_id=event.person_id,
                locale=event.locale,
            )
        case ApplicantWaitlisted():
            return contracts.ApplicationWaitlistedV1(
                application_id=event.application_id,
                course_id=event.course_id,
                course_title=event.course_title,
                person_id=event.person_id,
                locale=event.locale,
                position=event.position,
            )


class MongoCourseRepository:
    def __init__(self, store: VersionedStore) -> None:
        self.store = store

    async def get(self, course_id: str) -> tuple[Course, int] | None:
        loaded = await self.store.load(course_id)
        if loaded is None:
            return None
        return Course.from_state(course_id, loaded.state), loaded.version

    async def save(self, course: Course, expected_version: int) -> None:
        correlation_id = current_correlation_id()
        outbox = [
            OutboxEvent.of(to_integration_event(event), source=SOURCE, correlation_id=correlation_id)
            for event in course.events
        ]
        await self.store.commit(course.id, expected_version, course.to_state(), outbox)
        course.events.clear()

    async def list(self, limit: int, offset: int) -> list[Course]:
        heads = self.store.heads.find({}).sort("_id", 1).skip(offset).limit(limit)
        return [Course.from_state(head["_id"], head) async for head in heads]
