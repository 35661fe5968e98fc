"""Seats and the waitlist: first come first seated, withdrawals within the window, seat offers to confirm in time."""

import asyncio
from datetime import datetime, timedelta

import pytest

from enrolment.domain import events as ev
from enrolment.domain.model import AlreadyApplied, Application, ApplicationStatus, Course, Rules
from enrolment.service import handlers
from enrolment.tests.builders import NOW, SLOT, published_course
from enrolment.tests.fakes import InMemoryCourseRepository, InMemoryErasures, InMemoryPeople
from shared.errors import Conflict, Invalid, NotFound

OFFER_HOURS = 48
DEADLINE = NOW + timedelta(hours=OFFER_HOURS)


async def apply(
    courses: InMemoryCourseRepository,
    course: Course,
    person: str,
    *,
    people: InMemoryPeople | None = None,
    preferred: str | None = None,
    now: datetime = NOW,
) -> Application:
    command = handlers.Apply(course.id, person, "en", preferred_cohort_id=preferred)
    application, _ = await handlers.apply(command, courses, people=people, now=now)
    return application


async def course_with(
    courses: InMemoryCourseRepository,
    capacity: int,
    *people: str,
    manager_approval: bool = False,
    withdrawal_until_session: int = 1,
    offer_hours: int = OFFER_HOURS,
) -> Course:
    """A published course with one cohort, `people` applying in this order."""
    rules = Rules(capacity, manager_approval, withdrawal_until_session, offer_hours)
    course = await published_course(courses, rules=rules)
    for person in people:
        await apply(courses, course, person)
    return (await handlers.get_course(course.id, courses))[0]


async def current(courses: InMemoryCourseRepository, course: Course) -> Course:
    return (await handlers.get_course(course.id, courses))[0]


def status(course: Course, person: str) -> str:
    return course.applications[person].status.value


def events_since(courses: InMemoryCourseRepository, mark: int) -> list[ev.DomainEvent]:
    return courses.published[mark:]


def offered(events: list[ev.DomainEvent]) -> list[str]:
    return [e.person_id for e in events if isinstance(e, ev.SeatOffered)]


# --- applying ---------------------------------------------------------------------------------------------


async def test_sixteen_applicants_for_seven_seats_seven_enrolled_nine_waitlisted_in_arrival_order() -> None:
    courses = InMemoryCourseRepository()
    applicants = [f"p{n:02}" for n in range(1, 17)]

    course = await course_with(courses, 7, *applicants)

    assert course.cohorts[0].members == applicants[:7]
    assert course.waitlist == applicants[7:]
    assert [course.waitlist_position(p) for p in applicants[7:]] == list(range(1, 10))
    assert [status(course, p) for p in applicants] == ["enrolled"] * 7 + ["waitlisted"] * 9
    waitlisted = [(e.person_id, e.position) for e in courses.published if isinstance(e, ev.ApplicantWaitlisted)]
    assert waitlisted == list(zip(applicants[7:], range(1, 10), strict=True))


async def test_applying_twice_is_refused_with_the_existing_application() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1", "p2")
    waiting = await apply(courses, course, "p3")

    for person, application_status in (("p1", "enrolled"), ("p3", "waitlisted")):
        with pytest.raises(AlreadyApplied) as raised:
            await apply(courses, course, person)
        assert isinstance(raised.value, Conflict)  # 409
        expected = course.applications["p1"].id if person == "p1" else waiting.id
        assert raised.value.details == {"application_id": expected, "status": application_status}


async def test_reapplying_after_withdrawing_is_a_new_application_at_the_end_of_the_queue() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1", "p2", "p3", "p4")
    first = course.applications["p3"]
    await handlers.withdraw(course.id, "p3", NOW, courses)

    again = await apply(courses, course, "p3")

    assert again.id != first.id
    assert again.status is ApplicationStatus.WAITLISTED
    assert (await current(courses, course)).waitlist == ["p4", "p3"]


async def test_reapplying_after_leaving_a_seat_takes_a_seat_still_free() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1")
    await handlers.withdraw(course.id, "p1", NOW, courses)

    again = await apply(courses, course, "p1")

    assert again.status is ApplicationStatus.ENROLLED
    assert (await current(courses, course)).cohorts[0].members == ["p1"]


