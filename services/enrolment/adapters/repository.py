"""Courses in MongoDB: a versioned store whose commits are also the outbox."""

import builtins

from enrolment.adapters.erasures import replace_value
from enrolment.domain.events import ApplicantEnrolled, ApplicantWaitlisted, CourseCreated, DomainEvent
from enrolment.domain.model import Course
from shared.contracts import enrolment as contracts
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.versioned import VersionedStore, commit_id

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

    async def involving(self, person_id: str) -> builtins.list[str]:
        # Two scans (FerretDB looks up nothing but _id): fine for rare privacy requests, kept off hot paths.
        # The commits are the truth; the heads are asked too in case a crash left one ahead of its commits.
        heads = self.store.heads.find({"applications.person_id": person_id}, {"_id": 1})
        commits = self.store.commits.find(
            {"$or": [{"state.applications.person_id": person_id}, {"events.data.person_id": person_id}]},
            {"aggregate_id": 1},
        )
        found = {head["_id"] async for head in heads} | {commit["aggregate_id"] async for commit in commits}
        return sorted(found)

    async def erase_from_history(self, course_id: str, person_id: str, replacement: str, through_version: int) -> int:
        """Rewrite the course's past commits, read and written by _id, as if a former employee had applied.

        Only `state` and `events` are set: the relay's outbox fields stay as they are, so a pending
        commit is still published (carrying the stand-in) and a published one is not sent again.
        """
        changed = 0
        for version in range(1, through_version + 1):
            commit = await self.store.commits.find_one({"_id": commit_id(course_id, version)})
            if commit is None:
                continue
            course = Course.from_state(course_id, commit["state"])
            state = course.to_state() if course.erase_person(person_id, replacement) else commit["state"]
            state = replace_value(state, person_id, replacement)  # and anything the domain does not know of
            events = replace_value(commit["events"], person_id, replacement)
            if state == commit["state"] and events == commit["events"]:
                continue
            await self.store.commits.update_one({"_id": commit["_id"]}, {"$set": {"state": state, "events": events}})
            changed += 1
        return changed
