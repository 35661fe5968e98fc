"""A master class from proposal to feedback over HTTP, on the real MongoDB-wire server and Kafka.

The whole enrolment service runs (bootstrap, its app and lifespan, so the outbox relay publishes);
tokens come from a test issuer, and the service's clock is the test's, to let the session take place.
"""

import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from bson import json_util

from enrolment.bootstrap import Enrolment, bootstrap
from enrolment.config import EnrolmentSettings
from enrolment.entrypoints.http import create_app
from shared.auth.testing import TestIssuer
from shared.contracts import directory
from shared.contracts import enrolment as contracts
from shared.contracts.base import contract_for
from tests.support.infra import Servers, isolated, remove, unique
from tests.support.kafka import deliver, header, read_topic

pytestmark = pytest.mark.infra

PREFIX = "com.owlery.enrolment.master_class."


@dataclass
class Running:
    client: httpx.AsyncClient
    issuer: TestIssuer
    service: Enrolment
    settings: EnrolmentSettings
    now: list[datetime]

    def as_(self, person_id: str, *roles: str) -> dict[str, str]:
        return self.issuer.headers(person_id, *roles)

    async def call(self, method: str, path: str, who: dict[str, str], json: Any = None) -> httpx.Response:
        return await self.client.request(method, path, headers=who, json=json)


async def running(servers: Servers, approval: bool) -> AsyncIterator[Running]:
    settings = isolated(
        EnrolmentSettings, servers, "enrolment", master_class_approval=approval, outbox_sweep_seconds=1.0
    )
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    now = [datetime.now(UTC)]
    service.clock = lambda: now[0]
    app = create_app(service)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://enrolment") as client,
        ):
            yield Running(client, issuer, service, settings, now)
    finally:
        await remove(servers, settings)


@pytest.fixture
async def with_approval(servers: Servers) -> AsyncIterator[Running]:
    async for service in running(servers, approval=True):
        yield service


@pytest.fixture
async def without_approval(servers: Servers) -> AsyncIterator[Running]:
    async for service in running(servers, approval=False):
        yield service


def body(now: datetime, **changes: Any) -> dict[str, Any]:
    return {
        "title": "Мастер-класс: pytest за час",
        "abstract": "Fixtures, parametrize and the real servers",
        "language": "ru",
        "competencies": ["testing", "python"],
        "starts_at": (now + timedelta(days=3)).isoformat(),
        "duration_minutes": 90,
        "capacity": 2,
        "room_url": "https://meet.example.com/pytest",
        **changes,
    }


async def published_events(running: Running, master_class_id: str, at_least: int) -> list[tuple[str, dict[str, Any]]]:
    topic = running.settings.topic_prefix + contracts.TOPIC
    records = await read_topic(running.settings.kafka_bootstrap_servers, topic, at_least=at_least, timeout=60)
    found = []
    for record in records:
        kind = header(record, "ce_type") or ""
        if kind.startswith(PREFIX) and record.key == master_class_id.encode():
            data = json.loads(record.value)
            contract = contract_for(kind)
            assert contract is not None
            contract.model_validate(data)
            found.append((kind.removeprefix(PREFIX), data))
    return found


