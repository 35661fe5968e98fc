"""Standings and leaderboards on the real broker and MongoDB-wire server.

Entries are credited through `handlers.credit_deed`; the started service's relay publishes their
PointsAwarded events to Kafka and its own consumer projects them into standings, as in production.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Literal

import httpx
import pytest
from aiokafka import ConsumerRecord

from gamification import rebuild as rebuild_command
from gamification.bootstrap import Gamification, bootstrap
from gamification.config import GamificationSettings
from gamification.domain.ledger import Deed
from gamification.domain.standing import Standing
from gamification.entrypoints.http import create_app
from gamification.service import handlers
from shared.auth.testing import TestIssuer
from shared.contracts import directory, enrolment, mentoring
from shared.contracts.base import IntegrationEvent
from shared.contracts.gamification import PointsAwardedV1, RestrictedPointsAwardedV1
from shared.messaging.cloudevents import OutboxEvent
from shared.messaging.consumer import PROCESSED_EVENTS
from shared.messaging.dead_letters import read_dead_letters
from shared.persistence.mongo import Document
from shared.persistence.versioned import PENDING
from tests.support.infra import Servers, isolated, remove, unique
from tests.support.kafka import caught_up, cloud_event_record, eventually, header, produce, read_topic

pytestmark = pytest.mark.infra

POINTS_TYPES = [PointsAwardedV1.ce_type, RestrictedPointsAwardedV1.ce_type]


@pytest.fixture
async def settings(servers: Servers) -> AsyncIterator[GamificationSettings]:
    made = isolated(GamificationSettings, servers, "gamification", outbox_sweep_seconds=1.0)
    try:
        yield made
    finally:
        await remove(servers, made)


@pytest.fixture
async def service(settings: GamificationSettings) -> AsyncIterator[Gamification]:
    built = bootstrap(settings)
    await built.runtime.start()
    try:
        yield built
    finally:
        await built.runtime.stop()


def topics(settings: GamificationSettings) -> list[str]:
    return [settings.topic_prefix + contract.topic for contract in (PointsAwardedV1, RestrictedPointsAwardedV1)]


def upserted(person_id: str, department: str = "R&D") -> directory.PersonUpsertedV1:
    return directory.PersonUpsertedV1(
        person_id=person_id,
        user_name=person_id,
        display_name=person_id.title(),
        email=f"{person_id}@example.com",
        department=department,
        locale="en",
        time_zone="Europe/Moscow",
        active=True,
        version=1,
    )


def deed(event: IntegrationEvent, restricted: bool = False) -> Deed:
    return Deed(unique("event"), event.ce_type, event.model_dump(mode="json"), datetime.now(UTC), restricted)


def enrolled(person_id: str) -> Deed:
    return deed(
        enrolment.ApplicationEnrolledV1(
            application_id=unique("application"),
            course_id="course-1",
            course_title="Go",
            cohort_id="cohort-1",
            person_id=person_id,
            locale="en",
        )
    )


def registered(person_id: str, role: Literal["mentor", "mentee"]) -> Deed:
    return deed(
        mentoring.ParticipantRegisteredV1(
            programme_id="programme-1",
            programme_title="Onboarding",
            person_id=person_id,
            role=role,
            locale="en",
        )
    )


def marked_helpful(author: str, by: str, circle: str) -> Deed:
    event = mentoring.HelpfulCommentCreditV1(
        circle_id=circle, task_id="task-1", comment_id=unique("comment"), author_id=author, marked_by=by
    )
    return deed(event, restricted=True)


async def credit(service: Gamification, *deeds: Deed) -> None:
    for one in deeds:
        await handlers.credit_deed(one, service.ledger, service.people, service.rules)


async def projected(service: Gamification) -> dict[str, int]:
    return {standing.person_id: standing.total async for standing in service.standings.every()}


async def exact(service: Gamification) -> dict[str, int]:
    rows = await (
        await service.ledger.entries_collection.aggregate(
            [{"$group": {"_id": "$person_id", "total": {"$sum": "$points"}}}]
        )
    ).to_list()
    return {row["_id"]: row["total"] for row in rows}


async def points_records(settings: GamificationSettings) -> list[ConsumerRecord[bytes, bytes]]:
    """Every PointsAwarded record on the service's topics (rule changes travel there too)."""
    return [
        record
        for topic in topics(settings)
        for record in await read_topic(settings.kafka_bootstrap_servers, topic, at_least=1, settle=0.5)
        if header(record, "ce_type") in POINTS_TYPES
    ]


async def standing_documents(service: Gamification) -> dict[str, Document]:
    return {doc["_id"]: doc async for doc in service.standings.collection.find({})}