async def test_an_unknown_level_or_preferred_cohort_is_refused() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2)

    with pytest.raises(Invalid) as raised:
        await handlers.apply(handlers.Apply(course.id, "p1", level="guru"), courses, now=NOW)
    assert raised.value.details == {"field": "level"}
    with pytest.raises(Invalid) as unknown_cohort:
        await apply(courses, course, "p1", preferred="no-such-cohort")
    assert unknown_cohort.value.details == {"field": "preferred_cohort_id"}


async def test_the_directory_copy_gives_the_locale_and_background() -> None:
    courses, people = InMemoryCourseRepository(), InMemoryPeople()
    people.upsert("anna", locale="ru", department="Sales", time_zone="Asia/Novosibirsk", manager_id="boss")
    course = await course_with(courses, 2)

    application, _ = await handlers.apply(handlers.Apply(course.id, "anna"), courses, people=people, now=NOW)

    assert (application.locale, application.department, application.time_zone, application.manager_id) == (
        "ru",
        "Sales",
        "Asia/Novosibirsk",
        "boss",
    )
    assert courses.published[-1] == ev.ApplicantEnrolled(
        course.id, course.title, course.cohorts[0].id, application.id, "anna", "ru"
    )


# --- manager approval -------------------------------------------------------------------------------------


async def manager_course(courses: InMemoryCourseRepository, people: InMemoryPeople) -> Course:
    for person in ("anna", "boris"):
        people.upsert(person, locale="ru", manager_id="mia")
    return await course_with(courses, 2, manager_approval=True)


async def test_with_manager_approval_an_application_waits_for_the_recorded_manager() -> None:
    courses, people = InMemoryCourseRepository(), InMemoryPeople()
    course = await manager_course(courses, people)

    application = await apply(courses, course, "anna", people=people)

    assert application.status is ApplicationStatus.AWAITING_MANAGER
    assert courses.published[-1] == ev.ApplicantAwaitingManager(
        course.id, course.title, application.id, "anna", "mia", "en"
    )
    with pytest.raises(AlreadyApplied) as raised:
        await apply(courses, course, "anna", people=people)
    assert raised.value.details["status"] == "awaiting_manager"
    assert (await current(courses, course)).cohorts[0].members == []  # no seat held while waiting


async def test_only_the_recorded_manager_decides() -> None:
    courses, people = InMemoryCourseRepository(), InMemoryPeople()
    course = await manager_course(courses, people)
    await apply(courses, course, "anna", people=people)

    with pytest.raises(Conflict) as raised:
        await handlers.decide_as_manager(course.id, "anna", "someone-else", True, NOW, courses)

    assert raised.value.details == {"manager_id": "mia"}
    assert status(await current(courses, course), "anna") == "awaiting_manager"


async def test_the_managers_approval_places_the_application() -> None:
    courses, people = InMemoryCourseRepository(), InMemoryPeople()
    course = await manager_course(courses, people)
    await apply(courses, course, "anna", people=people)

    approved, after = await handlers.decide_as_manager(course.id, "anna", "mia", True, NOW, courses)

    assert approved.status is ApplicationStatus.ENROLLED
    assert after.cohorts[0].members == ["anna"]
    with pytest.raises(Conflict):  # decided once
        await handlers.decide_as_manager(course.id, "anna", "mia", False, NOW, courses)


async def test_a_manager_declines_and_the_person_may_apply_again() -> None:
    courses, people = InMemoryCourseRepository(), InMemoryPeople()
    course = await manager_course(courses, people)
    application = await apply(courses, course, "anna", people=people)

    declined, after = await handlers.decide_as_manager(course.id, "anna", "mia", False, NOW, courses)

    assert declined.status is ApplicationStatus.DECLINED_BY_MANAGER
    assert after.cohorts[0].members == []
    assert courses.published[-1] == ev.ApplicantDeclinedByManager(
        course.id, course.title, application.id, "anna", "mia", "en"
    )
    again = await apply(courses, course, "anna", people=people)
    assert again.status is ApplicationStatus.AWAITING_MANAGER


async def test_without_manager_approval_nobody_is_asked() -> None:
    courses, people = InMemoryCourseRepository(), InMemoryPeople()
    people.upsert("anna", manager_id="mia")
    course = await course_with(courses, 2)

    application = await apply(courses, course, "anna", people=people)

    assert application.status is ApplicationStatus.ENROLLED
    with pytest.raises(Conflict):
        await handlers.decide_as_manager(course.id, "anna", "mia", True, NOW, courses)


