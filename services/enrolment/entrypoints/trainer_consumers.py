"""The trainers' profiles follow the enrolment service's own events (read back from its own topic)."""

from datetime import UTC, datetime

from enrolment.service import trainers
from enrolment.service.trainers import TrainerProfiles
from shared.contracts.enrolment import CohortFinishedV1, CohortScheduledV1, CoursePublishedV1
from shared.messaging.cloudevents import Envelope
from shared.messaging.consumer import ReliableConsumer


def event_time(envelope: Envelope) -> datetime:
    """When the event happened (its ce_time), or now if it does not say."""
    if envelope.time:
        try:
            at = datetime.fromisoformat(envelope.time)
        except ValueError:
            pass
        else:
            return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return datetime.now(UTC)


def register_trainer_projection(consumer: ReliableConsumer, profiles: TrainerProfiles) -> None:
    """Subscribe the profiles to course publications and cohorts scheduled and finished."""

    async def course_published(event: CoursePublishedV1, envelope: Envelope) -> None:
        command = trainers.CoursePublished(
            person_id=event.trainer_id,
            course_id=event.course_id,
            title_en=event.title_en,
            title_ru=event.title_ru,
            competencies=tuple(event.competencies),
            at=event_time(envelope),
            correlation_id=envelope.correlation_id or envelope.id,
        )
        await trainers.course_published(command, profiles)

    async def cohort_scheduled(event: CohortScheduledV1, envelope: Envelope) -> None:
        await trainers.cohort_scheduled(
            trainers.CohortScheduled(person_id=event.trainer_id, course_id=event.course_id, cohort_id=event.cohort_id),
            profiles,
        )

    async def cohort_finished(event: CohortFinishedV1, envelope: Envelope) -> None:
        command = trainers.CohortFinished(
            person_id=event.trainer_id,
            course_id=event.course_id,
            cohort_id=event.cohort_id,
            participants=event.participants,
            completed=event.completed,
            average_rating=event.average_rating,
        )
        await trainers.cohort_finished(command, profiles)

    consumer.on(CoursePublishedV1, course_published)
    consumer.on(CohortScheduledV1, cohort_scheduled)
    consumer.on(CohortFinishedV1, cohort_finished)
