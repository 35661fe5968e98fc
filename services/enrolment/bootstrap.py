"""The one place where the enrolment service is wired together."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from enrolment.adapters import cohort_runs, conferences, master_classes, trainers
from enrolment.adapters.cohort_runs import MongoCohortRuns
from enrolment.adapters.conferences import MongoConferences
from enrolment.adapters.master_classes import MongoMasterClasses
from enrolment.adapters.reports import MongoReportSource
from enrolment.adapters.repository import MongoCourseRepository
from enrolment.adapters.trainers import MongoTrainerProfiles
from enrolment.config import EnrolmentSettings
from enrolment.entrypoints import consumers
from enrolment.entrypoints.trainer_consumers import register_trainer_projection
from enrolment.service import handlers
from shared.contracts import enrolment as contracts
from shared.contracts.base import all_contracts
from shared.observability import configure_logging
from shared.persistence.erasures import MongoErasures
from shared.persistence.people import DirectoryCopy
from shared.persistence.versioned import VersionedStore
from shared.runtime import ServiceRuntime

# Only what enrolment shows or decides with (streams balance departments and time zones; managers approve).
PEOPLE_FIELDS = ("display_name", "locale", "time_zone", "department", "manager_id")


@dataclass
class Enrolment:
    runtime: ServiceRuntime
    courses: MongoCourseRepository
    people: DirectoryCopy
    erasures: MongoErasures
    trainers: MongoTrainerProfiles
    runs: MongoCohortRuns
    clock: Callable[[], datetime]
    """Now, as the service sees it (dev mode may run ahead, see settings.clock_shift_hours)."""
    master_classes: MongoMasterClasses
    conferences: MongoConferences
    reports: MongoReportSource
    """Read-only: the heads of courses and cohort runs, for outcome reports."""
    master_class_approval: bool = False
    """A curator approves each master class before it is published (settings.master_class_approval)."""


def bootstrap(settings: EnrolmentSettings | None = None) -> Enrolment:
    settings = settings or EnrolmentSettings()
    configure_logging("enrolment", settings.log_level)
    runtime = ServiceRuntime(
        settings,
        name="enrolment",
        publishes=[contract for contract in all_contracts() if contract.topic == contracts.TOPIC],
        outbox_collections=[
            "courses_commits",
            "trainer_debuts",
            cohort_runs.OUTBOX_COLLECTION,
            master_classes.OUTBOX_COLLECTION,
            conferences.OUTBOX_COLLECTION,
        ],
    )
    shift = timedelta(hours=settings.clock_shift_hours)
    store = VersionedStore(runtime.database, "courses", on_commit=runtime.relay.notify)
    runtime.on_start(store.ensure_indexes)
    people = DirectoryCopy(runtime.database, fields=PEOPLE_FIELDS)
    service = Enrolment(
        runtime=runtime,
        courses=MongoCourseRepository(store, runtime.database),
        people=people,
        erasures=MongoErasures(runtime.database),
        trainers=trainers.build(runtime, directory=people),  # stores nothing under an erased person's id
        runs=cohort_runs.build(runtime),
        clock=lambda: datetime.now(UTC) + shift,
        master_classes=master_classes.build(runtime),
        conferences=conferences.build(runtime),
        reports=MongoReportSource(runtime.database),
        master_class_approval=settings.master_class_approval,
    )
    runtime.on_start(service.courses.ensure_indexes)
    runtime.every(
        settings.offer_expiry_seconds, lambda: handlers.expire_offers(service.clock(), service.courses), "expire-offers"
    )
    consumers.register(
        runtime.consumer,
        people=service.people,
        courses=service.courses,
        erasures=service.erasures,
        runs=service.runs,
        trainers=service.trainers,
        master_classes=service.master_classes,
        conferences=service.conferences,
        audit=runtime.audit,
    )
    register_trainer_projection(runtime.consumer, service.trainers)
    return service
