# ruff: noqa: RUF001  (Russian text is what these people write)
"""The use cases through the service layer, against in-memory adapters: a reverse-mentoring programme end to end."""

import asyncio
import dataclasses
import inspect
import typing
from datetime import timedelta
from typing import Any

import pytest

from mentoring.domain import channel, circle, coffee_round, concern, flag, library, pair, programme, task
from mentoring.domain.goals import GoalDraft
from mentoring.domain.model import Role
from mentoring.domain.pair import PairStatus
from mentoring.domain.programme import AlreadyRegistered, Profile, Stage, Terms
from mentoring.service import desk, handlers, pairs
from mentoring.service.ports import Ports
from mentoring.tests.fakes import Clock, InMemoryAggregates, InMemoryPeople, fake_ports, published
from shared.contracts import mentoring as contracts
from shared.errors import Conflict, Forbidden, Invalid

CURATOR = "curator-olga"


def terms(clock: Clock, **overrides: Any) -> Terms:
    today = clock().date()
    values: dict[str, Any] = {
        "format": "one_to_one",
        "topics": ["ai tools", "social media"],
        "enrolment_opens": today,
        "enrolment_closes": today + timedelta(days=7),
        "starts": today,
        "duration_weeks": 12,
        "cadence_days": 14,
        "rules_text": "Confidentiality, an equal dialogue, the right to make mistakes.",
        "preparation": "How reverse mentoring works: read before your first meeting.",
    }
    return Terms.checked(**{**values, **overrides})


def mentor_profile(grade: int, *topics: str, capacity: int = 1) -> Profile:
    return Profile.checked(
        Role.MENTOR,
        competencies=dict.fromkeys(topics, 4),
        topics=list(topics),
        languages=["ru"],
        time_zone="Europe/Moscow",
        capacity=capacity,
        grade=grade,
    )


def mentee_profile(grade: int, *topics: str) -> Profile:
    return Profile.checked(
        Role.MENTEE,
        competencies=dict.fromkeys(topics, 1),
        topics=list(topics),
        languages=["ru"],
        time_zone="Europe/Moscow",
        grade=grade,
    )


async def reverse_programme(ports: Ports, clock: Clock) -> str:
    """Open, with two junior mentors nominated and accepted and two senior managers as mentees."""
    created = await handlers.create_programme(
        ports, title="Reverse mentoring 2026", kind="reverse", terms=terms(clock), curator_id=CURATOR
    )
    await handlers.advance_programme(ports, created.id, CURATOR, "open")
    for mentor, grade in (("dev-anna", 7), ("dev-boris", 8)):
        nomination = await handlers.nominate(
            ports,
            created.id,
            mentor,
            mentor,
            reason="",
            locale="ru",
            profile=mentor_profile(grade, "ai tools", "social media"),
            accepted_rules=True,
        )
        await handlers.decide_nomination(ports, created.id, nomination.id, CURATOR, accept=True)
    for manager in ("director-ivan", "director-maria"):
        await handlers.register(
            ports,
            created.id,
            manager,
            "mentee",
            locale="ru",
            profile=mentee_profile(15, "ai tools"),
            accepted_rules=True,
            by_curator=False,
        )
    return created.id


async def running_pairs(ports: Ports, clock: Clock, programme_id: str) -> list[str]:
    await handlers.advance_programme(ports, programme_id, CURATOR, "matching")
    proposal = await handlers.propose_matching(ports, programme_id, CURATOR)
    planned = await handlers.approve_matching(ports, programme_id, CURATOR, proposal.id)
    await handlers.advance_programme(ports, programme_id, CURATOR, "running")
    await handlers.schedule_kickoff(ports, programme_id, CURATOR, clock() + timedelta(hours=2))
    clock.advance(hours=3)
    await handlers.hold_kickoff(ports, programme_id, CURATOR)
    for person in ("dev-anna", "dev-boris", "director-ivan", "director-maria"):
        await handlers.acknowledge_preparation(ports, programme_id, person)
    return [plan.pair_id for plan in planned]


async def test_every_domain_event_maps_to_a_contract_with_the_same_fields() -> None:
    modules = (programme, pair, concern, channel, circle, task, flag, library, coffee_round)
    events = [
        cls
        for module in modules
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if dataclasses.is_dataclass(cls)
        and cls.__module__ == module.__name__
        and cls.__name__ + "V1" in vars(contracts)
    ]
    unions = [programme.ProgrammeEvent, pair.PairEvent, concern.ConcernEvent, circle.CircleEvent, task.TaskEvent]
    singles = {channel.PostPublished, flag.FlagRaised, flag.FlagResolved, library.SolutionPromoted}
    recorded = {cls for union in unions for cls in typing.get_args(union)} | singles | {coffee_round.CoffeePairFormed}
    assert recorded <= set(events), f"events without a contract: {recorded - set(events)}"
    for cls in recorded:
        contract = vars(contracts)[cls.__name__ + "V1"]
        assert {f.name for f in dataclasses.fields(cls)} == set(contract.model_fields), cls.__name__


