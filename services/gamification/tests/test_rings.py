"""Reciprocal rings: who is flagged, and how their points are held, parked, released or withdrawn for good."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from gamification.domain.engine import HELPFUL_COMMENT_CREDIT, HELPFUL_CREDITS_REVOKED
from gamification.domain.ledger import Deed, LedgerEntry
from gamification.domain.rings import Decision, Evidence, Mark, Ring, pair_of, reciprocal_pairs
from gamification.service import handlers, rings
from gamification.tests.fakes import (
    InMemoryAudit,
    InMemoryDeeds,
    InMemoryLedger,
    InMemoryPeople,
    InMemoryRings,
    InMemoryRules,
)
from shared.errors import Conflict, Forbidden, NotFound

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
POINTS = 5  # the starting "helpful-comment" rule
_ids = itertools.count()


def on(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def marked(marker: str, author: str, at: datetime, circle: str = "circle-a", comment: str | None = None) -> Deed:
    number = next(_ids)
    data = {
        "circle_id": circle,
        "task_id": "task-1",
        "comment_id": comment or f"comment-{author}-{number}",
        "author_id": author,
        "marked_by": marker,
    }
    return Deed(f"mark-{number}", HELPFUL_COMMENT_CREDIT, data, at, restricted=True)


def marks(*deeds: Deed) -> list[Mark]:
    return [mark for deed in deeds if (mark := Mark.of(deed)) is not None]


def background(circle: str = "circle-a", times: int = 1) -> list[Deed]:
    """A circle's ordinary life: people who each find a few of each other's comments helpful, once or so."""
    pairs = [("carl", "dina"), ("dina", "emil"), ("emil", "carl"), ("carl", "emil"), ("fay", "dina")]
    return [marked(m, a, on(2 + n), circle) for m, a in pairs for n in range(times)]


def between(first: str, second: str, each_way: int, start_day: int = 5, circle: str = "circle-a") -> list[Deed]:
    return [
        deed
        for n in range(each_way)
        for deed in (
            marked(first, second, on(start_day + n), circle),
            marked(second, first, on(start_day + n, hour=11), circle),
        )
    ]


# ------------------------------------------------------------------------------------------ finding


def test_a_pair_marking_each_other_three_times_each_in_a_quiet_circle_is_a_ring() -> None:
    found = reciprocal_pairs(marks(*background(), *between("bob", "ann", 3)), NOW)

    assert found == [Evidence("circle-a", ("ann", "bob"), (3, 3), 1.0, NOW - timedelta(days=30))]


def test_one_sided_or_too_few_marks_are_no_ring() -> None:
    lopsided = [*between("ann", "bob", 2), *(marked("ann", "bob", on(20 - n, hour=8)) for n in range(5))]

    assert reciprocal_pairs(marks(*background(), *lopsided), NOW) == []


def test_marks_older_than_thirty_days_do_not_count() -> None:
    deeds = [*background(), *between("ann", "bob", 2), *between("ann", "bob", 1, start_day=10)]
    old = [marked("ann", "bob", NOW - timedelta(days=31)), marked("bob", "ann", NOW - timedelta(days=31))]

    assert reciprocal_pairs(marks(*deeds[:-2], *old), NOW) == []
    assert [e.members for e in reciprocal_pairs(marks(*deeds), NOW)] == [("ann", "bob")]


def test_where_everyone_marks_a_lot_a_pair_must_be_far_above_that_norm() -> None:
    busy = background(times=4)  # every marking pair marks four times: the norm is 4

    assert reciprocal_pairs(marks(*busy, *between("ann", "bob", 4)), NOW) == []  # 8 < 3 x 4
    found = reciprocal_pairs(marks(*busy, *between("ann", "bob", 6)), NOW)
    assert [(e.members, e.marks_each_way, e.circle_median) for e in found] == [(("ann", "bob"), (6, 6), 4.0)]


def test_marks_of_ones_own_comments_and_marks_in_another_circle_are_apart() -> None:
    spread = [*between("ann", "bob", 2), *between("ann", "bob", 1, start_day=9, circle="circle-b")]
    own = [marked("ann", "ann", on(12)) for _ in range(5)]

    assert reciprocal_pairs(marks(*background(), *spread, *own), NOW) == []


def test_after_a_decision_only_the_pairs_later_marks_count() -> None:
    deeds = [*background(), *between("ann", "bob", 3, start_day=1)]
    decided = {("circle-a", pair_of("bob", "ann")): on(4)}

    assert reciprocal_pairs(marks(*deeds), NOW, decided) == []
    later = reciprocal_pairs(marks(*deeds, *between("ann", "bob", 3, start_day=10)), NOW, decided)
    assert [(e.marks_each_way, e.since) for e in later] == [((3, 3), on(4))]


def test_a_ring_is_decided_once_and_never_by_one_of_its_members() -> None:
    (evidence,) = reciprocal_pairs(marks(*background(), *between("ann", "bob", 3)), NOW)
    ring = Ring.flag(evidence, episode=1, now=NOW)

    with pytest.raises(Forbidden):
        ring.decide("reversed", "ann", NOW)
    reversed_ring = ring.decide("reversed", "mod", NOW, "they agreed to mark each other")
    assert (reversed_ring.status, reversed_ring.decided_by, reversed_ring.settled) == ("reversed", "mod", True)
    with pytest.raises(Conflict):
        reversed_ring.decide("confirmed", "mod", NOW)
    assert Ring.from_state(reversed_ring.to_state()) == reversed_ring


# ------------------------------------------------------------------------------ holding (use cases)


class World:
    """The service's ports on fakes; `credit` prices a deed as the consumer does, through the parking gate."""

    def __init__(self) -> None:
        self.deeds = InMemoryDeeds()
        self.ledger = InMemoryLedger()
        self.rules = InMemoryRules()
        self.people = InMemoryPeople()
        self.rings = InMemoryRings()
        self.audit = InMemoryAudit()
        world = self

        class ParkingLedger(InMemoryLedger):
            async def append(self, entry: LedgerEntry) -> bool:
                if await rings.park_if_ring_credit(entry, world.rings, world.deeds):
                    return False
                return await super().append(entry)

        self.parking = ParkingLedger()
        self.parking.recorded = self.ledger.recorded  # one ledger, two doors

    async def credit(self, *deeds: Deed) -> list[LedgerEntry]:
        awarded = []
        for deed in deeds:
            await self.deeds.record(deed)
            awarded += await handlers.credit_deed(deed, self.parking, self.people, self.rules)
        return awarded

    async def look(self, now: datetime = NOW) -> list[Ring]:
        return await rings.look_for_rings(now, self.deeds, self.ledger, self.rules, self.rings)

    async def decide(self, ring: Ring, decision: Decision, moderator: str = "mod") -> Ring:
        return await rings.decide(
            ring.ring_id, decision, moderator, "checked", NOW, self.rings, self.ledger, self.deeds, self.audit
        )

    async def balances(self) -> dict[str, int]:
        return {person: await self.ledger.balance(person) for person in ("ann", "bob", "carl", "dina")}


