"""Points rules as data: which event earns whom how many points.

The full rule engine (conditions, caps, cooldowns, versions edited by admins) comes with the
gamification issue; this table is its seed. A rule credits one person named by a field of the event.
"""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    id: str
    event_type: str
    points: int
    credits: str = "person_id"  # the event field naming the person credited
    when: tuple[tuple[str, Any], ...] = ()  # every (field, value) must match

    def applies_to(self, event_type: str, data: dict[str, Any]) -> bool:
        return event_type == self.event_type and all(data.get(name) == value for name, value in self.when)


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("enrolment.enrolled", "com.owlery.enrolment.application.enrolled.v1", points=10),
    Rule(
        "mentoring.mentor_registered",
        "com.owlery.mentoring.participant.registered.v1",
        points=15,
        when=(("role", "mentor"),),
    ),
    Rule(
        "mentoring.mentee_registered",
        "com.owlery.mentoring.participant.registered.v1",
        points=5,
        when=(("role", "mentee"),),
    ),
)
