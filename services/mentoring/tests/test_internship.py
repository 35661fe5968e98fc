"""Exchange internships: placements and seats, applications and the manager's decision, SMART goals, the log,
feedback on both sides, the report in the knowledge base, reciprocity counts, erasure; every 422/409/403."""

import asyncio
import dataclasses
import inspect
import typing
from datetime import UTC, date, datetime

import pytest

from mentoring.domain import internship as domain
from mentoring.domain.goals import GoalDraft, check_goal
from mentoring.domain.internship import (
    Exchange,
    Internship,
    InternshipApplied,
    InternshipCompleted,
    Partner,
    Placement,
    PlacementOffered,
    Status,
    reciprocity,
)
from mentoring.domain.knowledge import ItemType, KnowledgeItem, Query, search
from mentoring.service import handlers
from mentoring.service import internships as uc
from mentoring.service.internships import Actor
from mentoring.service.knowledge import KnowledgeBase
from mentoring.service.ports import Ports
from mentoring.tests.fakes import Clock, InMemoryAggregates, InMemoryPeople, fake_ports
from shared.contracts import mentoring as contracts
from shared.errors import Conflict, Forbidden, Invalid, NotFound

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
STARTS, ENDS = date(2026, 3, 16), date(2026, 4, 30)
QA, SALES, HR = "department:qa", "department:sales", "department:hr"
ADMIN = Actor("admin-1", admin=True)
GOOD_GOAL = GoalDraft("Build 2 defect classifiers with neural networks for the QA team", date(2026, 4, 20), ())
VAGUE_GOAL = GoalDraft("Understand neural networks better", date(2026, 4, 20), ())


# --- the domain ---------------------------------------------------------------------------------------


def placement(seats: int = 2, host_unit: str = QA, host_id: str = "host") -> Placement:
    return Placement.offer(
        "p1",
        host_unit=host_unit,
        host_id=host_id,
        offered_by=host_id,
        title="Neural networks in quality analysis",
        starts_on=STARTS,
        ends_on=ENDS,
        seats=seats,
        guest_learns="Training a defect classifier",
        host_learns_back="How sales talks to customers",
        competencies=["Neural Networks", "quality analysis", "neural networks"],
        now=NOW,
    )


def applied(guest: str = "guest", unit: str = SALES, manager: str = "boss", at: Placement | None = None) -> Internship:
    return Internship.apply(
        f"i-{guest}",
        at or placement(),
        guest_id=guest,
        guest_unit=unit,
        manager_id=manager,
        goals_text="Learn to label defects",
        now=NOW,
    )


def running() -> Internship:
    internship = applied()
    internship.approve("boss", NOW)
    frame = placement().frame
    internship.agree_goals("host", [GOOD_GOAL], [check_goal(GOOD_GOAL, frame, NOW.date(), "en")], False, ["g1"])
    return internship


def test_a_placement_checks_its_dates_seats_topic_and_unit() -> None:
    offered = placement()
    assert offered.competencies == ("neural networks", "quality analysis")
    assert offered.seats_left == 2
    assert isinstance(offered.events[0], PlacementOffered) and offered.events[0].host_unit == QA

    def refused(**changes: typing.Any) -> str:
        arguments: dict[str, typing.Any] = {
            "host_unit": QA,
            "host_id": "host",
            "offered_by": "host",
            "title": "Topic",
            "starts_on": STARTS,
            "ends_on": ENDS,
            "seats": 1,
            "guest_learns": "Something",
            "host_learns_back": "",
            "competencies": [],
            "now": NOW,
            **changes,
        }
        with pytest.raises(Invalid) as error:
            Placement.offer("p", **arguments)
        return str(error.value.details["field"])

    assert refused(ends_on=date(2026, 3, 15)) == "ends_on"  # ends before it starts
    assert refused(starts_on=date(2026, 2, 1), ends_on=date(2026, 2, 10)) == "ends_on"  # over already
    assert refused(seats=0) == "seats"
    assert refused(seats=101) == "seats"
    assert refused(title="  ") == "title"
    assert refused(host_unit="team:qa") == "host_unit"
    assert refused(guest_learns="") == "guest_learns"


