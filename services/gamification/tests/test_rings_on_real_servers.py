"""Reciprocal rings on the real MongoDB-wire server and Kafka, through the service as it is wired.

Helpful marks go through the service's own consumer (as Kafka delivers them), so pricing passes the
holding ledger; the ring job runs inside the started service, a moderator decides over HTTP, and the
relay announces the ring on the restricted topic.
"""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from gamification.adapters.rings import HOLDS, OUTBOX_COLLECTION, PARKED, RINGS
from gamification.bootstrap import Gamification, bootstrap
from gamification.config import GamificationSettings
from gamification.domain.engine import HELPFUL_COMMENT_CREDIT
from gamification.entrypoints.http import create_app
from gamification.service import rings
from shared.auth.testing import TestIssuer
from shared.contracts import directory, mentoring
from shared.contracts.gamification import RESTRICTED_TOPIC, ReciprocalRingDecidedV1, ReciprocalRingFlaggedV1
from shared.persistence.versioned import PUBLISHED
from tests.support.infra import Servers, isolated, remove, unique
from tests.support.kafka import deliver, eventually, header, read_topic
from tests.support.storage import every_document, mentioning

pytestmark = pytest.mark.infra

POINTS = 5  # the starting "helpful-comment" rule


@pytest.fixture
async def service(servers: Servers) -> AsyncIterator[Gamification]:
    settings = isolated(GamificationSettings, servers, "gamification", outbox_sweep_seconds=1.0)
    built = bootstrap(settings)
    await built.runtime.consumer.ensure_indexes()
    await built.ledger.ensure_indexes()
    await built.deeds.ensure_indexes()
    await built.rings.ensure_indexes()
    try:
        yield built
    finally:
        await remove(servers, settings)


def person(person_id: str, name: str) -> directory.PersonUpsertedV1:
    return directory.PersonUpsertedV1(
        person_id=person_id,
        user_name=name.lower(),
        display_name=name,
        email=f"{name.lower()}@example.com",
        department="Sales",
        locale="en",
        time_zone="Europe/Moscow",
        active=True,
        version=1,
    )


async def mark(service: Gamification, circle: str, marker: str, author: str) -> None:
    event = mentoring.HelpfulCommentCreditV1(
        circle_id=circle, task_id="task-1", comment_id=unique("comment"), author_id=author, marked_by=marker
    )
    await deliver(service.runtime.consumer, event, "/owlery/mentoring")


