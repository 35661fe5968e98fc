"""Programmes in MongoDB: a versioned store whose commits are also the outbox."""

from mentoring.domain.events import DomainEvent, ParticipantRegistered, ProgrammeCreated
from mentoring.domain.model import Programme
from shared.contracts import mentoring as contracts
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.versioned import VersionedStore

SOURCE = "/owlery/mentoring"


def to_integration_event(event: DomainEvent) -> IntegrationEvent:
    match event:
        case ProgrammeCreated():
            return contracts.ProgrammeCreatedV1(programme_id=event.programme_id, title=event.title, kind=event.kind)
        case ParticipantRegistered():
            return contracts.ParticipantRegisteredV1(
                programme_id=event.programme_id,
                programme_title=event.programme_title,
                person_id=event.person_id,
                role=event.role,
                locale=event.locale,
            )


class MongoProgrammeRepository:
    def __init__(self, store: VersionedStore) -> None:
        self.store = store

    async def get(self, programme_id: str) -> tuple[Programme, int] | None:
        loaded = await self.store.load(programme_id)
        if loaded is None:
            return None
        return Programme.from_state(programme_id, loaded.state), loaded.version

    async def save(self, programme: Programme, expected_version: int) -> None:
        correlation_id = current_correlation_id()
        outbox = [
            OutboxEvent.of(to_integration_event(event), source=SOURCE, correlation_id=correlation_id)
            for event in programme.events
        ]
        await self.store.commit(programme.id, expected_version, programme.to_state(), outbox)
        programme.events.clear()
