"""Expert of the month on the real MongoDB-wire server and Kafka: each title decided once, announced once, shown.

Deeds are stored as the consumer stores them (`MongoDeeds.record`, the events' own data); two namings
race as two replicas would, and the monthly job runs inside the started service, whose relay
publishes to the real broker.
"""

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from gamification.adapters.titles import COLLECTION, SETTLED_MONTHS
from gamification.bootstrap import Gamification, bootstrap
from gamification.config import GamificationSettings
from gamification.domain.ledger import Deed
from gamification.entrypoints.http import create_app
from gamification.service import titles
from shared.auth.testing import TestIssuer
from shared.contracts import directory, mentoring
from shared.contracts.base import IntegrationEvent
from shared.contracts.gamification import ExpertOfTheMonthNamedV1
from shared.persistence.mongo import Document
from shared.persistence.versioned import PENDING
from tests.support.infra import Servers, isolated, remove, unique
from tests.support.kafka import header, read_topic
from tests.support.storage import every_document, mentioning

pytestmark = pytest.mark.infra

EXPECTED = {
    ("circle", "circle-a"): ("ann", 2),
    ("circle", "circle-b"): ("bob", 3),
    ("department", "R&D"): ("bob", 3),
    ("department", "Sales"): ("ann", 2),
}


@pytest.fixture
async def service(servers: Servers) -> AsyncIterator[Gamification]:
    settings = isolated(GamificationSettings, servers, "gamification", outbox_sweep_seconds=1.0)
    built = bootstrap(settings)
    await built.deeds.ensure_indexes()
    await built.titles.ensure_indexes()
    try:
        yield built
    finally:
        await built.runtime.client.close()
        await remove(servers, settings)


def person(person_id: str, name: str, department: str) -> directory.PersonUpsertedV1:
    return directory.PersonUpsertedV1(
        person_id=person_id,
        user_name=name.lower(),
        display_name=name,
        email=f"{name.lower()}@example.com",
        department=department,
        locale="en",
        time_zone="Europe/Moscow",
        active=True,
        version=1,
    )


def deed(event: IntegrationEvent, at: datetime) -> Deed:
    """What the consumer keeps of a delivered event (see `consumers.deed_of`)."""
    restricted = event.topic.endswith(".restricted")
    return Deed(unique("event"), event.ce_type, event.model_dump(mode="json"), at, restricted=restricted)


def marked(author: str, comment: str, circle: str, day: int, by: str = "reader", anonymous: bool = False) -> list[Deed]:
    """One helpful mark as mentoring announces it: publicly (a pseudonym when anonymous) and the credit apart."""
    at = datetime(2026, 11, day, 10, tzinfo=UTC)
    shown = mentoring.CommentMarkedHelpfulV1(
        circle_id=circle,
        task_id="task-1",
        comment_id=f"comment-{comment}",
        author="Owl-3" if anonymous else author,
        anonymous=anonymous,
        marked_by=by,
    )
    credit = mentoring.HelpfulCommentCreditV1(
        circle_id=circle, task_id="task-1", comment_id=f"comment-{comment}", author_id=author, marked_by=by
    )
    return [deed(shown, at), deed(credit, at)]


def hidden(author: str, comment: str, circle: str, day: int) -> list[Deed]:
    event = mentoring.HelpfulCreditsRevokedV1(
        circle_id=circle, task_id="task-1", comment_id=f"comment-{comment}", author_id=author, marks=1
    )
    return [deed(event, datetime(2026, 11, day, 10, tzinfo=UTC))]


async def a_month_of_helpful_comments(service: Gamification) -> None:
    await service.people.apply_upsert(person("ann", "Ann", "Sales"))
    await service.people.apply_upsert(person("bob", "Bob", "R&D"))
    await service.people.apply_upsert(person("cid", "Cid", "R&D"))
    for kept in itertools.chain(
        marked("ann", "a1", "circle-a", 1),
        marked("ann", "a2", "circle-a", 2),
        marked("ann", "a2", "circle-a", 3, by="another-reader"),
        marked("ann", "a3", "circle-a", 4),
        hidden("ann", "a3", "circle-a", 20),  # hidden for good: Ann has two, not three
        marked("cid", "c1", "circle-a", 5),
        marked("bob", "b1", "circle-b", 1),
        marked("bob", "b2", "circle-b", 2),
        marked("bob", "b3", "circle-b", 3),
        marked("cid", "c2", "circle-b", 6),
        marked("cid", "c3", "circle-b", 7),
        # Anonymous: counted, they would make Cid the expert of circle-b and R&D, and give the pseudonym away.
        marked("cid", "c4", "circle-b", 8, anonymous=True),
        marked("cid", "c5", "circle-b", 9, anonymous=True),
    ):
        assert await service.deeds.record(kept)
        assert not await service.deeds.record(kept)  # a redelivered event is stored once


def decisions(documents: list[Document]) -> dict[tuple[str, str], tuple[str, int]]:
    return {(doc["scope"], doc["scope_id"]): (doc["person_id"], doc["helpful_marks"]) for doc in documents}


