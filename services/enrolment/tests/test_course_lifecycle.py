"""A course's life: a trainer proposes, a curator reviews, cohorts are scheduled, the catalogue follows along."""

import dataclasses
import typing
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from enrolment.adapters.repository import to_integration_event
from enrolment.domain import events as ev
from enrolment.domain.model import ApplicationStatus, Course, Proposal, Rules
from enrolment.domain.schedule import Slot
from enrolment.service import handlers
from enrolment.tests.builders import CURATOR, NOW, SLOT, TRAINER, proposal, published_course
from enrolment.tests.fakes import InMemoryCourseRepository, InMemoryPeople
from shared.errors import Conflict, Invalid, NotFound

WEEK = timedelta(weeks=1)


async def proposed(courses: InMemoryCourseRepository, rules: Rules | None = None) -> Course:
    return await handlers.propose_course(
        handlers.ProposeCourse(TRAINER, proposal(), rules or Rules(capacity=2)), courses
    )


async def review(courses: InMemoryCourseRepository, course: Course, verdict: str, comment: str | None = None) -> Course:
    return await handlers.review_course(course.id, CURATOR, verdict, comment, NOW, courses)


async def revise(
    courses: InMemoryCourseRepository, course: Course, trainer_id: str = TRAINER, rules: Rules | None = None
) -> Course:
    command = handlers.ProposeCourse(trainer_id, proposal(sessions=5), rules or Rules(capacity=3))
    return await handlers.revise_course(course.id, command, courses)


async def version(courses: InMemoryCourseRepository, course: Course) -> int:
    return (await handlers.get_course(course.id, courses))[1]


# --- the proposal ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("sessions", [2, 13, 0])
def test_a_course_has_three_to_twelve_sessions(sessions: int) -> None:
    with pytest.raises(Invalid) as raised:
        proposal(sessions=sessions)

    assert raised.value.details == {"field": "sessions"}


@pytest.mark.parametrize("sessions", [3, 12])
def test_three_and_twelve_sessions_are_allowed(sessions: int) -> None:
    assert proposal(sessions=sessions).sessions == sessions


@pytest.mark.parametrize(("capacity", "valid"), [(1, False), (2, True), (30, True), (31, False)])
def test_a_cohort_has_two_to_thirty_seats(capacity: int, valid: bool) -> None:
    if valid:
        assert Rules(capacity=capacity).capacity == capacity
        return
    with pytest.raises(Invalid) as raised:
        Rules(capacity=capacity)
    assert raised.value.details == {"field": "capacity"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"language": "de"}, "language"),
        ({"weekly_effort_hours": 0}, "weekly_effort_hours"),
        ({"title_ru": " ", "title_en": None}, "title_en"),
    ],
)
def test_an_incomplete_proposal_names_what_is_wrong(change: dict[str, object], field: str) -> None:
    with pytest.raises(Invalid) as raised:
        dataclasses.replace(proposal(), **change)  # type: ignore[arg-type]

    assert raised.value.details == {"field": field}


def test_the_title_is_shown_in_the_course_language_else_the_other_one() -> None:
    both = Proposal("Autotests", "Автотесты", "", ("1c",), "ru", 4, 3)
    english_only = dataclasses.replace(both, title_ru=None)

    assert both.title == "Автотесты"
    assert dataclasses.replace(both, language="en").title == "Autotests"
    assert english_only.title == "Autotests"


# --- the curator's review ---------------------------------------------------------------------------------


async def test_a_proposed_course_takes_no_applications() -> None:
    courses = InMemoryCourseRepository()
    course = await proposed(courses)

    with pytest.raises(Conflict) as raised:
        await handlers.apply(handlers.Apply(course.id, "p1", "en"), courses, now=NOW)

    assert raised.value.details == {"status": "proposed"}
    assert await version(courses, course) == 1


@pytest.mark.parametrize("verdict", ["changes_requested", "rejected"])
async def test_only_an_approved_course_takes_applications(verdict: str) -> None:
    courses = InMemoryCourseRepository()
    course = await review(courses, await proposed(courses), verdict, "not yet")

    with pytest.raises(Conflict) as raised:
        await handlers.apply(handlers.Apply(course.id, "p1", "en"), courses, now=NOW)

    assert raised.value.details == {"status": verdict}


