"""The one place where the enrolment service is wired together."""

from dataclasses import dataclass

from enrolment.adapters.repository import MongoCourseRepository
from enrolment.config import EnrolmentSettings
from enrolment.entrypoints import consumers
from shared.contracts import enrolment as contracts
from shared.observability import configure_logging
from shared.persistence.versioned import VersionedStore
from shared.runtime import ServiceRuntime


@dataclass
class Enrolment:
    runtime: ServiceRuntime
    courses: MongoCourseRepository


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
    service = Enrolment(runtime=runtime, courses=MongoCourseRepository(store))
    consumers.register(service.runtime.consumer)
    return service
