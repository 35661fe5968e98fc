"""Which deeds earn points, and the ledger entries they price to."""

from datetime import UTC, datetime
from typing import Any

import pytest

from gamification.domain.ledger import Deed, LedgerEntry, entry_id, price
from gamification.domain.rules import DEFAULT_RULES, Rule

ENROLLED = "com.owlery.enrolment.application.enrolled.v1"
WAITLISTED = "com.owlery.enrolment.application.waitlisted.v1"
REGISTERED = "com.owlery.mentoring.participant.registered.v1"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def applying(event_type: str, data: dict[str, Any]) -> list[str]:
    return [rule.id for rule in DEFAULT_RULES if rule.applies_to(event_type, data)]


@pytest.mark.parametrize(
    ("event_type", "data", "expected"),
    [
        (ENROLLED, {"person_id": "p1"}, ["enrolment.enrolled"]),
        (WAITLISTED, {"person_id": "p1"}, []),
        (REGISTERED, {"person_id": "p1", "role": "mentor"}, ["mentoring.mentor_registered"]),
        (REGISTERED, {"person_id": "p1", "role": "mentee"}, ["mentoring.mentee_registered"]),
        (REGISTERED, {"person_id": "p1", "role": "observer"}, []),
        (REGISTERED, {"person_id": "p1"}, []),
        ("com.owlery.enrolment.course.created.v1", {"person_id": "p1"}, []),
        ("com.owlery.enrolment.application.enrolled.v2", {"person_id": "p1"}, []),
    ],
)
def test_rules_apply_by_event_type_and_role(event_type: str, data: dict[str, Any], expected: list[str]) -> None:
    assert applying(event_type, data) == expected


def test_default_rule_ids_are_unique() -> None:
    assert len({rule.id for rule in DEFAULT_RULES}) == len(DEFAULT_RULES)


@pytest.mark.parametrize(
    ("event_type", "role", "rule", "points"),
    [
        (ENROLLED, None, "enrolment.enrolled", 10),
        (REGISTERED, "mentor", "mentoring.mentor_registered", 15),
        (REGISTERED, "mentee", "mentoring.mentee_registered", 5),
    ],
)
def test_a_deed_prices_to_one_entry_for_the_credited_person(
    event_type: str, role: str | None, rule: str, points: int
) -> None:
    data: dict[str, Any] = {"person_id": "p1", "course_id": "c1"}
    if role:
        data["role"] = role
    deed = Deed("event-1", event_type, data)

    assert price(deed, DEFAULT_RULES, NOW) == [
        LedgerEntry(
            id=f"event-1:{rule}",
            person_id="p1",
            points=points,
            rule=rule,
            cause_event_id="event-1",
            cause_event_type=event_type,
            awarded_at=NOW,
        )
    ]


def test_pricing_the_same_deed_twice_gives_the_same_entry_ids() -> None:
    deed = Deed("event-1", ENROLLED, {"person_id": "p1"})

    first = price(deed, DEFAULT_RULES, NOW)
    again = price(Deed("event-1", ENROLLED, {"person_id": "p1"}), DEFAULT_RULES, datetime.now(UTC))

    assert [entry.id for entry in first] == [entry.id for entry in again] == ["event-1:enrolment.enrolled"]


def test_different_deeds_or_rules_give_different_entry_ids() -> None:
    rule_a, rule_b = Rule("a", ENROLLED, 1), Rule("b", ENROLLED, 2)
    deed_1, deed_2 = Deed("e1", ENROLLED, {}), Deed("e2", ENROLLED, {})

    ids = {entry_id(deed_1, rule_a), entry_id(deed_1, rule_b), entry_id(deed_2, rule_a), entry_id(deed_2, rule_b)}

    assert len(ids) == 4


def test_one_deed_may_earn_under_several_rules_each_with_its_own_entry() -> None:
    rules = (Rule("base", ENROLLED, 10), Rule("bonus", ENROLLED, 3, credits="referrer_id"))
    deed = Deed("e1", ENROLLED, {"person_id": "p1", "referrer_id": "p2"})

    entries = price(deed, rules, NOW)

    assert [(e.id, e.person_id, e.points) for e in entries] == [("e1:base", "p1", 10), ("e1:bonus", "p2", 3)]


@pytest.mark.parametrize("data", [{}, {"person_id": None}, {"person_id": ""}, {"other": "p1"}])
def test_no_entry_when_the_credited_field_is_missing(data: dict[str, Any]) -> None:
    assert price(Deed("e1", ENROLLED, data), DEFAULT_RULES, NOW) == []


def test_no_entry_when_no_rule_applies() -> None:
    assert price(Deed("e1", WAITLISTED, {"person_id": "p1"}), DEFAULT_RULES, NOW) == []