async def test_nominating_or_registering_twice_is_refused() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    programme_id = await reverse_programme(ports, clock)

    stored = await handlers.get_programme(ports, programme_id)
    assert stored.count_by_role() == {Role.MENTOR: 2, Role.MENTEE: 2}
    with pytest.raises(Conflict):  # nominating twice
        await handlers.nominate(
            ports, programme_id, "dev-anna", "dev-anna", reason="", locale="ru",
            profile=mentor_profile(7, "ai tools"), accepted_rules=True,
        )  # fmt: skip
    with pytest.raises(AlreadyRegistered):
        await handlers.register(
            ports, programme_id, "director-ivan", "mentee", locale="ru",
            profile=mentee_profile(15, "ai tools"), accepted_rules=True, by_curator=False,
        )  # fmt: skip


async def test_matching_keeps_reporting_lines_apart_and_explains_every_pair() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    people = ports.people
    assert isinstance(people, InMemoryPeople)
    # Anna reports to Ivan's report: Ivan is her manager's manager, so they are never paired.
    people.upsert("dev-anna", manager_id="lead-petr")
    people.upsert("lead-petr", manager_id="director-ivan")
    programme_id = await reverse_programme(ports, clock)
    await handlers.advance_programme(ports, programme_id, CURATOR, "matching")

    proposal = await handlers.propose_matching(ports, programme_id, CURATOR)

    pairs_proposed = {(p.mentee_ids[0], p.mentor_id) for p in proposal.pairings}
    assert pairs_proposed == {("director-ivan", "dev-boris"), ("director-maria", "dev-anna")}
    for pairing in proposal.pairings:
        assert pairing.reasons[0]["matched_topics"] == ["ai tools"]
        assert pairing.reasons[0]["overlap_hours"] == 45
        assert pairing.reasons[0]["common_languages"] == ["ru"]


async def test_approving_forms_pairs_that_start_after_kickoff_and_preparation() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    programme_id = await reverse_programme(ports, clock)
    await handlers.advance_programme(ports, programme_id, CURATOR, "matching")
    proposal = await handlers.propose_matching(ports, programme_id, CURATOR)

    planned = await handlers.approve_matching(ports, programme_id, CURATOR, proposal.id)
    with pytest.raises(Conflict, match="already approved"):
        await handlers.approve_matching(ports, programme_id, CURATOR, proposal.id)

    first = planned[0].pair_id
    view = await pairs.view_pair(ports, first, planned[0].mentor_id)
    assert view.pair.status is PairStatus.PREPARING
    with pytest.raises(Conflict):  # no meeting before the pair starts
        await pairs.log_meeting(
            ports, first, planned[0].mentor_id, "m1", held_on=clock().date(), minutes=60, topics=(), notes=None
        )
    await handlers.schedule_kickoff(ports, programme_id, CURATOR, clock() + timedelta(hours=1))
    clock.advance(hours=2)
    await handlers.hold_kickoff(ports, programme_id, CURATOR)
    await handlers.acknowledge_preparation(ports, programme_id, planned[0].mentor_id)
    assert (await pairs.view_pair(ports, first, CURATOR)).pair.status is PairStatus.PREPARING
    await handlers.acknowledge_preparation(ports, programme_id, planned[0].mentee_ids[0])
    assert (await pairs.view_pair(ports, first, CURATOR)).pair.status is PairStatus.ACTIVE
    kinds = [type(event).__name__ for event in published(ports)]
    assert kinds.count("PairFormedV1") == 2 and kinds.count("PairStartedV1") == 1