def test_seats_are_taken_by_approvals_once_each_and_a_full_placement_refuses() -> None:
    offered = placement(seats=1)
    offered.take_seat("i-1")
    offered.take_seat("i-1")  # a retried approval
    assert offered.seats_left == 0
    with pytest.raises(Conflict):
        offered.take_seat("i-2")
    offered.release_seat("i-1")
    offered.take_seat("i-2")
    assert offered.taken_by == ["i-2"]


def test_an_application_is_to_another_unit_and_needs_a_manager() -> None:
    internship = applied()
    assert internship.status is Status.APPLIED and (internship.host_id, internship.host_unit) == ("host", QA)
    assert internship.events == [InternshipApplied("p1", "i-guest", "guest", SALES, "boss")]
    with pytest.raises(Invalid) as own_unit:
        applied(unit=QA)
    assert own_unit.value.details["field"] == "placement_id"
    with pytest.raises(Invalid) as host_self:
        applied(guest="host")
    assert host_self.value.details["field"] == "placement_id"
    with pytest.raises(Invalid) as no_manager:
        applied(manager="")
    assert no_manager.value.details["field"] == "manager_id"
    with pytest.raises(Invalid) as no_goals:
        Internship.apply("i", placement(), guest_id="g", guest_unit=SALES, manager_id="b", goals_text=" ", now=NOW)
    assert no_goals.value.details["field"] == "goals"


def test_only_the_guests_manager_decides_and_only_once() -> None:
    internship = applied()
    with pytest.raises(Forbidden):
        internship.approve("host", NOW)
    with pytest.raises(Forbidden):
        internship.decline("guest", "no", NOW)
    internship.decline("boss", "Quarter end", NOW)
    assert internship.status is Status.DECLINED and internship.decline_reason == "Quarter end"
    with pytest.raises(Conflict):
        internship.approve("boss", NOW)
    internship.reapply(placement(), "boss", "Second try", NOW)
    assert (internship.status.value, internship.decline_reason) == ("applied", "")
    with pytest.raises(Conflict):
        internship.reapply(placement(), "boss", "Third try", NOW)  # a live application exists


def test_goals_are_agreed_by_the_host_once_approved_and_smart_checked() -> None:
    internship = applied()
    frame = placement().frame
    good = check_goal(GOOD_GOAL, frame, NOW.date(), "en")
    vague = check_goal(VAGUE_GOAL, frame, NOW.date(), "en")
    assert good.passed and {"S", "M"} <= set(vague.letters)
    with pytest.raises(Conflict):
        internship.agree_goals("host", [GOOD_GOAL], [good], False, ["g1"])  # not approved yet
    internship.approve("boss", NOW)
    with pytest.raises(Forbidden):
        internship.agree_goals("guest", [GOOD_GOAL], [good], False, ["g1"])
    with pytest.raises(Invalid) as not_smart:
        internship.agree_goals("host", [GOOD_GOAL, VAGUE_GOAL], [good, vague], False, ["g1", "g2"])
    assert not_smart.value.details["field"] == "confirm" and "S" in not_smart.value.details["letters"]
    with pytest.raises(Invalid) as none:
        internship.agree_goals("host", [], [], False, [])
    assert none.value.details["field"] == "goals"
    goals = internship.agree_goals("host", [GOOD_GOAL, VAGUE_GOAL], [good, vague], True, ["g1", "g2"])
    assert internship.status is Status.RUNNING
    assert goals[0].confirmed_despite == () and "S" in goals[1].confirmed_despite


def test_the_log_is_the_guests_short_entries_while_running() -> None:
    internship = applied()
    with pytest.raises(Conflict):
        internship.add_log("guest", NOW.date(), "Too early", NOW)
    internship = running()
    with pytest.raises(Forbidden):
        internship.add_log("host", NOW.date(), "Host writing", NOW)
    with pytest.raises(Invalid) as long:
        internship.add_log("guest", NOW.date(), "x" * 1001, NOW)
    assert long.value.details["field"] == "text"
    with pytest.raises(Invalid) as future:
        internship.add_log("guest", date(2026, 3, 3), "Tomorrow", NOW)
    assert future.value.details["field"] == "on"
    internship.add_log("guest", NOW.date(), "Labelled 200 images", NOW)
    assert [entry.text for entry in internship.log] == ["Labelled 200 images"]


