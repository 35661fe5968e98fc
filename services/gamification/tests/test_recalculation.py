"""Recalculations on fakes: the differences a dry run shows, the entries an application writes, and what is refused."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gamification.domain import recalculation as domain
from gamification.domain.ledger import Deed
from gamification.domain.recalculation import Difference, Recalculation
from gamification.domain.replay import Totals, deed_order, replay, totals
from gamification.service import handlers
from gamification.service import recalculation as recalculations
from gamification.tests.fakes import (
    InMemoryDeeds,
    InMemoryErasures,
    InMemoryLedger,
    InMemoryPeople,
    InMemoryRecalculations,
    InMemoryRules,
)
from gamification.tests.test_replay import enrolled, helpful, hidden, meeting
from shared.contracts.gamification import RecalculationAppliedV1
from shared.errors import Conflict, NotFound

NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


class World:
    """The service's ports, in memory, with deeds arriving as the consumer takes them: stored, then priced."""

    def __init__(self) -> None:
        self.ledger = InMemoryLedger()
        self.people = InMemoryPeople()
        self.rules = InMemoryRules()
        self.deeds = InMemoryDeeds()
        self.store = InMemoryRecalculations()

    async def arrive(self, *deeds: Deed) -> None:
        for deed in deeds:
            stand_ins = await handlers.record_deed(deed, self.deeds, self.people, self.rules)
            await handlers.credit_deed(deed, self.ledger, self.people, self.rules, stand_ins)

    async def set_points(self, rule_id: str, points: int) -> int:
        ruleset, _ = await self.rules.current()
        changed = await handlers.edit_rule(self.rules, ruleset.version, replace(ruleset.rules[rule_id], points=points))
        return changed.version

    async def dry_run(self, now: datetime = NOW, withheld: frozenset[str] | set[str] = frozenset()) -> Recalculation:
        return await recalculations.dry_run(
            self.deeds, self.ledger, self.rules, self.store, self.people, now, withheld=withheld
        )

    async def apply(self, recalculation: Recalculation, expected: int | None = None) -> Recalculation:
        version = recalculation.ruleset_version if expected is None else expected
        return await recalculations.apply(
            recalculation.id, version, self.ledger, self.rules, self.store, self.people, NOW
        )

    async def from_scratch(self) -> dict[str, Totals]:
        ruleset, _ = await self.rules.current()
        every = sorted([deed async for deed in self.deeds.every()], key=deed_order)
        return {person: sums for person, sums in totals(replay(every, ruleset)).items() if sums != Totals()}

    async def balances(self) -> dict[str, Totals]:
        return {person: sums for person, sums in (await self.ledger.totals()).items() if sums != Totals()}


def week_of_deeds() -> list[Deed]:
    start = NOW - 10 * DAY
    return [
        enrolled("e1", "ann", start),
        enrolled("e2", "ann", start + DAY),
        enrolled("e3", "bob", start + DAY),
        helpful("h1", "cid", "ann", "k1", start + 2 * DAY),
        helpful("h2", "cid", "bob", "k1", start + 2 * DAY),
        helpful("h3", "ann", "bob", "k2", start + 3 * DAY),
    ]


# ------------------------------------------------------------------------------------------ domain


def test_a_comparison_lists_only_the_people_whose_totals_differ() -> None:
    current = {"ann": Totals(20, 5), "bob": Totals(10, 0), "cid": Totals(0, 10)}
    replayed = {"ann": Totals(40, 5), "bob": Totals(10, 0), "dee": Totals(3, 0)}

    found = Recalculation.compare("r1", 4, NOW, NOW - DAY, current, replayed)

    assert found.differences == (
        Difference("ann", Totals(20, 5), Totals(40, 5)),
        Difference("cid", Totals(0, 10), Totals(0, 0)),
        Difference("dee", Totals(0, 0), Totals(3, 0)),
    )
    assert (found.people_changed, found.points_difference, found.status) == (3, 20 - 10 + 3, "dry_run")


def test_compensations_split_public_and_restricted_with_ids_a_retry_repeats() -> None:
    current = {"ann": Totals(20, 5), "cid": Totals(0, 10)}
    replayed = {"ann": Totals(40, 0), "cid": Totals(0, 10), "dee": Totals(0, 3)}
    found = Recalculation.compare("r1", 4, NOW, NOW - DAY, current, replayed)

    entries = found.compensations()

    assert [(e.person_id, e.points, e.restricted) for e in entries] == [
        ("ann", 20, False),
        ("ann", -5, True),
        ("dee", 3, True),
    ]
    assert {(e.rule, e.rule_version, e.cause_event_id, e.cause_event_type) for e in entries} == {
        (domain.RULE_ID, 4, "r1", RecalculationAppliedV1.ce_type)
    }
    assert {e.awarded_at for e in entries} == {NOW - DAY}
    assert {e.subject for e in entries} == {None}
    assert len({e.id for e in entries}) == 3
    assert [e.id for e in found.compensations()] == [e.id for e in entries]  # derived, not drawn
    other = Recalculation.compare("r2", 4, NOW, NOW - DAY, current, replayed)
    assert not {e.id for e in other.compensations()} & {e.id for e in entries}


