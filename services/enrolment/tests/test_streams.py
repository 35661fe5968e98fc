"""New streams from the waitlist: proposed once a cohort's worth waits, mixed by department and level,
at a slot the members can attend, accepted (perhaps edited) or rejected by a curator."""

import dataclasses
from datetime import date, timedelta

import pytest

from enrolment.domain import events as ev
from enrolment.domain.model import Application, ApplicationStatus, Cohort, Course, Rules, balanced_members
from enrolment.domain.schedule import Slot, suggest_slot
from enrolment.service import handlers
from enrolment.tests.builders import CURATOR, NOW, SLOT, TRAINER, proposal
from enrolment.tests.fakes import InMemoryCourseRepository, InMemoryPeople
from shared.errors import Conflict, Invalid, NotFound

MOSCOW, NOVOSIBIRSK = "Europe/Moscow", "Asia/Novosibirsk"


class Setup:
    """A published course with a first cohort, and a directory copy for the applicants' background."""

    def __init__(self) -> None:
        self.courses = InMemoryCourseRepository()
        self.people = InMemoryPeople()
        self.course_id = ""

    async def publish(self, capacity: int = 3, availability: tuple[Slot, ...] = ()) -> Course:
        chosen = dataclasses.replace(proposal(), availability=availability)
        course = await handlers.propose_course(
            handlers.ProposeCourse(TRAINER, chosen, Rules(capacity=capacity)), self.courses
        )
        await handlers.review_course(course.id, CURATOR, "approved", None, NOW, self.courses)
        _, course = await handlers.add_cohort(
            handlers.AddCohort(course.id, SLOT, (NOW + timedelta(days=7)).date()), NOW, self.courses
        )
        self.course_id = course.id
        return course

    async def apply(
        self,
        *people: str,
        department: str | None = None,
        time_zone: str | None = None,
        level: str = "beginner",
        preferred: str | None = None,
    ) -> None:
        for person in people:
            self.people.upsert(person, department=department, time_zone=time_zone, locale="en")
            command = handlers.Apply(self.course_id, person, level=level, preferred_cohort_id=preferred)
            await handlers.apply(command, self.courses, people=self.people, now=NOW)

    async def course(self) -> Course:
        return (await handlers.get_course(self.course_id, self.courses))[0]

    def proposals(self) -> list[ev.StreamProposed]:
        return [e for e in self.courses.published if isinstance(e, ev.StreamProposed)]

    async def decide(
        self,
        accept: bool,
        member_ids: list[str] | None = None,
        *,
        slot: Slot | None = None,
        start_date: date | None = None,
    ) -> tuple[Cohort | None, Course]:
        course = await self.course()
        assert course.stream_proposal is not None
        command = handlers.DecideStream(
            self.course_id, course.stream_proposal.id, CURATOR, accept, member_ids, slot, start_date
        )
        return await handlers.decide_stream(command, NOW, self.courses)


async def full_with_waiting(capacity: int = 3, waiting: int = 3, **background: str) -> Setup:
    """The first cohort full (s1..), then `waiting` people on the waitlist (w1..)."""
    setup = Setup()
    await setup.publish(capacity)
    await setup.apply(*(f"s{n}" for n in range(1, capacity + 1)))
    await setup.apply(*(f"w{n}" for n in range(1, waiting + 1)), **background)
    return setup


# --- when a stream is proposed --------------------------------------------------------------------------


async def test_a_stream_is_proposed_once_the_waitlist_holds_a_cohorts_worth() -> None:
    setup = await full_with_waiting(capacity=3, waiting=2)
    assert setup.proposals() == []

    await setup.apply("w3")

    course = await setup.course()
    assert course.stream_proposal is not None
    assert setup.proposals() == [
        ev.StreamProposed(course.id, course.stream_proposal.id, ("w1", "w2", "w3"), 1, "10:00", MOSCOW)
    ]
    assert course.waitlist == ["w1", "w2", "w3"]  # proposed, still waiting until a curator decides


async def test_no_second_proposal_while_one_is_open() -> None:
    setup = await full_with_waiting(capacity=3, waiting=3)

    await setup.apply("w4", "w5", "w6", "w7")

    assert len(setup.proposals()) == 1


async def test_people_waiting_for_a_particular_cohort_do_not_make_a_new_stream() -> None:
    setup = Setup()
    course = await setup.publish(capacity=2)
    await setup.apply("s1", "s2")

    await setup.apply("f1", "f2", "f3", preferred=course.cohorts[0].id)
    await setup.apply("w1")

    assert setup.proposals() == []
    assert (await setup.course()).waitlist == ["f1", "f2", "f3", "w1"]


