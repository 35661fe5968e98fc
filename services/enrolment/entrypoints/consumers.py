"""Events the enrolment service subscribes to: the employee directory (more come with the mentoring issue)."""

from enrolment.service import handlers
from enrolment.service.ports import (
    CohortRunRecords,
    ConferenceRecords,
    CourseRepository,
    Erasures,
    MasterClassRecords,
    TrainerRecords,
)
from shared.audit import AuditLog
from shared.messaging.consumer import ReliableConsumer
from shared.persistence.people import DirectoryCopy, follow_directory


def register(
    consumer: ReliableConsumer,
    *,
    people: DirectoryCopy,
    courses: CourseRepository,
    erasures: Erasures,
    runs: CohortRunRecords,
    trainers: TrainerRecords,
    master_classes: MasterClassRecords | None = None,
    conferences: ConferenceRecords | None = None,
    audit: AuditLog | None = None,
) -> None:
    """Every subscription of the service, in one place."""

    async def erase(person_id: str) -> None:
        await handlers.erase_person(
            person_id,
            courses,
            people,
            erasures,
            runs=runs,
            trainers=trainers,
            master_classes=master_classes,
            conferences=conferences,
        )

    follow_directory(consumer, people, erase, audit)
