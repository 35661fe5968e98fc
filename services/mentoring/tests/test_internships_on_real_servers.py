"""Exchange internships through HTTP on the real store and broker: from an offer to a published report,
reciprocity per unit and partner, the events on Kafka, and an erasure that leaves no trace of the guest."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from bson import json_util

from mentoring.bootstrap import bootstrap
from mentoring.config import MentoringSettings
from mentoring.entrypoints.http import create_app
from shared.auth.testing import TestIssuer
from shared.contracts import directory
from shared.contracts import mentoring as contracts
from shared.contracts.base import contract_for
from tests.support.infra import Servers, isolated, remove
from tests.support.kafka import deliver, header, read_topic

pytestmark = pytest.mark.infra

PREFIX = "com.owlery.mentoring."


@pytest.fixture
async def settings(servers: Servers) -> AsyncIterator[MentoringSettings]:
    isolated_settings = isolated(MentoringSettings, servers, "mentoring")
    yield isolated_settings
    await remove(servers, isolated_settings)


async def test_an_internship_from_offer_to_a_published_report_with_reciprocity_counts(
    settings: MentoringSettings,
) -> None:
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    guest, boss, liaison, host, visitor, visitor_boss, admin, curator, stranger = (
        f"{name}-{_short()}"
        for name in ("guest", "boss", "liaison", "host", "visitor", "vboss", "admin", "curator", "stranger")
    )
    sales, qa = f"sales-{_short()}", f"qa-{_short()}"
    tag = "tag-" + _short()
    today = datetime.now(UTC).date()

    async def person(person_id: str, department: str, manager_id: str | None = None) -> None:
        upserted = directory.PersonUpsertedV1(
            person_id=person_id,
            user_name=person_id,
            display_name=person_id,
            email=f"{person_id}@example.com",
            department=department,
            manager_id=manager_id,
            locale="ru",
            time_zone="Europe/Moscow",
            active=True,
            version=1,
        )
        await deliver(service.runtime.consumer, upserted, "/owlery/directory")

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mentoring") as client,
    ):

        async def call(
            method: str, path: str, person_id: str, json: Any = None, status: int = 200, roles: tuple[str, ...] = ()
        ) -> Any:
            answer = await client.request(method, path, json=json, headers=issuer.headers(person_id, *roles))
            assert answer.status_code == status, f"{method} {path}: {answer.status_code} {answer.text}"
            return answer.json() if answer.content else None

        await person(guest, sales, boss)
        await person(host, sales)
        await person(visitor, qa, visitor_boss)

        # An admin registers the partner; nobody else may.
        partner_body = {"name": "Acme Vision Lab", "kind": "training_centre"}
        await call("POST", "/partners", curator, partner_body, 403, ("curator",))
        partner = await call("POST", "/partners", admin, partner_body, 201, ("admin",))
        partner_unit = partner["unit"]
        assert partner_unit == f"partner:{partner['id']}"

        # The partner's placement, offered by a curator: bad dates and seats are 422 naming the field.
        offer = {
            "title": "Neural networks in quality analysis",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=60)).isoformat(),
            "seats": 1,
            "guest_learns": "Training a defect classifier on real line images",
            "host_learns_back": "How a sales team explains models to customers",
            "competencies": ["neural networks", tag],
            "host_unit": partner_unit,
            "host_id": liaison,
        }
        backwards = await call(
            "POST", "/placements", curator, {**offer, "ends_on": (today - timedelta(days=1)).isoformat()}, 422,
            ("curator",),
        )  # fmt: skip
        assert "ends_on" in str(backwards)
        assert "seats" in str(await call("POST", "/placements", curator, {**offer, "seats": 0}, 422, ("curator",)))
        await call("POST", "/placements", host, offer, 403)  # a partner's placement: curators and admins only
        abroad = await call("POST", "/placements", curator, offer, 201, ("curator",))
        assert (abroad["host_unit"], abroad["host_id"], abroad["seats_left"]) == (partner_unit, liaison, 1)

        # The guest applies with goals; a second application is a 409; only their manager decides.
        applied = await call(
            "POST", f"/placements/{abroad['id']}/applications", guest, {"goals": "Train a classifier myself"}, 201
        )
        internship_id = applied["id"]
        assert guest not in internship_id
        assert (applied["status"], applied["manager_id"], applied["guest_unit"]) == (
            "applied",
            boss,
            f"department:{sales}",
        )
        await call("POST", f"/placements/{abroad['id']}/applications", guest, {"goals": "Again"}, 409)
        ONE = f"/internships/{internship_id}"
        await call("POST", f"{ONE}/decision", liaison, {"approve": True}, 403)
        await call("POST", f"{ONE}/decision", guest, {"approve": True}, 403)
        await call("GET", ONE, stranger, status=403)
        assert [i["id"] for i in await call("GET", "/internships", boss)] == [internship_id]
        approved = await call("POST", f"{ONE}/decision", boss, {"approve": True})
        assert approved["status"] == "approved"
        assert (await call("GET", f"/placements/{abroad['id']}", stranger))["seats_left"] == 0

        # Goals: a vague one shows its SMART hints first (in Russian), then the host agrees a SMART one.
        due = (today + timedelta(days=30)).isoformat()
        vague = {"text": "Понять нейросети лучше", "due": due}
        smart = {"text": "Build 2 defect classifiers with neural networks for the line", "due": due}
        hints = await call("POST", f"{ONE}/goals/check", guest, {"goals": [vague, smart], "locale": "ru"})
        assert [check["passed"] for check in hints] == [False, True]
        assert {"S", "M"} <= {failure["letter"] for failure in hints[0]["failures"]}
        assert all(failure["message"] for failure in hints[0]["failures"])
        refused = await call("POST", f"{ONE}/goals", liaison, {"goals": [vague]}, 422)
        assert "confirm" in str(refused)
        await call("POST", f"{ONE}/goals", guest, {"goals": [smart]}, 403)  # only the host agrees
        agreed = await call("POST", f"{ONE}/goals", liaison, {"goals": [smart]})
        assert [goal["text"] for goal in agreed["goals"]] == [smart["text"]]

        # The guest's log; feedback from both sides completes it.
        await call("POST", f"{ONE}/log", liaison, {"text": "Not mine to write"}, 403)
        assert "text" in str(await call("POST", f"{ONE}/log", guest, {"text": "x" * 1001}, 422))
        await call("POST", f"{ONE}/log", guest, {"text": "Labelled 200 images of welds"}, 201)
        await call("POST", f"{ONE}/feedback", boss, {"rating": 5}, 403)
        given = await call("POST", f"{ONE}/feedback", guest, {"rating": 5, "words": "Patient, generous hosts"})
        assert given["status"] == "running"
        done = await call("POST", f"{ONE}/feedback", liaison, {"rating": 4, "words": "Asked the right questions"})
        assert done["status"] == "completed"
        assert done["feedback"]["guest"] == {"rating": 5, "words": None}  # the other side's words stay theirs

        # The report: written and published by the guest alone, then found in the knowledge base.
        report = {
            "title": "Нейросети в контроле качества сварки",
            "summary": "How I trained a defect classifier with the partner's vision team",
            "body": "Two weeks, 200 labelled images, one classifier in production.",
            "tags": ["welding"],
            "language": "ru",
        }
        await call("PUT", f"{ONE}/report", liaison, report, 403)
        await call("PUT", f"{ONE}/report", guest, report)
        await call("POST", f"{ONE}/report/publication", liaison, status=403)
        published = await call("POST", f"{ONE}/report/publication", guest)
        item_id = published["knowledge_item_id"]
        await call("POST", f"{ONE}/report/publication", guest, status=409)
        by_tag = await call("GET", f"/knowledge/items?tag={tag}&type=internship_report", stranger)
        assert [item["id"] for item in by_tag["items"]] == [item_id]
        by_text = await call("GET", f"/knowledge/items?q=defect+classifier&tag={tag}", stranger)
        assert [item["id"] for item in by_text["items"]] == [item_id]
        in_russian = await call("GET", f"/knowledge/items?q=нейросет+сварк&tag={tag}", stranger)
        assert [item["id"] for item in in_russian["items"]] == [item_id]
        item = await call("GET", f"/knowledge/items/{item_id}", stranger)
        assert (item["type"], item["owner_id"], item["language"]) == ("internship_report", guest, "ru")
        assert {"neural networks", tag, "welding"} <= set(item["tags"])

        # The other direction: the sales team hosts a visitor from QA.
        home = await call("POST", "/placements", host, {**offer, "host_unit": None, "host_id": None}, 201)
        assert home["host_unit"] == f"department:{sales}"
        await call("POST", f"/placements/{home['id']}/applications", guest, {"goals": "Home"}, 422)  # own unit
        visit = await call("POST", f"/placements/{home['id']}/applications", visitor, {"goals": "See sales"}, 201)
        VISIT = f"/internships/{visit['id']}"
        await call("POST", f"{VISIT}/decision", visitor_boss, {"approve": True})
        await call("POST", f"{VISIT}/goals", host, {"goals": [smart], "confirm": True})
        await call("POST", f"{VISIT}/feedback", visitor, {"rating": 5})
        await call("POST", f"{VISIT}/feedback", host, {"rating": 5})

        # Reciprocity: each unit sees whom it hosted and sent, per unit and partner, counts only.
        ours = await call("GET", f"/reciprocity?unit=department:{sales}", stranger)
        assert (ours["hosted"], ours["sent"]) == (1, 1)
        assert ours["units"] == [
            {"unit": f"department:{qa}", "name": None, "hosted": 1, "sent": 0},
            {"unit": partner_unit, "name": "Acme Vision Lab", "hosted": 0, "sent": 1},
        ]
        theirs = await call("GET", f"/reciprocity?unit={partner_unit}", stranger)
        assert theirs["units"] == [{"unit": f"department:{sales}", "name": None, "hosted": 1, "sent": 0}]
        qa_side = await call("GET", f"/reciprocity?unit=department:{qa}", stranger)
        assert qa_side["units"] == [{"unit": f"department:{sales}", "name": None, "hosted": 0, "sent": 1}]
        assert "unit" in str(await call("GET", "/reciprocity?unit=sales", stranger, status=422))

        # The events, read back from Kafka: the internship's whole life in order, each meeting its contract.
        topic = settings.topic_prefix + contracts.TOPIC
        records = await read_topic(settings.kafka_bootstrap_servers, topic, at_least=17, timeout=60)
        kinds: list[str] = []
        for record in records:
            kind = header(record, "ce_type") or ""
            data = json.loads(record.value)
            contract = contract_for(kind)
            assert contract is not None, kind
            contract.model_validate(data)
            if data.get("internship_id") == internship_id:
                kinds.append(kind.removeprefix(PREFIX).removesuffix(".v1"))
        assert kinds == [
            "internship.applied",
            "internship.approved",
            "internship.goals_agreed",
            "internship.logged",
            "internship.feedback_given",
            "internship.feedback_given",
            "internship.completed",
            "internship.report_published",
        ]
        offered = [json.loads(r.value) for r in records if header(r, "ce_type") == PREFIX + "placement.offered.v1"]
        assert {o["host_unit"] for o in offered} == {partner_unit, f"department:{sales}"}
        assert any(header(r, "ce_type") == PREFIX + "partner.registered.v1" for r in records)

        # The directory erases the guest: internships, placements and the knowledge base keep no trace of the id.
        await deliver(
            service.runtime.consumer,
            directory.PersonErasedV1(person_id=guest, requested_by="hr-1", reason="left the company"),
            "/owlery/directory",
        )
        for collection in ("internships", "placements", "partners", "knowledge"):
            for stored_in in (collection, f"{collection}_commits"):
                stored = json_util.dumps(await service.runtime.database[stored_in].find({}).to_list())
                assert guest not in stored, stored_in
        still = await call("GET", f"/knowledge/items/{item_id}", stranger)
        assert still["owner_id"] != guest and still["title"] == report["title"]
        counted = await call("GET", f"/reciprocity?unit=department:{sales}", stranger)
        assert (counted["hosted"], counted["sent"]) == (1, 1)  # the counts outlive the person


def _short() -> str:
    return uuid.uuid4().hex[:8]
