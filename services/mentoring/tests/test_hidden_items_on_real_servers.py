"""The moderators' list of hidden items through HTTP on the real store: newest first, with why and when, an
anonymous comment under its pseudonym only; only moderators read it, and a moderator restores an item from
it without a new flag, after which the circle's members see the item again."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mentoring.bootstrap import bootstrap
from mentoring.config import MentoringSettings
from mentoring.entrypoints.http import create_app
from shared.auth.testing import TestIssuer
from tests.support.infra import Servers, isolated, remove

pytestmark = pytest.mark.infra


@pytest.fixture
async def settings(servers: Servers) -> AsyncIterator[MentoringSettings]:
    isolated_settings = isolated(MentoringSettings, servers, "mentoring")
    yield isolated_settings
    await remove(servers, isolated_settings)


async def test_a_moderator_lists_hidden_items_without_anonymous_authors_and_restores_one(
    settings: MentoringSettings,
) -> None:
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    fac, ann, bob, mod = (f"{name}-{_short()}" for name in ("fac", "ann", "bob", "mod"))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mentoring") as client,
    ):

        async def call(method: str, path: str, person: str, json: Any = None, status: int = 200, *roles: str) -> Any:
            answer = await client.request(method, path, json=json, headers=issuer.headers(person, *roles))
            assert answer.status_code == status, f"{method} {path}: {answer.status_code} {answer.text}"
            return answer.json() if answer.content else None

        async def moderate(path: str, json: Any = None, status: int = 200) -> Any:
            return await call("POST" if json is not None else "GET", path, mod, json, status, "moderator")

        circle = await call("POST", "/circles", fac, {"topic": "Reports", "experience": "expert"}, 201)
        for member in (ann, bob):
            body = {"person_id": member, "experience": "beginner"}
            await call("POST", f"/circles/{circle['id']}/members", member, body, 201)
        due = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
        task_body = {"statement": "Automate the weekly report", "expected_outcome": "A script", "due": due}
        task = await call("POST", f"/circles/{circle['id']}/tasks", fac, task_body, 201)
        T = f"/tasks/{task['id']}"
        await call("PUT", f"{T}/solutions/s-fac", fac, {"text": "My script"})
        await call("POST", f"{T}/solutions/s-fac/publication", fac)
        rude = await call(
            "POST", f"{T}/solutions/s-fac/comments", bob, {"text": "What rubbish", "anonymous": True}, 201
        )
        spam = await call("POST", f"{T}/solutions/s-fac/comments", ann, {"text": "Buy my course"}, 201)

        # Ann flags Bob's anonymous comment, Bob flags Ann's: the moderator hides both, one after the other.
        for item, reason, flagger, note in (
            (rude, "rudeness", ann, "Rude to the author"),
            (spam, "spam", bob, "Advertising"),
        ):
            flag = await call(
                "POST", f"{T}/flags", flagger, {"item_id": item["id"], "reason": reason, "text": "No"}, 201
            )
            await moderate(f"/moderation/flags/{flag['id']}/decision", {"outcome": "hidden", "note": note})

        hidden = [line for line in await moderate("/moderation/hidden") if line["task_id"] == task["id"]]

        assert [line["item_id"] for line in hidden] == [spam["id"], rude["id"]]  # the newest hiding first
        newest, oldest = hidden
        assert (newest["kind"], newest["author"], newest["anonymous"]) == ("comment", ann, False)
        assert (newest["reason"], newest["note"], newest["text"]) == ("spam", "Advertising", "Buy my course")
        assert oldest["anonymous"] is True and oldest["author"] == rude["author"] != bob
        assert (oldest["reason"], oldest["note"]) == ("rudeness", "Rude to the author")
        assert newest["hidden_at"] >= oldest["hidden_at"]
        assert bob not in str(hidden)  # the anonymous author is named nowhere in the list
        assert all(line["circle_id"] == circle["id"] for line in hidden)

        # Nobody but a moderator reads the list or restores: not the circle's facilitator either.
        for person in (fac, ann):
            await call("GET", "/moderation/hidden", person, status=403)
            await call("POST", f"{T}/items/{rude['id']}/restoration", person, {"note": ""}, 403)

        def shown_to_members(task_view: dict[str, Any]) -> list[str]:
            return [c["text"] for s in task_view["solutions"] for c in s["comments"]]

        assert "What rubbish" not in shown_to_members(await call("GET", T, ann))

        restored = await moderate(f"{T}/items/{rude['id']}/restoration", {"note": "Read again: a fair, blunt remark"})

        assert restored["hidden"] is False and restored["author"] != bob
        assert "What rubbish" in shown_to_members(await call("GET", T, ann))
        still = [line["item_id"] for line in await moderate("/moderation/hidden") if line["task_id"] == task["id"]]
        assert still == [spam["id"]]
        # Restoring what is shown already is refused, and so is an item that does not exist.
        await moderate(f"{T}/items/{rude['id']}/restoration", {"note": ""}, 409)
        await moderate(f"{T}/items/nothing-here/restoration", {"note": ""}, 404)
        too_long = await moderate(f"{T}/items/{spam['id']}/restoration", {"note": "x" * 2001}, 422)
        assert "note" in str(too_long)


def _short() -> str:
    return uuid.uuid4().hex[:8]
