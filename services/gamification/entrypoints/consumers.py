"""Every event the gamification service subscribes to, in one place: each one is a deed to price."""

from gamification.domain.ledger import Deed
from gamification.service import handlers
from gamification.service.ports import Ledger
from shared.contracts import enrolment, mentoring
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import Envelope
from shared.messaging.consumer import ReliableConsumer

DEEDS: tuple[type[IntegrationEvent], ...] = (
    enrolment.ApplicationEnrolledV1,
    mentoring.ParticipantRegisteredV1,
)


def register(consumer: ReliableConsumer, ledger: Ledger) -> None:
    async def credit(event: IntegrationEvent, envelope: Envelope) -> None:
        await handlers.credit_deed(Deed(envelope.id, envelope.type, event.model_dump(mode="json")), ledger)

    for contract in DEEDS:
        consumer.on(contract, credit)