async def a_flagged_ring(world: World) -> Ring:
    """Ann and Bob marked three comments of each other; Carl marked one of Ann's too."""
    await world.credit(*background(), *between("ann", "bob", 3), marked("carl", "ann", on(9), comment="ann-by-carl"))
    assert await world.balances() == {"ann": 4 * POINTS, "bob": 3 * POINTS, "carl": POINTS, "dina": 2 * POINTS}
    (ring,) = await world.look()
    return ring


async def test_flagging_a_ring_holds_the_points_its_members_got_from_each_other_and_only_those() -> None:
    world = World()

    ring = await a_flagged_ring(world)
    entries = len(world.ledger.recorded)
    again = await world.look(NOW + timedelta(minutes=10))

    assert ring.members == ("ann", "bob")
    assert await world.balances() == {"ann": POINTS, "bob": 0, "carl": POINTS, "dina": 2 * POINTS}
    holds = [entry for entry in world.ledger.recorded if entry.rule == "ring-hold"]
    assert len(holds) == 6 and all(entry.reverses is not None and entry.restricted for entry in holds)
    assert again == [] and len(world.ledger.recorded) == entries  # held once, flagged once
    assert [type(event).__name__ for event in world.rings.events] == ["ReciprocalRingFlaggedV1"]


async def test_while_flagged_credits_between_members_are_parked_and_others_are_credited() -> None:
    world = World()
    await a_flagged_ring(world)

    parked = await world.credit(marked("bob", "ann", on(16)))
    credited = await world.credit(marked("dina", "ann", on(16)))

    assert parked == [] and len(world.rings.parked) == 1
    assert [entry.person_id for entry in credited] == ["ann"]
    assert await world.balances() == {"ann": 2 * POINTS, "bob": 0, "carl": POINTS, "dina": 2 * POINTS}


