"""Notifications at scale: events to the inbox, and emails into a real SMTP server.

    .venv/bin/python -m bench.notifications [--quick] [--events N]

N people (5,000; --quick 300) are told to the service first, through the directory topic as in
production (PersonUpsertedV1: an email address, the locale alternating ru/en, time zone UTC); that
is timed apart and is not what is measured. Then N ApplicationWaitlistedV1 events, one per person,
spread over 50 courses (the topic's key, so over every partition), are put on the enrolment topic
before the service starts. The real notifications runtime (bootstrap: consumer, routing, inbox, the
send queue and the periodic sender, every `send_check_seconds=0.2`) then starts, with its email channel
pointed at a real aiosmtpd SMTP server on a free port and a clock fixed at midday UTC, so no quiet hours
hold an email: each event becomes one inbox message and one email sent at once.

(1) events -> inbox: inbox messages per second, from the first message written to the `inbox` collection
    to the N-th. The moments are taken in the process as each insert returns (the inbox's `add`, wrapped),
    not by polling a count: on FerretDB a count scans the collection, and polling it every 50 ms took
    most of a core from the store under test. The collection is counted once at the end.
(2) emails into the SMTP server: until the server has accepted N emails, counted from the first inbox
    message (event to email) and from the first email to the last (the sender's pace while events still
    arrive: consuming and sending share one process and its event loop, as in production). Then each
    person is checked to have had exactly one email, in their language, and the delivery log to say N
    sent; a notification still to send but missing from the send queue is named (nothing would send it).

The SMTP server is a thread of this process (aiosmtpd, parsing every message it accepts), so its work
shares the interpreter with the service's; a relay elsewhere would take that off.

The issue (9) sets no targets; the figures are reported as they are. Each run uses a database, topics
and a consumer group of its own and removes the database and topics afterwards.
Needs the local servers: `make provision` then `.venv/bin/python -m deploy.local.launcher start --profile run`
(or point OWLERY_BENCH_KAFKA / OWLERY_BENCH_MONGODB at others).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import platform
import re
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from bench.figures import Figure
from bench.figures import write as write_figures
from notifications.adapters.deliveries import NOTIFICATIONS, QUEUE
from notifications.adapters.repository import INBOX
from notifications.bootstrap import Notifications, bootstrap
from notifications.config import NotificationsSettings
from notifications.domain.model import InboxMessage
from notifications.tests.smtp_server import SmtpServer, running_smtp_server
from shared.contracts.base import IntegrationEvent
from shared.contracts.directory import Locale, PersonUpsertedV1
from shared.contracts.enrolment import ApplicationWaitlistedV1
from shared.messaging.cloudevents import OutboxEvent
from shared.messaging.kafka import ensure_topics
from shared.persistence.mongo import connect
from shared.persistence.people import PEOPLE

KAFKA = os.environ.get("OWLERY_BENCH_KAFKA", "127.0.0.1:9092")
MONGODB = os.environ.get("OWLERY_BENCH_MONGODB", "mongodb://127.0.0.1:27017/")
COURSES = 50
POLL_SECONDS = 0.05
STALL_SECONDS = 30.0
"""Give up when nothing new reached the inbox or the SMTP server for this long (a failed email waits forever
under a fixed clock: its retry time never comes)."""
CYRILLIC = re.compile("[\u0400-\u04ff]")
FIGURES: list[Figure] = []
"""The run's figures, for --json (python -m bench reads them)."""


def per_second(count: int, since: float | None, until: float | None) -> float | None:
    return None if since is None or until is None or until <= since else count / (until - since)


def locale_of(index: int) -> Locale:
    return "ru" if index % 2 == 0 else "en"


def person(index: int) -> PersonUpsertedV1:
    return PersonUpsertedV1(
        person_id=f"p-{index}",
        user_name=f"p-{index}",
        display_name=f"Person {index}",
        email=f"p-{index}@example.org",
        locale=locale_of(index),
        time_zone="UTC",
        active=True,
        version=1,
    )


def waitlisted(index: int) -> ApplicationWaitlistedV1:
    return ApplicationWaitlistedV1(
        application_id=f"a-{index}",
        course_id=f"c-{index % COURSES}",
        course_title="Bench",
        person_id=f"p-{index}",
        locale=locale_of(index),
        position=1 + index // COURSES,
    )