async def test_an_approved_course_without_a_cohort_waitlists_and_its_first_cohort_offers_the_seats() -> None:
    courses = InMemoryCourseRepository()
    course = await published_course(courses, cohort=False)
    applied, _ = await handlers.apply(handlers.Apply(course.id, "p1", "en"), courses, now=NOW)

    _, after = await handlers.add_cohort(handlers.AddCohort(course.id, SLOT, (NOW + WEEK).date()), NOW, courses)

    assert applied.status is ApplicationStatus.WAITLISTED
    assert after.applications["p1"].status is ApplicationStatus.OFFERED
    assert after.waitlist == []
    assert [(o.person_id, o.expires_at) for o in after.offers.values()] == [("p1", NOW + timedelta(hours=48))]


@pytest.mark.parametrize("verdict", ["changes_requested", "comment"])
@pytest.mark.parametrize("comment", [None, "", "   "])
async def test_asking_for_changes_or_commenting_needs_a_comment(verdict: str, comment: str | None) -> None:
    courses = InMemoryCourseRepository()
    course = await proposed(courses)

    with pytest.raises(Invalid) as raised:
        await review(courses, course, verdict, comment)

    assert raised.value.details == {"field": "comment"}
    assert await version(courses, course) == 1


async def test_an_unknown_verdict_is_invalid() -> None:
    courses = InMemoryCourseRepository()
    course = await proposed(courses)

    with pytest.raises(Invalid) as raised:
        await review(courses, course, "maybe")

    assert raised.value.details == {"field": "verdict"}


async def test_a_comment_keeps_the_status_and_is_recorded() -> None:
    courses = InMemoryCourseRepository()
    course = await proposed(courses)

    after = await review(courses, course, "comment", "Looks promising")

    assert after.status == "proposed"
    assert [(r.curator_id, r.verdict, r.comment, r.at) for r in after.reviews] == [
        (CURATOR, "comment", "Looks promising", NOW)
    ]
    assert courses.published[-1] == ev.CourseReviewed(
        course.id, TRAINER, CURATOR, "comment", "Looks promising", "proposed"
    )


async def test_after_changes_are_requested_approval_waits_for_the_trainers_resubmission() -> None:
    courses = InMemoryCourseRepository()
    course = await review(courses, await proposed(courses), "changes_requested", "Add a session on mocks")

    with pytest.raises(Conflict):
        await review(courses, course, "approved")
    resubmitted = await revise(courses, course)
    approved = await review(courses, course, "approved")

    assert resubmitted.status == "proposed"
    assert (resubmitted.proposal.sessions, resubmitted.rules.capacity) == (5, 3)
    assert approved.status == "approved"
    proposals = [e for e in courses.published if isinstance(e, ev.CourseProposed)]
    assert [e.resubmission for e in proposals] == [False, True]
    assert isinstance(courses.published[-1], ev.CoursePublished)
    assert courses.published[-1].sessions == 5


async def test_a_revision_while_still_under_review_is_not_a_resubmission() -> None:
    courses = InMemoryCourseRepository()
    course = await proposed(courses)

    await revise(courses, course)

    proposed_again = courses.published[-1]
    assert isinstance(proposed_again, ev.CourseProposed)
    assert (proposed_again.sessions, proposed_again.resubmission) == (5, False)


async def test_only_the_trainer_revises() -> None:
    courses = InMemoryCourseRepository()
    course = await review(courses, await proposed(courses), "changes_requested", "Shorter, please")

    with pytest.raises(Conflict) as raised:
        await revise(courses, course, trainer_id="someone-else")

    assert raised.value.details == {"trainer_id": TRAINER}
    stored, _ = await handlers.get_course(course.id, courses)
    assert (stored.status, stored.proposal.sessions) == ("changes_requested", 4)