# --- withdrawing ------------------------------------------------------------------------------------------


async def test_withdrawing_twice_is_refused() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1")
    await handlers.withdraw(course.id, "p1", NOW, courses)

    with pytest.raises(Conflict) as raised:
        await handlers.withdraw(course.id, "p1", NOW, courses)

    assert raised.value.details == {"status": "withdrawn"}


async def test_withdrawing_without_applying_is_not_found() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2)

    with pytest.raises(NotFound):
        await handlers.withdraw(course.id, "stranger", NOW, courses)


async def test_a_waiting_person_who_withdraws_leaves_the_queue_and_the_others_move_up() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1", "p2", "p3", "p4", "p5")
    mark = len(courses.published)

    withdrawn, after = await handlers.withdraw(course.id, "p3", NOW, courses)

    assert withdrawn.status is ApplicationStatus.WITHDRAWN
    assert [(p, after.waitlist_position(p)) for p in after.waitlist] == [("p4", 1), ("p5", 2)]
    assert events_since(courses, mark) == [ev.ApplicantWithdrew(course.id, withdrawn.id, "p3", None)]


async def test_withdrawing_a_seat_closes_when_the_first_session_starts() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1", "p2")
    first = course.cohorts[0].session_starts[0]

    await handlers.withdraw(course.id, "p1", first - timedelta(minutes=1), courses)
    with pytest.raises(Conflict):
        await handlers.withdraw(course.id, "p2", first, courses)

    assert (await current(courses, course)).cohorts[0].members == ["p2"]


async def test_the_withdrawal_window_may_reach_a_later_session() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1", "p2", withdrawal_until_session=2)
    first, second = course.cohorts[0].session_starts[:2]

    await handlers.withdraw(course.id, "p1", first + timedelta(hours=1), courses)
    with pytest.raises(Conflict):
        await handlers.withdraw(course.id, "p2", second, courses)


async def test_nobody_joins_a_cohort_whose_sessions_are_over_even_with_a_long_withdrawal_window() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1", withdrawal_until_session=5)  # the course has 4 sessions
    after_the_last = course.cohorts[0].session_starts[-1] + timedelta(days=1)

    late = await apply(courses, course, "late", now=after_the_last)

    assert late.status is ApplicationStatus.WAITLISTED
    cards, _ = await courses.search(after_the_last)
    assert [card["catalogue_status"] for card in cards] == ["finished"]


# --- seat offers ------------------------------------------------------------------------------------------


async def test_a_withdrawal_offers_the_seat_to_the_first_waiting_person() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1", "p2", "p3", "p4")
    mark = len(courses.published)

    withdrawn, after = await handlers.withdraw(course.id, "p1", NOW, courses)

    cohort_id = course.cohorts[0].id
    offer = after.offers["p3"]
    assert (offer.cohort_id, offer.expires_at) == (cohort_id, DEADLINE)
    assert (status(after, "p3"), after.waitlist) == ("offered", ["p4"])
    assert events_since(courses, mark) == [
        ev.ApplicantWithdrew(course.id, withdrawn.id, "p1", cohort_id),
        ev.SeatOffered(course.id, course.title, offer.id, after.applications["p3"].id, cohort_id, "p3", "en", DEADLINE),
    ]
    assert after.cohorts[0].members == ["p2"]  # the seat is held for p3, not given yet
    with pytest.raises(AlreadyApplied):
        await apply(courses, course, "p3")


async def test_a_freed_seat_goes_to_the_first_person_who_fits_the_cohort() -> None:
    courses = InMemoryCourseRepository()
    course = await published_course(courses, capacity=2)
    second, course = await handlers.add_cohort(
        handlers.AddCohort(course.id, SLOT, (NOW + timedelta(days=14)).date()), NOW, courses
    )
    for person in ("a1", "a2", "b1", "b2"):  # the first cohort fills first, then the second
        await apply(courses, course, person)
    await apply(courses, course, "wants-second", preferred=second.id)
    await apply(courses, course, "anyone")

    _, after = await handlers.withdraw(course.id, "a1", NOW, courses)

    assert [c.members for c in after.cohorts] == [["a2"], ["b1", "b2"]]
    assert list(after.offers) == ["anyone"]  # skipped: waiting for the second cohort only
    assert after.waitlist == ["wants-second"]
    _, after = await handlers.withdraw(course.id, "b1", NOW, courses)
    assert after.offers["wants-second"].cohort_id == second.id