# --- who is proposed ------------------------------------------------------------------------------------


async def test_rejecting_raises_the_bar_until_another_cohorts_worth_waits() -> None:
    setup = await full_with_waiting(capacity=3, waiting=3)

    cohort, course = await setup.decide(False)

    assert cohort is None
    assert course.stream_proposal is not None and not course.stream_proposal.open
    assert len(course.cohorts) == 1
    assert [(e.accepted, e.cohort_id) for e in setup.courses.published if isinstance(e, ev.StreamProposalDecided)] == [
        (False, None)
    ]
    await setup.apply("w4", "w5")
    assert len(setup.proposals()) == 1
    await setup.apply("w6")
    assert len(setup.proposals()) == 2
    first, second = setup.proposals()
    assert first.proposal_id != second.proposal_id


async def test_after_a_rejection_another_cohorts_worth_is_enough_when_some_wait_for_a_given_cohort() -> None:
    setup = Setup()
    course = await setup.publish(capacity=3)
    await setup.apply("s1", "s2", "s3")
    await setup.apply("f1", "f2", "f3", preferred=course.cohorts[0].id)  # they wait for the first cohort only
    await setup.apply("w1", "w2", "w3")
    await setup.decide(False)

    await setup.apply("w4", "w5", "w6")

    assert len(setup.proposals()) == 2


async def test_a_decided_proposal_cannot_be_decided_again_and_an_unknown_one_is_not_found() -> None:
    setup = await full_with_waiting(capacity=3, waiting=3)
    course = await setup.course()
    assert course.stream_proposal is not None
    proposal_id = course.stream_proposal.id
    await setup.decide(False)

    with pytest.raises(Conflict):
        await handlers.decide_stream(
            handlers.DecideStream(setup.course_id, proposal_id, CURATOR, True), NOW, setup.courses
        )
    with pytest.raises(NotFound) as raised:
        await handlers.decide_stream(
            handlers.DecideStream(setup.course_id, "no-such-proposal", CURATOR, True), NOW, setup.courses
        )
    assert raised.value.details == {"proposal_id": "no-such-proposal"}


async def test_departments_take_turns_in_a_proposed_stream() -> None:
    setup = await full_with_waiting(capacity=3, waiting=0)
    await setup.apply("sales-1", "sales-2", "sales-3", department="Sales")  # one department fills a proposal...
    await setup.decide(False)  # ...that the curator rejects

    await setup.apply("it-1", department="IT")
    await setup.apply("sales-4", department="Sales")
    await setup.apply("hr-1", department="HR")

    assert [p.member_ids for p in setup.proposals()] == [
        ("sales-1", "sales-2", "sales-3"),
        ("sales-1", "it-1", "hr-1"),  # the department waiting longest first, then each in turn
    ]


async def test_a_stream_is_never_all_beginners_when_someone_experienced_waits() -> None:
    setup = await full_with_waiting(capacity=3, waiting=3)
    await setup.decide(False)

    await setup.apply("w4", "w5")
    await setup.apply("senior", level="advanced")

    assert setup.proposals()[-1].member_ids == ("w1", "w2", "senior")


def application(person: str, arrival: int, department: str | None = None, level: str = "beginner") -> Application:
    return Application(
        f"a-{person}", person, "en", ApplicationStatus.WAITLISTED, arrival, level=level, department=department
    )


def test_balanced_members_round_robin_over_departments_in_arrival_order() -> None:
    waiting = [
        application("d1", 1, "Data"),
        application("d2", 2, "Data"),
        application("d3", 3, "Data"),
        application("o1", 4, "Ops"),
        application("d4", 5, "Data"),
        application("o2", 6, "Ops"),
        application("x1", 7),
    ]

    chosen = balanced_members(reversed(waiting), 5)

    assert [a.person_id for a in chosen] == ["d1", "d2", "o1", "o2", "x1"]


def test_balanced_members_takes_everyone_when_fewer_wait() -> None:
    waiting = [application("a", 1, "Data"), application("b", 2, "Ops")]

    assert [a.person_id for a in balanced_members(waiting, 7)] == ["a", "b"]


def test_balanced_members_counts_those_already_joining_for_the_beginner_rule() -> None:
    waiting = [application("b1", 1), application("b2", 2), application("pro", 3, level="intermediate")]
    experienced_joining = [application("lead", 0, level="advanced")]

    assert [a.person_id for a in balanced_members(waiting, 2)] == ["b1", "pro"]
    assert [a.person_id for a in balanced_members(waiting, 2, experienced_joining)] == ["b1", "b2"]


