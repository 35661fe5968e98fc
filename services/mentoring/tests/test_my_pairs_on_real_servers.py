"""A person's own pairs through HTTP on the real store: every pair they are in, as mentor or mentee, newest
first, with no confidential text; nobody else reads the list."""

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

MENTEE_PROFILE: dict[str, Any] = {"topics": ["ai tools"], "interests": ["chess"], "languages": ["en"], "grade": 10}
MENTOR_PROFILE: dict[str, Any] = {
    "competencies": {"ai tools": 4, "social media": 3},
    "topics": ["ai tools", "social media"],
    "interests": ["chess"],
    "languages": ["en"],
    "capacity": 3,
    "grade": 5,
}


@pytest.fixture
async def settings(servers: Servers) -> AsyncIterator[MentoringSettings]:
    isolated_settings = isolated(MentoringSettings, servers, "mentoring")
    yield isolated_settings
    await remove(servers, isolated_settings)


def terms_body() -> dict[str, Any]:
    today = datetime.now(UTC).date()
    return {
        "format": "one_to_one",
        "topics": ["ai tools", "social media"],
        "enrolment_opens": (today - timedelta(days=7)).isoformat(),
        "enrolment_closes": (today + timedelta(days=7)).isoformat(),
        "starts": today.isoformat(),
        "duration_weeks": 12,
        "cadence_days": 14,
        "rules_text": "What is said in a pair stays in the pair.",
        "preparation": "Read the two-page guide to mentoring.",
    }


async def test_a_person_lists_their_pairs_as_mentor_and_as_mentee_and_no_one_else_does(
    settings: MentoringSettings,
) -> None:
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    ana, her_mentor, her_mentee, colleague, curator = (
        f"{name}-{_short()}" for name in ("ana", "mentor", "mentee", "colleague", "curator")
    )

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mentoring") as client,
    ):

        async def call(method: str, path: str, person_id: str, json: Any = None, *roles: str) -> Any:
            answer = await client.request(method, path, json=json, headers=issuer.headers(person_id, *roles))
            assert answer.status_code in (200, 201, 204), f"{method} {path}: {answer.status_code} {answer.text}"
            return answer.json() if answer.content else None

        async def pair(title: str, kind: str, mentee: str, mentor: str) -> tuple[str, str]:
            """A programme with one approved pair, mentee and mentor: the programme's id and the pair's."""
            programme = await call(
                "POST", "/programmes", curator, {"title": title, "kind": kind, "terms": terms_body()}, "curator"
            )
            path = f"/programmes/{programme['id']}"
            await call("POST", f"{path}/stage", curator, {"stage": "open"}, "curator")
            for person, role, profile in ((mentee, "mentee", MENTEE_PROFILE), (mentor, "mentor", MENTOR_PROFILE)):
                body = {"person_id": person, "role": role, "profile": profile, "accept_rules": True}
                await call("POST", f"{path}/participants", curator, body, "curator")
            await call("POST", f"{path}/stage", curator, {"stage": "matching"}, "curator")
            proposal = await call("POST", f"{path}/matching", curator, None, "curator")
            planned = await call("POST", f"{path}/matching/{proposal['id']}/approval", curator, None, "curator")
            return str(programme["id"]), str(planned[0]["pair_id"])

        # Ana is mentored in one programme, and starts it: a goal and a meeting with notes are written.
        learning, as_mentee = await pair("AI tools for managers", "classic", ana, her_mentor)
        kickoff = {"starts_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
        await call("POST", f"/programmes/{learning}/kickoff", curator, kickoff, "curator")
        await call("POST", f"/programmes/{learning}/kickoff/held", curator, None, "curator")
        for person in (ana, her_mentor):
            await call("POST", f"/programmes/{learning}/participants/{person}/preparation", person)
        due = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
        goal = {"text": "Build 3 secret dashboards for sales", "due": due, "topics": ["ai tools"], "confirm": True}
        await call("POST", f"/pairs/{as_mentee}/goals", ana, goal)
        meeting = {"held_on": datetime.now(UTC).date().isoformat(), "minutes": 60, "notes": "Confidential worries"}
        await call("PUT", f"/pairs/{as_mentee}/meetings/m-1", ana, meeting)
        # ... and mentors someone in another one, formed later.
        teaching, as_mentor = await pair("Reverse mentoring", "reverse", her_mentee, ana)

        mine = await call("GET", f"/people/{ana}/pairs", ana)

        assert [line["pair_id"] for line in mine] == [as_mentor, as_mentee]  # the newest first
        newest, oldest = mine
        assert newest["role"] == "mentor"
        assert newest["programme_id"] == teaching
        assert newest["programme_title"] == "Reverse mentoring"
        assert newest["kind"] == "reverse"
        assert newest["other_ids"] == [her_mentee]
        assert newest["status"] == "preparing"
        assert newest["started_at"] is None and newest["ended_at"] is None
        assert oldest["role"] == "mentee"
        assert oldest["programme_id"] == learning
        assert oldest["kind"] == "classic"
        assert oldest["other_ids"] == [her_mentor]
        assert oldest["status"] == "active"
        assert oldest["started_at"] is not None
        listed = str(mine)
        assert "secret dashboards" not in listed and "Confidential worries" not in listed
        assert set(oldest) == {
            "pair_id",
            "programme_id",
            "programme_title",
            "kind",
            "role",
            "other_ids",
            "status",
            "formed_at",
            "started_at",
            "ended_at",
        }

        theirs = await call("GET", f"/people/{her_mentor}/pairs", her_mentor)
        assert [(line["pair_id"], line["role"], line["other_ids"]) for line in theirs] == [(as_mentee, "mentor", [ana])]
        assert await call("GET", f"/people/{colleague}/pairs", colleague) == []

        refused = await client.get(f"/people/{ana}/pairs", headers=issuer.headers(colleague))
        assert refused.status_code == 403, refused.text


def _short() -> str:
    return uuid.uuid4().hex[:8]
