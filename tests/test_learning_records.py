"""xAPI learning records on a real Learning Record Store (issue 12): ralph's LRS, Kafka and FerretDB.

Notifications runs in this process with its LRS settings pointing at the ralph the session started. The
events of a full course and of a full mentoring programme go to Kafka as their producers publish them;
the statements are read back through the LRS's own xAPI API. Each test states under a home page of its
own, so the session's LRS can be shared.
"""

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.local.lrs import LrsServer, free_port
from notifications.bootstrap import Notifications
from notifications.bootstrap import bootstrap as notifications_bootstrap
from notifications.config import NotificationsSettings
from notifications.entrypoints.http import create_app
from notifications.service.learning_records import SendOutcome
from shared.auth.testing import TestIssuer
from shared.contracts import enrolment, mentoring
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import OutboxEvent
from tests.support.infra import Servers, isolated, remove, unique
from tests.support.kafka import cloud_event_record, eventually, produce
from tests.support.lrs import statements_of

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()

REGISTERED = "http://adlnet.gov/expapi/verbs/registered"
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
COMMENTED = "http://adlnet.gov/expapi/verbs/commented"
MENTORED = "http://id.tincanapi.com/verb/mentored"


@contextlib.asynccontextmanager
async def notifications(
    servers: Servers, lrs: LrsServer, home: str
) -> AsyncIterator[tuple[Notifications, httpx.AsyncClient]]:
    settings = isolated(
        NotificationsSettings,
        servers,
        "notifications",
        lrs_endpoint=lrs.endpoint,
        lrs_username=lrs.username,
        lrs_password=lrs.password,
        xapi_home_page=home,
        lrs_retry_seconds=0.3,
    )
    service = notifications_bootstrap(settings)
    ISSUER.trust(service.runtime)
    app = create_app(service)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notifications") as client,
        ):
            yield service, client
            assert service.learning_records is not None
            await service.learning_records.settled()
    finally:
        await remove(servers, settings)


async def publish(servers: Servers, service: Notifications, events: list[OutboxEvent]) -> None:
    """To Kafka, as the producers' outbox relays publish them (CloudEvents binary mode, keyed)."""
    prefix = service.runtime.settings.topic_prefix
    for event in events:
        await produce(servers.kafka_bootstrap, prefix + event.topic, [cloud_event_record(event)])


def outbox(event: IntegrationEvent, source: str) -> OutboxEvent:
    return OutboxEvent.of(event, source=source, correlation_id=unique("corr"))


def agent(home: str, name: str) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": home, "name": name}}


def verbs(statements: list[dict[str, Any]]) -> list[str]:
    return sorted(statement["verb"]["id"] for statement in statements)


def assert_no_email(statements: list[dict[str, Any]]) -> None:
    text = json.dumps(statements, ensure_ascii=False)
    assert "@" not in text and "mbox" not in text and "mailto" not in text and "email" not in text.lower()
    for statement in statements:
        assert set(statement["actor"]) == {"objectType", "account"}, statement["actor"]


def course_events(anna: str, course: str, cohort: str) -> list[OutboxEvent]:
    source = "/owlery/enrolment"
    enrolled = enrolment.ApplicationEnrolledV1(
        application_id=f"{course}-{anna}",
        course_id=course,
        course_title="Kafka для аналитиков",
        cohort_id=cohort,
        person_id=anna,
        locale="ru",
    )
    marks = [
        enrolment.AttendanceMarkedV1(
            course_id=course,
            cohort_id=cohort,
            session_number=number,
            person_id=anna,
            trainer_id="tom",
            status="absent" if number == 2 else "present",
        )
        for number in (1, 2, 3, 4)
    ]
    accepted = enrolment.HomeworkReviewedV1(
        course_id=course,
        cohort_id=cohort,
        homework_id=f"{cohort}-hw1",
        person_id=anna,
        trainer_id="tom",
        outcome="accepted",
        attempt=1,
    )
    completed = enrolment.CompletionDecidedV1(
        course_id=course,
        cohort_id=cohort,
        person_id=anna,
        trainer_id="tom",
        completed=True,
        attendance_rate=0.75,
        homework_rate=1.0,
        certificate_number="OWL-2026-0001",
    )
    return [outbox(event, source) for event in (enrolled, *marks, accepted, completed)]


