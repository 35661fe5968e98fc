"""Seat races on the real MongoDB-wire server, inside one process and across replica processes.

Fifty applicants for seven seats and five withdrawals promoting from one waitlist must never give
a wrong count, however the writers interleave. Inside one process the per-course turns of
`retry_on_conflict` put the writers in a line; across replicas only the versioned store's unique
commit key decides, so the cross-replica tests run two real replica processes (this module, run as
`python -c "...serve_replica()"`) that race on the same course with separate clients and separate
turns. Every test walks every commit of the course and checks the state each one left behind,
not only the last one: the commit log is what the outbox publishes.
"""

import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo.errors import OperationFailure

from enrolment.bootstrap import Enrolment, bootstrap
from enrolment.config import EnrolmentSettings
from enrolment.domain.model import ApplicationStatus, Course
from enrolment.entrypoints.http import create_app
from enrolment.service import handlers
from enrolment.tests.builders import NOW, published_course
from shared.auth.testing import TestIssuer
from shared.concurrency import ConcurrencyConflict
from shared.contracts import enrolment as contracts
from shared.errors import Conflict
from shared.persistence.mongo import Document, connect
from shared.persistence.versioned import commit_id
from tests.support.infra import Servers

pytestmark = pytest.mark.infra

CAPACITY = 7
APPLICANTS = 50
ROUNDS_IN_PROCESS = 5
ROUNDS_ACROSS_REPLICAS = 3
SETUP_VERSIONS = 3  # proposed, approved, first cohort
OFFER_HOURS = 48  # the default Rules.offer_hours
REPO = Path(__file__).resolve().parents[3]

WAITLISTED = contracts.ApplicationWaitlistedV1.ce_type
ENROLLED = contracts.ApplicationEnrolledV1.ce_type
OFFERED = contracts.SeatOfferedV1.ce_type
OFFER_ENDED = contracts.SeatOfferEndedV1.ce_type


# --- the service under test and its database ------------------------------------------------------------


def replica_settings(mongodb_url: str, kafka: str, database: str) -> EnrolmentSettings:
    """One replica of enrolment on a shared database; Kafka is never started (the races are in the store)."""
    return EnrolmentSettings(
        mongodb_url=mongodb_url,
        kafka_bootstrap_servers=kafka,
        mongodb_database=database,
        consumer_group=f"enrolment_{database}",
        topic_prefix=f"{database}.",
        http_port=0,
        mode="dev",
    )


@pytest.fixture
async def database(servers: Servers) -> AsyncIterator[str]:
    name = f"owlery_enrolment_races_{uuid.uuid4().hex[:12]}"
    yield name
    client = connect(servers.mongodb_url)
    try:
        await client.drop_database(name)
    finally:
        await client.close()


@pytest.fixture
async def service(servers: Servers, database: str) -> AsyncIterator[Enrolment]:
    built = bootstrap(replica_settings(servers.mongodb_url, servers.kafka_bootstrap, database))
    try:
        yield built
    finally:
        await built.runtime.client.close()


# --- replica processes ------------------------------------------------------------------------------------

Outcome = dict[str, Any]
"""What a use case did for one person: {"status", "position"} or {"error": exception class name}."""


def _outcome(application_and_course: tuple[Any, Course]) -> Outcome:
    application, course = application_and_course
    return {"status": application.status.value, "position": course.waitlist_position(application.person_id)}


UseCase = Callable[[str], Awaitable[tuple[Any, Course]]]
"""A use case for one person (an applicant, a member leaving, someone confirming an offer)."""


async def _each(people: Iterable[str], use_case: UseCase) -> dict[str, Outcome]:
    """Run the use case for every person at once; each one's outcome or the name of its refusal."""

    async def one(person_id: str) -> Outcome:
        try:
            return _outcome(await use_case(person_id))
        except Conflict as refused:
            return {"error": type(refused).__name__}

    people = list(people)
    return dict(zip(people, await asyncio.gather(*(one(p) for p in people)), strict=True))


def applying(service: Enrolment, course_id: str, now: datetime) -> UseCase:
    return lambda p: handlers.apply(handlers.Apply(course_id, p, "en"), service.courses, now=now)


def withdrawing(service: Enrolment, course_id: str, now: datetime) -> UseCase:
    return lambda p: handlers.withdraw(course_id, p, now, service.courses)


