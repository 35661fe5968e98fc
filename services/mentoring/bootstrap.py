"""The one place where the mentoring service is wired together."""

from dataclasses import dataclass

from mentoring.adapters.repository import MongoProgrammeRepository
from mentoring.config import MentoringSettings
from mentoring.entrypoints import consumers
from shared.contracts import mentoring as contracts
from shared.observability import configure_logging
from shared.persistence.erasures import MongoErasures
from shared.persistence.people import DirectoryCopy
from shared.persistence.versioned import VersionedStore
from shared.privacy.anonymity import Pseudonymizer
from shared.privacy.notes import NoteCipher
from shared.runtime import ServiceRuntime

# What pairing mentors with mentees needs (reporting line, role); no e-mail.
PEOPLE_FIELDS = ("display_name", "locale", "time_zone", "department", "manager_id", "job_title")


@dataclass
class Mentoring:
    runtime: ServiceRuntime
    programmes: MongoProgrammeRepository
    people: DirectoryCopy
    erasures: MongoErasures
    pseudonyms: Pseudonymizer
    """Anonymous authors' handles, stable within one discussion (peer-learning circles)."""
    notes: NoteCipher
    """Seals what a mentoring pair writes, so only the pair reads it."""


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
    service = Mentoring(
        runtime=runtime,
        programmes=MongoProgrammeRepository(store),
        people=DirectoryCopy(runtime.database, fields=PEOPLE_FIELDS),
        erasures=MongoErasures(runtime.database),
        # Built at start so a bad key fails the start, not the first note.
        pseudonyms=Pseudonymizer(settings.pseudonym_key.get_secret_value().encode()),
        notes=NoteCipher.from_settings(
            {key_id: key.get_secret_value() for key_id, key in settings.notes_keys.items()},
            settings.notes_current_key,
        ),
    )
    consumers.register(
        runtime.consumer,
        people=service.people,
        programmes=service.programmes,
        erasures=service.erasures,
        audit=runtime.audit,
    )
    return service