async def everything_projected(service: Gamification, expected: dict[str, int]) -> None:
    await eventually(lambda: projected(service), lambda found: found == expected, timeout=30)
    assert await exact(service) == expected  # the projection agrees with the ledger, entry by entry summed
    settings = service.settings
    group_done = await eventually(
        lambda: caught_up(settings.kafka_bootstrap_servers, settings.consumer_group, topics(settings)),
        lambda done: done,
        timeout=30,
    )
    assert group_done


async def test_credited_entries_reach_standings_through_the_broker_and_redelivery_changes_nothing(
    service: Gamification,
) -> None:
    for person in ("ann", "bob"):
        await service.people.apply_upsert(upserted(person))
    await credit(
        service,
        enrolled("ann"),
        enrolled("ann"),
        registered("ann", "mentor"),
        registered("bob", "mentee"),
        marked_helpful("bob", by="ann", circle="go-circle"),
    )
    await everything_projected(service, {"ann": 35, "bob": 10})

    # Bob's anonymous comment counts in his balance now, on boards only from tomorrow (UTC).
    today = await service.leaderboards.refresh()
    assert [(r.person_id, r.points) for r in today.top("all", "company", None, 10, 0).rows] == [("ann", 35), ("bob", 5)]
    assert today.top("all", "circle", "go-circle", 10, 0).rows == []
    tomorrow = datetime.now(UTC).replace(hour=0, minute=0) + timedelta(days=1, minutes=1)
    service.clock = lambda: tomorrow
    later = await service.leaderboards.refresh()
    assert [(r.person_id, r.points) for r in later.top("all", "company", None, 10, 0).rows] == [
        ("ann", 35),
        ("bob", 10),
    ]
    assert [(r.person_id, r.points) for r in later.top("all", "circle", "go-circle", 10, 0).rows] == [("bob", 5)]

    # A crash after the standings were written but before the records were marked handled: all come again.
    before = await standing_documents(service)
    records = await points_records(service.settings)
    assert len(records) == 5
    forgotten = await service.runtime.database[PROCESSED_EVENTS].delete_many({"type": {"$in": POINTS_TYPES}})
    assert forgotten.deleted_count == 5
    for record in records:
        await service.runtime.consumer.handle_record(record)
    assert await standing_documents(service) == before  # not even rewritten
    assert await projected(service) == await exact(service)


async def test_points_priced_by_a_rule_version_unknown_here_are_dead_lettered(service: Gamification) -> None:
    topic = service.settings.topic_prefix + PointsAwardedV1.topic

    def awarded(version: int, points: int) -> tuple[bytes, bytes, dict[str, str]]:
        event = PointsAwardedV1(
            entry_id=unique("entry"),
            person_id="ann",
            points=points,
            rule="enrolment.enrolled",
            rule_version=version,
            cause_event_id=unique("event"),
            cause_event_type=enrolment.ApplicationEnrolledV1.ce_type,
        )
        return cloud_event_record(OutboxEvent.of(event, source="/owlery/gamification", correlation_id="test"))

    await produce(service.settings.kafka_bootstrap_servers, topic, [awarded(99, 1000), awarded(1, 10)])

    letters = await eventually(
        lambda: read_dead_letters(service.settings.kafka_bootstrap_servers, topic), lambda found: len(found) == 1
    )
    assert (letters[0].reason, letters[0].headers["dlt_attempts"]) == ("rejected", "1")
    assert "'enrolment.enrolled' v99" in letters[0].error
    await eventually(lambda: projected(service), lambda found: found == {"ann": 10})  # the partition kept flowing


async def test_an_erased_persons_standing_and_board_preference_leave_no_trace_of_them(
    service: Gamification,
) -> None:
    await service.people.apply_upsert(upserted("ann"))
    await credit(service, enrolled("ann"), marked_helpful("ann", by="bob", circle="go-circle"), enrolled("bob"))
    await everything_projected(service, {"ann": 15, "bob": 10})
    await service.leaderboards.members.set_visible("ann", False)
    anns = await service.standings.get("ann")
    assert anns is not None

    assert await service.standings.reattribute("ann", "former-employee-0123456789ab")
    assert not await service.standings.reattribute("ann", "former-employee-0123456789ab")  # erasure run again

    documents = await standing_documents(service)
    assert set(documents) == {"former-employee-0123456789ab", "bob"}
    assert "ann" not in str(documents) + str(await service.runtime.database["leaderboard_visibility"].find().to_list())
    moved = await service.standings.get("former-employee-0123456789ab")
    assert moved is not None
    assert (moved.total, moved.points, moved.held, moved.positions) == (15, anns.points, anns.held, anns.positions)


