"""Notifications end to end on the real broker, store and a real SMTP server, with a clock the test moves.

Events go through Kafka to the running service; what is due is sent by the same use case the service runs
every few seconds, called here at the moments the test chooses.
"""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import icalendar  # type: ignore[import-untyped]
import pytest

from notifications.bootstrap import Notifications, bootstrap
from notifications.config import NotificationsSettings
from notifications.entrypoints.http import create_app
from notifications.tests.smtp_server import SmtpServer
from notifications.tests.test_webhooks_on_real_servers import Receiver
from shared.auth.testing import TestIssuer
from shared.contracts import directory, enrolment, gamification
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import OutboxEvent
from shared.persistence.mongo import connect
from tests.support.infra import Servers, unique
from tests.support.kafka import cloud_event_record, eventually, produce

pytestmark = pytest.mark.infra

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 12:00 in Moscow, 04:00 in New York
SESSIONS = [datetime(2026, 12, 8, 15, 0, tzinfo=UTC) + timedelta(weeks=week) for week in range(3)]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Platform:
    """The running service, its inbox over HTTP, and a way to publish events to it through Kafka."""

    def __init__(
        self,
        service: Notifications,
        client: httpx.AsyncClient,
        issuer: TestIssuer,
        servers: Servers,
        prefix: str,
        clock: Clock,
        settings: NotificationsSettings,
    ) -> None:
        self.service, self.client, self.issuer, self.servers = service, client, issuer, servers
        self.prefix, self.clock, self.settings = prefix, clock, settings
        self.published: list[OutboxEvent] = []

    async def publish(self, event: IntegrationEvent) -> OutboxEvent:
        outbox = OutboxEvent.of(event, source="/owlery/tests", correlation_id="e2e")
        await self.resend(outbox)
        self.published.append(outbox)
        return outbox

    async def resend(self, outbox: OutboxEvent) -> None:
        await produce(self.servers.kafka_bootstrap, self.prefix + outbox.topic, [cloud_event_record(outbox)])

    async def inbox(self, person_id: str) -> Any:
        answer = await self.client.get(f"/people/{person_id}/inbox", headers=self.issuer.headers(person_id))
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def notifications(self, person_id: str) -> Any:
        answer = await self.client.get(f"/people/{person_id}/notifications", headers=self.issuer.headers(person_id))
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def send_due_at(self, moment: datetime) -> int:
        self.clock.now = moment
        return await self.service.delivery.send_due()


@pytest.fixture
async def platform(servers: Servers, unique_name: str, smtp_server: SmtpServer) -> AsyncIterator[Platform]:
    settings = NotificationsSettings(
        kafka_bootstrap_servers=servers.kafka_bootstrap,
        mongodb_url=servers.mongodb_url,
        mongodb_database=unique_name,
        topic_prefix=f"{unique_name}.",
        consumer_group=unique_name,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        # The test decides when things are sent: the periodic jobs would only race it.
        send_check_seconds=3600,
        reminder_check_seconds=3600,
        webhook_retry_seconds=3600,
    )
    service = bootstrap(settings)
    clock = Clock(T0)
    service.clock = clock
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notifications") as client,
        ):
            yield Platform(service, client, issuer, servers, settings.topic_prefix, clock, settings)
    finally:
        cleanup = connect(servers.mongodb_url)
        await cleanup.drop_database(unique_name)
        await cleanup.close()


def person(person_id: str, name: str, email: str, locale: str, zone: str) -> directory.PersonUpsertedV1:
    return directory.PersonUpsertedV1(
        person_id=person_id,
        user_name=person_id,
        display_name=name,
        email=email,
        locale=locale,
        time_zone=zone,
        active=True,
        version=1,
    )


