"""Events the gamification service publishes."""

from datetime import date
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
    circle_id: str | None = Field(None, description="The peer-learning circle the deed happened in, if any")


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
    circle_id: str | None = None


class RuleSetChangedV1(IntegrationEvent):
    """An admin created, edited or deactivated a points rule; the rule set has a new version."""

    ce_type: ClassVar[str] = "com.owlery.gamification.rules.changed.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "rule_id"

    ruleset_version: int
    rule_id: str
    rule_version: int
    change: Literal["created", "edited", "deactivated"]


class BadgeAwardedV1(IntegrationEvent):
    """A person earned a badge (the owl badge for a new internal trainer, "first solution", a course...)."""

    ce_type: ClassVar[str] = "com.owlery.gamification.badge.awarded.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "person_id"

    award_id: str = Field(description="Derived from (badge, scope, person): a badge is never awarded twice")
    person_id: str
    badge_id: str = Field(examples=["owl", "first-solution", "course-completed"])
    scope_id: str | None = Field(None, description="What a per-item badge is for, e.g. the course id")
    name_ru: str
    name_en: str


class RestrictedBadgeAwardedV1(IntegrationEvent):
    """RESTRICTED: a badge earned by anonymous contributions (e.g. ten helpful comments); for the person only."""

    ce_type: ClassVar[str] = "com.owlery.gamification.badge.awarded_restricted.v1"
    topic: ClassVar[str] = RESTRICTED_TOPIC
    key_field: ClassVar[str] = "person_id"

    award_id: str
    person_id: str
    badge_id: str
    name_ru: str
    name_en: str


class ExpertOfTheMonthNamedV1(IntegrationEvent):
    """At month end the person with the most helpful-marked contributions in a circle or department got the title."""

    ce_type: ClassVar[str] = "com.owlery.gamification.expert_of_the_month.named.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "scope_id"

    title_id: str = Field(description="Derived from (month, scope): one decision per scope and month")
    person_id: str
    scope: Literal["circle", "department"]
    scope_id: str
    counted_month: str = Field(description="The month whose helpful marks were counted, YYYY-MM", examples=["2026-11"])
    title_month: str = Field(description="The month the title is held, YYYY-MM", examples=["2026-12"])
    helpful_marks: int = Field(ge=1)


class RecalculationAppliedV1(IntegrationEvent):
    """An admin applied a recalculation: compensating ledger entries bring balances to a replay under the rules."""

    ce_type: ClassVar[str] = "com.owlery.gamification.recalculation.applied.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "recalculation_id"

    recalculation_id: str
    ruleset_version: int
    people_changed: int = Field(ge=0)
    points_difference: int = Field(description="Sum of the compensating entries")


class ReciprocalRingFlaggedV1(IntegrationEvent):
    """RESTRICTED: two people of a circle mark each other's comments helpful far above its norm; for moderators.

    Their points from these marks are held until a moderator confirms or reverses them. No comment id and
    no time of a mark: the day counting started is all that dates it.
    """

    ce_type: ClassVar[str] = "com.owlery.gamification.ring.flagged.v1"
    topic: ClassVar[str] = RESTRICTED_TOPIC
    key_field: ClassVar[str] = "circle_id"

    ring_id: str = Field(description="Derived from (circle, pair, episode): a ring is flagged once")
    circle_id: str
    members: list[str] = Field(min_length=2, max_length=2)
    marks_each_way: list[int] = Field(
        min_length=2, max_length=2, description="Marks by members[0] on members[1]'s comments, and back"
    )
    circle_median: float = Field(description="The circle's median marks per marking pair in the window")
    counted_from: date = Field(description="The first day whose marks counted")


class ReciprocalRingDecidedV1(IntegrationEvent):
    """RESTRICTED: a moderator decided a flagged ring: held points re-credited (confirmed) or withdrawn (reversed)."""

    ce_type: ClassVar[str] = "com.owlery.gamification.ring.decided.v1"
    topic: ClassVar[str] = RESTRICTED_TOPIC
    key_field: ClassVar[str] = "circle_id"

    ring_id: str
    circle_id: str
    members: list[str] = Field(min_length=2, max_length=2)
    decision: Literal["confirmed", "reversed"]
    moderator_id: str
