"""A standing folds ledger entries: totals, recent periods, circles, rules, and held-back restricted points."""

import random
from datetime import UTC, date, datetime, timedelta, timezone

from gamification.domain.engine import starting_rule_set
from gamification.domain.standing import (
    ALL,
    EVERYWHERE,
    Credit,
    LogPosition,
    Standing,
    fold,
    knows,
    month_of,
    week_of,
)

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # ISO week 2026-W48
TOPIC = "owlery.gamification.events"


def credit(n: int, points: int, at: datetime, **changes: object) -> Credit:
    values: dict[str, object] = {
        "entry_id": f"e{n}",
        "person_id": "ann",
        "points": points,
        "rule": "enrolment.enrolled",
        "rule_version": 1,
        "at": at,
        **changes,
    }
    return Credit(**values)  # type: ignore[arg-type]


def test_entries_add_up_by_period_circle_and_rule() -> None:
    standing = Standing("ann")
    standing.apply(credit(1, 10, MONDAY))
    standing.apply(credit(2, 5, MONDAY + timedelta(days=1), circle_id="go-circle", rule="helpful-comment"))
    standing.apply(credit(3, -5, MONDAY + timedelta(days=2), circle_id="go-circle", rule="helpful-comment-revoked"))

    assert standing.total == 10
    assert standing.points[(EVERYWHERE, "2026-W48")] == 10
    assert standing.points[(EVERYWHERE, "2026-11")] == 10
    assert standing.points[("go-circle", ALL)] == 0
    assert standing.circles == {"go-circle"}
    assert {rule: (t.count, t.points) for rule, t in standing.rules.items()} == {
        "enrolment.enrolled": (1, 10),
        "helpful-comment": (1, 5),
        "helpful-comment-revoked": (1, -5),
    }


def test_weeks_and_months_follow_iso_weeks_and_calendar_months() -> None:
    assert week_of(datetime(2027, 1, 1, tzinfo=UTC)) == "2026-W53"  # a Friday of 2026's last ISO week
    assert week_of(datetime(2026, 3, 2, tzinfo=UTC)) == "2026-W10"
    assert month_of(datetime(2027, 1, 1, tzinfo=UTC)) == "2027-01"


def test_only_the_current_and_previous_week_and_month_are_kept() -> None:
    standing = Standing("ann")
    standing.apply(credit(1, 7, datetime(2026, 9, 30, tzinfo=UTC)))
    standing.apply(credit(2, 2, datetime(2026, 10, 5, tzinfo=UTC)))
    standing.apply(credit(3, 3, MONDAY))
    standing.apply(credit(4, 1, MONDAY + timedelta(days=7)))  # 2026-W49, still November

    kept = {period: points for (circle, period), points in standing.points.items() if circle is None}
    assert kept == {ALL: 13, "2026-W48": 3, "2026-W49": 1, "2026-11": 4, "2026-10": 2}  # September is gone


def test_folding_in_any_order_gives_the_same_standing() -> None:
    moments = [MONDAY - timedelta(days=40) + timedelta(hours=13 * n) for n in range(120)]
    credits = [
        credit(n, n % 7 - 2, at, circle_id=("c1" if n % 3 else None), restricted=n % 5 == 0)
        for n, at in enumerate(moments)
    ]
    in_order = fold(credits)["ann"]
    shuffled = list(credits)
    random.Random(8).shuffle(shuffled)

    assert fold(shuffled)["ann"] == in_order
    assert in_order.total == sum(c.points for c in credits)


def test_a_record_is_applied_once_per_partition_offset() -> None:
    standing = Standing("ann")
    standing.apply(credit(1, 10, MONDAY), LogPosition(TOPIC, 2, 41))

    assert standing.applied(LogPosition(TOPIC, 2, 41))
    assert standing.applied(LogPosition(TOPIC, 2, 7))
    assert not standing.applied(LogPosition(TOPIC, 2, 42))
    assert not standing.applied(LogPosition(TOPIC, 0, 3))
    assert not standing.applied(LogPosition("owlery.gamification.restricted", 2, 41))


def test_a_rebuild_covers_every_record_before_the_ends() -> None:
    standing = Standing("ann")
    standing.apply(credit(1, 10, MONDAY), LogPosition(TOPIC, 1, 90))
    standing.covered_through({(TOPIC, 1): 50, (TOPIC, 0): 12})

    assert standing.positions == {(TOPIC, 1): 90, (TOPIC, 0): 11}
    assert standing.applied(LogPosition(TOPIC, 0, 11))
    assert not standing.applied(LogPosition(TOPIC, 0, 12))


def test_restricted_points_count_in_the_balance_at_once_and_on_boards_from_the_next_utc_day() -> None:
    standing = Standing("boris")
    standing.apply(credit(1, 10, MONDAY))
    late_evening = MONDAY.replace(hour=23, minute=59)
    standing.apply(credit(2, 5, late_evening, circle_id="go-circle", restricted=True, rule="helpful-comment"))
    today, tomorrow = MONDAY.date(), MONDAY.date() + timedelta(days=1)

    assert standing.total == 15
    for period in (ALL, "2026-W48", "2026-11"):
        assert standing.on_boards(EVERYWHERE, period, today) == 10
        assert standing.on_boards("go-circle", period, today) == 0
        assert standing.on_boards(EVERYWHERE, period, tomorrow) == 15
        assert standing.on_boards("go-circle", period, tomorrow) == 5


def test_held_back_days_are_forgotten_once_a_later_entry_shows_they_are_over() -> None:
    standing = Standing("boris")
    standing.apply(credit(1, 5, MONDAY, restricted=True))
    standing.apply(credit(2, 1, MONDAY + timedelta(days=1)))

    assert standing.held == {}
    assert standing.on_boards(EVERYWHERE, ALL, MONDAY.date()) == 6


def test_an_erased_persons_standing_adds_to_the_stand_ins() -> None:
    ann = fold([credit(1, 10, MONDAY, circle_id="c1")])["ann"]
    ann.positions = {(TOPIC, 1): 5}
    stand_in = Standing("former-employee-1", positions={(TOPIC, 1): 2, (TOPIC, 0): 9})
    stand_in.apply(credit(2, 3, MONDAY - timedelta(days=60)))

    stand_in.absorb(ann)

    assert stand_in.total == 13
    assert stand_in.points[("c1", "2026-11")] == 10
    assert (EVERYWHERE, "2026-09") not in stand_in.points  # the newest entry decides which months stay
    assert stand_in.positions == {(TOPIC, 1): 5, (TOPIC, 0): 9}


def test_a_rule_version_the_rule_set_does_not_have_is_unknown() -> None:
    rules = starting_rule_set()
    assert knows(rules, "helpful-comment", 1)
    assert not knows(rules, "helpful-comment", 2)
    assert not knows(rules, "helpful-comment", 0)
    assert not knows(rules, "no-such-rule", 1)
    assert knows(rules, "recalculation", 7)
    assert knows(rules, "ring-hold", 1) and knows(rules, "ring-release", 1)


def test_the_day_of_a_restricted_entry_is_its_utc_day() -> None:
    standing = Standing("vera")
    moscow_night = datetime(2026, 11, 24, 1, 30, tzinfo=timezone(timedelta(hours=3)))  # 22:30 UTC the day before
    standing.apply(credit(1, 5, moscow_night, restricted=True))

    assert standing.held == {(date(2026, 11, 23), None): 5}
    assert standing.on_boards(EVERYWHERE, ALL, date(2026, 11, 24)) == 5
