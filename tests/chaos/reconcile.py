"""After the load: wait for the platform to settle, then compare what was accepted with what exists.

Kafka may carry an event twice (at-least-once: the outbox relay re-sends after a crash), so events are
counted by their CloudEvents id; effects (ledger entries, inbox messages, sends) must each exist once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pymongo.asynchronous.database import AsyncDatabase

from shared.messaging.kafka import partitions_of
from shared.persistence.mongo import Document, connect
from tests.chaos.load import Load
from tests.support.kafka import caught_up, group_members, header
from tests.support.platform import Platform

SERVICES = ("enrolment", "mentoring", "gamification", "notifications", "directory")
ENROLLED = "com.owlery.enrolment.application.enrolled.v1"
WAITLISTED = "com.owlery.enrolment.application.waitlisted.v1"
WITHDRAWN = "com.owlery.enrolment.application.withdrawn.v1"
OFFERED = "com.owlery.enrolment.seat.offered.v1"
SUBMITTED = "com.owlery.enrolment.homework.submitted.v1"
REVIEWED = "com.owlery.enrolment.homework.reviewed.v1"
COMMENT_POSTED = "com.owlery.mentoring.comment.posted.v1"
HELPFUL_CREDIT = "com.owlery.mentoring.comment.helpful_credit.v1"
MEETING_LOGGED = "com.owlery.mentoring.meeting.logged.v1"
POINTS = "com.owlery.gamification.points.awarded.v1"
POINTS_RESTRICTED = "com.owlery.gamification.points.awarded_restricted.v1"
HELPFUL_CAP_PER_DAY = 10  # gamification's "helpful-comment" rule
MEETING_CAP_PER_WEEK = 3  # "mentoring-meeting-mentor" / "-mentee"

INBOX_ROUTES: dict[str, tuple[str, tuple[str, ...]]] = {
    # event type -> (template, fields naming the recipients), as services/notifications/routing.toml routes them
    ENROLLED: ("enrolled", ("person_id",)),
    WAITLISTED: ("waitlisted", ("person_id",)),
    OFFERED: ("seat_offered", ("person_id",)),
    WITHDRAWN: ("withdrawn", ("person_id",)),  # only when it names a cohort (see `inbox_expected`)
    POINTS: ("points_awarded", ("person_id",)),
    POINTS_RESTRICTED: ("points_awarded", ("person_id",)),
    MEETING_LOGGED: ("meeting_logged", ("mentee_ids",)),
}


@dataclass
class Event:
    id: str
    type: str
    data: dict[str, Any]


@dataclass
class Findings:
    counts: dict[str, int] = field(default_factory=dict)
    lost: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    doubled: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    notes: list[str] = field(default_factory=list)

    def lose(self, what: str, detail: str) -> None:
        self.lost[what].append(detail)

    def double(self, what: str, detail: str) -> None:
        self.doubled[what].append(detail)

    @property
    def lost_total(self) -> int:
        return sum(len(v) for v in self.lost.values())

    @property
    def doubled_total(self) -> int:
        return sum(len(v) for v in self.doubled.values())

    def report(self) -> str:
        lines = ["--- reconciliation ---"]
        lines += [f"{name:>32}: {count}" for name, count in self.counts.items()]
        lines.append(f"{'lost':>32}: {self.lost_total}")
        for what, details in self.lost.items():
            lines.append(f"{'':>34}{what}: {len(details)} e.g. {details[:3]}")
        lines.append(f"{'doubled':>32}: {self.doubled_total}")
        for what, details in self.doubled.items():
            lines.append(f"{'':>34}{what}: {len(details)} e.g. {details[:3]}")
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


# --- settling ----------------------------------------------------------------------------------------------


async def _topics(platform: Platform) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=platform.servers.kafka_bootstrap)
    await admin.start()
    try:
        return sorted(t for t in await admin.list_topics() if t.startswith(platform.topic_prefix))
    finally:
        await admin.close()


async def _group_topics(platform: Platform, group: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=platform.servers.kafka_bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    members = await group_members(platform.servers.kafka_bootstrap, group)
    assigned = {topic for partitions in members.values() for topic, _ in partitions}
    return sorted({tp.topic for tp in committed} | assigned)


async def _pending_outbox(database: AsyncDatabase[Document]) -> dict[str, list[dict[str, Any]]]:
    """Outbox entries still pending, by collection: id, when committed, attempts, the events' types."""
    pending: dict[str, list[dict[str, Any]]] = {}
    for name in await database.list_collection_names():
        async for doc in database[name].find({"outbox_state": "pending"}):
            pending.setdefault(name, []).append(
                {
                    "id": doc["_id"],
                    "committed_at": str(doc.get("committed_at")),
                    **{k: v for k, v in doc.items() if "attempt" in k},
                    "events": [event.get("type") for event in doc.get("events", []) if isinstance(event, dict)],
                }
            )
    return pending