def test_both_feedbacks_complete_the_internship_and_name_both_units() -> None:
    internship = running()
    with pytest.raises(Forbidden):
        internship.give_feedback("boss", 5, "", NOW)
    with pytest.raises(Invalid) as rating:
        internship.give_feedback("guest", 6, "", NOW)
    assert rating.value.details["field"] == "rating"
    assert internship.give_feedback("guest", 5, "Great host", NOW) == "guest"
    with pytest.raises(Conflict):
        internship.give_feedback("guest", 4, "Again", NOW)
    assert internship.status is Status.RUNNING
    internship.give_feedback("host", 4, "Curious guest", NOW)
    assert internship.status.value == "completed"
    assert internship.events[-1] == InternshipCompleted("p1", "i-guest", "guest", "host", SALES, QA)
    assert all("Great host" not in repr(event) for event in internship.events)


def test_the_report_is_the_guests_and_published_once_completed() -> None:
    internship = running()
    with pytest.raises(Forbidden):
        internship.write_report("host", title="T", summary="S", body="", tags=(), language=None)
    internship.write_report("guest", title="What QA taught me", summary="Labels", body="", tags=(), language=None)
    with pytest.raises(Conflict):
        internship.publish_report("guest", "k1")  # not completed
    internship.give_feedback("guest", 5, "", NOW)
    internship.give_feedback("host", 5, "", NOW)
    with pytest.raises(Forbidden):
        internship.publish_report("host", "k1")
    internship.publish_report("guest", "k1")
    assert internship.knowledge_item_id == "k1"
    with pytest.raises(Conflict):
        internship.publish_report("guest", "k1")
    with pytest.raises(Conflict):
        internship.write_report("guest", title="Late edit", summary="S", body="", tags=(), language=None)


def test_reciprocity_counts_completed_internships_per_other_unit() -> None:
    done = []
    for guest, unit, host_unit in (("a", SALES, QA), ("b", SALES, QA), ("c", QA, "partner:p1"), ("d", HR, SALES)):
        internship = applied(guest, unit, at=placement(host_unit=host_unit))
        internship.status = Status.COMPLETED
        done.append(internship)
    done.append(applied("e", HR))  # not completed: not counted
    assert reciprocity(QA, done) == [Exchange(SALES, hosted=2), Exchange("partner:p1", sent=1)]
    assert reciprocity(SALES, done) == [Exchange(QA, sent=2), Exchange(HR, hosted=1)]


def test_state_round_trips_and_erasure_replaces_every_person() -> None:
    internship = running()
    internship.add_log("guest", NOW.date(), "Day one", NOW)
    internship.give_feedback("guest", 5, "Good", NOW)
    internship.write_report("guest", title="T", summary="S", body="B", tags=("qa",), language="en")
    internship.events.clear()
    assert Internship.from_state(internship.id, internship.to_state()) == internship
    offered = placement()
    offered.events.clear()
    assert Placement.from_state("p1", offered.to_state()) == offered
    partner = Partner.register("pt", "Acme", "organisation", "admin-1", NOW)
    partner.events.clear()
    assert Partner.from_state("pt", partner.to_state()) == partner

    assert internship.erase_person("guest", "former-1")
    state = internship.to_state()
    assert (state["guest_id"], state["host_id"], state["manager_id"]) == ("former-1", "host", "boss")
    assert not internship.erase_person("guest", "former-1")
    assert offered.erase_person("host", "former-2") and offered.host_id == "former-2"


