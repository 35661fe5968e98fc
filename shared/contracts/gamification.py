"""Events the gamification service publishes."""

from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts.base import IntegrationEvent

TOPIC = "owlery.gamification.events"
RESTRICTED_TOPIC = "owlery.gamification.restricted"
"""Points for anonymous contributions: published apart, so their timing cannot tie a pseudonym to a person."""


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
    rule_version: int = Field(1, description="Version of the rule that awarded them")


class RestrictedPointsAwardedV1(IntegrationEvent):
    """RESTRICTED: points for an anonymous contribution (a helpful comment); for the person's own notices only."""

    ce_type: ClassVar[str] = "com.owlery.gamification.points.awarded_restricted.v1"
    topic: ClassVar[str] = RESTRICTED_TOPIC
    key_field: ClassVar[str] = "person_id"

    entry_id: str
    person_id: str
    points: int
    rule: str
    rule_version: int
    cause_event_id: str
    cause_event_type: str


class RuleSetChangedV1(IntegrationEvent):
    """An admin created, edited or deactivated a points rule; the rule set has a new version."""

    ce_type: ClassVar[str] = "com.owlery.gamification.rules.changed.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "rule_id"

    ruleset_version: int
    rule_id: str
    rule_version: int
    change: Literal["created", "edited", "deactivated"]
