"""The one place where the mentoring service is wired together."""

from dataclasses import dataclass

from mentoring.adapters.repository import MongoProgrammeRepository
from mentoring.config import MentoringSettings
from mentoring.entrypoints import consumers
from shared.contracts import mentoring as contracts
from shared.observability import configure_logging
from shared.persistence.versioned import VersionedStore
from shared.runtime import ServiceRuntime


@dataclass
class Mentoring:
    runtime: ServiceRuntime
    programmes: MongoProgrammeRepository


def bootstrap(settings: MentoringSettings | None = None) -> Mentoring:
    settings = settings or MentoringSettings()
    configure_logging("mentoring", settings.log_level)
    runtime = ServiceRuntime(
        settings,
        name="mentoring",
        publishes=[contracts.ProgrammeCreatedV1, contracts.ParticipantRegisteredV1],
        outbox_collections=["programmes_commits"],
    )
    store = VersionedStore(runtime.database, "programmes", on_commit=runtime.relay.notify)
    runtime.on_start(store.ensure_indexes)
    service = Mentoring(runtime=runtime, programmes=MongoProgrammeRepository(store))
    consumers.register(service.runtime.consumer)
    return service
