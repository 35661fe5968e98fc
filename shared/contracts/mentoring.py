"""Events the mentoring service publishes."""

from typing import ClassVar, Literal

from shared.contracts.base import IntegrationEvent

TOPIC = "owlery.mentoring.events"

ProgrammeKind = Literal["classic", "reverse", "peer"]


class ProgrammeCreatedV1(IntegrationEvent):
    """A curator opened a mentoring programme."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.programme.created.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "programme_id"

    programme_id: str
    title: str
    kind: ProgrammeKind


class ParticipantRegisteredV1(IntegrationEvent):
    """An employee registered in a programme as a mentor or a mentee."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.participant.registered.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "programme_id"

    programme_id: str
    programme_title: str
    person_id: str
    role: Literal["mentor", "mentee"]
    locale: Literal["ru", "en"]
