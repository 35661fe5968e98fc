"""Every event the notifications service subscribes to, in one place.

Four things may happen to one event, in this order: the read models take what they need (cohorts'
schedules and members, reminders to plan, homework handed in), the routing table turns it into notices
for people, the webhook subscribers who asked for its type get it, and, with an LRS configured, a
learning event becomes xAPI statements (logged with the batch, sent apart from it). The directory keeps
the copy of people (language, email, time zone) current and erases whom it erases.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from notifications.domain.cohorts import homework_reminder, session_reminders
from notifications.domain.model import Notice, Template, is_locale, personal_params
from notifications.domain.routing import RoutingTable
from notifications.service import handlers
from notifications.service.delivery import Delivery, NoticeBatch
from notifications.service.learning_records import LearningRecords, occurred_at
from notifications.service.webhooks import Webhooks, public_event_types
from shared.audit import AuditLog
from shared.contracts import enrolment
from shared.contracts.base import IntegrationEvent, all_contracts
from shared.messaging.cloudevents import Envelope
from shared.messaging.consumer import Delivery as Arrived
from shared.messaging.consumer import ReliableConsumer
from shared.persistence.people import DirectoryCopy, follow_directory

logger = logging.getLogger(__name__)

ReadModelUpdate = Callable[[Any, Envelope, Delivery], Awaitable[None]]


async def cohort_scheduled(event: enrolment.CohortScheduledV1, envelope: Envelope, delivery: Delivery) -> None:
    cohort = await delivery.cohorts.change(
        event.cohort_id, lambda c: c.scheduled(event.course_id, event.time_zone, event.session_starts, event.trainer_id)
    )
    await delivery.cohorts.plan_reminders(session_reminders(cohort, delivery.session_leads, delivery.clock()))


async def erased(person_id: str, delivery: Delivery) -> bool:
    """An event about someone erased may still be on its way: it must not bring their id back into a read model."""
    found = await delivery.people.get(person_id)
    return found is not None and found.erased


async def enrolled(event: enrolment.ApplicationEnrolledV1, envelope: Envelope, delivery: Delivery) -> None:
    if await erased(event.person_id, delivery):
        return
    await delivery.cohorts.change(
        event.cohort_id, lambda c: c.joined(event.person_id, event.course_id, event.course_title)
    )


async def withdrawn(event: enrolment.ApplicationWithdrawnV1, envelope: Envelope, delivery: Delivery) -> None:
    if event.cohort_id:
        await delivery.cohorts.change(event.cohort_id, lambda c: c.left(event.person_id))


async def session_updated(event: enrolment.SessionUpdatedV1, envelope: Envelope, delivery: Delivery) -> None:
    if event.change == "rescheduled":
        cohort = await delivery.cohorts.change(
            event.cohort_id, lambda c: c.moved(event.session_number, event.starts_at)
        )
        await delivery.cohorts.plan_reminders(session_reminders(cohort, delivery.session_leads, delivery.clock()))


async def homework_assigned(event: enrolment.HomeworkAssignedV1, envelope: Envelope, delivery: Delivery) -> None:
    reminder = homework_reminder(
        event.cohort_id, event.homework_id, event.session_number, event.due_at, delivery.homework_lead, delivery.clock()
    )
    if reminder is not None:
        await delivery.cohorts.plan_reminders([reminder])


async def homework_submitted(event: enrolment.HomeworkSubmittedV1, envelope: Envelope, delivery: Delivery) -> None:
    if await erased(event.person_id, delivery):
        return
    await delivery.cohorts.hand_in(event.homework_id, event.person_id)


READ_MODELS: dict[type[IntegrationEvent], ReadModelUpdate] = {
    enrolment.CohortScheduledV1: cohort_scheduled,
    enrolment.ApplicationEnrolledV1: enrolled,
    enrolment.ApplicationWithdrawnV1: withdrawn,
    enrolment.SessionUpdatedV1: session_updated,
    enrolment.HomeworkAssignedV1: homework_assigned,
    enrolment.HomeworkSubmittedV1: homework_submitted,
}


async def route(
    routes: RoutingTable,
    event_type: str,
    event_id: str,
    data: dict[str, Any],
    delivery: Delivery,
    batch: NoticeBatch | None = None,
) -> int:
    """Deliver the notices the routing table makes of an event (or add them to `batch`, to deliver with others);
    how many recipients it named."""
    own = batch is None
    batch = batch or delivery.batch()
    named = 0
    for found in routes.routes_for(event_type):
        if not found.applies_to(data):
            continue
        recipients = found.recipients_of(data)
        cohort = None
        if "cohort_id" in data and (found.calendar is not None or "@cohort" in found.recipients):
            cohort = await delivery.cohorts.get(str(data["cohort_id"]))
        if "@cohort" in found.recipients and cohort is not None:
            recipients += [member for member in cohort.members if member not in recipients]
        several = len(recipients) > 1 or "@cohort" in found.recipients
        for recipient in recipients:
            params = {**found.params_of(data), **personal_params(Template(found.template), data, recipient)}
            if found.calendar is not None or "@cohort" in found.recipients:
                params.setdefault("course_title", (cohort.course_title if cohort else None) or "")
            notice = Notice(recipient, Template(found.template), params, found.category, found.priority)
            locale = data.get("locale") if recipient == data.get("person_id") else None
            batch.add(
                f"{event_id}/{recipient}" if several else event_id,
                notice,
                calendar=found.calendar,
                cohort_id=str(data["cohort_id"]) if found.calendar and data.get("cohort_id") else None,
                locale=locale if is_locale(locale) else None,
            )
        named += len(recipients)
        if not recipients:
            # Acknowledged, not retried: no redelivery will name anyone either.
            logger.warning(
                "no recipient for %s", event_type, extra={"fields": {"event_id": event_id, "template": found.template}}
            )
    if own:
        await batch.deliver()
    return named


def register(
    consumer: ReliableConsumer,
    routes: RoutingTable,
    delivery: Delivery,
    webhooks: Webhooks,
    directory: DirectoryCopy,
    audit: AuditLog | None = None,
    learning_records: LearningRecords | None = None,
) -> None:
    """Subscribe to every event that feeds a read model, is routed to people, may go to webhook subscribers
    or, with an LRS, becomes xAPI statements."""
    public = public_event_types()
    stated = learning_records.event_types if learning_records is not None else frozenset[str]()

    subscribed = [
        contract
        for contract in all_contracts()
        if contract in READ_MODELS
        or routes.routes_for(contract.ce_type)
        or contract.ce_type in public
        or contract.ce_type in stated
    ]
    updates = {contract.ce_type: READ_MODELS[contract] for contract in subscribed if contract in READ_MODELS}

    async def handle(records: list[Arrived]) -> None:
        # In log order: each event's read-model change, then its notices (which may read it), then its webhooks;
        # the notices of the whole run are written together at the end.
        batch = delivery.batch()
        statements = []
        for arrived in records:
            event, envelope = arrived.event, arrived.envelope
            data = event.model_dump(mode="json")
            update = updates.get(envelope.type)
            if update is not None:
                await update(event, envelope, delivery)
            if routes.routes_for(envelope.type):
                await route(routes, envelope.type, envelope.id, data, delivery, batch)
            if envelope.type in public:
                occurred = (
                    datetime.fromisoformat(envelope.time.replace("Z", "+00:00")) if envelope.time else delivery.clock()
                )
                await webhooks.forward(envelope.type, envelope.id, occurred, data)
            if learning_records is not None and envelope.type in stated:
                at = occurred_at(envelope.time, delivery.clock())
                statements += learning_records.statements_of(event, envelope.id, at, envelope.correlation_id)
        await batch.deliver()
        if learning_records is not None:
            await learning_records.record(statements)  # one insert for the run's statements; sent in background

    consumer.on_batch(subscribed, handle)

    async def erase(person_id: str) -> None:
        await handlers.erase_person(person_id, delivery.inbox, delivery.people)
        await delivery.notifications.delete_person(person_id)
        await delivery.cohorts.forget_person(person_id)
        await delivery.preferences.delete(person_id)
        if learning_records is not None:
            await learning_records.log.forget_person(person_id)

    follow_directory(consumer, directory, erase, audit)