async def test_confirming_in_time_enrols_the_person_as_promoted() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1", "p2", "p3")
    await handlers.withdraw(course.id, "p1", NOW, courses)
    offer = (await current(courses, course)).offers["p3"]
    mark = len(courses.published)

    confirmed, after = await handlers.confirm_offer(course.id, "p3", DEADLINE - timedelta(seconds=1), courses)

    assert confirmed.status is ApplicationStatus.ENROLLED
    assert (after.cohorts[0].members, after.offers) == (["p2", "p3"], {})
    cohort_id = course.cohorts[0].id
    assert events_since(courses, mark) == [
        ev.SeatOfferEnded(course.id, offer.id, confirmed.id, cohort_id, "p3", "confirmed"),
        ev.ApplicantEnrolled(course.id, course.title, cohort_id, confirmed.id, "p3", "en", promoted=True),
    ]
    assert courses.deadlines == {}  # nothing left for the expiry job


@pytest.mark.parametrize("late", [timedelta(0), timedelta(minutes=1)])
async def test_confirming_after_the_deadline_is_refused(late: timedelta) -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1", "p2", "p3")
    await handlers.withdraw(course.id, "p1", NOW, courses)

    with pytest.raises(Conflict) as raised:
        await handlers.confirm_offer(course.id, "p3", DEADLINE + late, courses)

    assert raised.value.details == {"expired_at": DEADLINE.isoformat()}
    assert status(await current(courses, course), "p3") == "offered"


async def test_confirming_without_an_offer_is_refused() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1", "p2", "p3")

    with pytest.raises(Conflict) as raised:
        await handlers.confirm_offer(course.id, "p3", NOW, courses)

    assert raised.value.details == {"status": "waitlisted"}


async def test_an_expired_offer_passes_the_seat_to_the_next_person_exactly_once() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1", "p2", "p3", "p4", "p5")
    await handlers.withdraw(course.id, "p1", NOW, courses)
    lapsed_offer = (await current(courses, course)).offers["p3"]
    version_before = courses.states[course.id][1]

    assert await handlers.expire_offers(DEADLINE - timedelta(seconds=1), courses) == 0  # not yet due
    assert courses.states[course.id][1] == version_before  # nothing saved
    mark = len(courses.published)
    later = DEADLINE + timedelta(minutes=5)
    assert await handlers.expire_offers(later, courses) == 1
    assert await handlers.expire_offers(later, courses) == 0

    after = await current(courses, course)
    assert (status(after, "p3"), status(after, "p4")) == ("lapsed", "offered")
    assert after.offers["p4"].expires_at == later + timedelta(hours=OFFER_HOURS)
    assert after.waitlist == ["p5"]
    assert [type(e).__name__ for e in events_since(courses, mark)] == ["SeatOfferEnded", "SeatOffered"]
    ended = events_since(courses, mark)[0]
    assert isinstance(ended, ev.SeatOfferEnded)
    assert (ended.offer_id, ended.outcome) == (lapsed_offer.id, "expired")
    assert await courses.with_offers_due(later) == []
    assert await courses.with_offers_due(later + timedelta(hours=OFFER_HOURS)) == [course.id]


async def test_a_person_whose_offer_lapsed_may_apply_again_at_the_end_of_the_queue() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1", "p2", "p3", "p4", "p5")
    await handlers.withdraw(course.id, "p1", NOW, courses)
    await handlers.expire_offers(DEADLINE, courses)

    again = await apply(courses, course, "p3", now=DEADLINE)

    assert again.status is ApplicationStatus.WAITLISTED
    assert (await current(courses, course)).waitlist == ["p5", "p3"]


async def test_expiry_covers_every_course_with_offers_due_and_only_those() -> None:
    courses = InMemoryCourseRepository()
    due = await course_with(courses, 2, "p1", "p2", "p3")
    not_due = await course_with(courses, 2, "p1", "p2", "p3", offer_hours=96)
    await course_with(courses, 2, "p1")
    for course in (due, not_due):
        await handlers.withdraw(course.id, "p1", NOW, courses)

    assert await courses.with_offers_due(DEADLINE) == [due.id]
    assert await handlers.expire_offers(DEADLINE, courses) == 1
    assert status(await current(courses, not_due), "p3") == "offered"


