"""Every event the gamification service subscribes to, in one place: deeds to price, and the directory.

Rules are data an admin may point at any event of the catalogue, so every other service's public
events are subscribed to, and the restricted ones that credit anonymous authors; an event no rule
prices costs one read of the cached rule set.
"""

from datetime import UTC, datetime

from gamification.domain.ledger import Deed
from gamification.service import handlers
from gamification.service.ports import Deeds, Ledger, Rules
from shared.audit import AuditLog
from shared.contracts import directory, gamification
from shared.contracts.base import IntegrationEvent, all_contracts
from shared.messaging.cloudevents import Envelope
from shared.messaging.consumer import ReliableConsumer
from shared.persistence.people import DirectoryCopy, follow_directory


def priceable() -> list[type[IntegrationEvent]]:
    """Every contract a rule may price: all but the directory's (people, not deeds) and our own."""
    return [
        contract
        for contract in all_contracts()
        if contract.topic not in (directory.TOPIC, gamification.TOPIC, gamification.RESTRICTED_TOPIC)
    ]


def deed_of(event: IntegrationEvent, envelope: Envelope) -> Deed:
    # The deed's time is when it happened (the event's), so caps and a replay price it the same way.
    at = datetime.fromisoformat(envelope.time.replace("Z", "+00:00")) if envelope.time else datetime.now(UTC)
    return Deed(
        envelope.id,
        envelope.type,
        event.model_dump(mode="json"),
        at if at.tzinfo is not None else at.replace(tzinfo=UTC),
        restricted=event.topic.endswith(".restricted"),
    )


def register(
    consumer: ReliableConsumer,
    ledger: Ledger,
    people: DirectoryCopy,
    rules: Rules,
    deeds: Deeds,
    audit: AuditLog | None = None,
) -> None:
    async def credit(event: IntegrationEvent, envelope: Envelope) -> None:
        deed = deed_of(event, envelope)
        await deeds.record(deed)  # first: a replay of the rules must see every deed, priced or not
        await handlers.credit_deed(deed, ledger, people, rules)

    async def erase(person_id: str) -> None:
        await handlers.erase_person(person_id, ledger, people)

    for contract in priceable():
        consumer.on(contract, credit)
    follow_directory(consumer, people, erase, audit)