class ConflictCounter:
    """Counts the commits this process lost to another writer: proof that the replicas really raced."""

    def __init__(self, service: Enrolment) -> None:
        self.lost = 0
        store = service.courses.store
        commit = store.commit

        async def counting(*args: Any, **kwargs: Any) -> int:
            try:
                return await commit(*args, **kwargs)
            except ConcurrencyConflict:
                self.lost += 1
                raise

        store.commit = counting  # type: ignore[method-assign]


async def _replica_command(services: dict[str, tuple[Enrolment, ConflictCounter]], command: Document) -> Document:
    if command["database"] not in services:
        service = bootstrap(replica_settings(command["mongodb_url"], command["kafka"], command["database"]))
        services[command["database"]] = service, ConflictCounter(service)
    service, counter = services[command["database"]]
    course_id = command.get("course_id", "")
    now = datetime.fromisoformat(command["now"])
    await asyncio.sleep(max(0.0, command["at"] - time.time()))  # both replicas start together
    lost_before = counter.lost
    result: Document
    match command["op"]:
        case "apply":
            result = await _each(command["people"], applying(service, course_id, now))
        case "withdraw":
            result = await _each(command["people"], withdrawing(service, course_id, now))
        case "confirm":
            result = await _each(
                command["people"], lambda p: handlers.confirm_offer(course_id, p, now, service.courses)
            )
        case "expire":
            result = {"lapsed": await handlers.expire_offers(now, service.courses)}
        case other:
            raise ValueError(f"unknown replica command {other}")
    return {"result": result, "lost": counter.lost - lost_before}


def serve_replica() -> None:
    """A replica process: JSON commands in on stdin, one JSON answer per command on the original stdout.

    Logs (the service writes JSON logs to stdout) go to stderr, so they never mix with the answers.
    """
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    async def serve() -> None:
        services: dict[str, tuple[Enrolment, ConflictCounter]] = {}
        answers.write("ready\n")
        try:
            while line := await asyncio.to_thread(sys.stdin.readline):
                try:
                    answer = await _replica_command(services, json.loads(line))
                except Exception as error:  # the test shows it; the replica keeps serving
                    answer = {"crash": f"{type(error).__name__}: {error}"}
                answers.write(json.dumps(answer) + "\n")
        finally:
            for service, _ in services.values():
                await service.runtime.client.close()

    asyncio.run(serve())


@dataclass
class Replica:
    process: asyncio.subprocess.Process

    @classmethod
    async def start(cls) -> "Replica":
        code = "from enrolment.tests.test_races_on_real_servers import serve_replica; serve_replica()"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, cwd=REPO, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        replica = cls(process)
        assert await replica._line(60) == "ready"
        return replica

    async def _line(self, timeout: float) -> str:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line:
            raise AssertionError(f"the replica exited with {await self.process.wait()}")
        return line.decode().strip()

    async def send(self, command: Document) -> Document:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        await self.process.stdin.drain()
        answer: Document = json.loads(await self._line(60))
        assert "crash" not in answer, answer["crash"]
        return answer

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


@dataclass
class Replicas:
    """Two replica processes on the test's database."""

    pair: tuple[Replica, Replica]
    servers: Servers
    database: str
    lost: int = 0
    """Commits the replicas lost to each other so far (each loss was reloaded and decided again)."""

    async def run(self, op: str, *work: Document, now: datetime = NOW) -> list[Document]:
        """Send one command per replica (`work[i]` to replica i), to start at the same instant; their results."""
        at = time.time() + 0.1
        common = {
            "op": op,
            "now": now.isoformat(),
            "at": at,
            "database": self.database,
            "mongodb_url": self.servers.mongodb_url,
            "kafka": self.servers.kafka_bootstrap,
        }
        answers = await asyncio.gather(
            *(replica.send({**common, **part}) for replica, part in zip(self.pair, work, strict=False))
        )
        self.lost += sum(answer["lost"] for answer in answers)
        return [answer["result"] for answer in answers]


@pytest.fixture(scope="module")
async def replica_pair() -> AsyncIterator[tuple[Replica, Replica]]:
    first, second = await asyncio.gather(Replica.start(), Replica.start())
    try:
        yield first, second
    finally:
        await asyncio.gather(first.stop(), second.stop())


@pytest.fixture
def replicas(replica_pair: tuple[Replica, Replica], servers: Servers, database: str) -> Replicas:
    return Replicas(replica_pair, servers, database)