async def produce(prefix: str, events: Sequence[IntegrationEvent], source: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all", enable_idempotence=True, linger_ms=5)
    # A partition of a topic made a moment ago may answer "not the leader" once; the producer retries, quietly.
    sender_log = logging.getLogger("aiokafka.producer.sender")
    level = sender_log.level
    sender_log.setLevel(logging.ERROR)
    await producer.start()
    try:
        sends = []
        for event in events:
            outbox = OutboxEvent.of(event, source=source, correlation_id="bench")
            headers = [(k, v.encode()) for k, v in outbox.headers().items()]
            sends.append(
                await producer.send(prefix + event.topic, outbox.body(), key=outbox.key.encode(), headers=headers)
            )
        await asyncio.gather(*sends)
    finally:
        await producer.stop()
        sender_log.setLevel(level)


def started_service(settings: NotificationsSettings, noon: datetime) -> Notifications:
    service = bootstrap(settings)
    service.clock = lambda: noon  # emails are planned and sent at this clock: always midday, never quiet hours
    return service


async def seed_people(settings: NotificationsSettings, count: int, noon: datetime) -> float:
    """The people through the directory topic, as production learns them; the seconds it took."""
    service = started_service(settings, noon)
    # Every topic the service reads, made before anything is produced (none is created on the fly).
    await ensure_topics(settings.kafka_bootstrap_servers, service.runtime.consumer.topics, settings.topic_partitions)
    await produce(settings.topic_prefix, [person(index) for index in range(count)], "/owlery/directory")
    client = connect(MONGODB)
    started = time.perf_counter()
    await service.runtime.start()
    try:
        while await client[settings.mongodb_database][PEOPLE].count_documents({}) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    finally:
        await service.runtime.stop()
        await client.close()
    return time.perf_counter() - started


def timed_inbox(service: Notifications) -> list[float]:
    """When each new inbox message was written (a batch's messages at the moment the batch was), filled as the
    service writes them."""
    written: list[float] = []
    add_many = service.inbox.add_many

    async def timed(messages: Sequence[InboxMessage]) -> set[str]:
        added = await add_many(messages)
        written.extend([time.perf_counter()] * len(added))
        return added

    service.inbox.add_many = timed  # type: ignore[method-assign]  # the delivery holds this very inbox
    return written


@dataclass
class Timeline:
    started: float
    first_inbox: float | None = None
    last_inbox: float | None = None
    inbox_done: float | None = None
    first_email: float | None = None
    last_email: float | None = None
    """When the count last grew (the end of a stalled run), as `last_inbox`."""
    emails_done: float | None = None


async def watch(written: list[float], server: SmtpServer, count: int, timeline: Timeline) -> tuple[int, int]:
    """Follow the inbox and the SMTP server until both hold `count`, or nothing moves for STALL_SECONDS."""
    inbox, emails = 0, 0
    moved = time.perf_counter()
    while len(written) < count or timeline.emails_done is None:
        now = time.perf_counter()
        if len(written) != inbox:
            moved, inbox = now, len(written)
        arrived = len(server.messages)
        if arrived and timeline.first_email is None:
            timeline.first_email = now
        if arrived >= count and timeline.emails_done is None:
            timeline.emails_done = now
        if arrived != emails:
            moved, emails, timeline.last_email = now, arrived, now
        if now - moved > STALL_SECONDS:
            break
        await asyncio.sleep(POLL_SECONDS)
    if written:
        timeline.first_inbox, timeline.last_inbox = written[0], written[-1]
        timeline.inbox_done = written[count - 1] if len(written) >= count else None
    return len(written), emails


def rate(count: int, since: float | None, until: float | None) -> str:
    if since is None or until is None or until <= since:
        return "n/a"
    return f"{count / (until - since):,.0f}/s"


def span(since: float | None, until: float | None) -> str:
    return "n/a" if since is None or until is None else f"{until - since:.1f} s"


def checked(server: SmtpServer, count: int) -> str:
    """Each person exactly one email, in their language."""
    per_person = Counter(rcpt for mail in server.messages for rcpt in mail.rcpt_tos)
    once = len(per_person) == count and set(per_person.values()) == {1}
    wrong_language = 0
    for mail in server.messages:
        index = int(mail.rcpt_tos[0].split("@")[0].removeprefix("p-"))
        russian = CYRILLIC.search(str(mail.message["Subject"])) is not None
        wrong_language += russian != (locale_of(index) == "ru")
    return (
        f"each of {count:,} people one email: {'yes' if once else 'NO'}; "
        f"in their language (ru/en alternating): {'yes' if not wrong_language else f'NO, {wrong_language} not'}"
    )


async def delivery_log(database_name: str) -> str:
    """What the store holds once the service stopped: inbox messages, notifications by status, the send queue."""
    client = connect(MONGODB)
    try:
        database = client[database_name]
        stored = await database[INBOX].count_documents({})
        logged = [doc async for doc in database[NOTIFICATIONS].find({}, {"status": 1})]
        queue = {doc["_id"] async for doc in database[QUEUE].find({}, {"_id": 1})}
    finally:
        await client.close()
    statuses = Counter(doc["status"] for doc in logged)
    # Still to send, yet not in the queue the sender reads: nothing will ever send these.
    lost = sum(1 for doc in logged if doc["status"] in ("queued", "waiting") and doc["_id"] not in queue)
    told = ", ".join(f"{number:,} {status}" for status, number in sorted(statuses.items()))
    return (
        f"{stored:,} messages in the inbox collection; delivery log: {told or 'empty'}; "
        f"{len(queue):,} left in the send queue"
        + (f"; {lost:,} still to send but missing from the send queue (never to be sent)" if lost else "")
    )


async def events_to_inbox_and_smtp(count: int) -> str:
    name = f"bench{uuid.uuid4().hex[:8]}"
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    with running_smtp_server() as server:
        settings = NotificationsSettings(
            mongodb_url=MONGODB,
            kafka_bootstrap_servers=KAFKA,
            mongodb_database=f"owlery_notifications_{name}",
            topic_prefix=f"{name}.",
            consumer_group=f"notifications_{name}",
            smtp_host=server.host,
            smtp_port=server.port,
            send_check_seconds=0.2,
            # Nothing else periodic competes: no reminders are planned and no webhook subscribes.
            reminder_check_seconds=3600,
            webhook_retry_seconds=3600,
            log_level="WARNING",
            mode="dev",
        )
        try:
            seeded_in = await seed_people(settings, count, noon)
            print(
                f"    seeded {count:,} people through the directory topic in {seeded_in:.1f} s "
                f"({count / seeded_in:,.0f}/s, joining the consumer group included; not part of the figures)"
            )
            await produce(settings.topic_prefix, [waitlisted(index) for index in range(count)], "/owlery/enrolment")
            service = started_service(settings, noon)
            written = timed_inbox(service)
            timeline = Timeline(time.perf_counter())
            await service.runtime.start()
            try:
                inbox, emails = await watch(written, server, count, timeline)
            finally:
                await service.runtime.stop()
            log = await delivery_log(settings.mongodb_database)
        finally:
            await cleanup(settings)
    stalled = timeline.inbox_done is None or timeline.emails_done is None
    if stalled:
        print(f"    STALLED: nothing new for {STALL_SECONDS:.0f} s at {inbox:,} inbox messages and {emails:,} emails")
    verdict = checked(server, count)
    print(f"    {verdict}; {log}")
    inbox_end = timeline.inbox_done or timeline.last_inbox
    inbox_figure = (
        f"(1) {inbox:,}{'' if inbox == count else f' of {count:,}'} events -> inbox: "
        f"{rate(inbox, timeline.first_inbox, inbox_end)} from the first inbox message to the last "
        f"({span(timeline.first_inbox, inbox_end)}; {span(timeline.started, inbox_end)} from start, "
        f"which includes joining the consumer group: {rate(inbox, timeline.started, inbox_end)}; a batch of "
        "records is written at once, so a small run may have no spread between its first and last message)"
    )
    email_end = timeline.emails_done or timeline.last_email  # a stalled run: up to the last email that came
    email_figure = (
        f"(2) {emails:,}{'' if emails == count else f' of {count:,}'} emails into the SMTP server: "
        f"{rate(emails, timeline.first_inbox, email_end)} from the first inbox message to the last email "
        f"({span(timeline.first_inbox, email_end)}), {rate(emails, timeline.first_email, email_end)} from the "
        f"first email to the last ({span(timeline.first_email, email_end)}); "
        f"{span(timeline.started, email_end)} from start"
        + (f"; {count - emails:,} never arrived" if emails < count else "")
    )
    print(inbox_figure)
    print(email_figure)
    FIGURES.extend(
        [
            Figure(
                "notifications",
                f"(1) events -> inbox, {count:,} events",
                per_second(inbox, timeline.first_inbox, inbox_end),
                "msg/s",
                note=f"first inbox message to last; {inbox:,} of {count:,} arrived",
            ),
            Figure(
                "notifications",
                f"(2) events -> emails into SMTP, {count:,} events",
                per_second(emails, timeline.first_inbox, email_end),
                "emails/s",
                note=f"first inbox message to last email; {emails:,} of {count:,} arrived",
            ),
            Figure(
                "notifications",
                "(2) each person one email, in their language",
                None,
                target="every one",
                met=not stalled and "NO" not in verdict,
                text="ok" if not stalled and "NO" not in verdict else "NO",
                note=verdict,
            ),
        ]
    )
    return f"{inbox_figure}\n{email_figure}"


async def cleanup(settings: NotificationsSettings) -> None:
    client = connect(MONGODB)
    try:
        await client.drop_database(settings.mongodb_database)
    finally:
        await client.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA.split(","))
    with contextlib.suppress(Exception):
        await admin.start()
        doomed = [topic for topic in await admin.list_topics() if topic.startswith(settings.topic_prefix)]
        if doomed:
            await admin.delete_topics(doomed)
    with contextlib.suppress(Exception):
        await admin.close()


def machine() -> str:
    model = "?"
    with contextlib.suppress(OSError):
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "?")
    return (
        f"bench.notifications on {platform.machine()} {platform.python_version()}, {os.cpu_count()} CPUs ({model}), "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--events", type=int, default=None, help="people and events, one each (5,000)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON here (for python -m bench)")
    args = parser.parse_args()
    count = args.events or (300 if args.quick else 5_000)
    print(machine())
    figures = await events_to_inbox_and_smtp(count)
    print("\n".join(["", "summary:", figures]))
    write_figures(args.json, FIGURES)


if __name__ == "__main__":
    asyncio.run(main())
