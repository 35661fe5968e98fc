"""The use cases through the service layer, with in-memory ports and the real templates."""

from notifications.adapters.templates import JinjaRenderer
from notifications.domain import model
from notifications.entrypoints import consumers
from notifications.service import handlers
from notifications.service.handlers import Notify
from notifications.tests.fakes import InMemoryInbox, InMemoryPeople
from shared.contracts import enrolment, gamification, mentoring
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import Envelope

renderer = JinjaRenderer()


def envelope(event_id: str, event: IntegrationEvent) -> Envelope:
    return Envelope(event_id, event.ce_type, "/owlery/tests", None, None, None, event)


async def texts(person_id: str, inbox: InMemoryInbox, people: InMemoryPeople) -> tuple[str, list[str]]:
    found = await handlers.read_inbox(person_id, inbox, people, renderer)
    return found.locale, [m.text for m in found.messages]


async def test_a_notice_becomes_one_message_keyed_by_its_cause_and_template() -> None:
    inbox, people = InMemoryInbox(), InMemoryPeople()

    message = await handlers.notify(Notify("ev-1", model.enrolled("ann", "Go"), "ru"), inbox, people)

    assert message is not None
    assert message.id == "ev-1:enrolled"
    assert (message.person_id, message.category, message.cause_event_id) == ("ann", "enrolment", "ev-1")
    assert dict(message.params) == {"course_title": "Go"}  # kept unrendered: the language may change
    assert people.locales == {"ann": "ru"}


async def test_a_redelivered_event_makes_no_second_message() -> None:
    inbox, people = InMemoryInbox(), InMemoryPeople()
    command = Notify("ev-1", model.waitlisted("ann", "Go", 2), "en")

    first = await handlers.notify(command, inbox, people)
    again = await handlers.notify(command, inbox, people)

    assert first is not None
    assert again is None
    assert list(inbox.stored) == ["ev-1:waitlisted"]


async def test_points_awarded_before_the_language_is_known_are_shown_in_it_once_it_is() -> None:
    inbox, people = InMemoryInbox(), InMemoryPeople()
    await handlers.notify(Notify("ev-points", model.points_awarded("ann", 10, "enrolment.enrolled")), inbox, people)

    assert await texts("ann", inbox, people) == ("en", ["You earned 10 points for enrolling in a course."])

    await handlers.notify(Notify("ev-enrolled", model.enrolled("ann", "Go"), "ru"), inbox, people)

    assert await texts("ann", inbox, people) == (
        "ru",
        ["Вы зачислены на курс «Go».", "Вы получили 10 баллов за зачисление на курс."],
    )


async def test_the_latest_language_wins() -> None:
    inbox, people = InMemoryInbox(), InMemoryPeople()
    await handlers.notify(Notify("ev-1", model.enrolled("ann", "Go"), "ru"), inbox, people)
    await handlers.notify(
        Notify("ev-2", model.mentoring_registered("ann", "Onboarding", "mentee"), "en"), inbox, people
    )

    assert await texts("ann", inbox, people) == (
        "en",
        ["You are registered in the «Onboarding» mentoring programme as a mentee.", "You are enrolled in «Go»."],
    )


async def test_an_unknown_person_has_an_empty_inbox_in_english() -> None:
    found = await handlers.read_inbox("nobody", InMemoryInbox(), InMemoryPeople(), renderer)
    assert (found.person_id, found.locale, found.messages) == ("nobody", "en", [])


async def test_the_inbox_is_newest_first_and_pages() -> None:
    inbox, people = InMemoryInbox(), InMemoryPeople()
    for number in range(1, 6):
        await handlers.notify(Notify(f"ev-{number}", model.waitlisted("ann", "Go", number), "en"), inbox, people)
    await handlers.notify(Notify("ev-other", model.enrolled("bob", "Go"), "en"), inbox, people)

    page = await handlers.read_inbox("ann", inbox, people, renderer, limit=2, offset=1)

    assert [m.message.cause_event_id for m in page.messages] == ["ev-4", "ev-3"]


def test_events_translate_to_notices() -> None:
    enrolled = enrolment.ApplicationEnrolledV1(
        application_id="a1", course_id="c1", course_title="Go", cohort_id="h1", person_id="ann", locale="ru"
    )
    waitlisted = enrolment.ApplicationWaitlistedV1(
        application_id="a2", course_id="c1", course_title="Go", person_id="bob", locale="en", position=4
    )
    points = gamification.PointsAwardedV1(
        entry_id="e1",
        person_id="ann",
        points=10,
        rule="enrolment.enrolled",
        cause_event_id="ev-x",
        cause_event_type=enrolment.ApplicationEnrolledV1.ce_type,
    )
    registered = mentoring.ParticipantRegisteredV1(
        programme_id="m1", programme_title="Onboarding", person_id="cid", role="mentor", locale="ru"
    )

    assert consumers.enrolled(enrolled, envelope("ev-1", enrolled)) == Notify("ev-1", model.enrolled("ann", "Go"), "ru")
    assert consumers.waitlisted(waitlisted, envelope("ev-2", waitlisted)) == Notify(
        "ev-2", model.waitlisted("bob", "Go", 4), "en"
    )
    assert consumers.points_awarded(points, envelope("ev-3", points)) == Notify(
        "ev-3", model.points_awarded("ann", 10, "enrolment.enrolled"), None
    )
    assert consumers.participant_registered(registered, envelope("ev-4", registered)) == Notify(
        "ev-4", model.mentoring_registered("cid", "Onboarding", "mentor"), "ru"
    )