# --- reading the commit log -------------------------------------------------------------------------------


async def commits_of(service: Enrolment, course_id: str) -> list[Document]:
    """Every commit of the course in version order: 1, 2, 3... with no gap, each under its unique _id."""
    found = await service.runtime.database["courses_commits"].find({"aggregate_id": course_id}).to_list()
    found.sort(key=lambda commit: commit["version"])
    assert [c["version"] for c in found] == list(range(1, len(found) + 1)), "a gap in the versions"
    assert all(c["_id"] == commit_id(course_id, c["version"]) for c in found)
    return found


async def next_round(service: Enrolment) -> None:
    """Forget the round's courses, so each round's scans (FerretDB scans whatever is not an _id) stay small."""
    for name in ("courses", "courses_commits", "catalogue", "offer_deadlines"):
        await service.runtime.database.drop_collection(name)


def events_of(commits: Iterable[Document], event_type: str) -> list[tuple[int, Document]]:
    """(version, data) of every event of this type, in commit order."""
    return [(c["version"], e["data"]) for c in commits for e in c["events"] if e["type"] == event_type]


def check_state(course: Course, version: int) -> None:
    """What must hold in every committed version, whoever wrote it."""
    where = f"version {version}"
    seated = [p for cohort in course.cohorts for p in cohort.members]
    holders = seated + course.waitlist + list(course.offers)
    assert len(holders) == len(set(holders)), f"{where}: someone holds two places: {Counter(holders)}"
    for cohort in course.cohorts:
        held = len(cohort.members) + sum(o.cohort_id == cohort.id for o in course.offers.values())
        assert held <= cohort.capacity, f"{where}: {held} seats held in a cohort of {cohort.capacity}"
        for person_id in cohort.members:
            application = course.applications[person_id]
            assert (application.status, application.cohort_id) == (ApplicationStatus.ENROLLED, cohort.id), where
    for person_id in course.waitlist:
        assert course.applications[person_id].status is ApplicationStatus.WAITLISTED, where
    for person_id, offer in course.offers.items():
        assert offer.person_id == person_id, where
        assert course.applications[person_id].status is ApplicationStatus.OFFERED, where
    states = Counter(a.status for a in course.applications.values())
    assert states[ApplicationStatus.ENROLLED] == len(seated), where
    assert states[ApplicationStatus.WAITLISTED] == len(course.waitlist), where
    assert states[ApplicationStatus.OFFERED] == len(course.offers), where
    arrivals = [course.applications[p].arrival for p in course.waitlist]
    assert arrivals == sorted(arrivals), f"{where}: the waitlist is out of arrival order"
    assert sorted(a.arrival for a in course.applications.values()) == list(range(1, course.arrivals + 1)), where


async def checked_history(service: Enrolment, course_id: str) -> tuple[list[Document], Course]:
    """The commits, each state checked; and the course as the newest commit and the head both have it."""
    commits = await commits_of(service, course_id)
    for commit in commits:
        check_state(Course.from_state(course_id, commit["state"]), commit["version"])
    last = commits[-1]
    head = await service.runtime.database["courses"].find_one({"_id": course_id})
    assert head is not None
    assert head["version"] == last["version"]
    assert {k: v for k, v in head.items() if k not in ("_id", "version")} == last["state"]
    loaded = await service.courses.get(course_id)
    assert loaded is not None
    course, version = loaded
    assert version == last["version"]
    return commits, course


def check_applications(commits: list[Document], course: Course, outcomes: dict[str, Outcome], seats: int) -> None:
    """`seats` enrolled, the rest waitlisted 1..n in the order their commits were accepted, as each was told."""
    applied = {p for p, o in outcomes.items() if "error" not in o}
    enrolled = events_of(commits, ENROLLED)
    waitlisted = events_of(commits, WAITLISTED)
    assert len(enrolled) == seats
    assert [data["position"] for _, data in waitlisted] == list(range(1, len(applied) - seats + 1))
    versions = [version for version, _ in enrolled + waitlisted]
    assert versions == sorted(versions) == list(range(SETUP_VERSIONS + 1, SETUP_VERSIONS + len(applied) + 1))
    assert all(version > max(v for v, _ in enrolled) for version, _ in waitlisted), "a seat went after the queue"
    # Each applicant was told what their commit recorded: a seat, or their place in the line.
    for _, data in enrolled:
        assert outcomes[data["person_id"]] == {"status": "enrolled", "position": None}
    for _, data in waitlisted:
        assert outcomes[data["person_id"]] == {"status": "waitlisted", "position": data["position"]}
    # One application per person, and the newest state agrees with the log.
    assert set(course.applications) == applied
    assert [p for c in course.cohorts for p in c.members] == [data["person_id"] for _, data in enrolled]
    assert course.waitlist == [data["person_id"] for _, data in waitlisted]
    assert commits[-1]["version"] == SETUP_VERSIONS + len(applied)