def programme_events(programme: str, mentor: str, mentee: str) -> list[OutboxEvent]:
    source = "/owlery/mentoring"
    pair = f"{programme}-pair"
    events: list[IntegrationEvent] = [
        mentoring.ParticipantRegisteredV1(
            programme_id=programme, programme_title="Адаптация", person_id=mentor, role="mentor", locale="ru"
        ),
        mentoring.ParticipantRegisteredV1(
            programme_id=programme, programme_title="Адаптация", person_id=mentee, role="mentee", locale="en"
        ),
        mentoring.PairFormedV1(
            programme_id=programme,
            pair_id=pair,
            programme_title="Адаптация",
            kind="classic",
            mentor_id=mentor,
            mentee_ids=[mentee],
            via="matching",
            curator_ids=["cura"],
        ),
        *(
            mentoring.MeetingLoggedV1(
                programme_id=programme,
                pair_id=pair,
                meeting_id=f"{pair}-m{number}",
                mentor_id=mentor,
                mentee_ids=[mentee],
                held_on=date(2026, 11, number),
                minutes=45,
            )
            for number in (2, 9)
        ),
        mentoring.GoalAchievedV1(
            programme_id=programme, pair_id=pair, goal_id=f"{pair}-g1", mentor_id=mentor, mentee_ids=[mentee]
        ),
        mentoring.PairEndedV1(
            programme_id=programme,
            pair_id=pair,
            reason="completed",
            member_ids=[mentor, mentee],
            curator_ids=["cura"],
            mentor_id=mentor,
        ),
    ]
    return [outbox(event, source) for event in events]


async def test_a_full_course_and_programme_are_read_back_from_the_lrs_with_accounts_and_no_email(
    servers: Servers, lrs: LrsServer
) -> None:
    home = f"https://{unique('company')}.example"
    anna, maria, nick = "anna", "maria", "nick"
    course = course_events(anna, "kafka-101", "kafka-101-1")
    programme = programme_events("onboarding-2026", maria, nick)
    comment = mentoring.CommentPostedV1(
        circle_id="crm", task_id="t1", comment_id="co1", solution_id="s1", author="Тихая сова", anonymous=True
    )
    # The anonymous comment's real author, as mentoring tells gamification on the restricted topic.
    credit = mentoring.HelpfulCommentCreditV1(
        circle_id="crm", task_id="t1", comment_id="co1", author_id=anna, marked_by=maria
    )
    async with notifications(servers, lrs, home) as (service, _):
        records = service.learning_records
        assert records is not None
        restricted = service.runtime.settings.topic_prefix + mentoring.RESTRICTED_TOPIC
        extra = [outbox(comment, "/owlery/mentoring")]
        if restricted in service.runtime.consumer.topics:
            extra.append(outbox(credit, "/owlery/mentoring"))
        await publish(servers, service, course + programme + extra)

        async def of(name: str) -> list[dict[str, Any]]:
            return await statements_of(lrs, agent(home, name))

        annas = await eventually(lambda: of(anna), lambda found: len(found) >= 7, timeout=60)
        marias = await eventually(lambda: of(maria), lambda found: len(found) >= 4, timeout=30)
        nicks = await eventually(lambda: of(nick), lambda found: len(found) >= 5, timeout=30)
        owl = agent(f"{home}/xapi/pseudonyms/task/t1", "Тихая сова")
        anonymous = await eventually(lambda: statements_of(lrs, owl), lambda found: len(found) >= 1, timeout=30)

        assert verbs(annas) == sorted([REGISTERED, ATTENDED, ATTENDED, ATTENDED, PASSED, COMPLETED, PASSED])
        assert verbs(marias) == sorted([REGISTERED, MENTORED, MENTORED, COMPLETED])
        assert verbs(nicks) == sorted([REGISTERED, ATTENDED, ATTENDED, COMPLETED, COMPLETED])
        for name, found in ((anna, annas), (maria, marias), (nick, nicks)):
            assert {json.dumps(s["actor"], sort_keys=True) for s in found} == {
                json.dumps(agent(home, name), sort_keys=True)
            }
        registered = next(s for s in annas if s["verb"]["id"] == REGISTERED)
        assert registered["object"]["id"] == f"{home}/xapi/activities/course/kafka-101"
        assert registered["object"]["definition"]["name"] == {"ru": "Kafka для аналитиков"}
        assert registered["context"]["extensions"][f"{home}/xapi/extensions/correlation-id"] == course[0].correlation_id

        # The anonymous comment: its pseudonym alone, and nothing of it under its real author.
        [said] = anonymous
        assert said["actor"] == owl and said["verb"]["id"] == COMMENTED
        assert COMMENTED not in verbs(annas)
        everything = [s for s in await statements_of(lrs) if home in json.dumps(s)]
        assert len(everything) == 7 + 4 + 5 + 1
        assert_no_email(everything)
        assert not [s for s in everything if s["verb"]["id"] == COMMENTED and s["actor"]["account"]["name"] == anna]

        # Delivered again (the same CloudEvents id): no second statement, in the log or the LRS.
        await publish(servers, service, [course[0], programme[3]])
        again = records.statements_of(
            enrolment.ApplicationEnrolledV1.model_validate(course[0].data), course[0].id, course[0].time, None
        )
        assert await records.record(again) == 0
        resent = await records.sender.send([again[0].body])  # straight to the LRS: it holds it, so it counts as sent
        assert resent.outcomes == {again[0].id: SendOutcome.SENT}
        await records.settled()
        assert len(await of(anna)) == 7 and len(await of(maria)) == 4
        sent = await records.deliveries("sent", limit=100)
        assert len(sent) == 17 and not await records.deliveries("pending")