async def settle(platform: Platform, timeout: float = 150.0) -> dict[str, Any]:
    """Wait until every service's consumer group has handled everything and no outbox holds anything.

    Checked twice in a row a few seconds apart: a handler that publishes (gamification's awards)
    adds records after its group caught up on what caused them.
    """
    started = time.monotonic()
    client = connect(platform.servers.mongodb_url)
    calm_since: float | None = None
    last: dict[str, Any] = {}
    try:
        while True:
            lagging = []
            for service in SERVICES:
                group = f"{platform.name}-{service}"
                topics = await _group_topics(platform, group)
                if topics and not await caught_up(platform.servers.kafka_bootstrap, group, topics):
                    lagging.append(group)
            pending = {
                service: found
                for service in SERVICES
                if (found := await _pending_outbox(client[platform.database(service)]))
            }
            last = {"lagging": lagging, "pending_outbox": pending}
            counts = {service: sum(len(entries) for entries in found.values()) for service, found in pending.items()}
            print(f"settling, {time.monotonic() - started:5.1f}s: lagging {lagging}, pending {counts}", flush=True)
            if not lagging and not pending:
                calm_since = calm_since or time.monotonic()
                if time.monotonic() - calm_since >= 4:
                    return {"settled_in_s": round(time.monotonic() - started, 1)}
            else:
                calm_since = None
            if time.monotonic() - started > timeout:
                return {"settled_in_s": None, "not_settled": last}
            await asyncio.sleep(2)
    finally:
        await client.close()


# --- reading what exists -----------------------------------------------------------------------------------


def _event(record: ConsumerRecord[bytes, bytes]) -> Event | None:
    ce_id, ce_type = header(record, "ce_id"), header(record, "ce_type")
    if not ce_id or not ce_type or not record.value:
        return None
    return Event(ce_id, ce_type, json.loads(record.value))


async def read_all(bootstrap: str, topic: str, timeout: float = 60.0) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record now in the topic, from its beginning to its end offsets (an empty topic: none)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        partitions = [TopicPartition(topic, p) for p in await partitions_of(bootstrap, topic)]
        if not partitions:
            return records
        consumer.assign(partitions)
        await consumer.seek_to_beginning()
        ends = await consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {topic} to its end within {timeout} s")
            batch = await consumer.getmany(timeout_ms=500)
            for rows in batch.values():
                records.extend(rows)
    finally:
        await consumer.stop()
    return records


async def read_events(platform: Platform) -> tuple[dict[str, list[Event]], dict[str, int]]:
    """Every event on the platform's topics by type (each delivery, so duplicates show), and DLT counts."""
    by_type: dict[str, list[Event]] = defaultdict(list)
    dead: dict[str, int] = {}
    for topic in await _topics(platform):
        records = await read_all(platform.servers.kafka_bootstrap, topic)
        if topic.endswith(".dlt"):
            dead[topic.removeprefix(platform.topic_prefix)] = len(records)
            continue
        for record in records:
            if (event := _event(record)) is not None:
                by_type[event.type].append(event)
    return by_type, dead


def _once(
    findings: Findings, what: str, wanted: dict[str, str], events: list[Event], key: tuple[str, ...]
) -> dict[str, str]:
    """Each wanted key (tuple of event fields joined by '|') has one event id; returns key -> event id."""
    ids: dict[str, set[str]] = defaultdict(set)
    for event in events:
        ids["|".join(str(event.data.get(k)) for k in key)].add(event.id)
    found: dict[str, str] = {}
    for wanted_key, label in wanted.items():
        seen = ids.get(wanted_key, set())
        if not seen:
            findings.lose(what, label)
        elif len(seen) > 1:
            findings.double(what, f"{label}: {sorted(seen)}")
        else:
            found[wanted_key] = next(iter(seen))
    return found


