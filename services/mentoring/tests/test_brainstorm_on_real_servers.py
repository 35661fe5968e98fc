"""A brainstorm through HTTP on the real store and broker: ideas, votes, a decision in the knowledge base."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from bson import json_util

from mentoring.bootstrap import bootstrap
from mentoring.config import MentoringSettings
from mentoring.entrypoints.http import create_app
from shared.auth.testing import TestIssuer
from shared.contracts import directory
from tests.support.infra import Servers, isolated, remove
from tests.support.kafka import deliver

pytestmark = pytest.mark.infra


@pytest.fixture
async def settings(servers: Servers) -> AsyncIterator[MentoringSettings]:
    isolated_settings = isolated(MentoringSettings, servers, "mentoring")
    yield isolated_settings
    await remove(servers, isolated_settings)


async def test_a_brainstorm_from_ideas_through_votes_to_a_decision_in_the_knowledge_base(
    settings: MentoringSettings,
) -> None:
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    fac, ann, bob, stranger = (f"{name}-{_short()}" for name in ("fac", "ann", "bob", "stranger"))
    tag = "tag-" + _short()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mentoring") as client,
    ):

        async def call(method: str, path: str, person: str, json: Any = None, status: int = 200) -> Any:
            answer = await client.request(method, path, json=json, headers=issuer.headers(person))
            assert answer.status_code == status, f"{method} {path}: {answer.status_code} {answer.text}"
            return answer.json() if answer.content else None

        circle = await call("POST", "/circles", fac, {"topic": "Payments", "experience": "practitioner"}, 201)
        C = f"/circles/{circle['id']}"
        for member in (ann, bob):
            await call("POST", f"{C}/members", member, {"person_id": member, "experience": "beginner"}, 201)

        case = {"case": "Clients forget to pay on time. What do we do?", "title": "Late payers", "votes_per_member": 2}
        too_many = await call("POST", f"{C}/brainstorms", fac, {**case, "votes_per_member": 11}, 422)
        assert "votes_per_member" in str(too_many)
        await call("POST", f"{C}/brainstorms", stranger, case, 403)
        opened = await call("POST", f"{C}/brainstorms", fac, case, 201)
        B = f"{C}/brainstorms/{opened['id']}"
        assert (opened["phase"], opened["facilitator_id"], opened["votes_per_member"]) == ("ideas", fac, 2)

        # Ideas: named or anonymous under one pseudonym per person and brainstorm; members only.
        first = await call("POST", f"{B}/ideas", ann, {"text": "Remind them a day before the due date"}, 201)
        plan = await call("POST", f"{B}/ideas", bob, {"text": "Offer a payment plan", "anonymous": True}, 201)
        auto = await call("POST", f"{B}/ideas", bob, {"text": "Automate the reminder", "anonymous": True}, 201)
        assert first["author"] == ann
        assert plan["author"] == auto["author"] != bob and plan["anonymous"] is True
        await call("POST", f"{B}/ideas", stranger, {"text": "Sue them"}, 403)
        seen = await call("GET", B, bob)
        assert [(i["author"], i["by_me"]) for i in seen["ideas"]] == [
            (ann, False),
            (plan["author"], True),
            (plan["author"], True),
        ]
        assert bob not in str((await call("GET", B, ann))["ideas"])

        # Only the facilitator ends the idea phase; then no more ideas.
        await call("POST", f"{B}/voting", ann, status=403)
        await call("POST", f"{B}/ideas/{first['id']}/votes", ann, status=409)  # not voting yet
        started = await call("POST", f"{B}/voting", fac)
        assert started["phase"] == "voting" and started["votes_left"] == 2
        await call("POST", f"{B}/ideas", ann, {"text": "Late idea"}, 409)

        # Votes: at most one per idea (409), at most two in all (422 naming votes), members only (403).
        await call("POST", f"{B}/ideas/{auto['id']}/votes", ann, status=201)
        await call("POST", f"{B}/ideas/{auto['id']}/votes", ann, status=409)
        await call("POST", f"{B}/ideas/{plan['id']}/votes", ann, status=201)
        over = await call("POST", f"{B}/ideas/{first['id']}/votes", ann, status=422)
        assert "votes" in str(over)
        await call("POST", f"{B}/ideas/{first['id']}/votes", stranger, status=403)
        await call("POST", f"{B}/ideas/{auto['id']}/votes", bob, status=201)
        await call("POST", f"{B}/ideas/{first['id']}/votes", fac, status=201)
        mine = await call("GET", B, ann)
        assert (mine["votes_left"], sorted(mine["my_votes"])) == (0, sorted([auto["id"], plan["id"]]))
        assert all(idea["votes"] is None for idea in mine["ideas"])  # counts only once decided

        # The facilitator groups the ideas into themes and records the decision and its owners.
        decision = {
            "themes": [
                {"title": "Reminders", "idea_ids": [first["id"], auto["id"]]},
                {"title": "Payment plans", "idea_ids": [plan["id"]]},
            ],
            "decision": "Automate a reminder one day before the due date",
            "owner_ids": [ann],
            "tags": [tag, "payments"],
        }
        await call("POST", f"{B}/decision", ann, decision, 403)
        await call("POST", f"{B}/decision", fac, {**decision, "owner_ids": [stranger]}, 422)
        decided = await call("POST", f"{B}/decision", fac, decision)
        assert (decided["phase"], decided["owner_ids"]) == ("decided", [ann])
        assert decided["top_ideas"][0] == {"id": auto["id"], "votes": 2}
        await call("POST", f"{B}/decision", fac, decision, 409)

        # The summary is a brainstorm item in the knowledge base, found by tag, type and text.
        item_id = decided["knowledge_item_id"]
        found = await call("GET", f"/knowledge/items?tag={tag}&type=brainstorm", stranger)
        assert [item["id"] for item in found["items"]] == [item_id]
        found = await call("GET", f"/knowledge/items?q=automate+reminder&tag={tag}", stranger)
        assert [item["id"] for item in found["items"]] == [item_id]
        item = await call("GET", f"/knowledge/items/{item_id}", stranger)
        assert (item["type"], item["owner_id"], item["title"]) == ("brainstorm", fac, "Late payers")
        assert "Automate the reminder (2)" in item["body"] and "Payment plans" in item["body"]
        assert bob not in str(item)

        # It is in the circle's library too, kept by the facilitator; and only once, however often it is retried.
        await call("POST", f"{B}/decision", fac, decision, 409)
        shelf = await call("GET", f"/library?tag={tag}", ann)
        assert [(e["kind"], e["task_id"], e["author_id"], e["title"]) for e in shelf] == [
            ("brainstorm", opened["id"], fac, "Late payers")
        ]
        assert "Automate the reminder (2)" in shelf[0]["text"] and bob not in str(shelf)

        # Every step is an event; the anonymous author is never in one.
        commits = service.runtime.database["brainstorms_commits"]
        events: list[dict[str, Any]] = [
            event async for commit in commits.find({"aggregate_id": opened["id"]}) for event in commit["events"]
        ]
        kinds = [event["type"].split(".")[-2] for event in events]
        assert kinds[0] == "opened" and kinds[-1] == "decided"
        assert {"idea_added", "voting_started", "voted"} <= set(kinds)
        added = [event["data"] for event in events if event["type"].endswith("idea_added.v1")]
        assert bob not in json_util.dumps(added)
        assert events[-1]["data"]["knowledge_item_id"] == item_id

        # The directory erases bob: the brainstorm and its history keep no trace of the id.
        await deliver(
            service.runtime.consumer,
            directory.PersonErasedV1(person_id=bob, requested_by="hr-1", reason="left the company"),
            "/owlery/directory",
        )
        for collection in ("brainstorms", "brainstorms_commits"):
            stored = json_util.dumps(await service.runtime.database[collection].find({}).to_list())
            assert bob not in stored, collection


def _short() -> str:
    return uuid.uuid4().hex[:8]