def test_beginners_alone_are_fine_when_nobody_experienced_waits() -> None:
    waiting = [application(f"b{n}", n) for n in range(1, 5)]

    assert [a.person_id for a in balanced_members(waiting, 3)] == ["b1", "b2", "b3"]


# --- when the stream meets ------------------------------------------------------------------------------

EVENING_IN_MOSCOW = Slot(1, "17:30", MOSCOW)  # 21:30 in Novosibirsk
EARLY_IN_MOSCOW = Slot(3, "08:00", MOSCOW)  # 12:00 in Novosibirsk
LATE_MORNING_IN_MOSCOW = Slot(2, "10:00", MOSCOW)  # 14:00 in Novosibirsk


@pytest.mark.parametrize(
    ("zones", "expected"),
    [
        ((NOVOSIBIRSK, NOVOSIBIRSK, MOSCOW), EARLY_IN_MOSCOW),
        ((MOSCOW, MOSCOW, NOVOSIBIRSK), EVENING_IN_MOSCOW),
    ],
)
async def test_the_proposed_slot_is_the_trainers_slot_most_members_attend_in_working_hours(
    zones: tuple[str, ...], expected: Slot
) -> None:
    setup = Setup()
    await setup.publish(capacity=3, availability=(EVENING_IN_MOSCOW, EARLY_IN_MOSCOW))
    await setup.apply("s1", "s2", "s3")

    for n, zone in enumerate(zones, start=1):
        await setup.apply(f"w{n}", time_zone=zone)

    (proposed,) = setup.proposals()
    assert Slot(proposed.weekday, proposed.local_time, proposed.time_zone) == expected


async def test_a_slot_everyone_can_attend_wins() -> None:
    setup = Setup()
    await setup.publish(capacity=3, availability=(EVENING_IN_MOSCOW, EARLY_IN_MOSCOW, LATE_MORNING_IN_MOSCOW))
    await setup.apply("s1", "s2", "s3")

    await setup.apply("w1", "w2", time_zone=NOVOSIBIRSK)
    await setup.apply("w3", time_zone=MOSCOW)

    course = await setup.course()
    assert course.stream_proposal is not None
    assert course.stream_proposal.slot == LATE_MORNING_IN_MOSCOW


def test_a_slot_suits_weekday_working_hours_in_the_members_zone() -> None:
    monday = date(2026, 11, 30)

    assert EARLY_IN_MOSCOW.suits(NOVOSIBIRSK, monday)
    assert not EARLY_IN_MOSCOW.suits(MOSCOW, monday)
    assert EVENING_IN_MOSCOW.suits(MOSCOW, monday)
    assert not EVENING_IN_MOSCOW.suits(NOVOSIBIRSK, monday)
    assert not Slot(5, "12:00", MOSCOW).suits(MOSCOW, monday)  # a Saturday


def test_ties_keep_the_trainers_order_and_without_availability_weekday_hours_are_tried() -> None:
    monday = date(2026, 11, 30)

    assert suggest_slot([MOSCOW], [EVENING_IN_MOSCOW, LATE_MORNING_IN_MOSCOW], MOSCOW, monday) == EVENING_IN_MOSCOW
    assert suggest_slot([NOVOSIBIRSK], [], MOSCOW, monday) == Slot(1, "10:00", MOSCOW)
    # A member in London: the first default hour of the trainer's that is 9:00 or later for them.
    assert suggest_slot(["Europe/London"], [], MOSCOW, monday) == Slot(1, "12:00", MOSCOW)


# --- the curator's decision -----------------------------------------------------------------------------