@pytest.mark.parametrize("final", ["approved", "rejected"])
@pytest.mark.parametrize("verdict", ["comment", "changes_requested", "approved", "rejected"])
async def test_an_approved_or_rejected_course_takes_no_more_verdicts(final: str, verdict: str) -> None:
    courses = InMemoryCourseRepository()
    course = await review(courses, await proposed(courses), final)

    with pytest.raises(Conflict) as raised:
        await review(courses, course, verdict, "one more thing")

    assert raised.value.details == {"status": final}


@pytest.mark.parametrize("final", ["approved", "rejected"])
async def test_an_approved_or_rejected_course_can_no_longer_be_revised(final: str) -> None:
    courses = InMemoryCourseRepository()
    course = await review(courses, await proposed(courses), final)

    with pytest.raises(Conflict) as raised:
        await revise(courses, course)

    assert raised.value.details == {"status": final}


async def test_a_rehearsal_is_scheduled_in_the_future_before_approval() -> None:
    courses = InMemoryCourseRepository()
    course = await proposed(courses)

    for past in (NOW, NOW - timedelta(minutes=1)):
        with pytest.raises(Invalid) as raised:
            await handlers.schedule_rehearsal(course.id, CURATOR, past, NOW, courses)
        assert raised.value.details == {"field": "starts_at"}
    scheduled = await handlers.schedule_rehearsal(course.id, CURATOR, NOW + timedelta(days=2), NOW, courses)
    await review(courses, course, "approved")

    assert scheduled.rehearsal_at == NOW + timedelta(days=2)
    assert ev.RehearsalScheduled(course.id, TRAINER, CURATOR, NOW + timedelta(days=2)) in courses.published
    with pytest.raises(Conflict):
        await handlers.schedule_rehearsal(course.id, CURATOR, NOW + timedelta(days=3), NOW, courses)


# --- cohorts ----------------------------------------------------------------------------------------------


async def test_a_cohort_is_only_added_to_an_approved_course() -> None:
    courses = InMemoryCourseRepository()
    course = await proposed(courses)

    with pytest.raises(Conflict):
        await handlers.add_cohort(handlers.AddCohort(course.id, SLOT, (NOW + WEEK).date()), NOW, courses)


@pytest.mark.parametrize(
    ("start", "slot"),
    [
        ((NOW - WEEK).date(), SLOT),
        # Today, but the slot (Monday 10:00 in Moscow, 07:00 UTC) was two hours ago.
        (NOW.date(), Slot(0, "10:00", "Europe/Moscow")),
    ],
)
async def test_a_cohort_whose_first_session_has_passed_is_invalid(start: date, slot: Slot) -> None:
    courses = InMemoryCourseRepository()
    course = await published_course(courses, cohort=False)

    with pytest.raises(Invalid) as raised:
        await handlers.add_cohort(handlers.AddCohort(course.id, slot, start), NOW, courses)

    assert raised.value.details == {"field": "start_date"}
    assert await version(courses, course) == 2


@pytest.mark.parametrize("capacity", [1, 31])
async def test_a_cohort_capacity_outside_two_to_thirty_is_invalid(capacity: int) -> None:
    courses = InMemoryCourseRepository()
    course = await published_course(courses, cohort=False)

    with pytest.raises(Invalid) as raised:
        await handlers.add_cohort(handlers.AddCohort(course.id, SLOT, NOW.date(), capacity=capacity), NOW, courses)

    assert raised.value.details == {"field": "capacity"}


async def test_sessions_are_weekly_from_the_first_slot_on_or_after_the_start_date() -> None:
    courses = InMemoryCourseRepository()
    course = await published_course(courses, sessions=4)  # starts Monday 30 November; the slot is Wednesdays

    starts = course.cohorts[0].session_starts

    assert starts == tuple(datetime(2026, 12, 2, 12, 0, tzinfo=UTC) + n * WEEK for n in range(4))  # 15:00 Moscow