async def test_a_ring_is_flagged_its_points_held_and_parked_then_a_moderator_confirms_them(
    service: Gamification, servers: Servers
) -> None:
    circle = unique("circle")
    for person_id, name in (("ann", "Ann"), ("bob", "Bob")):
        await deliver(service.runtime.consumer, person(person_id, name), "/owlery/directory")
    for marker, author in (("carl", "dina"), ("dina", "emil"), ("emil", "carl"), ("fay", "dina")):
        await mark(service, circle, marker, author)
    for _ in range(3):
        await mark(service, circle, "ann", "bob")
        await mark(service, circle, "bob", "ann")
    assert (await service.ledger.balance("ann"), await service.ledger.balance("bob")) == (3 * POINTS, 3 * POINTS)

    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    as_moderator = issuer.headers("mod-1", "moderator")
    async with (
        app.router.lifespan_context(app),  # starts the jobs: the ring job runs at once
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gamification") as client,
    ):
        await eventually(lambda: service.ledger.balance("ann"), lambda balance: balance == 0, timeout=20)
        await eventually(lambda: service.ledger.balance("bob"), lambda balance: balance == 0, timeout=20)
        await mark(service, circle, "bob", "ann")  # while flagged: parked, not credited
        await mark(service, circle, "carl", "ann")  # not the ring's: credited
        held = (await service.ledger.balance("ann"), await service.ledger.balance("bob"))

        listed = await client.get("/rings", params={"status": "flagged"}, headers=as_moderator)
        as_colleague = await client.get("/rings", headers=issuer.headers("ann"))
        (ring,) = listed.json()
        by_member = await client.post(
            f"/rings/{ring['ring_id']}/decision",
            json={"decision": "confirmed", "reason": "mine"},
            headers=issuer.headers("ann", "moderator"),
        )
        confirmed = await client.post(
            f"/rings/{ring['ring_id']}/decision",
            json={"decision": "confirmed", "reason": "they review each other's work by design"},
            headers=as_moderator,
        )
        again = await client.post(
            f"/rings/{ring['ring_id']}/decision",
            json={"decision": "reversed", "reason": "second thoughts"},
            headers=as_moderator,
        )
        bad_status = await client.get("/rings", params={"status": "maybe"}, headers=as_moderator)
        released = (await service.ledger.balance("ann"), await service.ledger.balance("bob"))
        commits = service.runtime.database[OUTBOX_COLLECTION]
        await eventually(
            lambda: commits.find({"outbox_state": {"$ne": PUBLISHED}}).to_list(), lambda pending: pending == []
        )
        audit = await service.runtime.audit.about("ann", 10)
        withheld_after = await service.rings.withheld_deeds()
        records = await read_topic(
            servers.kafka_bootstrap, service.settings.topic_prefix + RESTRICTED_TOPIC, at_least=1, settle=2.0
        )

    assert held == (POINTS, 0)
    assert listed.status_code == 200, listed.text
    assert (ring["members"], ring["marks_each_way"], ring["circle_median"], ring["status"]) == (
        [{"person_id": "ann", "display_name": "Ann"}, {"person_id": "bob", "display_name": "Bob"}],
        [3, 3],
        1.0,
        "flagged",
    )
    assert as_colleague.status_code == 403
    assert by_member.status_code == 403
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["settled"], confirmed.json()["decided_by"]) == (
        "confirmed",
        True,
        "mod-1",
    )
    assert again.status_code == 409
    assert (bad_status.status_code, bad_status.json().get("field")) == (422, "status")
    assert released == (5 * POINTS, 3 * POINTS)  # three held and one parked from Bob, one from Carl
    assert withheld_after == set()  # confirmed: a replay of the rules may price every mark again

    types = [header(record, "ce_type") for record in records]
    assert types.count(ReciprocalRingFlaggedV1.ce_type) == 1
    assert types.count(ReciprocalRingDecidedV1.ce_type) == 1
    flagged = json.loads(next(r.value for r in records if header(r, "ce_type") == ReciprocalRingFlaggedV1.ce_type))
    assert set(flagged) == set(ReciprocalRingFlaggedV1.model_fields)  # no comment id, no time of a mark
    assert [(entry.action, entry.actor_id, entry.reason) for entry in audit] == [
        ("ring.confirmed", "mod-1", "they review each other's work by design")
    ]


async def test_what_a_ring_withholds_is_known_for_replays_and_erasure_leaves_no_member_id(
    service: Gamification,
) -> None:
    circle, ann, bob = unique("circle"), unique("person"), unique("person")
    for marker, author in (("carl", "dina"), ("dina", "emil"), ("emil", "carl")):
        await mark(service, circle, marker, author)
    for _ in range(3):
        await mark(service, circle, ann, bob)
        await mark(service, circle, bob, ann)
    (ring,) = await rings.look_for_rings(datetime.now(UTC), service.deeds, service.ledger, service.rules, service.rings)
    await mark(service, circle, bob, ann)  # parked
    between = {
        deed.event_id
        for deed in await service.deeds.of_types([HELPFUL_COMMENT_CREDIT])
        if {deed.data["author_id"], deed.data["marked_by"]} == {ann, bob}
    }

    withheld = await service.rings.withheld_deeds()
    await rings.decide(
        ring.ring_id,
        "reversed",
        "mod-1",
        "a deal",
        datetime.now(UTC),
        service.rings,
        service.ledger,
        service.deeds,
        service.runtime.audit,
    )
    withheld_when_reversed = await service.rings.withheld_deeds()
    moved = await service.rings.reattribute(ann, "former-employee-0123456789ab")

    assert len(between) == 7 and withheld == between == withheld_when_reversed
    assert (await service.ledger.balance(ann), await service.ledger.balance(bob)) == (0, 0)
    assert moved > 0
    stored = await every_document(service.runtime.database)
    ring_collections = {name: stored.get(name, []) for name in (RINGS, OUTBOX_COLLECTION, HOLDS, PARKED)}
    assert mentioning(ring_collections, ann) == {}
    assert mentioning(ring_collections, "former-employee-0123456789ab") != {}