def test_every_internship_event_maps_to_a_contract_with_the_same_fields() -> None:
    events = [
        cls
        for _, cls in inspect.getmembers(domain, inspect.isclass)
        if dataclasses.is_dataclass(cls)
        and cls.__module__ == domain.__name__
        and cls.__name__ + "V1" in vars(contracts)
    ]
    recorded = {*typing.get_args(domain.InternshipEvent), domain.PartnerRegistered, domain.PlacementOffered}
    assert recorded == set(events) and len(recorded) == 10
    for cls in recorded:
        contract = vars(contracts)[cls.__name__ + "V1"]
        assert {f.name for f in dataclasses.fields(cls)} == set(contract.model_fields), cls.__name__


# --- the use cases with the fakes ----------------------------------------------------------------------


def wired(clock: Clock | None = None) -> tuple[Ports, KnowledgeBase]:
    ports = fake_ports(clock=clock)
    ports.partners = InMemoryAggregates(Partner.from_state)
    ports.placements = InMemoryAggregates(Placement.from_state, yield_on_load=True)
    ports.internships = InMemoryAggregates(Internship.from_state, yield_on_load=True)
    ports.knowledge = InMemoryAggregates(KnowledgeItem.from_state)
    people = ports.people
    assert isinstance(people, InMemoryPeople)
    for person, department, manager in (
        ("host", "qa", "qa-boss"),
        ("guest", "sales", "boss"),
        ("guest-2", "sales", "boss"),
        ("guest-3", "hr", "hr-boss"),
        ("qa-guest", "qa", "qa-boss"),
        ("loner", "sales", None),
    ):
        people.upsert(person, department=department, manager_id=manager)
    return ports, KnowledgeBase(ports.knowledge, ports.clock, 180)


HOST = Actor("host")


async def offer(ports: Ports, by: Actor = HOST, seats: int = 2, **changes: typing.Any) -> Placement:
    arguments: dict[str, typing.Any] = {
        "host_unit": None,
        "host_id": None,
        "title": "Neural networks in quality analysis",
        "starts_on": STARTS,
        "ends_on": ENDS,
        "seats": seats,
        "guest_learns": "Training a defect classifier",
        "host_learns_back": "How sales talks to customers",
        "competencies": ["neural networks", "quality analysis"],
        **changes,
    }
    return await uc.offer_placement(ports, by, **arguments)


def events_of(ports: Ports) -> list[str]:
    found = []
    for repository in (ports.partners, ports.placements, ports.internships):
        assert isinstance(repository, InMemoryAggregates)
        found += [type(event).__name__.removesuffix("V1") for event in repository.published]
    return found


async def test_an_internship_from_offer_to_published_report_in_the_knowledge_base() -> None:
    ports, kb = wired()
    offered = await offer(ports)
    assert (offered.host_unit, offered.host_id) == (QA, "host")
    internship = await uc.apply(ports, offered.id, Actor("guest"), goals="Learn to label defects")
    assert (internship.guest_unit, internship.manager_id) == (SALES, "boss")
    assert "guest" not in internship.id  # the id never carries the person's id
    await uc.decide(ports, internship.id, Actor("boss"), approve=True)
    assert (await uc.get_placement(ports, offered.id)).seats_left == 1
    checks = await uc.check_goals(ports, internship.id, Actor("guest"), [VAGUE_GOAL, GOOD_GOAL], "ru")
    assert [check.passed for check in checks] == [False, True] and checks[0].failures[0].message
    goals, _ = await uc.agree_goals(ports, internship.id, Actor("host"), [GOOD_GOAL], confirm=False, locale="en")
    assert len(goals) == 1
    await uc.log(ports, internship.id, Actor("guest"), text="Labelled 200 images")
    await uc.write_report(
        ports,
        internship.id,
        Actor("guest"),
        title="Нейросети в анализе качества",
        summary="Как я обучил классификатор дефектов",
        body="Подробности",
        tags=["Defects"],
        language=None,
    )
    await uc.give_feedback(ports, internship.id, Actor("guest"), rating=5, words="Great")
    done = await uc.give_feedback(ports, internship.id, Actor("host"), rating=4, words="Curious")
    assert done.status is Status.COMPLETED
    published = await uc.publish_report(ports, kb, internship.id, Actor("guest"))

    item, _ = await handlers.load(kb.items, published.knowledge_item_id or "", "item")
    assert (item.type, item.owner_id, item.language) == (ItemType.INTERNSHIP_REPORT, "guest", "ru")
    assert set(item.tags) == {"neural networks", "quality analysis", "defects"}
    assert (item.source_service, item.source_id) == ("mentoring.internship", internship.id)
    page = search([item], Query.checked(text="классификатор", tags=["defects"]))
    assert [found.id for found in page.items] == [item.id]
    assert events_of(ports) == [
        "PlacementOffered",
        "InternshipApplied",
        "InternshipApproved",
        "InternshipGoalsAgreed",
        "InternshipLogged",
        "InternshipFeedbackGiven",
        "InternshipFeedbackGiven",
        "InternshipCompleted",
        "InternshipReportPublished",
    ]
    guest_side = await uc.reciprocity_of(ports, SALES)
    assert [(e.exchange.unit, e.exchange.hosted, e.exchange.sent) for e in guest_side] == [(QA, 0, 1)]
    host_side = await uc.reciprocity_of(ports, QA)
    assert [(e.exchange.unit, e.exchange.hosted, e.exchange.sent) for e in host_side] == [(SALES, 1, 0)]