async def test_sessions_keep_their_local_time_across_the_end_of_daylight_saving() -> None:
    courses = InMemoryCourseRepository()
    early = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    course = await published_course(courses, now=early, cohort=False)
    thursdays_in_berlin = Slot(3, "10:00", "Europe/Berlin")

    cohort, _ = await handlers.add_cohort(
        handlers.AddCohort(course.id, thursdays_in_berlin, date(2026, 10, 15)), early, courses
    )

    berlin = [start.astimezone(ZoneInfo("Europe/Berlin")) for start in cohort.session_starts]
    assert [(s.date(), s.strftime("%H:%M")) for s in berlin] == [
        (date(2026, 10, 15), "10:00"),
        (date(2026, 10, 22), "10:00"),
        (date(2026, 10, 29), "10:00"),  # the clocks went back on Sunday 25 October
        (date(2026, 11, 5), "10:00"),
    ]
    assert [s.hour for s in cohort.session_starts] == [8, 8, 9, 9]  # UTC


async def test_a_second_cohort_gets_the_next_number_its_own_seats_and_trainer() -> None:
    courses = InMemoryCourseRepository()
    course = await published_course(courses, capacity=7)

    cohort, after = await handlers.add_cohort(
        handlers.AddCohort(course.id, SLOT, (NOW + 2 * WEEK).date(), capacity=12, trainer_id="trainer-tanya"),
        NOW,
        courses,
    )

    assert [(c.number, c.capacity, c.trainer_id) for c in after.cohorts] == [
        (1, 7, TRAINER),
        (2, 12, "trainer-tanya"),
    ]
    roster = await handlers.roster(course.id, cohort.id, courses)
    assert (roster.trainer_id, roster.members, roster.session_starts) == (
        "trainer-tanya",
        (),
        cohort.session_starts,
    )
    with pytest.raises(NotFound):
        await handlers.roster(course.id, "no-such-cohort", courses)


# --- the catalogue ----------------------------------------------------------------------------------------


async def catalogue_status(courses: InMemoryCourseRepository, course: Course, now: datetime) -> str:
    cards, _ = await courses.search(now)
    return next(str(card["catalogue_status"]) for card in cards if card["_id"] == course.id)


async def test_the_catalogue_shows_open_then_waitlist_only_then_running_then_finished() -> None:
    courses = InMemoryCourseRepository()
    course = await published_course(courses, capacity=2, sessions=4)
    first, last = course.cohorts[0].session_starts[0], course.cohorts[0].session_starts[-1]

    assert await catalogue_status(courses, course, NOW) == "open"
    for person in ("p1", "p2"):
        await handlers.apply(handlers.Apply(course.id, person, "en"), courses, now=NOW)
    assert await catalogue_status(courses, course, NOW) == "waitlist_only"
    assert await catalogue_status(courses, course, first - timedelta(seconds=1)) == "waitlist_only"
    assert await catalogue_status(courses, course, first) == "running"
    assert await catalogue_status(courses, course, last - timedelta(seconds=1)) == "running"
    assert await catalogue_status(courses, course, last) == "finished"


async def test_a_free_seat_is_open_only_until_newcomers_may_join() -> None:
    courses = InMemoryCourseRepository()
    until_second = await published_course(courses, rules=Rules(capacity=2, withdrawal_until_session=2))
    until_first = await published_course(courses, capacity=2)
    first = until_first.cohorts[0].session_starts[0]

    assert await catalogue_status(courses, until_first, first - timedelta(minutes=1)) == "open"
    assert await catalogue_status(courses, until_first, first) == "running"
    assert await catalogue_status(courses, until_second, first + timedelta(hours=1)) == "open"
    assert await catalogue_status(courses, until_second, first + WEEK) == "running"


async def test_a_course_without_cohorts_is_waitlist_only_and_proposals_stay_out_of_the_catalogue() -> None:
    courses = InMemoryCourseRepository()
    no_cohort = await published_course(courses, cohort=False)
    await proposed(courses)

    cards, total = await courses.search(NOW)

    assert total == 1
    assert [(card["_id"], card["catalogue_status"]) for card in cards] == [(no_cohort.id, "waitlist_only")]
    _, with_proposals = await courses.search(NOW, statuses=("approved", "proposed"))
    assert with_proposals == 2


