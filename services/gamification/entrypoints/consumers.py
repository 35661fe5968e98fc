"""Every event the gamification service subscribes to, in one place: deeds to price, and the directory."""

from gamification.domain.ledger import Deed
from gamification.service import handlers
from gamification.service.ports import Ledger
from shared.audit import AuditLog
from shared.contracts import enrolment, mentoring
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import Envelope
from shared.messaging.consumer import ReliableConsumer
from shared.persistence.people import DirectoryCopy, follow_directory

DEEDS: tuple[type[IntegrationEvent], ...] = (
    enrolment.ApplicationEnrolledV1,
    mentoring.ParticipantRegisteredV1,
)


def register(consumer: ReliableConsumer, ledger: Ledger, people: DirectoryCopy, audit: AuditLog | None = None) -> None:
    async def credit(event: IntegrationEvent, envelope: Envelope) -> None:
        await handlers.credit_deed(Deed(envelope.id, envelope.type, event.model_dump(mode="json")), ledger, people)

    async def erase(person_id: str) -> None:
        await handlers.erase_person(person_id, ledger, people)

    for contract in DEEDS:
        consumer.on(contract, credit)
    follow_directory(consumer, people, erase, audit)