async def test_confirming_credits_the_held_and_parked_points_again() -> None:
    world = World()
    ring = await a_flagged_ring(world)
    await world.credit(marked("bob", "ann", on(16)))

    confirmed = await world.decide(ring, "confirmed")
    rerun = await world.look(NOW + timedelta(hours=1))

    assert (confirmed.status, confirmed.settled) == ("confirmed", True)
    assert await world.balances() == {"ann": 5 * POINTS, "bob": 3 * POINTS, "carl": POINTS, "dina": 2 * POINTS}
    assert rerun == []  # the same marks do not flag the pair again
    assert [(action, subject) for action, _, subject, _ in world.audit.recorded] == [
        ("ring.confirmed", "ann"),
        ("ring.confirmed", "bob"),
    ]
    assert [type(event).__name__ for event in world.rings.events][-1] == "ReciprocalRingDecidedV1"
    with pytest.raises(Conflict):
        await world.decide(ring, "reversed")


async def test_reversing_leaves_the_points_withdrawn_even_when_a_parked_credit_is_delivered_again() -> None:
    world = World()
    ring = await a_flagged_ring(world)
    late = marked("bob", "ann", on(16))
    await world.credit(late)

    await world.decide(ring, "reversed")
    redelivered = await handlers.credit_deed(late, world.parking, world.people, world.rules)
    await world.look(NOW + timedelta(hours=1))

    assert redelivered == []
    assert await world.balances() == {"ann": POINTS, "bob": 0, "carl": POINTS, "dina": 2 * POINTS}


async def test_a_comment_hidden_by_the_time_of_the_confirmation_stays_withdrawn() -> None:
    world = World()
    ring = await a_flagged_ring(world)
    held = next(deed for deed in world.deeds.kept.values() if deed.data.get("marked_by") == "bob")
    hidden = {key: held.data[key] for key in ("circle_id", "task_id", "comment_id", "author_id")}
    await world.credit(Deed("hide-1", HELPFUL_CREDITS_REVOKED, {**hidden, "marks": 1}, on(18), restricted=True))

    await world.decide(ring, "confirmed")

    assert await world.balances() == {"ann": 3 * POINTS, "bob": 3 * POINTS, "carl": POINTS, "dina": 2 * POINTS}


async def test_a_member_cannot_decide_their_own_ring_and_an_unknown_ring_is_not_found() -> None:
    world = World()
    ring = await a_flagged_ring(world)

    with pytest.raises(Forbidden):
        await world.decide(ring, "confirmed", moderator="bob")
    with pytest.raises(NotFound):
        await rings.decide(
            "no-such-ring", "confirmed", "mod", None, NOW, world.rings, world.ledger, world.deeds, world.audit
        )
    assert (await world.rings.load(ring.ring_id) or (None, 0))[0] == ring


async def test_a_second_ring_of_the_same_pair_holds_only_the_marks_after_the_first_decision() -> None:
    world = World()
    first = await a_flagged_ring(world)
    await world.decide(first, "confirmed")
    await world.credit(*between("ann", "bob", 3, start_day=21))

    (second,) = await world.look(datetime(2026, 11, 25, tzinfo=UTC))

    assert (second.episode, second.since, second.ring_id != first.ring_id) == (2, NOW, True)
    # Only the three new credits each way are held; the first ring's released ones stand.
    assert await world.balances() == {"ann": 4 * POINTS, "bob": 3 * POINTS, "carl": POINTS, "dina": 2 * POINTS}