async def test_applying_twice_is_a_conflict_unless_the_first_was_declined() -> None:
    ports, _ = wired()
    offered = await offer(ports)
    first = await uc.apply(ports, offered.id, Actor("guest"), goals="Labels")
    with pytest.raises(Conflict):
        await uc.apply(ports, offered.id, Actor("guest"), goals="Labels again")
    await uc.decide(ports, first.id, Actor("boss"), approve=False, reason="Quarter end")
    again = await uc.apply(ports, offered.id, Actor("guest"), goals="After the quarter")
    assert (again.id, again.status, again.goals_text) == (first.id, Status.APPLIED, "After the quarter")


async def test_bad_applications_are_refused_naming_the_field() -> None:
    ports, _ = wired()
    offered = await offer(ports)
    with pytest.raises(Invalid) as own_unit:
        await uc.apply(ports, offered.id, Actor("qa-guest"), goals="Labels")
    assert own_unit.value.details["field"] == "placement_id"
    with pytest.raises(Invalid) as no_manager:
        await uc.apply(ports, offered.id, Actor("loner"), goals="Labels")
    assert no_manager.value.details["field"] == "manager_id"
    with pytest.raises(Invalid) as unknown:
        await uc.apply(ports, offered.id, Actor("stranger"), goals="Labels")
    assert unknown.value.details["field"] == "guest_unit"
    with pytest.raises(NotFound):
        await uc.apply(ports, "missing", Actor("guest"), goals="Labels")


async def test_who_may_offer_placements_and_register_partners() -> None:
    ports, _ = wired()
    with pytest.raises(Forbidden):
        await uc.register_partner(ports, Actor("host", curator=True), name="Acme", kind="organisation")
    with pytest.raises(Invalid) as kind:
        await uc.register_partner(ports, ADMIN, name="Acme", kind="club")
    assert kind.value.details["field"] == "kind"
    partner = await uc.register_partner(ports, ADMIN, name="Acme Labs", kind="training_centre")
    assert [p.name for p in await uc.partners(ports)] == ["Acme Labs"]
    with pytest.raises(Forbidden):
        await offer(ports, host_unit=SALES)  # another department's
    with pytest.raises(Forbidden):
        await offer(ports, host_unit=partner.unit)  # a partner's, by an employee
    with pytest.raises(Invalid) as unknown:
        await offer(ports, Actor("cur", curator=True), host_unit="partner:nope", host_id="liaison")
    assert unknown.value.details["field"] == "host_unit"
    with pytest.raises(Invalid) as nowhere:
        await offer(ports, Actor("stranger"))
    assert nowhere.value.details["field"] == "host_unit"
    with pytest.raises(Invalid) as dates:
        await offer(ports, ends_on=date(2026, 3, 1))
    assert dates.value.details["field"] == "ends_on"
    with pytest.raises(Invalid) as seats:
        await offer(ports, seats=0)
    assert seats.value.details["field"] == "seats"
    hosted = await offer(ports, Actor("cur", curator=True), host_unit=partner.unit, host_id="liaison")
    assert (hosted.host_unit, hosted.host_id) == (partner.unit, "liaison")
    assert events_of(ports)[:2] == ["PartnerRegistered", "PlacementOffered"]