async def test_someone_who_opts_out_leaves_everyone_elses_boards_but_keeps_their_own_rank(
    settings: GamificationSettings,
) -> None:
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gamification") as client,
    ):
        for person in ("ann", "bob", "cat"):
            await service.people.apply_upsert(upserted(person))
        await credit(service, *(enrolled("ann") for _ in range(3)), *(enrolled("bob") for _ in range(2)))
        await credit(service, enrolled("cat"))
        await everything_projected(service, {"ann": 30, "bob": 20, "cat": 10})
        ann, bob = issuer.headers("ann"), issuer.headers("bob")

        hidden = await client.put("/people/bob/leaderboard-visibility", json={"visible": False}, headers=bob)
        assert (hidden.status_code, hidden.json()) == (200, {"person_id": "bob", "visible": False})
        await service.leaderboards.refresh()

        board = (await client.get("/leaderboards?period=month", headers=ann)).json()
        assert [(r["rank"], r["person_id"], r["display_name"], r["points"]) for r in board["rows"]] == [
            (1, "ann", "Ann", 30),
            (2, "cat", "Cat", 10),
        ]
        assert (board["total"], board["period_key"]) == (2, datetime.now(UTC).strftime("%Y-%m"))
        own = (await client.get("/people/bob/rank?neighbours=1", headers=bob)).json()
        assert (own["rank"], own["points"], own["shown"]) == (2, 20, False)
        assert ([r["person_id"] for r in own["above"]], [r["person_id"] for r in own["below"]]) == (["ann"], ["cat"])
        account = (await client.get("/people/bob/points", headers=bob)).json()
        assert (account["balance"], account["rank"], account["level"]["number"]) == (20, 2, 1)
        departments = (await client.get("/leaderboards/departments?period=week", headers=ann)).json()["rows"]
        assert departments == [
            {"rank": 1, "department": "R&D", "points": 40, "active_members": 2, "points_per_member": 20.0}
        ]

        for query, field in (("period=year", "period"), ("scope=team", "scope"), ("scope=circle", "scope_id")):
            refused = await client.get(f"/leaderboards?{query}", headers=ann)
            assert (refused.status_code, refused.json()["field"]) == (422, field)

        await client.put("/people/bob/leaderboard-visibility", json={"visible": True}, headers=bob)
        await service.leaderboards.refresh()
        board = (await client.get("/leaderboards", headers=ann)).json()
        assert [r["person_id"] for r in board["rows"]] == ["ann", "bob", "cat"]


async def test_a_rebuild_gives_the_live_standings_and_nothing_is_counted_twice_afterwards(
    settings: GamificationSettings,
) -> None:
    live = bootstrap(settings)
    await live.runtime.start()
    try:
        for person in ("ann", "bob", "cat"):
            await live.people.apply_upsert(upserted(person))
        await credit(
            live,
            enrolled("ann"),
            registered("ann", "mentor"),
            enrolled("bob"),
            marked_helpful("bob", by="ann", circle="go-circle"),
            marked_helpful("cat", by="bob", circle="go-circle"),
            registered("cat", "mentee"),
        )
        await everything_projected(live, {"ann": 25, "bob": 15, "cat": 10})
        projected_live = {s.person_id: s async for s in live.standings.every()}
        with pytest.raises(rebuild_command.ServiceRunning):
            await rebuild_command.run(settings)
    finally:
        await live.runtime.stop()

    stopped = bootstrap(settings)  # the service's stores, with nothing running: nothing publishes or consumes
    await credit(stopped, enrolled("dan"))  # its event waits in the outbox
    # A relay that published Cat's entry but crashed before marking it: it is pending, and in the log.
    cats = stopped.ledger.entries_collection
    await cats.update_one(
        {"person_id": "cat", "rule": "mentoring.mentee_registered"}, {"$set": {"outbox_state": PENDING}}
    )
    before = await points_records(settings)

    report = await rebuild_command.run(settings)

    assert (report.entries, report.people) == (7, 4)
    assert len(await points_records(settings)) == len(before) + 2  # Dan's, and Cat's once more
    rebuilt = {s.person_id: s async for s in stopped.standings.every()}
    assert _without_positions(rebuilt) == {
        **_without_positions(projected_live),
        "dan": Standing(**{**vars(rebuilt["dan"]), "positions": {}}),
    }
    assert rebuilt["dan"].total == 10
    assert all(s.positions == {key: end - 1 for key, end in report.ends.items()} for s in rebuilt.values())

    # Every record (Cat's twice) is delivered again, the markers of handled ones lost: none counts twice.
    await stopped.runtime.database[PROCESSED_EVENTS].delete_many({})
    for record in await points_records(settings):
        await stopped.runtime.consumer.handle_record(record)
    assert await projected(stopped) == {"ann": 25, "bob": 15, "cat": 10, "dan": 10}

    again = bootstrap(settings)
    await again.runtime.start()  # what comes after the rebuild is applied, once
    try:
        await credit(again, enrolled("ann"))
        await everything_projected(again, {"ann": 35, "bob": 15, "cat": 10, "dan": 10})
    finally:
        await again.runtime.stop()
        await stopped.runtime.client.close()


def _without_positions(standings: dict[str, Standing]) -> dict[str, Standing]:
    return {person: Standing(**{**vars(s), "positions": {}}) for person, s in standings.items()}