async def test_an_lrs_that_is_down_delays_statements_and_loses_none(servers: Servers, tmp_path: Path) -> None:
    home = f"https://{unique('company')}.example"
    # An LRS not started yet: its port refuses connections, as a server that is down does.
    later = LrsServer(tmp_path / "lrs", port=free_port())
    try:
        async with notifications(servers, later, home) as (service, client):
            records = service.learning_records
            assert records is not None
            await publish(servers, service, course_events("olga", "sql-201", "sql-201-1"))

            async def pending() -> list[Any]:
                return [s for s in await records.deliveries("pending", limit=100) if s.attempts >= 1]

            waiting = await eventually(pending, lambda found: len(found) == 7, timeout=60)
            assert all("Connect" in (s.last_error or "") and s.next_attempt_at for s in waiting)
            assert not await records.deliveries("sent")

            later.start()  # the LRS comes back; the retry job sends what waited (the test's clock skips the backoff)
            service.clock = lambda: datetime.now(UTC) + timedelta(hours=1)
            found = await eventually(
                lambda: statements_of(later, agent(home, "olga")), lambda found: len(found) == 7, timeout=60
            )
            assert verbs(found) == sorted([REGISTERED, ATTENDED, ATTENDED, ATTENDED, PASSED, COMPLETED, PASSED])
            assert {s["id"] for s in found} == {s.id for s in waiting}
            await eventually(records.deliveries, lambda log: {s.state for s in log} == {"sent"}, timeout=30)
            assert_no_email(found)

            # Operators see the log: every statement sent, after attempts that failed while the LRS was down.
            log = await client.get("/lrs/deliveries", headers=ISSUER.headers("ops-admin", "admin"))
            assert log.status_code == 200, log.text
            entries = log.json()["deliveries"]
            assert {e["state"] for e in entries} == {"sent"} and all(e["attempts"] >= 2 for e in entries)
            denied = await client.get("/lrs/deliveries", headers=ISSUER.headers("olga"))
            assert denied.status_code == 403
    finally:
        later.stop()


def test_learning_records_are_off_unless_an_lrs_is_configured(servers: Servers) -> None:
    service = notifications_bootstrap(isolated(NotificationsSettings, servers, "notifications"))
    assert service.learning_records is None