async def test_the_catalogue_filters_by_words_competency_language_and_status() -> None:
    courses = InMemoryCourseRepository()
    python = await published_course(courses, title="Python для аналитиков")
    sql = await published_course(courses, title="SQL для аналитиков", cohort=False)

    async def found(**filters: typing.Any) -> list[str]:
        cards, total = await courses.search(NOW, **filters)
        assert total == len(cards)
        return sorted(str(card["_id"]) for card in cards)

    assert await found(text="АНАЛИТИКОВ python") == [python.id]
    assert await found(text="аналитиков") == sorted([python.id, sql.id])
    assert await found(competency="1c") == sorted([python.id, sql.id])
    assert await found(competency="go") == []
    assert await found(language="en") == []
    assert await found(status="open") == [python.id]
    assert await found(status="waitlist_only") == [sql.id]
    page, total = await courses.search(NOW, limit=1, offset=1)
    assert (len(page), total) == (1, 2)


# --- every event a course records reaches other services -------------------------------------------------


async def test_every_event_of_a_full_flow_maps_to_an_integration_event() -> None:
    courses, people = InMemoryCourseRepository(), InMemoryPeople()
    for n in range(1, 11):
        people.upsert(f"p{n}", locale="ru", manager_id="boss", department=f"d{n % 3}", time_zone="Europe/Moscow")
    rules = Rules(capacity=3, manager_approval=True, offer_hours=24)
    course = await handlers.propose_course(handlers.ProposeCourse(TRAINER, proposal(), rules), courses)
    await handlers.schedule_rehearsal(course.id, CURATOR, NOW + timedelta(days=1), NOW, courses)
    await review(courses, course, "comment", "Nice")
    await review(courses, course, "changes_requested", "Add homework")
    await revise(courses, course, rules=rules)
    await review(courses, course, "approved")
    await handlers.add_cohort(handlers.AddCohort(course.id, SLOT, (NOW + WEEK).date()), NOW, courses)

    async def join(person: str, approve: bool = True) -> None:
        await handlers.apply(handlers.Apply(course.id, person), courses, people=people, now=NOW)
        await handlers.decide_as_manager(course.id, person, "boss", approve, NOW, courses)

    for n in range(1, 10):  # p1..p3 enrolled; p4..p6 waiting (and proposed a stream); p7..p9 waiting
        await join(f"p{n}")
    await join("p10", approve=False)
    await handlers.withdraw(course.id, "p1", NOW, courses)  # the seat is offered to p4
    await handlers.confirm_offer(course.id, "p4", NOW, courses)
    await handlers.withdraw(course.id, "p2", NOW, courses)  # offered to p5...
    await handlers.withdraw(course.id, "p5", NOW, courses)  # ...who declines: offered to p6...
    assert await handlers.expire_offers(NOW + timedelta(hours=25), courses) == 1  # ...who lets it lapse: p7
    stored, _ = await handlers.get_course(course.id, courses)
    assert stored.stream_proposal is not None
    cohort, _ = await handlers.decide_stream(
        handlers.DecideStream(course.id, stored.stream_proposal.id, CURATOR, True), NOW, courses
    )
    assert cohort is not None
    assert cohort.members == ["p8", "p9"]  # the proposed ones got seats meanwhile: topped up from the waitlist
    rejected = await proposed(courses)
    await review(courses, rejected, "rejected")

    mapped = [to_integration_event(event) for event in courses.published]

    recorded = {type(event) for event in courses.published}
    assert recorded == set(typing.get_args(ev.DomainEvent))  # the flow records every kind of event
    assert len(mapped) == len(courses.published)
    assert {type(m).__name__ for m in mapped} >= {"SeatOfferedV1", "SeatOfferEndedV1", "StreamProposalDecidedV1"}
    ended = [e.outcome for e in courses.published if isinstance(e, ev.SeatOfferEnded)]
    assert sorted(ended) == ["confirmed", "declined", "expired"]
    verdicts = {e.verdict for e in courses.published if isinstance(e, ev.CourseReviewed)}
    assert verdicts == {"comment", "changes_requested", "approved", "rejected"}