def merged(answers: list[Document]) -> tuple[dict[str, Outcome], dict[str, list[Outcome]]]:
    """The replicas' answers per person: the outcome that took effect (else the refusal), and every attempt."""
    attempts: dict[str, list[Outcome]] = {}
    for answer in answers:
        for person_id, outcome in answer.items():
            attempts.setdefault(person_id, []).append(outcome)
    took = {p: next((o for o in tried if "error" not in o), tried[0]) for p, tried in attempts.items()}
    return took, attempts


def people(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{index:02d}" for index in range(1, count + 1)]


# --- fifty applicants, seven seats ------------------------------------------------------------------------


async def test_fifty_applicants_for_seven_seats_in_one_process(service: Enrolment) -> None:
    for round_ in range(ROUNDS_IN_PROCESS):
        course = await published_course(service.courses, capacity=CAPACITY)
        outcomes = await _each(people(f"r{round_}", APPLICANTS), applying(service, course.id, NOW))

        commits, final = await checked_history(service, course.id)
        check_applications(commits, final, outcomes, CAPACITY)
        assert Counter(o["status"] for o in outcomes.values()) == {"enrolled": 7, "waitlisted": 43}
        await next_round(service)


async def test_fifty_applicants_for_seven_seats_across_two_replicas(service: Enrolment, replicas: Replicas) -> None:
    for round_ in range(ROUNDS_ACROSS_REPLICAS):
        course = await published_course(service.courses, capacity=CAPACITY)
        everyone = people(f"x{round_}", APPLICANTS)
        first, second = everyone[::2], everyone[1::2]
        # Five people of each half also apply through the other replica: a double submission, or a retry.
        twice = first[:5] + second[:5]
        answers = await replicas.run(
            "apply",
            {"course_id": course.id, "people": first + second[:5]},
            {"course_id": course.id, "people": second + first[:5]},
        )

        outcomes, attempts = merged(answers)
        for person_id in twice:
            assert sorted(map(str, attempts[person_id])) == sorted(
                map(str, [outcomes[person_id], {"error": "AlreadyApplied"}])
            )
        assert set(outcomes) == set(everyone)

        commits, final = await checked_history(service, course.id)
        check_applications(commits, final, outcomes, CAPACITY)
        assert Counter(o["status"] for o in outcomes.values()) == {"enrolled": 7, "waitlisted": 43}
        assert len(commits) == 1 + 1 + 1 + APPLICANTS
        await next_round(service)
    assert replicas.lost > 0, "the replicas never raced: the test proved nothing"


# --- withdrawals promoting from the waitlist ---------------------------------------------------------------


async def full_course_with_queue(
    service: Enrolment, tag: str, now: datetime = NOW
) -> tuple[Course, list[str], list[str]]:
    """Seven enrolled and ten waiting, applied one after the other."""
    course = await published_course(service.courses, capacity=CAPACITY, now=now)
    members, waiting = people(f"{tag}-in", CAPACITY), people(f"{tag}-wait", 10)
    for person_id in members + waiting:
        await handlers.apply(handlers.Apply(course.id, person_id, "en"), service.courses, now=now)
    return course, members, waiting


async def check_promotions(
    service: Enrolment, course_id: str, leaving: list[str], waiting: list[str], outcomes: dict[str, Outcome]
) -> tuple[list[Document], Course]:
    """Each withdrawal freed a seat, and the seats went as offers to the first people waiting, in order."""
    assert {p: outcomes[p]["status"] for p in leaving} == dict.fromkeys(leaving, "withdrawn")
    commits, course = await checked_history(service, course_id)
    withdrawals = commits[SETUP_VERSIONS + CAPACITY + len(waiting) :]
    assert len(withdrawals) == len(leaving)
    offered = events_of(withdrawals, OFFERED)
    assert [version for version, _ in offered] == [c["version"] for c in withdrawals], "one offer per withdrawal"
    assert [data["person_id"] for _, data in offered] == waiting[: len(leaving)]
    assert len({data["offer_id"] for _, data in offered}) == len(leaving)
    assert set(course.offers) == set(waiting[: len(leaving)])
    assert course.waitlist == waiting[len(leaving) :]
    assert len(course.cohorts[0].members) + len(course.offers) == CAPACITY
    return commits, course


async def test_concurrent_withdrawals_offer_each_seat_once_in_one_process(service: Enrolment) -> None:
    for round_ in range(ROUNDS_ACROSS_REPLICAS):
        course, members, waiting = await full_course_with_queue(service, f"w{round_}")
        leaving = members[1:6]
        outcomes = await _each(leaving, withdrawing(service, course.id, NOW))
        await check_promotions(service, course.id, leaving, waiting, outcomes)
        await next_round(service)


async def test_concurrent_withdrawals_across_two_replicas_then_confirmations_and_expiry(
    service: Enrolment, replicas: Replicas
) -> None:
    for round_ in range(ROUNDS_ACROSS_REPLICAS):
        course, members, waiting = await full_course_with_queue(service, f"v{round_}")
        leaving = members[1:6]
        # One of them also withdraws through the other replica: exactly one of the two counts.
        answers = await replicas.run(
            "withdraw",
            {"course_id": course.id, "people": leaving[::2]},
            {"course_id": course.id, "people": [*leaving[1::2], leaving[0]]},
        )
        outcomes, attempts = merged(answers)
        assert sorted(map(str, attempts[leaving[0]])) == sorted(map(str, [outcomes[leaving[0]], {"error": "Conflict"}]))
        await check_promotions(service, course.id, leaving, waiting, outcomes)

        # The first three confirm; the first of them on both replicas at once (a double click, a retry).
        confirming = waiting[:3]
        answers = await replicas.run(
            "confirm",
            {"course_id": course.id, "people": confirming[::2]},
            {"course_id": course.id, "people": [*confirming[1::2], confirming[0]]},
        )
        outcomes, attempts = merged(answers)
        assert {p: outcomes[p] for p in confirming} == {p: {"status": "enrolled", "position": None} for p in confirming}
        assert sorted(map(str, attempts[confirming[0]])) == sorted(
            map(str, [outcomes[confirming[0]], {"error": "Conflict"}])
        )

        # The other two let their offers lapse; both replicas run the expiry job at the same moment.
        late = NOW + timedelta(hours=OFFER_HOURS + 1)
        lapsed = await replicas.run("expire", {}, {}, now=late)
        assert lapsed[0]["lapsed"] + lapsed[1]["lapsed"] == 2
        assert await replicas.run("expire", {}, {}, now=late) == [{"lapsed": 0}, {"lapsed": 0}]
        too_late = await replicas.run("confirm", {"course_id": course.id, "people": waiting[3:5]}, now=late)
        assert too_late == [{p: {"error": "Conflict"} for p in waiting[3:5]}]

        commits, final = await checked_history(service, course.id)
        ended = [data for _, data in events_of(commits, OFFER_ENDED)]
        assert sorted((d["person_id"], d["outcome"]) for d in ended) == sorted(
            [(p, "confirmed") for p in confirming] + [(p, "expired") for p in waiting[3:5]]
        )
        # Each lapsed seat went on to the next person waiting, once; nobody was ever offered twice.
        offered = [data["person_id"] for _, data in events_of(commits, OFFERED)]
        assert offered == waiting[:7]
        enrolments = Counter(data["person_id"] for _, data in events_of(commits, ENROLLED))
        assert max(enrolments.values()) == 1
        seated = final.cohorts[0].members
        assert seated[:2] == [members[0], *members[6:]]
        assert sorted(seated[2:]) == confirming  # in the order their confirmations were committed
        assert set(final.offers) == set(waiting[5:7])
        assert final.waitlist == waiting[7:]
        assert {final.applications[p].status for p in waiting[3:5]} == {ApplicationStatus.LAPSED}
        await next_round(service)
    # Withdrawals lose about one commit a round to the other replica, confirmations and expiry a few more.
    assert replicas.lost > 0, "the replicas never raced: the test proved nothing"


# --- redelivery over HTTP ---------------------------------------------------------------------------------


async def test_a_repeated_confirmation_is_refused_and_expiry_reruns_change_nothing(service: Enrolment) -> None:
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)  # no lifespan: the HTTP API over the store, without Kafka
    now = service.clock()  # what the HTTP API decides with
    course, members, waiting = await full_course_with_queue(service, "h", now)
    await handlers.withdraw(course.id, members[0], now, service.courses)
    confirmation = f"/courses/{course.id}/applications/{waiting[0]}/offer/confirmation"

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://enrolment") as api:
        as_person = issuer.headers(waiting[0])
        first, second = await asyncio.gather(
            api.post(confirmation, headers=as_person), api.post(confirmation, headers=as_person)
        )
        assert sorted([first.status_code, second.status_code]) == [200, 409], (first.text, second.text)
        assert (await api.post(confirmation, headers=as_person)).status_code == 409

        expired = await asyncio.gather(
            *(handlers.expire_offers(now + timedelta(days=3), service.courses) for _ in "xy")
        )
        assert expired == [0, 0]
        shown = await api.get(f"/courses/{course.id}", headers=issuer.headers("someone"))
        assert shown.status_code == 200, shown.text
        assert (shown.json()["cohorts"][0]["enrolled"], shown.json()["waitlist_length"]) == (CAPACITY, 9)

    commits, final = await checked_history(service, course.id)
    assert [data["person_id"] for _, data in events_of(commits, ENROLLED)].count(waiting[0]) == 1
    assert final.applications[waiting[0]].status is ApplicationStatus.ENROLLED