async def test_only_the_right_person_acts_at_each_step() -> None:
    ports, kb = wired()
    offered = await offer(ports)
    internship = await uc.apply(ports, offered.id, Actor("guest"), goals="Labels")
    for wrong in ("guest", "host", "qa-boss"):
        with pytest.raises(Forbidden):
            await uc.decide(ports, internship.id, Actor(wrong), approve=True)
    assert (await uc.get_placement(ports, offered.id)).seats_left == 2  # a refused approval takes no seat
    with pytest.raises(Forbidden):
        await uc.view(ports, internship.id, Actor("guest-2"))
    assert (await uc.view(ports, internship.id, Actor("boss"))).id == internship.id
    await uc.decide(ports, internship.id, Actor("boss"), approve=True)
    with pytest.raises(Conflict):
        await uc.decide(ports, internship.id, Actor("boss"), approve=False)
    with pytest.raises(Forbidden):
        await uc.agree_goals(ports, internship.id, Actor("guest"), [GOOD_GOAL], confirm=False, locale="en")
    with pytest.raises(Forbidden):
        await uc.check_goals(ports, internship.id, Actor("boss"), [GOOD_GOAL], "en")
    with pytest.raises(Invalid) as not_smart:
        await uc.agree_goals(ports, internship.id, Actor("host"), [VAGUE_GOAL], confirm=False, locale="en")
    assert not_smart.value.details["field"] == "confirm"
    await uc.agree_goals(ports, internship.id, Actor("host"), [GOOD_GOAL], confirm=False, locale="en")
    with pytest.raises(Forbidden):
        await uc.log(ports, internship.id, Actor("host"), text="Mine")
    with pytest.raises(Forbidden):
        await uc.give_feedback(ports, internship.id, Actor("boss"), rating=5, words="")
    with pytest.raises(Forbidden):
        await uc.write_report(
            ports, internship.id, Actor("host"), title="T", summary="S", body="", tags=[], language=None
        )
    with pytest.raises(Invalid) as language:
        await uc.write_report(
            ports, internship.id, Actor("guest"), title="T", summary="S", body="", tags=[], language="de"
        )
    assert language.value.details["field"] == "language"
    await uc.write_report(ports, internship.id, Actor("guest"), title="T", summary="S", body="", tags=[], language="en")
    with pytest.raises(Conflict):
        await uc.publish_report(ports, kb, internship.id, Actor("guest"))  # not completed
    await uc.give_feedback(ports, internship.id, Actor("guest"), rating=5, words="")
    await uc.give_feedback(ports, internship.id, Actor("host"), rating=5, words="")
    with pytest.raises(Forbidden):
        await uc.publish_report(ports, kb, internship.id, Actor("host"))
    await uc.publish_report(ports, kb, internship.id, Actor("guest"))
    with pytest.raises(Conflict):
        await uc.publish_report(ports, kb, internship.id, Actor("guest"))
    assert [i.id for i in await uc.internships_of(ports, Actor("boss"))] == [internship.id]
    assert await uc.internships_of(ports, Actor("guest-2")) == []


async def test_two_approvals_racing_for_the_last_seat_take_it_once() -> None:
    ports, _ = wired()
    offered = await offer(ports, seats=1)
    first = await uc.apply(ports, offered.id, Actor("guest"), goals="Labels")
    second = await uc.apply(ports, offered.id, Actor("guest-2"), goals="Labels")
    results = await asyncio.gather(
        uc.decide(ports, first.id, Actor("boss"), approve=True),
        uc.decide(ports, second.id, Actor("boss"), approve=True),
        return_exceptions=True,
    )
    assert sorted(type(result).__name__ for result in results) == ["Conflict", "Internship"]
    assert (await uc.get_placement(ports, offered.id)).seats_left == 0
    statuses = sorted([(await uc.view(ports, i.id, Actor("boss"))).status.value for i in (first, second)])
    assert statuses == ["applied", "approved"]