async def test_naming_twice_and_racing_records_one_title_per_scope_with_its_event_once(
    service: Gamification,
) -> None:
    await a_month_of_helpful_comments(service)

    racing = await asyncio.gather(
        *(titles.name_experts("2026-11", service.deeds, service.people, service.titles) for _ in range(2))
    )
    later = await titles.name_experts("2026-11", service.deeds, service.people, service.titles)

    assert sum(len(named) for named in racing) == len(EXPECTED)
    assert later == []
    documents = await service.runtime.database[COLLECTION].find({}).to_list()
    assert decisions(documents) == EXPECTED
    events = [event for doc in documents for event in doc["events"]]
    assert [event["type"] for event in events] == [ExpertOfTheMonthNamedV1.ce_type] * len(EXPECTED)
    assert {doc["outbox_state"] for doc in documents} == {PENDING}
    announced = {
        (e["data"]["scope"], e["data"]["scope_id"]): (e["data"]["person_id"], e["data"]["helpful_marks"])
        for e in events
    }
    assert announced == EXPECTED
    # What is kept and announced names a person for a scope and a count: no comment, no time of a mark.
    assert {key for doc in documents for key in doc} == {
        *("_id", "person_id", "scope", "scope_id", "counted_month", "title_month", "helpful_marks"),
        *("events", "outbox_state", "outbox_attempts", "committed_at"),  # the outbox's own
    }
    assert {key for event in events for key in event["data"]} == set(ExpertOfTheMonthNamedV1.model_fields)
    assert "comment-" not in json.dumps(documents, default=str) and "Owl-3" not in json.dumps(documents, default=str)


async def test_the_monthly_job_names_last_month_announces_it_on_kafka_and_the_api_shows_it(
    service: Gamification, servers: Servers
) -> None:
    await a_month_of_helpful_comments(service)
    service.clock = lambda: datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # November ended (and its grace) hours ago
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    topic = service.settings.topic_prefix + ExpertOfTheMonthNamedV1.topic

    async with (
        app.router.lifespan_context(app),  # starts the jobs: the monthly one runs at once
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gamification") as client,
    ):
        records = await read_topic(servers.kafka_bootstrap, topic, at_least=len(EXPECTED), settle=2.0)
        as_colleague = issuer.headers("colleague")
        december = await client.get("/titles", params={"month": "2026-12"}, headers=as_colleague)
        this_month = await client.get("/titles", headers=as_colleague)
        sales = await client.get(
            "/titles", params={"month": "2026-12", "scope": "department", "scope_id": "Sales"}, headers=as_colleague
        )
        november = await client.get("/titles", params={"month": "2026-11"}, headers=as_colleague)
        bad_month = await client.get("/titles", params={"month": "2026-13"}, headers=as_colleague)
        bad_scope = await client.get("/titles", params={"month": "2026-12", "scope": "team"}, headers=as_colleague)
        nobody = await client.get("/titles", params={"month": "2026-12"})

    named = [r for r in records if header(r, "ce_type") == ExpertOfTheMonthNamedV1.ce_type]
    assert len(named) == len(EXPECTED)
    bodies = [json.loads(r.value) for r in named]
    assert {(b["scope"], b["scope_id"]): (b["person_id"], b["helpful_marks"]) for b in bodies} == EXPECTED
    assert {(b["counted_month"], b["title_month"]) for b in bodies} == {("2026-11", "2026-12")}

    assert december.status_code == 200, december.text
    assert {(t["scope"], t["scope_id"]): (t["person_id"], t["helpful_marks"]) for t in december.json()} == EXPECTED
    assert {(t["display_name"], t["name_en"], t["name_ru"]) for t in december.json()} == {
        ("Ann", "Expert of the month", "Эксперт месяца"),
        ("Bob", "Expert of the month", "Эксперт месяца"),
    }
    assert this_month.json() == december.json()
    assert [(t["person_id"], t["scope_id"]) for t in sales.json()] == [("ann", "Sales")]
    assert november.json() == []
    assert (bad_month.status_code, bad_month.json().get("field")) == (422, "month")
    assert (bad_scope.status_code, bad_scope.json().get("field")) == (422, "scope")
    assert nobody.status_code == 401


async def test_erasure_gives_the_title_and_its_pending_event_to_the_stand_in(service: Gamification) -> None:
    expert = unique("person")
    await service.people.apply_upsert(person(expert, "Gil", "Legal"))
    for kept in marked(expert, "g1", "circle-g", 9):
        assert await service.deeds.record(kept)
    await titles.name_experts("2026-11", service.deeds, service.people, service.titles)
    stand_in = "former-employee-0123456789ab"

    moved = await service.titles.reattribute(expert, stand_in)
    again = await service.titles.reattribute(expert, stand_in)

    assert (moved, again) == (2, 0)  # the circle's title and the department's
    stored = await every_document(service.runtime.database)
    assert mentioning({name: stored.get(name, []) for name in (COLLECTION, SETTLED_MONTHS)}, expert) == {}
    held = await service.titles.held("2026-12")
    assert {(title.scope, title.person_id) for title in held} == {("circle", stand_in), ("department", stand_in)}
    events = [event for doc in stored[COLLECTION] for event in doc["events"]]
    assert {event["data"]["person_id"] for event in events} == {stand_in}
    assert {doc["outbox_state"] for doc in stored[COLLECTION]} == {PENDING}