# --- the offer-deadline cache across replicas --------------------------------------------------------------


async def test_a_slow_replicas_cache_write_does_not_lose_a_newer_offers_deadline(
    servers: Servers, database: str, service: Enrolment
) -> None:
    course, members, waiting = await full_course_with_queue(service, "d")
    await handlers.withdraw(course.id, members[0], NOW, service.courses)  # an offer to waiting[0]
    other = bootstrap(replica_settings(servers.mongodb_url, servers.kafka_bootstrap, database))
    try:
        # Replica A confirms waiting[0]'s offer; it commits, and before it writes its caches
        # replica B (a process of its own: its turns are not A's) withdraws a member, offering a seat again.
        slow, version = await handlers.get_course(course.id, service.courses)
        slow.confirm_offer(waiting[0], NOW)
        commit = service.courses.store.commit

        async def commit_then_pause(*args: Any, **kwargs: Any) -> int:
            committed = await commit(*args, **kwargs)
            await handlers.withdraw(course.id, members[1], NOW, other.courses)
            return committed

        service.courses.store.commit = commit_then_pause  # type: ignore[method-assign]
        await service.courses.save(slow, expected_version=version)
        service.courses.store.commit = commit  # type: ignore[method-assign]

        newest, _ = await handlers.get_course(course.id, service.courses)
        assert set(newest.offers) == {waiting[1]}
        due = NOW + timedelta(hours=OFFER_HOURS + 1)
        assert await service.courses.with_offers_due(due) == [course.id]
    finally:
        with contextlib.suppress(Exception):
            await other.runtime.client.close()


# --- a failed cache write after the commit --------------------------------------------------------------------


async def test_a_failed_cache_write_after_the_commit_does_not_fail_the_application(service: Enrolment) -> None:
    course = await published_course(service.courses, capacity=CAPACITY)
    store = service.courses.store
    write_head = store._write_head
    busy = [OperationFailure("database is locked (5) (SQLITE_BUSY)", code=1)]

    async def once_busy(*args: Any, **kwargs: Any) -> None:
        while busy:
            raise busy.pop()
        await write_head(*args, **kwargs)

    store._write_head = once_busy  # type: ignore[method-assign]
    try:
        outcome = await _each(["alice"], applying(service, course.id, NOW))
    except OperationFailure:
        outcome = {"alice": {"error": "HTTP 500"}}
    finally:
        store._write_head = write_head  # type: ignore[method-assign]

    # The commit is in, and its outbox will tell everyone alice is enrolled: so must the answer.
    await service.courses.get(course.id)  # the head lags one write behind until a load repairs it
    _, final = await checked_history(service, course.id)
    assert final.applications["alice"].status is ApplicationStatus.ENROLLED
    assert outcome == {"alice": {"status": "enrolled", "position": None}}