async def test_notes_are_sealed_and_only_the_pair_reads_them() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    programme_id = await reverse_programme(ports, clock)
    pair_id = (await running_pairs(ports, clock, programme_id))[0]
    member = (await pairs.view_pair(ports, pair_id, CURATOR)).pair.mentor_id

    await pairs.log_meeting(
        ports, pair_id, member, "m1", held_on=clock().date(), minutes=50, topics=("ai tools",),
        notes="Иван боится ChatGPT: начнём с расшифровки совещаний",
    )  # fmt: skip

    stored = ports.pairs
    assert isinstance(stored, InMemoryAggregates)
    assert "ChatGPT" not in repr(stored.states[pair_id]) and "ChatGPT" not in repr(stored.history[pair_id])
    assert "ChatGPT" not in repr([event.model_dump() for event in published(ports)])
    text = await pairs.meeting_notes(ports, pair_id, member, "m1")
    assert text == "Иван боится ChatGPT: начнём с расшифровки совещаний"
    with pytest.raises(Forbidden):
        await pairs.meeting_notes(ports, pair_id, CURATOR, "m1")
    curator_view = await pairs.view_pair(ports, pair_id, CURATOR)
    assert not curator_view.as_member and curator_view.pair.meetings_held == 1
    with pytest.raises(Forbidden):  # a participant of another pair
        await pairs.view_pair(ports, pair_id, "someone-else")


async def test_a_flagged_goal_is_saved_only_when_confirmed() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    programme_id = await reverse_programme(ports, clock)
    pair_id = (await running_pairs(ports, clock, programme_id))[0]
    mentee = (await pairs.view_pair(ports, pair_id, CURATOR)).pair.mentee_ids[0]
    vague = GoalDraft("Get better with AI", clock().date() + timedelta(days=30), ("ai tools",))

    with pytest.raises(Invalid) as raised:
        await pairs.set_goal(ports, pair_id, mentee, vague, confirmed=False, locale="en")
    assert raised.value.details["field"] == "confirm"
    goal, check = await pairs.set_goal(ports, pair_id, mentee, vague, confirmed=True, locale="en")
    assert not check.passed and goal.confirmed_despite == check.letters

    smart = GoalDraft(
        "Build 3 prompts for weekly sales reports in ChatGPT", clock().date() + timedelta(days=40), ("ai tools",)
    )
    goal, check = await pairs.set_goal(ports, pair_id, mentee, smart, confirmed=False, locale="en")
    assert check.passed
    await pairs.update_goal(ports, pair_id, mentee, goal.id, 100, "done")
    achieved = [e for e in published(ports) if isinstance(e, contracts.GoalAchievedV1)]
    assert [e.goal_id for e in achieved] == [goal.id]


async def test_a_low_check_in_puts_the_pair_at_risk_for_its_curator() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    programme_id = await reverse_programme(ports, clock)
    pair_id = (await running_pairs(ports, clock, programme_id))[0]
    mentee = (await pairs.view_pair(ports, pair_id, CURATOR)).pair.mentee_ids[0]

    await pairs.check_in(ports, pair_id, mentee, None, 1, "We keep postponing")

    at_risk = [e for e in published(ports) if isinstance(e, contracts.PairAtRiskV1)]
    assert [(e.pair_id, e.curator_ids, e.reasons) for e in at_risk] == [(pair_id, [CURATOR], ["low_check_in"])]
    assert "postponing" not in repr([event.model_dump() for event in published(ports)])


async def test_no_meeting_for_one_and_a_half_cadences_is_found_by_the_periodic_check() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    programme_id = await reverse_programme(ports, clock)
    pair_ids = await running_pairs(ports, clock, programme_id)

    clock.advance(days=20)  # cadence 14 days: 21 is the limit
    assert await pairs.check_health(ports) == 0
    clock.advance(days=2)
    assert await pairs.check_health(ports) == 2
    assert await pairs.check_health(ports) == 0  # nothing new: nothing saved, nothing sent again

    at_risk = [e for e in published(ports) if isinstance(e, contracts.PairAtRiskV1)]
    assert sorted(e.pair_id for e in at_risk) == sorted(pair_ids)
    assert {tuple(e.reasons) for e in at_risk} == {("no_recent_meeting",)}


async def test_a_rematch_ends_the_pair_and_proposes_a_different_mentor() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    programme_id = await reverse_programme(ports, clock)
    await handlers.register(
        ports, programme_id, "dev-vera", "mentor", locale="ru",
        profile=mentor_profile(6, "ai tools"), accepted_rules=True, by_curator=True,
    )  # fmt: skip
    pair_id = (await running_pairs(ports, clock, programme_id))[0]
    troubled = (await pairs.view_pair(ports, pair_id, CURATOR)).pair
    mentee, old_mentor = troubled.mentee_ids[0], troubled.mentor_id

    raised = await desk.raise_concern(ports, pair_id, mentee, "My mentor lectures and never listens")
    with pytest.raises(Forbidden):  # the other member never reads it
        await desk.view_concern(ports, raised.id, old_mentor)
    await desk.act_on_concern(ports, raised.id, CURATOR, "talk", "Talked to both")
    await desk.act_on_concern(ports, raised.id, CURATOR, "rematch", None)
    resolved = await desk.resolve_concern(ports, raised.id, CURATOR, "rematched")

    assert resolved.outcome is not None and resolved.outcome.value == "rematched"
    assert (await pairs.view_pair(ports, pair_id, CURATOR)).pair.status is PairStatus.ENDED
    current = await handlers.get_programme(ports, programme_id)
    assert current.proposal is not None and not current.proposal.approved
    assert [(p.mentee_ids, p.mentor_id) for p in current.proposal.pairings] == [((mentee,), "dev-vera")]
    planned = await handlers.approve_matching(ports, programme_id, CURATOR, current.proposal.id)
    assert [(p.via, p.mentor_id) for p in planned] == [("rematch", "dev-vera")]
    raised_events = [e for e in published(ports) if isinstance(e, contracts.ConcernRaisedV1)]
    assert "lectures" not in repr(raised_events) and mentee not in repr(raised_events)