def test_applying_records_the_event_and_refuses_a_second_time() -> None:
    found = Recalculation.compare("r1", 4, NOW, NOW - DAY, {"ann": Totals(10, 0)}, {"ann": Totals(20, 0)})

    applied, entries = found.apply(4, 4, NOW)

    assert (applied.status, applied.applied_at, [e.points for e in entries]) == ("applied", NOW, [10])
    assert applied.events == [domain.RecalculationApplied("r1", 4, people_changed=1, points_difference=10)]
    with pytest.raises(Conflict, match="already applied"):
        applied.apply(4, 4, NOW)


def test_applying_under_other_rules_is_refused() -> None:
    found = Recalculation.compare("r1", 4, NOW, NOW - DAY, {"ann": Totals(10, 0)}, {"ann": Totals(20, 0)})

    with pytest.raises(Conflict, match="rules changed since this dry run"):
        found.apply(4, 5, NOW)
    with pytest.raises(Conflict, match="computed under rule set version 4, not 3"):
        found.apply(3, 4, NOW)


# ----------------------------------------------------------------------------------------- service


async def test_nothing_differs_while_the_rules_stay_as_they_were() -> None:
    world = World()
    await world.arrive(*week_of_deeds())

    found = await world.dry_run()

    assert (found.differences, found.people_changed, found.points_difference) == ((), 0, 0)
    assert await world.store.get(found.id) == found


async def test_a_rule_change_shows_each_persons_difference_and_applying_brings_balances_to_a_replay() -> None:
    world = World()
    await world.arrive(*week_of_deeds())
    version = await world.set_points("enrolment.enrolled", 20)
    await world.set_points("helpful-comment", 7)
    version += 1

    found = await world.dry_run()

    assert found.ruleset_version == version
    assert [(d.person_id, d.current, d.replayed) for d in found.differences] == [
        ("ann", Totals(20, 5), Totals(40, 7)),
        ("bob", Totals(10, 0), Totals(20, 0)),
        ("cid", Totals(0, 10), Totals(0, 14)),
    ]
    assert found.points_difference == 20 + 2 + 10 + 4
    assert await world.balances() != await world.from_scratch()

    applied = await world.apply(found)

    assert applied.status == "applied"
    assert await world.balances() == await world.from_scratch()
    assert world.store.events == applied.events
    compensations = [e for e in world.ledger.recorded if e.rule == domain.RULE_ID]
    assert sorted((e.person_id, e.points, e.restricted) for e in compensations) == [
        ("ann", 2, True),
        ("ann", 20, False),
        ("bob", 10, False),
        ("cid", 4, True),
    ]


async def test_a_second_application_is_refused_and_changes_nothing() -> None:
    world = World()
    await world.arrive(*week_of_deeds())
    await world.set_points("enrolment.enrolled", 20)
    found = await world.apply(await world.dry_run())
    after = list(world.ledger.recorded)

    with pytest.raises(Conflict, match="already applied"):
        await world.apply(found)

    assert world.ledger.recorded == after
    assert len(world.store.events) == 1


async def test_an_application_stopped_half_way_is_finished_by_a_retry_without_doubling() -> None:
    world = World()
    await world.arrive(*week_of_deeds())
    await world.set_points("enrolment.enrolled", 20)
    found = await world.dry_run()
    await world.store.claim(found.ruleset_version, found.id)
    await world.ledger.append(found.compensations()[0])  # then the process stopped

    await world.apply(found)

    assert await world.balances() == await world.from_scratch()


async def test_a_dry_run_is_not_applied_after_the_rules_changed_again() -> None:
    world = World()
    await world.arrive(*week_of_deeds())
    await world.set_points("enrolment.enrolled", 20)
    found = await world.dry_run()
    await world.set_points("enrolment.enrolled", 30)
    before = list(world.ledger.recorded)

    with pytest.raises(Conflict, match="rules changed"):
        await world.apply(found)

    assert world.ledger.recorded == before
    assert (await world.store.get(found.id)) == found


async def test_of_two_dry_runs_under_one_version_only_the_first_applied_counts() -> None:
    world = World()
    await world.arrive(*week_of_deeds())
    await world.set_points("enrolment.enrolled", 20)
    first, second = await world.dry_run(), await world.dry_run()
    await world.apply(first)
    after = list(world.ledger.recorded)

    with pytest.raises(Conflict, match=f"recalculation {first.id} was already applied"):
        await world.apply(second)

    assert world.ledger.recorded == after


