"""Events the gamification service publishes."""

from typing import ClassVar

from pydantic import Field

from shared.contracts.base import IntegrationEvent

TOPIC = "owlery.gamification.events"


class PointsAwardedV1(IntegrationEvent):
    """Points were credited to a person's ledger for one deed."""

    ce_type: ClassVar[str] = "com.owlery.gamification.points.awarded.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "person_id"

    entry_id: str = Field(description="Ledger entry id; derived from the causing event, so unique per deed")
    person_id: str
    points: int = Field(description="Points credited (negative for a correction)")
    rule: str = Field(description="Id of the rule that awarded them")
    cause_event_id: str = Field(description="CloudEvents id of the event that earned the points")
    cause_event_type: str