async def reconcile(platform: Platform, load: Load) -> Findings:
    findings = Findings()
    accepted = load.accepted
    events, dead = await read_events(platform)
    deliveries = sum(len(v) for v in events.values())
    distinct = len({e.id for v in events.values() for e in v})
    findings.counts["events delivered on kafka"] = deliveries
    findings.counts["distinct events (by ce_id)"] = distinct
    if dead:
        findings.notes.append(f"dead-letter topics: {dead}")

    # --- enrolment: each accepted application decided once, by one event ---------------------------------
    # A first answer (201) says the decision; an answer to a repeat (409) says the status now (a waitlisted
    # person may have been offered a freed seat since), so the decision is read from the events.
    wanted = {application["id"]: f"{c}/{p}" for (c, p), application in accepted.applications.items()}
    decision_events = events[ENROLLED] + events[WAITLISTED]
    decided = _once(findings, "application decision event", wanted, decision_events, ("application_id",))
    kind_of = {event.id: event.type for event in decision_events}
    enrolled = {app: wanted[app] for app, event_id in decided.items() if kind_of[event_id] == ENROLLED}
    for (course_id, person), application in accepted.applications.items():
        first = application["status"] if application.get("first") == "yes" else None
        event_id = decided.get(application["id"])
        if first in ("enrolled", "waitlisted") and event_id and kind_of[event_id].split(".")[-2] != first:
            findings.double("decision event differs from the answer", f"{course_id}/{person}: {first}")
    findings.counts["applications accepted"] = len(accepted.applications)
    findings.counts["enrolled"] = len(enrolled)
    findings.counts["waitlisted"] = len(decided) - len(enrolled)
    # A decision for a command the client gave up on is an unknown outcome, not a double.
    told = set(accepted.applications) | load.unknown
    course_ids = {course.id for course in load.courses}
    for kind in (ENROLLED, WAITLISTED):
        for event in events[kind]:
            key = (event.data["course_id"], event.data["person_id"])
            if key[0] in course_ids and key not in told:
                findings.double("decision for an application never applied for", event.data["application_id"])
    both = {e.data["application_id"] for e in events[ENROLLED]} & {e.data["application_id"] for e in events[WAITLISTED]}
    for application_id in both:
        findings.double("application both enrolled and waitlisted", application_id)

    withdrawals = {accepted.applications[key]["id"]: f"{key[0]}/{key[1]}" for key in accepted.withdrawals}
    _once(findings, "withdrawal event", withdrawals, events[WITHDRAWN], ("application_id",))
    findings.counts["withdrawals accepted"] = len(withdrawals)
    hand_ins = {f"{c}|{p}": f"{c}/{p}" for c, p in accepted.hand_ins}
    _once(findings, "homework submitted event", hand_ins, events[SUBMITTED], ("course_id", "person_id"))
    findings.counts["homework hand-ins accepted"] = len(hand_ins)
    reviews = {f"{c}|{p}": f"{c}/{p}" for c, p in accepted.reviews}
    reviewed = _once(findings, "homework reviewed event", reviews, events[REVIEWED], ("course_id", "person_id"))
    findings.counts["homework reviews accepted"] = len(reviews)

    # --- mentoring: comments, helpful marks, meetings ------------------------------------------------------
    comments = {comment_id: comment_id for comment_id in accepted.comments}
    _once(findings, "comment posted event", comments, events[COMMENT_POSTED], ("comment_id",))
    findings.counts["comments accepted"] = len(comments)
    marks = {f"{c}|{m}": f"{c} by {m}" for c, m in accepted.marks}
    _once(findings, "helpful credit event", marks, events[HELPFUL_CREDIT], ("comment_id", "marked_by"))
    findings.counts["helpful marks accepted"] = len(marks)
    meetings = {f"{p}|{m}": f"{p}/{m}" for p, m in accepted.meetings}
    _once(findings, "meeting logged event", meetings, events[MEETING_LOGGED], ("pair_id", "meeting_id"))
    findings.counts["meetings accepted"] = len(meetings)

    client = connect(platform.servers.mongodb_url)
    try:
        await _ledger(platform, load, client, findings, decided, enrolled, reviewed)
        await _notifications(platform, load, client, findings, events)
    finally:
        await client.close()
    return findings


def _people(load: Load) -> set[str]:
    people = {person for _, person in load.accepted.applications}
    if load.circle is not None:
        people |= set(load.circle.members)
    for pair in load.pairs:
        people |= {pair.mentor, *pair.mentees}
    return people