async def test_a_master_class_from_proposal_through_approval_to_feedback(with_approval: Running) -> None:
    svc = with_approval
    host, curator = unique("host"), svc.as_(unique("curt"), "curator")
    ann, bob, cat, eve = (unique(name) for name in ("ann", "bob", "cat", "eve"))
    me = {person: svc.as_(person) for person in (ann, bob, cat, eve)}
    hosting = svc.as_(host)

    # --- bad input names its field; nothing is created --------------------------------------------------
    for changes, field in (
        ({"duration_minutes": 150}, "duration_minutes"),
        ({"duration_minutes": 20}, "duration_minutes"),
        ({"starts_at": (svc.now[0] - timedelta(hours=1)).isoformat()}, "starts_at"),
        ({"capacity": 0}, "capacity"),
    ):
        answer = await svc.call("POST", "/master-classes", hosting, body(svc.now[0], **changes))
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == field

    # --- proposed; a curator approves it before anyone may register ------------------------------------
    answer = await svc.call("POST", "/master-classes", hosting, body(svc.now[0]))
    assert answer.status_code == 201, answer.text
    proposed = answer.json()
    mc = proposed["id"]
    assert (proposed["status"], proposed["my_status"]) == ("proposed", "host")
    path = f"/master-classes/{mc}"
    assert (await svc.call("GET", path, me[ann])).status_code == 403  # not published: host and curators only
    assert (await svc.call("GET", path, curator)).status_code == 200
    listed = (await svc.call("GET", "/master-classes", me[ann])).json()
    assert mc not in [item["id"] for item in listed["items"]]
    assert (await svc.call("POST", f"{path}/registrations", me[ann])).status_code == 409
    assert (await svc.call("POST", f"{path}/approval", me[ann])).status_code == 403
    answer = await svc.call("POST", f"{path}/approval", curator)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "published"
    assert (await svc.call("POST", f"{path}/approval", curator)).status_code == 409
    assert (await svc.call("POST", "/master-classes/mc-nope/approval", curator)).status_code == 404

    # --- two seats, then the waitlist; the host may not register ----------------------------------------
    statuses = []
    for person in (ann, bob, cat):
        answer = await svc.call("POST", f"{path}/registrations", me[person])
        assert answer.status_code == 201, answer.text
        statuses.append(answer.json()["my_status"])
    assert statuses == ["registered", "registered", "waitlisted"]
    assert (await svc.call("POST", f"{path}/registrations", me[ann])).status_code == 409
    answer = await svc.call("POST", f"{path}/registrations", hosting)
    assert answer.status_code == 409 and answer.json()["field"] == "person_id"
    view = (await svc.call("GET", path, me[cat])).json()
    assert (view["seats_left"], view["waitlist_length"], view["my_status"], view["my_waitlist_position"]) == (
        0,
        1,
        "waitlisted",
        1,
    )
    assert mc in [item["id"] for item in (await svc.call("GET", "/master-classes", me[eve])).json()["items"]]

    # --- bob withdraws (only he may): cat takes his seat at once ---------------------------------------
    assert (await svc.call("DELETE", f"{path}/registrations/{bob}", me[ann])).status_code == 403
    answer = await svc.call("DELETE", f"{path}/registrations/{bob}", me[bob])
    assert answer.status_code == 200, answer.text
    assert answer.json()["my_status"] == "none"
    view = (await svc.call("GET", path, me[cat])).json()
    assert (view["my_status"], view["seats_left"], view["waitlist_length"]) == ("registered", 0, 0)
    assert (await svc.call("DELETE", f"{path}/registrations/{bob}", me[bob])).status_code == 404

    # --- the session takes place; the host marks it held and attaches the recording ---------------------
    assert (await svc.call("POST", f"{path}/held", hosting)).status_code == 409  # not started yet
    svc.now[0] += timedelta(days=3, hours=2)
    assert (await svc.call("POST", f"{path}/held", me[ann])).status_code == 403
    recording = {"recording_url": "https://video.example.com/pytest", "materials": ["https://slides.example.com/p"]}
    assert (await svc.call("POST", f"{path}/recording", hosting, recording)).status_code == 409  # not held yet
    answer = await svc.call("POST", f"{path}/held", hosting)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["attendees"]) == ("held", 2)
    assert (await svc.call("POST", f"{path}/recording", me[ann], recording)).status_code == 403
    answer = await svc.call("POST", f"{path}/recording", hosting, recording)
    assert answer.status_code == 200, answer.text
    assert answer.json()["materials"] == ["https://slides.example.com/p"]

    # --- feedback: registered people, once; nobody else -------------------------------------------------
    assert (await svc.call("POST", f"{path}/feedback", me[ann], {"score": 7})).status_code == 422
    answer = await svc.call("POST", f"{path}/feedback", me[ann], {"score": 5, "comment": "Отлично"})
    assert answer.status_code == 201, answer.text
    assert (await svc.call("POST", f"{path}/feedback", me[cat], {"score": 4})).status_code == 201
    assert (await svc.call("POST", f"{path}/feedback", me[ann], {"score": 1})).status_code == 409
    assert (await svc.call("POST", f"{path}/feedback", me[bob], {"score": 1})).status_code == 403  # withdrew
    assert (await svc.call("POST", f"{path}/feedback", me[eve], {"score": 1})).status_code == 403
    assert (await svc.call("POST", "/master-classes/mc-nope/feedback", me[eve], {"score": 1})).status_code == 404
    view = (await svc.call("GET", path, hosting)).json()
    assert (view["feedback_count"], view["average_score"]) == (2, 4.5)

    # --- every change reached Kafka, in order, keyed by the master class ------------------------------
    events = await published_events(svc, mc, at_least=13)
    kinds = [kind for kind, _ in events]
    assert Counter(kinds) == {
        "proposed.v1": 1,
        "published.v1": 1,
        "registered.v1": 2,
        "waitlisted.v1": 1,
        "withdrawn.v1": 1,
        "promoted.v1": 1,
        "held.v1": 1,
        "recording_attached.v1": 1,
        "feedback_given.v1": 2,
    }, kinds
    assert kinds.index("withdrawn.v1") < kinds.index("promoted.v1") < kinds.index("held.v1")
    data = dict(events)
    assert data["proposed.v1"]["needs_approval"] is True
    assert data["published.v1"]["approved_by"] is not None
    assert (data["waitlisted.v1"]["person_id"], data["waitlisted.v1"]["position"]) == (cat, 1)
    assert data["promoted.v1"]["person_id"] == cat
    assert sorted(data["held.v1"]["attendee_ids"]) == sorted([ann, cat])
    assert data["recording_attached.v1"]["recording_url"] == "https://video.example.com/pytest"
    assert all("score" not in d for k, d in events if k == "feedback_given.v1")

    # --- the privacy export (HR only): each person's own part of it, nobody else's ------------------------
    hr = svc.as_(unique("hr"), "hr_admin")
    assert (await svc.call("GET", f"/privacy/people/{cat}", me[cat])).status_code == 403
    exported = (await svc.call("GET", f"/privacy/people/{cat}", hr)).json()
    [record] = exported["master_classes"]
    assert (record["master_class_id"], record["roles"], record["waitlist_position"]) == (
        mc,
        ["registered", "attended"],
        None,
    )
    assert (record["feedback"]["score"], record["feedback"]["comment"]) == (4, None)
    text = json.dumps(exported, ensure_ascii=False)
    assert ann not in text and host not in text and "Отлично" not in text
    hosted = (await svc.call("GET", f"/privacy/people/{host}", hr)).json()["master_classes"]
    assert [(r["master_class_id"], r["roles"], r["feedback"]) for r in hosted] == [(mc, ["host"], None)]
    assert (hosted[0]["hosted"]["feedback_count"], hosted[0]["hosted"]["average_score"]) == (2, 4.5)
    assert "Отлично" not in json.dumps(hosted, ensure_ascii=False) and cat not in json.dumps(hosted)
    assert (await svc.call("GET", f"/privacy/people/{bob}", hr)).json()["master_classes"] == []  # he withdrew

    # The directory erases the host and an attendee: neither id is left in any master class, state or history,
    # and the counts stay (the seat, the feedback, the average are now a former employee's).
    before = (await svc.call("GET", path, me[ann])).json()
    for person in (host, cat):
        await deliver(
            svc.service.runtime.consumer,
            directory.PersonErasedV1(person_id=person, requested_by="hr-1", reason="left the company"),
            "/owlery/directory",
        )
    database = svc.service.runtime.database
    for collection in ("master_classes", "master_classes_commits"):
        stored = json_util.dumps(await database[collection].find({}).to_list())
        assert host not in stored and cat not in stored, collection
    after = (await svc.call("GET", path, me[ann])).json()
    assert {k: after[k] for k in ("attendees", "feedback_count", "average_score")} == {
        k: before[k] for k in ("attendees", "feedback_count", "average_score")
    }
    for person in (host, cat):
        assert (await svc.call("GET", f"/privacy/people/{person}", hr)).json()["master_classes"] == [], person
    assert [r["roles"] for r in (await svc.call("GET", f"/privacy/people/{ann}", hr)).json()["master_classes"]] == [
        ["registered", "attended"]
    ]


async def test_without_approval_proposing_publishes_at_once(without_approval: Running) -> None:
    svc = without_approval
    host, ann = unique("host"), unique("ann")
    answer = await svc.call("POST", "/master-classes", svc.as_(host), body(svc.now[0], capacity=1))
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert (created["status"], created["approved_by"], created["seats_left"]) == ("published", None, 1)
    path = f"/master-classes/{created['id']}"
    assert (await svc.call("POST", f"{path}/approval", svc.as_(unique("curt"), "curator"))).status_code == 409
    answer = await svc.call("POST", f"{path}/registrations", svc.as_(ann))
    assert answer.status_code == 201 and answer.json()["seats_left"] == 0

    events = await published_events(svc, created["id"], at_least=3)
    assert [kind for kind, _ in events] == ["proposed.v1", "published.v1", "registered.v1"]
    assert events[0][1]["needs_approval"] is False and events[1][1]["approved_by"] is None
