"""Every event the gamification service subscribes to, in one place: deeds to price, and the directory.

Rules are data an admin may point at any event of the catalogue, so every other service's public
events are subscribed to, and the restricted ones that credit anonymous authors; an event no rule
prices costs one read of the cached rule set.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from gamification.domain.ledger import Deed
from gamification.domain.standing import Credit, LogPosition, UnknownRule
from gamification.service import handlers
from gamification.service import standings as standings_service
from gamification.service.badges import award_for_deed
from gamification.service.ports import (
    Badges,
    Deeds,
    EntryOwners,
    Erasures,
    HoldsPeople,
    Ledger,
    People,
    Rules,
    Standings,
)
from shared.audit import AuditLog
from shared.contracts import directory, gamification
from shared.contracts.base import IntegrationEvent, all_contracts
from shared.messaging.cloudevents import Envelope
from shared.messaging.consumer import Delivery, Rejected, ReliableConsumer
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
    badges: Badges | None = None,
    erasures: Erasures | None = None,
    others: Sequence[HoldsPeople] = (),
) -> None:
    async def credit(deliveries: list[Delivery]) -> None:
        arrived = [(deed_of(d.event, d.envelope), d.envelope.correlation_id) for d in deliveries]
        # Each deed is kept first (a replay of the rules must see every deed, priced or not), then credited.
        await handlers.credit_deeds(arrived, ledger, deeds, people, rules)
        if badges is not None:
            for deed, _ in arrived:
                await award_for_deed(deed, badges, badges, people)  # no I/O for a deed no badge counts

    async def erase(person_id: str) -> None:
        await handlers.erase_person(person_id, ledger, people, deeds, erasures, others)

    # Unmarked: the deeds, entries (their events' ids derive from them) and badges are all keyed by the deed.
    consumer.on_batch(priceable(), credit, marked=False)
    follow_directory(consumer, people, erase, audit)


def credit_of(
    event: gamification.PointsAwardedV1 | gamification.RestrictedPointsAwardedV1, envelope: Envelope
) -> Credit:
    # The event's time is the entry's as the ledger stored it (a rebuild buckets periods by the same).
    at = datetime.fromisoformat(envelope.time.replace("Z", "+00:00")) if envelope.time else datetime.now(UTC)
    return Credit(
        entry_id=event.entry_id,
        person_id=event.person_id,
        points=event.points,
        rule=event.rule,
        rule_version=event.rule_version,
        at=at if at.tzinfo is not None else at.replace(tzinfo=UTC),
        circle_id=event.circle_id,
        restricted=isinstance(event, gamification.RestrictedPointsAwardedV1),
    )


def follow_points(
    consumer: ReliableConsumer, standings: Standings, rules: Rules, people: People, owners: EntryOwners
) -> None:
    """Project every ledger entry, public or restricted, into its person's standing, once, by record offset."""

    async def project(deliveries: list[Delivery]) -> None:
        credits = [
            (credit_of(d.event, d.envelope), LogPosition(d.position.topic, d.position.partition, d.position.offset))
            for d in deliveries
        ]
        try:
            await standings_service.project_many(credits, standings, rules, people, owners)
        except UnknownRule as unknown:
            raise Rejected(str(unknown)) from unknown  # no retry can make it known: dead-letter it now

    consumer.on_batch([gamification.PointsAwardedV1, gamification.RestrictedPointsAwardedV1], project)