def plain(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None, "no plain-text part"
    return str(body.get_content())


def invite_of(mail: EmailMessage) -> Any:
    parts = [part for part in mail.walk() if part.get_content_type() in ("text/calendar", "application/ics")]
    assert parts, "no calendar invitation in the email"
    return icalendar.Calendar.from_ical(parts[0].get_payload(decode=True))


def event_of(calendar: Any) -> Any:
    (found,) = list(calendar.walk("VEVENT"))
    return found


def starts(vevent: Any) -> list[datetime]:
    rdates = vevent.get("RDATE")
    later = [] if rdates is None else [d.dt for r in (rdates if isinstance(rdates, list) else [rdates]) for d in r.dts]
    return [vevent["DTSTART"].dt, *later]


async def test_an_enrolment_flow_reaches_inbox_and_email_with_invite_update_and_cancel(
    platform: Platform, smtp_server: SmtpServer
) -> None:
    ann, cohort, course = unique("ann"), unique("cohort"), unique("course")
    await platform.publish(person(ann, "Анна Иванова", "anna@example.ru", "ru", "Europe/Moscow"))
    await eventually(lambda: platform.service.people.get(ann), lambda found: found is not None)
    await platform.publish(
        enrolment.CohortScheduledV1(
            course_id=course,
            cohort_id=cohort,
            number=1,
            trainer_id="t1",
            capacity=7,
            time_zone="Europe/Moscow",
            session_starts=SESSIONS,
        )
    )
    await platform.publish(
        enrolment.ApplicationEnrolledV1(
            application_id=unique("app"),
            course_id=course,
            course_title="Python для аналитиков",
            cohort_id=cohort,
            person_id=ann,
            locale="ru",
        )
    )
    inbox = await eventually(lambda: platform.inbox(ann), lambda found: len(found["messages"]) == 1)
    assert inbox["unread"] == 1
    assert inbox["messages"][0]["text"] == "Вы зачислены на курс «Python для аналитиков»."

    assert await platform.send_due_at(T0) == 1
    (mail,) = [received.message for received in await smtp_server.wait_for(1)]
    assert mail["To"].addresses[0].addr_spec == "anna@example.ru"
    assert "запис" in mail["Subject"].lower() or "курс" in mail["Subject"].lower()
    assert "Вы зачислены на курс «Python для аналитиков»." in plain(mail)
    invite = invite_of(mail)
    first = event_of(invite)
    uid = str(first["UID"])
    assert (str(invite["METHOD"]), int(first["SEQUENCE"]), starts(first)) == ("REQUEST", 0, SESSIONS)

    # The trainer moves session 2 by a day: an updated invitation with a higher sequence, same UID.
    moved = SESSIONS[1] + timedelta(days=1)
    await platform.publish(
        enrolment.SessionUpdatedV1(
            course_id=course, cohort_id=cohort, session_number=2, starts_at=moved, change="rescheduled"
        )
    )
    await eventually(lambda: platform.inbox(ann), lambda found: len(found["messages"]) == 2)
    await platform.send_due_at(T0 + timedelta(minutes=5))
    update = (await smtp_server.wait_for(2))[1].message
    updated = event_of(invite_of(update))
    assert (str(updated["UID"]), int(updated["SEQUENCE"])) == (uid, 1)
    assert starts(updated) == [SESSIONS[0], moved, SESSIONS[2]]
    assert "перенесено" in plain(update)

    # She withdraws: a cancellation of the same calendar entry, outranking the update.
    await platform.publish(
        enrolment.ApplicationWithdrawnV1(
            application_id=unique("app"), course_id=course, person_id=ann, cohort_id=cohort
        )
    )
    await eventually(lambda: platform.inbox(ann), lambda found: len(found["messages"]) == 3)
    await platform.send_due_at(T0 + timedelta(minutes=10))
    cancel = invite_of((await smtp_server.wait_for(3))[2].message)
    cancelled = event_of(cancel)
    assert (str(cancel["METHOD"]), str(cancelled["UID"]), int(cancelled["SEQUENCE"])) == ("CANCEL", uid, 2)
    assert str(cancelled["STATUS"]) == "CANCELLED"

    # Every event delivered once more: nothing new in the inbox, nothing new sent.
    for outbox in platform.published:
        await platform.resend(outbox)
    marker = await platform.publish(person(unique("zed"), "Zed", "zed@example.com", "en", "UTC"))
    await eventually(lambda: platform.service.people.get(marker.data["person_id"]), lambda found: found is not None)
    assert await platform.send_due_at(T0 + timedelta(minutes=15)) == 0
    assert len(smtp_server.messages) == 3
    assert len((await platform.inbox(ann))["messages"]) == 3
    log = await platform.notifications(ann)
    assert sorted(n["status"] for n in log) == ["sent", "sent", "sent"]

    # She reads one message, then marks the rest read; nobody marks hers.
    headers = platform.issuer.headers(ann)
    newest = (await platform.inbox(ann))["messages"][0]["id"]
    one = await platform.client.post(f"/people/{ann}/inbox/{newest}/read", headers=headers)
    assert one.json() == {"marked": 1, "unread": 2}
    unread = await platform.client.get(f"/people/{ann}/inbox?unread_only=true", headers=headers)
    assert newest not in [m["id"] for m in unread.json()["messages"]] and len(unread.json()["messages"]) == 2
    assert (await platform.client.post(f"/people/{ann}/inbox/read", headers=headers)).json() == {
        "marked": 2,
        "unread": 0,
    }
    stranger = unique("eve")
    missing = await platform.client.post(
        f"/people/{stranger}/inbox/{newest}/read", headers=platform.issuer.headers(stranger)
    )
    assert missing.status_code == 404  # not in her inbox, whoever's it is


async def test_quiet_hours_hold_an_email_until_morning_in_the_recipients_zone(
    platform: Platform, smtp_server: SmtpServer
) -> None:
    bob = unique("bob")
    await platform.publish(person(bob, "Bob Smith", "bob@example.com", "en", "America/New_York"))
    await eventually(lambda: platform.service.people.get(bob), lambda found: found is not None)
    night = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 22:00 in New York
    platform.clock.now = night
    await platform.publish(
        enrolment.ApplicationWaitlistedV1(
            application_id=unique("app"),
            course_id=unique("c"),
            course_title="Kotlin",
            person_id=bob,
            locale="en",
            position=2,
        )
    )
    log = await eventually(lambda: platform.notifications(bob), lambda found: len(found) == 1)
    assert (log[0]["status"], log[0]["send_at"]) == ("waiting", "2026-12-02T13:00:00Z")  # 08:00 in New York
    assert (await platform.inbox(bob))["unread"] == 1  # the inbox does not wait: it wakes nobody
    assert await platform.send_due_at(datetime(2026, 12, 2, 12, 59, tzinfo=UTC)) == 0
    assert smtp_server.messages == []
    assert await platform.send_due_at(datetime(2026, 12, 2, 13, 0, tzinfo=UTC)) == 1
    (mail,) = [received.message for received in await smtp_server.wait_for(1)]
    assert "waitlist" in plain(mail)
    assert mail["To"].addresses[0].addr_spec == "bob@example.com"

    # A seat offer is critical: it goes at once, even at night.
    platform.clock.now = night + timedelta(days=1)
    await platform.publish(
        enrolment.SeatOfferedV1(
            offer_id=unique("offer"),
            application_id=unique("app"),
            course_id=unique("c"),
            course_title="Kotlin",
            cohort_id=unique("h"),
            person_id=bob,
            locale="en",
            expires_at=night + timedelta(days=2),
        )
    )
    await eventually(lambda: platform.notifications(bob), lambda found: len(found) == 2)
    assert await platform.send_due_at(night + timedelta(days=1)) == 1
    offer = (await smtp_server.wait_for(2))[1].message
    assert "confirm by" in plain(offer)


async def test_a_daily_digest_groups_three_messages_into_one_email(platform: Platform, smtp_server: SmtpServer) -> None:
    carol = unique("carol")
    await platform.publish(person(carol, "Carol", "carol@example.com", "en", "UTC"))
    await eventually(lambda: platform.service.people.get(carol), lambda found: found is not None)
    chosen = await platform.client.put(
        f"/people/{carol}/notification-preferences",
        headers=platform.issuer.headers(carol),
        json={
            "time_zone": "UTC",
            "channels": {"achievements": ["inapp", "email"]},  # in-app only unless asked
            "digests": {"achievements": {"frequency": "daily", "hour": 18}},
        },
    )
    assert chosen.status_code == 200, chosen.text
    for points in (10, 5, 3):
        await platform.publish(
            gamification.PointsAwardedV1(
                entry_id=unique("entry"),
                person_id=carol,
                points=points,
                rule="enrolment.enrolled",
                cause_event_id=str(uuid.uuid4()),
                cause_event_type=enrolment.ApplicationEnrolledV1.ce_type,
            )
        )
    await eventually(lambda: platform.notifications(carol), lambda found: len(found) == 3)
    assert await platform.send_due_at(datetime(2026, 12, 1, 17, 59, tzinfo=UTC)) == 0
    assert await platform.send_due_at(datetime(2026, 12, 1, 18, 0, tzinfo=UTC)) == 3
    (digest,) = [received.message for received in await smtp_server.wait_for(1)]
    assert digest["Subject"] == "Owlery: 3 new notifications"
    body = plain(digest)
    assert all(f"{points} points" in body for points in (10, 5, 3)), body


async def test_bad_preferences_are_refused_naming_the_field(platform: Platform) -> None:
    dana = unique("dana")
    headers = platform.issuer.headers(dana)
    url = f"/people/{dana}/notification-preferences"
    zone = await platform.client.put(url, headers=headers, json={"time_zone": "Mars/Olympus"})
    assert (zone.status_code, zone.json()["field"]) == (422, "time_zone")
    window = await platform.client.put(
        url, headers=headers, json={"time_zone": "UTC", "quiet_hours": {"start": "08:00", "end": "08:00"}}
    )
    assert (window.status_code, window.json()["field"]) == (422, "quiet_hours")
    critical = await platform.client.put(url, headers=headers, json={"time_zone": "UTC", "channels": {"privacy": []}})
    assert (critical.status_code, critical.json()["field"]) == (422, "channels.privacy")
    other = await platform.client.get(url, headers=platform.issuer.headers(unique("eve")))
    assert other.status_code == 403


async def test_reminders_are_kept_in_the_store_and_fire_after_a_restart(
    platform: Platform, smtp_server: SmtpServer
) -> None:
    ann, bob, cohort, course = unique("ann"), unique("bob"), unique("cohort"), unique("course")
    await platform.publish(person(ann, "Анна", "anna@example.ru", "ru", "Europe/Moscow"))
    await platform.publish(person(bob, "Bob", "bob@example.com", "en", "UTC"))
    await eventually(lambda: platform.service.people.get(bob), lambda found: found is not None)
    await platform.publish(
        enrolment.CohortScheduledV1(
            course_id=course,
            cohort_id=cohort,
            number=1,
            trainer_id="t1",
            capacity=7,
            time_zone="Europe/Moscow",
            session_starts=SESSIONS,
        )
    )
    for who in (ann, bob):
        await platform.publish(
            enrolment.ApplicationEnrolledV1(
                application_id=unique("app"),
                course_id=course,
                course_title="Go",
                cohort_id=cohort,
                person_id=who,
                locale="ru" if who == ann else "en",
            )
        )
    due = SESSIONS[0] + timedelta(days=3)
    homework = unique("homework")
    await platform.publish(
        enrolment.HomeworkAssignedV1(
            course_id=course, cohort_id=cohort, homework_id=homework, session_number=1, due_at=due
        )
    )
    await platform.publish(
        enrolment.HomeworkSubmittedV1(
            course_id=course, cohort_id=cohort, homework_id=homework, person_id=bob, late=False, attempt=1
        )
    )
    await eventually(lambda: platform.inbox(bob), lambda found: len(found["messages"]) == 1)
    await eventually(
        lambda: platform.service.runtime.database["homework_handed_in"].count_documents({}), lambda n: n == 1
    )

    # Another process on the same store (the first one stopped): the reminders come from the database.
    restarted = bootstrap(platform.settings)
    later = Clock(SESSIONS[0] - timedelta(hours=24))
    restarted.clock = later
    try:
        assert await restarted.delivery.remind_due() == 1  # the day-before reminder of session 1
        assert await restarted.delivery.remind_due() == 0  # fired once
        texts = [m["text"] for m in (await platform.inbox(ann))["messages"]]
        assert texts[0] == ("Занятие 1 курса «Go» завтра: вторник, 8 декабря 2026, 18:00 (Europe/Moscow)."), texts
        trainer = (await platform.inbox("t1"))["messages"]
        assert [m["text"] for m in trainer] == [
            "Session 1 of «Go» starts tomorrow: Tuesday, 8 December 2026, 15:00 (UTC)."
        ]  # the trainer is reminded too
        later.now = SESSIONS[0] - timedelta(hours=1)
        assert await restarted.delivery.remind_due() == 1
        assert (await platform.inbox(bob))["messages"][0]["text"] == (
            "Session 1 of «Go» starts in 1 hour: Tuesday, 8 December 2026, 15:00 (UTC)."
        )
        # Homework: only whoever has not handed it in is reminded, a day before it is due.
        later.now = due - timedelta(hours=24)
        assert await restarted.delivery.remind_due() >= 1
        assert (await platform.inbox(ann))["messages"][0]["text"].startswith("Домашнее задание к занятию 1")
        assert all("Homework" not in m["text"] for m in (await platform.inbox(bob))["messages"])
    finally:
        await restarted.runtime.client.close()


async def test_a_failing_mail_server_is_retried_and_a_refused_address_is_not(
    platform: Platform, smtp_server: SmtpServer
) -> None:
    ann, gus = unique("ann"), unique("gus")
    await platform.publish(person(ann, "Ann", "ann@example.com", "en", "UTC"))
    await platform.publish(person(gus, "Gus", "gone@example.com", "en", "UTC"))
    await eventually(lambda: platform.service.people.get(gus), lambda found: found is not None)
    smtp_server.refuse.add("gone@example.com")
    smtp_server.unavailable_for(None)  # 421 until it recovers
    for who in (ann, gus):
        await platform.publish(
            enrolment.ApplicationWaitlistedV1(
                application_id=unique("app"),
                course_id=unique("c"),
                course_title="Go",
                person_id=who,
                locale="en",
                position=1,
            )
        )
    await eventually(lambda: platform.notifications(gus), lambda found: len(found) == 1)
    await eventually(lambda: platform.notifications(ann), lambda found: len(found) == 1)
    await platform.send_due_at(T0)
    (anns,) = await platform.notifications(ann)
    assert anns["status"] == "queued" and "421" in anns["attempts"][-1]["reason"]
    assert anns["send_at"] == "2026-12-01T09:01:00Z"  # a minute later
    smtp_server.recover()
    assert await platform.send_due_at(T0 + timedelta(seconds=59)) == 0
    await platform.send_due_at(T0 + timedelta(minutes=1))
    assert [received.message["To"].addresses[0].addr_spec for received in await smtp_server.wait_for(1)] == [
        "ann@example.com"
    ]
    (anns,) = await platform.notifications(ann)
    assert [a["status"] for a in anns["attempts"]] == ["queued", "failed", "sent"]
    (guss,) = await platform.notifications(gus)
    assert guss["status"] == "failed" and "550" in guss["attempts"][-1]["reason"]
    assert await platform.send_due_at(T0 + timedelta(hours=6)) == 0  # never tried again


async def test_a_webhook_subscriber_gets_signed_events_from_the_log_and_a_failing_one_is_retried(
    platform: Platform, receiver: Receiver
) -> None:
    admin = platform.issuer.headers("integration-admin", "admin")
    endpoints = {"lms": [], "hr": [500, 503]}  # the HR portal fails twice, then answers
    for name, failures in endpoints.items():
        answer = await platform.client.post(
            "/webhooks/subscriptions",
            headers=admin,
            json={"url": receiver.url(name), "event_types": [enrolment.ApplicationEnrolledV1.ce_type]},
        )
        assert answer.status_code == 201, answer.text
        receiver.secrets[name] = answer.json()["secret"]
        receiver.answers[name] = list(failures)
    again = await platform.client.post(
        "/webhooks/subscriptions",
        headers=admin,
        json={"url": receiver.url("lms"), "event_types": [enrolment.ApplicationEnrolledV1.ce_type]},
    )
    assert again.status_code == 409
    enrolled = await platform.publish(
        enrolment.ApplicationEnrolledV1(
            application_id=unique("app"),
            course_id=unique("c"),
            course_title="Go",
            cohort_id=unique("h"),
            person_id=unique("ann"),
            locale="en",
        )
    )
    await platform.publish(  # a type nobody subscribed to
        enrolment.ApplicationWaitlistedV1(
            application_id=unique("app"),
            course_id=unique("c"),
            course_title="Go",
            person_id=unique("bob"),
            locale="en",
            position=1,
        )
    )
    await eventually(lambda: _count(receiver.of("lms")), lambda n: n == 1)
    (delivered,) = receiver.of("lms")
    # Signed as Standard Webhooks says (the verifier's own freshness check sees the test's clock, days back).
    assert delivered.signature_ok
    assert delivered.headers["webhook-timestamp"] == str(int(T0.timestamp()))
    body = json.loads(delivered.body)
    assert (body["type"], body["data"]["person_id"]) == (enrolled.type, enrolled.data["person_id"])

    await eventually(lambda: _count(receiver.of("hr")), lambda n: n == 1)
    assert receiver.of("hr")[0].answered == 500
    for _ in range(3):  # the retry job, as time goes by
        platform.clock.now += timedelta(hours=1)
        await platform.service.webhooks.retry_due()
    assert [r.answered for r in receiver.of("hr")] == [500, 503, 200]
    assert len({r.webhook_id for r in receiver.of("hr")}) == 1  # one delivery, attempted three times

    await platform.resend(enrolled)  # the same event once more: no second delivery
    marker = await platform.publish(person(unique("zed"), "Zed", "zed@example.com", "en", "UTC"))
    await eventually(lambda: platform.service.people.get(marker.data["person_id"]), lambda found: found is not None)
    assert len(receiver.of("lms")) == 1


async def _count(found: list[Any]) -> int:
    return len(found)
