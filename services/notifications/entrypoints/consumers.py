"""Every event the notifications service subscribes to, in one place: notices, and the directory."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from notifications.domain import model
from notifications.service import handlers
from notifications.service.ports import Inbox, People
from shared.audit import AuditLog
from shared.contracts import enrolment, gamification, mentoring
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import Envelope
from shared.messaging.consumer import ReliableConsumer
from shared.persistence.people import DirectoryCopy, follow_directory

E = TypeVar("E", bound=IntegrationEvent)


def enrolled(event: enrolment.ApplicationEnrolledV1, envelope: Envelope) -> handlers.Notify:
    notice = model.enrolled(event.person_id, event.course_title)
    return handlers.Notify(envelope.id, notice, locale=event.locale)


def waitlisted(event: enrolment.ApplicationWaitlistedV1, envelope: Envelope) -> handlers.Notify:
    notice = model.waitlisted(event.person_id, event.course_title, event.position)
    return handlers.Notify(envelope.id, notice, locale=event.locale)


def points_awarded(event: gamification.PointsAwardedV1, envelope: Envelope) -> handlers.Notify:
    # No locale here: the message is rendered in whatever language the person turns out to read.
    return handlers.Notify(envelope.id, model.points_awarded(event.person_id, event.points, event.rule))


def restricted_points_awarded(event: gamification.RestrictedPointsAwardedV1, envelope: Envelope) -> handlers.Notify:
    # Points for an anonymous contribution: the author's own message, from the restricted topic.
    return handlers.Notify(envelope.id, model.points_awarded(event.person_id, event.points, event.rule))


def participant_registered(event: mentoring.ParticipantRegisteredV1, envelope: Envelope) -> handlers.Notify:
    notice = model.mentoring_registered(event.person_id, event.programme_title, event.role)
    return handlers.Notify(envelope.id, notice, locale=event.locale)


# Events with several recipients: one notice each, under a cause id per recipient so each inbox gets its copy once.
def pair_formed(event: mentoring.PairFormedV1, envelope: Envelope) -> list[handlers.Notify]:
    title, mentees = event.programme_title, event.mentee_ids
    notices = [model.pair_formed(event.mentor_id, title, "mentor", len(mentees))]
    notices += [model.pair_formed(mentee, title, "mentee", 1) for mentee in mentees]
    return [handlers.Notify(f"{envelope.id}/{notice.person_id}", notice) for notice in notices]


def pair_at_risk(event: mentoring.PairAtRiskV1, envelope: Envelope) -> list[handlers.Notify]:
    return [
        handlers.Notify(f"{envelope.id}/{curator}", model.pair_at_risk(curator, list(event.reasons)))
        for curator in event.curator_ids
    ]


def concern_raised(event: mentoring.ConcernRaisedV1, envelope: Envelope) -> list[handlers.Notify]:
    return [handlers.Notify(f"{envelope.id}/{curator}", model.concern_raised(curator)) for curator in event.curator_ids]


def coffee_pair(event: mentoring.CoffeePairFormedV1, envelope: Envelope) -> list[handlers.Notify]:
    first, second = event.person_ids
    return [
        handlers.Notify(f"{envelope.id}/{person}", model.coffee_pair(person, partner))
        for person, partner in ((first, second), (second, first))
    ]


def author_revealed(event: mentoring.AuthorRevealedV1, envelope: Envelope) -> handlers.Notify:
    # From the restricted topic: the author's own notice, never anyone else's.
    return handlers.Notify(envelope.id, model.author_revealed(event.author_id))


def register(
    consumer: ReliableConsumer, inbox: Inbox, people: People, directory: DirectoryCopy, audit: AuditLog | None = None
) -> None:
    """`directory` is the copy `people` reads the directory's word from; the directory's events keep it."""

    def handler(translate: Callable[[E, Envelope], handlers.Notify]) -> Callable[[E, Envelope], Awaitable[None]]:
        async def handle(event: E, envelope: Envelope) -> None:
            await handlers.notify(translate(event, envelope), inbox, people)

        return handle

    def each(translate: Callable[[E, Envelope], list[handlers.Notify]]) -> Callable[[E, Envelope], Awaitable[None]]:
        async def handle(event: E, envelope: Envelope) -> None:
            for command in translate(event, envelope):
                await handlers.notify(command, inbox, people)

        return handle

    consumer.on(enrolment.ApplicationEnrolledV1, handler(enrolled))
    consumer.on(enrolment.ApplicationWaitlistedV1, handler(waitlisted))
    consumer.on(gamification.PointsAwardedV1, handler(points_awarded))
    consumer.on(gamification.RestrictedPointsAwardedV1, handler(restricted_points_awarded))
    consumer.on(mentoring.ParticipantRegisteredV1, handler(participant_registered))
    consumer.on(mentoring.PairFormedV1, each(pair_formed))
    consumer.on(mentoring.PairAtRiskV1, each(pair_at_risk))
    consumer.on(mentoring.ConcernRaisedV1, each(concern_raised))
    consumer.on(mentoring.CoffeePairFormedV1, each(coffee_pair))
    consumer.on(mentoring.AuthorRevealedV1, handler(author_revealed))

    async def erase(person_id: str) -> None:
        await handlers.erase_person(person_id, inbox, people)

    follow_directory(consumer, directory, erase, audit)