async def test_leaving_ends_the_pair_gracefully() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    programme_id = await reverse_programme(ports, clock)
    pair_id = (await running_pairs(ports, clock, programme_id))[0]
    mentor = (await pairs.view_pair(ports, pair_id, CURATOR)).pair.mentor_id

    await handlers.leave(ports, programme_id, mentor)

    ended = (await pairs.view_pair(ports, pair_id, CURATOR)).pair
    assert ended.status is PairStatus.ENDED and ended.end_reason is not None and ended.end_reason.value == "left"
    with pytest.raises(Conflict):
        await pairs.log_meeting(
            ports, pair_id, ended.mentee_ids[0], "late", held_on=clock().date(), minutes=30, topics=(), notes=None
        )


async def test_feedback_waits_for_closing_and_the_report_keeps_it_anonymous() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    programme_id = await reverse_programme(ports, clock)
    pair_ids = await running_pairs(ports, clock, programme_id)
    first = (await pairs.view_pair(ports, pair_ids[0], CURATOR)).pair
    await pairs.log_meeting(
        ports, first.id, first.mentor_id, "m1", held_on=clock().date(), minutes=90, topics=(), notes=None
    )
    with pytest.raises(Conflict, match="closing"):
        await pairs.give_feedback(ports, first.id, first.mentor_id, 5, "Great")

    await handlers.advance_programme(ports, programme_id, CURATOR, "closing")
    ratings = {}
    for pair_id in pair_ids:
        members = (await pairs.view_pair(ports, pair_id, CURATOR)).pair.member_ids
        for person, rating in zip(members, (5, 4), strict=True):
            await pairs.give_feedback(ports, pair_id, person, rating, None)
            ratings[person] = rating
    with pytest.raises(Conflict):
        await pairs.give_feedback(ports, first.id, first.mentor_id, 1, None)  # once per person
    await handlers.advance_programme(ports, programme_id, CURATOR, "closed")

    report = (await desk.report(ports, programme_id, CURATOR)).to_dict()
    assert report["pairs"]["ended_by_reason"] == {"completed": 2}
    assert report["meetings"]["total_hours"] == 1.5
    assert report["feedback"]["responses"] == 4 and report["feedback"]["mean_rating"] == 4.5
    assert not any(person in repr(report) for person in ratings)
    feedback_events = [e for e in published(ports) if isinstance(e, contracts.FeedbackGivenV1)]
    assert len(feedback_events) == 4 and all("rating" not in e.model_dump() for e in feedback_events)


async def test_racing_nominations_of_one_programme_all_land() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock, yield_on_load=True)
    created = await handlers.create_programme(
        ports, title="Classic", kind="classic", terms=terms(clock), curator_id=CURATOR
    )
    await handlers.advance_programme(ports, created.id, CURATOR, "open")
    mentors = [f"mentor-{n}" for n in range(8)]

    await asyncio.gather(
        *(
            handlers.nominate(
                ports,
                created.id,
                m,
                m,
                reason="",
                locale="en",
                profile=mentor_profile(9, "ai tools"),
                accepted_rules=True,
            )
            for m in mentors
        )
    )

    stored = await handlers.get_programme(ports, created.id)
    assert sorted(n.person_id for n in stored.nominations.values()) == mentors
    assert stored.stage is Stage.OPEN


async def test_a_command_that_changes_nothing_writes_no_new_version() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    programme_id = await reverse_programme(ports, clock)
    await handlers.acknowledge_preparation(ports, programme_id, "dev-anna")
    programmes = ports.programmes
    assert isinstance(programmes, InMemoryAggregates)
    version = programmes.states[programme_id][1]

    await handlers.acknowledge_preparation(ports, programme_id, "dev-anna")  # read it twice

    assert programmes.states[programme_id][1] == version