async def test_declining_an_offer_is_withdrawing_and_offers_the_seat_on() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1", "p2", "p3", "p4")
    await handlers.withdraw(course.id, "p1", NOW, courses)
    offer = (await current(courses, course)).offers["p3"]
    mark = len(courses.published)

    declined, after = await handlers.withdraw(course.id, "p3", NOW, courses)

    cohort_id = course.cohorts[0].id
    assert declined.status is ApplicationStatus.WITHDRAWN
    assert list(after.offers) == ["p4"]
    assert events_since(courses, mark)[:2] == [
        ev.SeatOfferEnded(course.id, offer.id, declined.id, cohort_id, "p3", "declined"),
        ev.ApplicantWithdrew(course.id, declined.id, "p3", cohort_id),
    ]
    assert offered(events_since(courses, mark)) == ["p4"]


async def test_a_seat_with_nobody_waiting_stays_free_for_the_next_applicant() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1", "p2")

    _, after = await handlers.withdraw(course.id, "p1", NOW, courses)
    newcomer = await apply(courses, course, "p3")

    assert after.offers == {}
    assert newcomer.status is ApplicationStatus.ENROLLED


async def test_concurrent_withdrawals_promote_distinct_people_once_each_and_never_overbook() -> None:
    courses = InMemoryCourseRepository(yield_on_load=True)
    seated = [f"s{n}" for n in range(1, 5)]
    waiting = [f"w{n}" for n in range(1, 7)]
    course = await course_with(courses, 4, *seated, *waiting)
    mark = len(courses.published)

    await asyncio.gather(*(handlers.withdraw(course.id, person, NOW, courses) for person in seated[:3]))

    after = await current(courses, course)
    assert sorted(offered(events_since(courses, mark))) == ["w1", "w2", "w3"]  # once each, nobody twice
    assert sorted(after.offers) == ["w1", "w2", "w3"]
    assert after.waitlist == ["w4", "w5", "w6"]
    assert len(after.cohorts[0].members) + len(after.offers) == 4

    await asyncio.gather(*(handlers.confirm_offer(course.id, p, NOW, courses) for p in ("w1", "w2", "w3")))

    after = await current(courses, course)
    assert sorted(after.cohorts[0].members) == ["s4", "w1", "w2", "w3"]
    promoted = [e for e in courses.published if isinstance(e, ev.ApplicantEnrolled) and e.promoted]
    assert sorted(e.person_id for e in promoted) == ["w1", "w2", "w3"]


async def test_concurrent_withdrawals_and_applications_keep_the_seat_count() -> None:
    courses = InMemoryCourseRepository(yield_on_load=True)
    course = await course_with(courses, 3, "s1", "s2", "s3", "w1")

    await asyncio.gather(
        handlers.withdraw(course.id, "s1", NOW, courses),
        handlers.withdraw(course.id, "s2", NOW, courses),
        *(apply(courses, course, f"n{n}") for n in range(1, 5)),
    )

    after = await current(courses, course)
    assert len(after.cohorts[0].members) + len(after.offers) == 3
    assert "w1" in after.offers  # the one already waiting comes before any newcomer
    assert len(after.waitlist) + len(after.cohorts[0].members) + len(after.offers) == 6


# --- erasure ----------------------------------------------------------------------------------------------


async def test_erasing_a_person_with_an_offer_keeps_the_offer_the_counts_and_the_positions() -> None:
    courses = InMemoryCourseRepository()
    course = await course_with(courses, 2, "p1", "p2", "p3", "p4", "p5")
    await handlers.withdraw(course.id, "p1", NOW, courses)
    await handlers.erase_person("p3", courses, InMemoryPeople(), InMemoryErasures())
    await handlers.erase_person("p4", courses, InMemoryPeople(), InMemoryErasures())

    after = await current(courses, course)
    (offered_to,) = after.offers
    assert offered_to.startswith("former-employee-")
    assert after.offers[offered_to].expires_at == DEADLINE
    assert after.waitlist[1] == "p5"
    assert after.waitlist_position("p5") == 2
    assert len(after.applications) == 5
    assert await handlers.expire_offers(DEADLINE, courses) == 1  # the stand-in's offer lapses like any other
    assert status(await current(courses, course), offered_to) == "lapsed"