async def test_accepting_creates_the_next_cohort_with_the_members_enrolled() -> None:
    setup = await full_with_waiting(capacity=3, waiting=4)
    before = await setup.course()
    assert before.stream_proposal is not None
    mark = len(setup.courses.published)

    cohort, course = await setup.decide(True)

    assert cohort is not None
    assert (cohort.number, cohort.capacity, cohort.trainer_id, cohort.members) == (2, 3, TRAINER, ["w1", "w2", "w3"])
    assert cohort.slot == before.stream_proposal.slot
    assert cohort.session_starts[0].date() >= (NOW + timedelta(days=7)).date()
    assert course.waitlist == ["w4"]
    assert [course.applications[p].cohort_id for p in ("w1", "w2", "w3")] == [cohort.id] * 3
    assert [status_of(course, p) for p in ("w1", "w2", "w3", "w4")] == ["enrolled"] * 3 + ["waitlisted"]
    published = setup.courses.published[mark:]
    assert [type(e).__name__ for e in published] == [
        "CohortScheduled",
        "ApplicantEnrolled",
        "ApplicantEnrolled",
        "ApplicantEnrolled",
        "StreamProposalDecided",
    ]
    assert all(e.promoted for e in published if isinstance(e, ev.ApplicantEnrolled))
    assert published[-1] == ev.StreamProposalDecided(course.id, before.stream_proposal.id, CURATOR, True, cohort.id)
    roster = await handlers.roster(course.id, cohort.id, setup.courses)
    assert roster.members == ("w1", "w2", "w3")


def status_of(course: Course, person: str) -> str:
    return course.applications[person].status.value


async def test_an_edited_acceptance_sets_members_slot_and_start_and_offers_the_seat_left() -> None:
    setup = await full_with_waiting(capacity=3, waiting=5)
    thursday = Slot(3, "11:00", NOVOSIBIRSK)

    cohort, course = await setup.decide(True, ["w2", "w5"], slot=thursday, start_date=date(2026, 12, 14))

    assert cohort is not None
    assert (cohort.members, cohort.slot, cohort.session_starts[0].date()) == (
        ["w2", "w5"],
        thursday,
        date(2026, 12, 17),
    )
    assert list(course.offers) == ["w1"]  # the third seat goes to the first still waiting
    assert course.offers["w1"].cohort_id == cohort.id
    assert course.waitlist == ["w3", "w4"]


async def test_edited_members_must_be_waiting_and_the_proposal_stays_open_for_a_corrected_decision() -> None:
    setup = await full_with_waiting(capacity=3, waiting=3)
    version = setup.courses.states[setup.course_id][1]

    for members in (["w1", "s1"], ["w1", "stranger"], []):
        with pytest.raises(Invalid) as raised:
            await setup.decide(True, members)
        assert raised.value.details == {"field": "member_ids"}
    assert setup.courses.states[setup.course_id][1] == version  # nothing saved

    cohort, _ = await setup.decide(True, ["w1", "w3"])
    assert cohort is not None
    assert cohort.members == ["w1", "w3"]


async def test_a_member_named_twice_is_enrolled_once() -> None:
    setup = await full_with_waiting(capacity=3, waiting=3)

    cohort, course = await setup.decide(True, ["w1", "w1", "w2"])

    assert cohort is not None
    assert cohort.members == ["w1", "w2"]
    assert course.waitlist == []
    assert list(course.offers) == ["w3"]


async def test_a_stream_starting_in_the_past_is_invalid() -> None:
    setup = await full_with_waiting(capacity=3, waiting=3)

    with pytest.raises(Invalid) as raised:
        await setup.decide(True, start_date=NOW.date() - timedelta(days=7))

    assert raised.value.details == {"field": "start_date"}
    assert len((await setup.course()).cohorts) == 1


async def test_a_member_offered_a_seat_meanwhile_is_replaced_from_the_waitlist() -> None:
    setup = await full_with_waiting(capacity=3, waiting=4)  # w1..w3 proposed, w4 waits too
    await handlers.withdraw(setup.course_id, "s1", NOW, setup.courses)  # the freed seat is offered to w1

    cohort, course = await setup.decide(True)

    assert cohort is not None
    assert cohort.members == ["w2", "w3", "w4"]
    assert list(course.offers) == ["w1"]
    assert course.waitlist == []


async def test_a_proposed_member_offered_a_seat_cannot_be_named_in_an_edit() -> None:
    setup = await full_with_waiting(capacity=3, waiting=3)
    await handlers.withdraw(setup.course_id, "s1", NOW, setup.courses)

    with pytest.raises(Invalid) as raised:
        await setup.decide(True, ["w1", "w2"])

    assert raised.value.details == {"field": "member_ids"}


async def test_after_an_acceptance_the_next_cohorts_worth_is_proposed_again() -> None:
    setup = await full_with_waiting(capacity=3, waiting=3)
    await setup.decide(True)

    await setup.apply("n1", "n2")  # cohort 2 is full too: they wait
    assert len(setup.proposals()) == 1
    await setup.apply("n3")

    assert [p.member_ids for p in setup.proposals()] == [("w1", "w2", "w3"), ("n1", "n2", "n3")]
