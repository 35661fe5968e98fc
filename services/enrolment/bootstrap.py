"""The one place where the enrolment service is wired together."""

from dataclasses import dataclass

from enrolment.adapters.erasures import MongoErasures
from enrolment.adapters.repository import MongoCourseRepository
from enrolment.config import EnrolmentSettings
from enrolment.entrypoints import consumers
from shared.contracts import enrolment as contracts
from shared.observability import configure_logging
from shared.persistence.people import DirectoryCopy
from shared.persistence.versioned import VersionedStore
from shared.runtime import ServiceRuntime

# Only what enrolment shows or decides with: no e-mail, manager or job title.
PEOPLE_FIELDS = ("display_name", "locale", "time_zone", "department")


@dataclass
class Enrolment:
    runtime: ServiceRuntime
    courses: MongoCourseRepository
    people: DirectoryCopy
    erasures: MongoErasures


def bootstrap(settings: EnrolmentSettings | None = None) -> Enrolment:
    settings = settings or EnrolmentSettings()
    configure_logging("enrolment", settings.log_level)
    runtime = ServiceRuntime(
        settings,
        name="enrolment",
        publishes=[contracts.CourseCreatedV1, contracts.ApplicationEnrolledV1, contracts.ApplicationWaitlistedV1],
        outbox_collections=["courses_commits"],
    )
    store = VersionedStore(runtime.database, "courses", on_commit=runtime.relay.notify)
    runtime.on_start(store.ensure_indexes)
    service = Enrolment(
        runtime=runtime,
        courses=MongoCourseRepository(store),
        people=DirectoryCopy(runtime.database, fields=PEOPLE_FIELDS),
        erasures=MongoErasures(runtime.database),
    )
    consumers.register(
        runtime.consumer,
        people=service.people,
        courses=service.courses,
        erasures=service.erasures,
        audit=runtime.audit,
    )
    return service