async def test_an_unknown_recalculation_is_not_found() -> None:
    world = World()

    with pytest.raises(NotFound):
        await recalculations.get("nope", world.store)
    with pytest.raises(NotFound):
        await recalculations.apply("nope", 1, world.ledger, world.rules, world.store, world.people, NOW)


async def test_a_deed_of_the_last_minute_is_compared_on_neither_side() -> None:
    world = World()
    await world.arrive(*week_of_deeds())
    await world.set_points("enrolment.enrolled", 20)
    # Stored, and not priced yet (the consumer is between the two): had it counted, ann would get 20 twice.
    await world.deeds.record(enrolled("e-now", "ann", NOW - timedelta(seconds=10)))

    found = await world.dry_run()

    assert {d.person_id: d.replayed.public - d.current.public for d in found.differences} == {"ann": 20, "bob": 10}


async def test_a_changed_cap_is_recounted_and_a_withdrawn_comment_stays_withdrawn_at_new_points() -> None:
    world = World()
    start = NOW - 10 * DAY
    meetings = [meeting(f"m{n}", "ann", ["bob"], start + n * timedelta(hours=1)) for n in range(5)]
    comment = [helpful("h9", "cid", "ann", "k9", start), hidden("r9", "cid", "k9", start + DAY)]
    await world.arrive(*meetings, *comment)
    ruleset, _ = await world.rules.current()
    mentor = replace(ruleset.rules["mentoring-meeting-mentor"], cap_per_week=4)
    await handlers.edit_rule(world.rules, ruleset.version, mentor)
    await world.set_points("helpful-comment", 7)

    found = await world.dry_run()

    # Four meetings a week now pay the mentor; the mentee's cap is unchanged; cid's +7 and -7 cancel out.
    assert [(d.person_id, d.current, d.replayed) for d in found.differences] == [("ann", Totals(30), Totals(40))]
    await world.apply(found)
    assert await world.balances() == await world.from_scratch()


async def test_after_an_erasure_a_replay_credits_exactly_what_the_ledger_holds() -> None:
    world = World()
    world.people.upsert("ann", display_name="Ann")
    await world.arrive(*week_of_deeds())
    await handlers.erase_person("ann", world.ledger, world.people, world.deeds, InMemoryErasures())
    await world.arrive(enrolled("late", "ann", NOW - DAY), helpful("late-h", "cid", "ann", "k3", NOW - DAY))

    found = await world.dry_run()

    assert found.differences == ()
    stand_ins = {person for person in await world.balances() if person.startswith("former-employee-")}
    assert len(stand_ins) == 2  # the erasure's, and the late deed's
    for deed in world.deeds.kept.values():
        assert "ann" not in deed.data.values()


async def test_an_interrupted_erasure_resumes_with_the_stand_in_it_chose() -> None:
    world = World()
    await world.arrive(*week_of_deeds())
    erasures = InMemoryErasures()
    await erasures.begin("ann", "former-employee-000000000001")  # chosen, then the process stopped
    await world.ledger.reattribute("ann", "former-employee-000000000001")

    await handlers.erase_person("ann", world.ledger, world.people, world.deeds, erasures)

    assert (await world.dry_run()).differences == ()
    assert erasures.under_way == {}


async def test_nobody_erased_is_compensated() -> None:
    world = World()
    await world.arrive(*week_of_deeds())
    await world.set_points("enrolment.enrolled", 20)
    found = await world.dry_run()
    await world.people.apply_erased("bob")  # after the dry run: his part goes to a former employee
    # A deed naming someone erased that no rule read when it arrived, read by a rule now: never listed.
    await world.deeds.record(Deed("odd", "com.owlery.enrolment.application.enrolled.v1", {"person_id": "eve"}, NOW))
    await world.people.apply_erased("eve")

    await world.apply(found)
    await world.set_points("enrolment.enrolled", 25)
    again = await world.dry_run(NOW + timedelta(hours=1))

    assert all(entry.person_id != "bob" for entry in world.ledger.recorded if entry.rule == domain.RULE_ID)
    assert "eve" not in {d.person_id for d in again.differences}


async def test_credits_a_ring_withholds_are_left_out_so_applying_does_not_pay_the_ring() -> None:
    world = World()
    mark = helpful("h-ring", "cid", "ann", "k7", NOW - 5 * DAY)
    await world.arrive(*week_of_deeds(), mark)
    (credit,) = [entry for entry in world.ledger.recorded if entry.cause_event_id == "h-ring"]
    await world.ledger.append(replace(credit, id="hold-1", points=-credit.points, rule="ring-hold", reverses=credit.id))
    await world.set_points("enrolment.enrolled", 20)

    paying = await world.dry_run()
    found = await world.dry_run(withheld={"h-ring"})

    assert {d.person_id: d.change for d in paying.differences} == {"ann": 20, "bob": 10, "cid": 5}
    assert {d.person_id: d.change for d in found.differences} == {"ann": 20, "bob": 10}