async def test_a_decline_gives_back_a_seat_an_interrupted_approval_took() -> None:
    ports, _ = wired()
    offered = await offer(ports, seats=1)
    internship = await uc.apply(ports, offered.id, Actor("guest"), goals="Labels")
    await handlers.change(ports.placements, offered.id, "placement", lambda p: p.take_seat(internship.id))  # type: ignore[arg-type]
    await uc.decide(ports, internship.id, Actor("boss"), approve=False)
    assert (await uc.get_placement(ports, offered.id)).seats_left == 1


async def test_reciprocity_shows_partner_names_and_refuses_a_bad_unit() -> None:
    ports, _ = wired()
    partner = await uc.register_partner(ports, ADMIN, name="Acme Labs", kind="organisation")
    abroad = await offer(ports, Actor("cur", curator=True), host_unit=partner.unit, host_id="liaison")
    internship = await uc.apply(ports, abroad.id, Actor("guest"), goals="Labels")
    await uc.decide(ports, internship.id, Actor("boss"), approve=True)
    await uc.agree_goals(ports, internship.id, Actor("liaison"), [GOOD_GOAL], confirm=False, locale="en")
    await uc.give_feedback(ports, internship.id, Actor("guest"), rating=5, words="")
    await uc.give_feedback(ports, internship.id, Actor("liaison"), rating=5, words="")
    [sent] = await uc.reciprocity_of(ports, SALES)
    assert (sent.exchange, sent.name) == (Exchange(partner.unit, sent=1), "Acme Labs")
    [hosted] = await uc.reciprocity_of(ports, partner.unit)
    assert (hosted.exchange, hosted.name) == (Exchange(SALES, hosted=1), None)
    with pytest.raises(Invalid) as bad:
        await uc.reciprocity_of(ports, "sales")
    assert bad.value.details["field"] == "unit"


async def test_erasing_the_guest_leaves_no_trace_of_their_id() -> None:
    ports, _ = wired()
    offered = await offer(ports)
    internship = await uc.apply(ports, offered.id, Actor("guest"), goals="Labels")
    await uc.decide(ports, internship.id, Actor("boss"), approve=True)
    assert await handlers.erase_person("guest", ports) >= 1
    repository = ports.internships
    assert isinstance(repository, InMemoryAggregates)
    assert await repository.involving("guest") == []
    assert "guest" not in internship.id


async def test_the_privacy_export_gives_each_side_its_own_words_only() -> None:
    ports, _ = wired()
    offered = await offer(ports)
    internship = await uc.apply(ports, offered.id, Actor("guest"), goals="Learn to label defects")
    await uc.decide(ports, internship.id, Actor("boss"), approve=True)
    await uc.agree_goals(ports, internship.id, Actor("host"), [GOOD_GOAL], confirm=False, locale="en")
    await uc.log(ports, internship.id, Actor("guest"), text="Labelled 200 images")
    await uc.give_feedback(ports, internship.id, Actor("guest"), rating=5, words="Patient hosts")
    await uc.give_feedback(ports, internship.id, Actor("host"), rating=3, words="Often late")

    [as_guest] = (await handlers.export_person("guest", ports))["internships"]
    assert (as_guest["role"], as_guest["goals_text"], as_guest["feedback"]) == (
        "guest",
        "Learn to label defects",
        {"rating": 5, "words": "Patient hosts"},
    )
    assert [entry["text"] for entry in as_guest["log"]] == ["Labelled 200 images"]
    assert "Often late" not in repr(as_guest)
    [as_host] = (await handlers.export_person("host", ports))["internships"]
    assert as_host["feedback"] == {"rating": 3, "words": "Often late"} and "log" not in as_host
    assert "Patient hosts" not in repr(as_host)
    [as_manager] = (await handlers.export_person("boss", ports))["internships"]
    assert (as_manager["role"], as_manager["status"]) == ("manager", "completed")
