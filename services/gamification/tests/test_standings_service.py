"""Projecting points records into standings, reading accounts and boards, and rebuilding, on fakes."""

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gamification.domain.ledger import LedgerEntry
from gamification.domain.standing import Credit, LogPosition, UnknownRule
from gamification.service import standings as cases
from gamification.service.ports import EntryOwners, Members, PublishedEntries, Standings
from gamification.tests.fakes import InMemoryLedger, InMemoryMembers, InMemoryPeople, InMemoryRules, InMemoryStandings

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TOPIC = "owlery.gamification.events"


def credit(n: int, person: str, points: int = 10, **changes: object) -> Credit:
    values: dict[str, object] = {
        "entry_id": f"e{n}",
        "person_id": person,
        "points": points,
        "rule": "enrolment.enrolled",
        "rule_version": 1,
        "at": NOW,
        **changes,
    }
    return Credit(**values)  # type: ignore[arg-type]


def at(offset: int, partition: int = 0, topic: str = TOPIC) -> LogPosition:
    return LogPosition(topic, partition, offset)


class World:
    def __init__(self) -> None:
        self.ledger = InMemoryLedger()
        self.standings = InMemoryStandings(self.ledger)
        self.people = InMemoryPeople()
        self.rules = InMemoryRules()
        self.members = InMemoryMembers(self.people)

    async def project(self, credit: Credit, position: LogPosition) -> bool:
        return await cases.project(credit, position, self.standings, self.rules, self.people, self.standings)

    async def total(self, person: str) -> int | None:
        found = await self.standings.get(person)
        return None if found is None else found.total


def test_the_fakes_implement_the_ports() -> None:
    world = World()
    standings: Standings = world.standings
    owners: EntryOwners = world.standings
    members: Members = world.members
    assert all(port is not None for port in (standings, owners, members))


async def test_a_record_is_projected_once_even_when_delivered_again() -> None:
    world = World()
    assert await world.project(credit(1, "ann"), at(0))
    assert await world.project(credit(2, "ann", 5), at(1))
    writes = world.standings.writes

    assert not await world.project(credit(1, "ann"), at(0))  # redelivered after a crash: same offset
    assert not await world.project(credit(2, "ann", 5), at(1))

    assert await world.total("ann") == 15
    assert world.standings.writes == writes  # nothing written for a redelivery


async def test_points_of_an_unknown_rule_or_rule_version_are_refused() -> None:
    world = World()
    with pytest.raises(UnknownRule):
        await world.project(credit(1, "ann", rule="no-such-rule"), at(0))
    with pytest.raises(UnknownRule):
        await world.project(credit(2, "ann", rule_version=2), at(1))
    assert await world.total("ann") is None
    assert await world.project(credit(3, "ann", 4, rule="recalculation", rule_version=3), at(2))
    assert await world.total("ann") == 4


async def test_a_record_for_someone_erased_meanwhile_goes_to_their_stand_in() -> None:
    world = World()
    world.people.upsert("ann", display_name="Ann", department="R&D")
    await world.project(credit(1, "ann"), at(0))
    # Ann is erased while her second entry's record is still on its way: the ledger entry already moved.
    world.ledger.recorded.append(LedgerEntry("e2", "former-employee-1", 5, "enrolment.enrolled", "c2", "t", NOW))
    await world.people.apply_erased("ann")
    assert await world.standings.reattribute("ann", "former-employee-1")

    assert await world.project(credit(2, "ann", 5), at(1))
    assert not await world.project(credit(1, "ann"), at(0))  # the old record, delivered again

    assert set(world.standings.saved) == {"former-employee-1"}
    assert await world.total("former-employee-1") == 15


async def test_the_account_shows_the_projected_balance_and_the_company_rank() -> None:
    world = World()
    for person in ("ann", "bob"):
        world.people.upsert(person, display_name=person.title(), department="R&D")
    await world.project(credit(1, "ann", 10), at(0))
    await world.project(credit(2, "bob", 30), at(1))
    boards = cases.LeaderboardCache(world.standings, world.members, lambda: NOW)

    before = await cases.account("ann", world.standings, world.ledger, boards)
    await boards.current()
    after = await cases.account("ann", world.standings, world.ledger, boards)

    assert (before.balance, before.rank) == (10, None)  # no board built yet in this process
    assert (after.balance, after.rank) == (10, 2)


async def test_opting_out_hides_a_person_from_others_but_not_from_themselves() -> None:
    world = World()
    for person in ("ann", "bob", "cat"):
        world.people.upsert(person, display_name=person.title(), department="R&D")
    for n, (person, points) in enumerate((("ann", 30), ("bob", 20), ("cat", 10))):
        await world.project(credit(n, person, points), at(n))
    boards = cases.LeaderboardCache(world.standings, world.members, lambda: NOW)

    await cases.set_visibility("bob", False, world.members)
    hidden = await boards.refresh()
    await cases.set_visibility("bob", True, world.members)
    shown = await boards.refresh()

    assert [r.person_id for r in hidden.top("all", "company", None, 10, 0).rows] == ["ann", "cat"]
    own = hidden.rank("bob", "all", "company", None, neighbours=1)
    assert (own.rank, own.shown, [r.person_id for r in own.above + own.below]) == (2, False, ["ann", "cat"])
    assert [r.person_id for r in shown.top("all", "company", None, 10, 0).rows] == ["ann", "bob", "cat"]


class Published:
    def __init__(self, credits: list[Credit]) -> None:
        self.credits = credits

    async def every(self) -> AsyncIterator[Credit]:
        for credit in self.credits:
            yield credit


async def test_a_rebuild_gives_the_live_standings_and_covers_the_records_before_the_ends() -> None:
    live, rebuilt = World(), World()
    credits = [
        credit(n, f"p{n % 4}", n % 9 - 1, at=NOW - timedelta(days=n), circle_id=f"c{n % 3}", restricted=n % 4 == 0)
        for n in range(60)
    ]
    for offset, one in enumerate(credits):
        await live.project(one, at(offset, partition=int(one.person_id[1]) % 3))
    ends: Mapping[tuple[str, int], int] = {(TOPIC, 0): 30, (TOPIC, 1): 20, (TOPIC, 2): 10}
    steps: list[str] = []

    async def log_ends() -> Mapping[tuple[str, int], int]:
        steps.append("ends")
        return ends

    async def publish_pending() -> int:
        steps.append("publish")
        return 0

    entries: PublishedEntries = Published(list(reversed(credits)))
    report = await cases.rebuild(entries, rebuilt.standings, log_ends, publish_pending)

    assert (report.entries, report.people, steps) == (60, 4, ["publish", "ends"])
    for person, standing in live.standings.saved.items():
        mine = rebuilt.standings.saved[person]
        assert replace(mine, positions={}) == replace(standing, positions={})
        assert mine.positions == {key: end - 1 for key, end in ends.items()}
    # A record published before the ends is not applied again; one after them is.
    assert not await rebuilt.project(credit(1000, "p1", 7), at(19, partition=1))
    assert await rebuilt.project(credit(1001, "p1", 7), at(20, partition=1))


async def test_no_rebuild_while_entries_are_left_unpublished() -> None:
    world = World()
    await world.project(credit(1, "ann"), at(0))
    before = dict(world.standings.saved)

    async def log_ends() -> Mapping[tuple[str, int], int]:
        raise AssertionError("the ends are read only once nothing is pending")

    async def publish_pending() -> int:
        return 2

    with pytest.raises(cases.NotRebuilt):
        await cases.rebuild(Published([credit(2, "bob")]), world.standings, log_ends, publish_pending)
    assert world.standings.saved == before
