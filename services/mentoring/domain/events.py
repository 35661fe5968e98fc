"""What happened to a programme, in the domain's own words (mapped to integration events by the adapter)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ProgrammeCreated:
    programme_id: str
    title: str
    kind: str


@dataclass(frozen=True)
class ParticipantRegistered:
    programme_id: str
    programme_title: str
    person_id: str
    role: str
    locale: str


DomainEvent = ProgrammeCreated | ParticipantRegistered