async def _ledger(
    platform: Platform,
    load: Load,
    client: Any,
    findings: Findings,
    decided: dict[str, str],
    enrolled: dict[str, str],
    reviewed: dict[str, str],
) -> None:
    database = client[platform.database("gamification")]
    people = _people(load)
    entries = [doc async for doc in database["ledger"].find({}) if doc["person_id"] in people]
    findings.counts["ledger entries"] = len(entries)
    if len({doc["_id"] for doc in entries}) != len(entries):
        findings.double("ledger entry id", "duplicate _id")
    # One deed credited once: the same person, rule and causing event never twice.
    deeds = Counter(
        (doc["person_id"], doc["rule"], doc["cause_event_id"], str(doc.get("subject")))
        for doc in entries
        if doc.get("cause_event_id")
    )
    for deed, count in deeds.items():
        if count > 1:
            findings.double("ledger entry for one deed", f"{deed} x{count}")
    by_cause: dict[tuple[str, str], list[Document]] = defaultdict(list)
    for doc in entries:
        by_cause[(doc["rule"], str(doc.get("cause_event_id")))].append(doc)

    def exactly_one(rule: str, cause: str, label: str) -> None:
        found = by_cause.get((rule, cause), [])
        if not found:
            findings.lose(f"ledger {rule}", label)
        elif len(found) > 1:
            findings.double(f"ledger {rule}", label)

    for application_id, label in enrolled.items():
        if application_id in decided:
            exactly_one("enrolment.enrolled", decided[application_id], label)
    for key, event_id in reviewed.items():
        exactly_one("homework-accepted", event_id, key)

    per_person: dict[tuple[str, str], int] = Counter((doc["person_id"], doc["rule"]) for doc in entries)
    marks_per_author = Counter(load.accepted.comments[c]["author"] for c, _ in load.accepted.marks)
    for author, marks in marks_per_author.items():
        expected = min(marks, HELPFUL_CAP_PER_DAY)
        got = per_person.get((author, "helpful-comment"), 0)
        if got < expected:
            findings.lose("ledger helpful-comment", f"{author}: {got} of {expected}")
        elif got > expected:
            findings.double("ledger helpful-comment", f"{author}: {got} for {expected}")
    meetings_per_pair = Counter(pair_id for pair_id, _ in load.accepted.meetings)
    for pair in load.pairs:
        expected = min(meetings_per_pair.get(pair.id, 0), MEETING_CAP_PER_WEEK)
        credited = [(pair.mentor, "mentoring-meeting-mentor")]
        credited += [(mentee, "mentoring-meeting-mentee") for mentee in pair.mentees]
        for person, rule in credited:
            got = per_person.get((person, rule), 0)
            if got < expected:
                findings.lose(f"ledger {rule}", f"{person}: {got} of {expected}")
            elif got > expected:
                findings.double(f"ledger {rule}", f"{person}: {got} for {expected}")

    # Balances are projections of the ledger.
    sums: dict[str, int] = Counter()
    for doc in entries:
        sums[doc["person_id"]] += doc["points"]
    standings = {doc["_id"]: doc.get("total") async for doc in database["standings"].find({})}
    wrong = [f"{p}: {standings.get(p)} != {total}" for p, total in sums.items() if standings.get(p) != total]
    for detail in wrong:
        findings.double("balance differs from the sum of entries", detail)
    findings.counts["balances checked"] = len(sums)


async def _notifications(
    platform: Platform, load: Load, client: Any, findings: Findings, events: dict[str, list[Event]]
) -> None:
    database = client[platform.database("notifications")]
    people = _people(load)
    inbox = [doc async for doc in database["inbox"].find({}) if doc["person_id"] in people]
    findings.counts["inbox messages"] = len(inbox)
    have = Counter((doc["person_id"], doc["cause_event_id"], doc.get("template")) for doc in inbox)
    for key, count in have.items():
        if count > 1:
            findings.double("inbox message", f"{key} x{count}")
    expected: set[tuple[str, str, str]] = set()
    for kind, (template, fields) in INBOX_ROUTES.items():
        for event in events[kind]:
            if kind == WITHDRAWN and not event.data.get("cohort_id"):
                continue
            for name in fields:
                value = event.data.get(name)
                for person in value if isinstance(value, list) else [value]:
                    if person in people:
                        expected.add((person, event.id, template))
    findings.counts["inbox messages expected"] = len(expected)
    present = set(have)
    for person, event_id, template in sorted(expected - present):
        findings.lose(f"inbox {template}", f"{person} for {event_id}")

    # Sends per channel: one notification per (cause, person, channel), and never sent twice.
    sends = [doc async for doc in database["notifications"].find({}) if doc.get("person_id") in people]
    per_channel = Counter((doc.get("channel"), doc.get("status")) for doc in sends)
    findings.counts["channel notifications"] = len(sends)
    findings.notes.append(f"channel notifications by (channel, status): {dict(per_channel)}")
    keys = Counter((doc.get("cause_event_id"), doc["person_id"], doc.get("channel")) for doc in sends)
    for key, count in keys.items():
        if count > 1:
            findings.double("channel notification", f"{key} x{count}")
    for doc in sends:
        sent = [a for a in doc.get("attempts", []) if a.get("status") == "sent"]
        if len(sent) > 1:
            findings.double(f"{doc.get('channel')} sent twice", str(doc["_id"]))
