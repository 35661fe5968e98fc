"""The HTTP API on the real MongoDB-wire server and Kafka: bad input gets a clear answer, never a 500.

Issue 6's "Bad input": 422 naming the field, 409 for a clash with what exists, 403 for a record the
caller may not see; and a curator sees that a pair met and for how long, never what was said.
Issue 7's circles likewise: a task's bad values name the field; the weekly cap, helpful marks and
closed tasks answer 409; members do not publish tasks and only moderators see flags and hidden content.
"""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mentoring.bootstrap import Mentoring, bootstrap
from mentoring.config import MentoringSettings
from mentoring.entrypoints.http import create_app
from shared.auth.testing import TestIssuer
from shared.persistence.mongo import connect
from tests.support.infra import Servers, isolated
from tests.support.storage import every_document, mentioning

pytestmark = pytest.mark.infra

CURATOR = "carol-curator"
MENTEE_PROFILE: dict[str, Any] = {"topics": ["ai tools"], "interests": ["chess"], "languages": ["en"], "grade": 10}
MENTOR_PROFILE: dict[str, Any] = {
    "competencies": {"ai tools": 4, "social media": 3},
    "topics": ["ai tools", "social media"],
    "interests": ["chess"],
    "languages": ["en"],
    "capacity": 2,
    "grade": 5,
}


def terms_body(**changes: Any) -> dict[str, Any]:
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
        **changes,
    }


def goal_body(**changes: Any) -> dict[str, Any]:
    due = datetime.now(UTC).date() + timedelta(days=30)
    text = "Build 3 dashboards with ai tools for the sales team"
    return {"text": text, "due": due.isoformat(), "topics": ["ai tools"], **changes}


def task_body(**changes: Any) -> dict[str, Any]:
    due = datetime.now(UTC).date() + timedelta(days=7)
    return {
        "statement": "Set up an automatic reminder for clients who pay late",
        "expected_outcome": "The reminder goes out by itself",
        "due": due.isoformat(),
        **changes,
    }


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def short() -> str:
    return uuid.uuid4().hex[:8]


@dataclass
class Owlery:
    """The API as people use it: each helper makes its requests with the right person's token."""

    client: httpx.AsyncClient
    issuer: TestIssuer

    def as_curator(self, person: str = CURATOR) -> dict[str, str]:
        return self.issuer.headers(person, "curator")

    def as_employee(self, person: str) -> dict[str, str]:
        return self.issuer.headers(person)

    async def ok(self, method: str, path: str, headers: dict[str, str], json: Any = None) -> Any:
        answer = await self.client.request(method, path, json=json, headers=headers)
        assert answer.status_code in (200, 201, 204), f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    async def programme(self, **terms: Any) -> str:
        body = {"title": "AI tools for managers", "kind": "reverse", "terms": terms_body(**terms)}
        return str((await self.ok("POST", "/programmes", self.as_curator(), body))["id"])

    async def advance(self, programme_id: str, *stages: str) -> None:
        for stage in stages:
            await self.ok("POST", f"/programmes/{programme_id}/stage", self.as_curator(), {"stage": stage})

    async def opened(self) -> str:
        programme_id = await self.programme()
        await self.advance(programme_id, "open")
        return programme_id

    async def join(self, programme_id: str, mentee: str) -> None:
        body = {"person_id": mentee, "role": "mentee", "profile": MENTEE_PROFILE, "accept_rules": True}
        await self.ok("POST", f"/programmes/{programme_id}/participants", self.as_employee(mentee), body)

    async def add_mentor(self, programme_id: str, mentor: str) -> None:
        body = {"person_id": mentor, "role": "mentor", "profile": MENTOR_PROFILE, "accept_rules": True}
        await self.ok("POST", f"/programmes/{programme_id}/participants", self.as_curator(), body)

    async def proposed(self, mentee: str, mentor: str) -> tuple[str, dict[str, Any]]:
        """A programme in matching with one mentee and one mentor, and the proposal pairing them."""
        programme_id = await self.opened()
        await self.join(programme_id, mentee)
        await self.add_mentor(programme_id, mentor)
        await self.advance(programme_id, "matching")
        proposal = await self.ok("POST", f"/programmes/{programme_id}/matching", self.as_curator())
        assert [(p["mentor_id"], p["mentee_ids"]) for p in proposal["pairs"]] == [(mentor, [mentee])], proposal
        return programme_id, proposal

    async def pair(self, mentee: str, mentor: str) -> tuple[str, str]:
        """An active pair: matched, approved, kickoff held, both prepared. The programme's id and the pair's."""
        programme_id, proposal = await self.proposed(mentee, mentor)
        curator = self.as_curator()
        planned = await self.ok("POST", f"/programmes/{programme_id}/matching/{proposal['id']}/approval", curator)
        kickoff = {"starts_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
        await self.ok("POST", f"/programmes/{programme_id}/kickoff", curator, kickoff)
        await self.ok("POST", f"/programmes/{programme_id}/kickoff/held", curator)
        for person in (mentee, mentor):
            path = f"/programmes/{programme_id}/participants/{person}/preparation"
            await self.ok("POST", path, self.as_employee(person))
        pair_id = str(planned[0]["pair_id"])
        assert (await self.ok("GET", f"/pairs/{pair_id}", self.as_employee(mentee)))["status"] == "active"
        return programme_id, pair_id

    # --- peer-learning circles: the creator facilitates (an expert, so tasks may go out at once) ---

    async def circle(self, facilitator: str, *members: str, experience: str = "expert") -> str:
        body = {"topic": "CRM automations", "experience": experience}
        circle_id = str((await self.ok("POST", "/circles", self.as_employee(facilitator), body))["id"])
        for member in members:
            joining = {"person_id": member, "experience": "beginner"}
            await self.ok("POST", f"/circles/{circle_id}/members", self.as_employee(member), joining)
        return circle_id

    async def task(self, circle_id: str, facilitator: str) -> str:
        published = await self.ok("POST", f"/circles/{circle_id}/tasks", self.as_employee(facilitator), task_body())
        return str(published["id"])

    async def solution(self, task_id: str, author: str, *, publish: bool = True) -> str:
        solution_id = f"s-{short()}"
        path = f"/tasks/{task_id}/solutions/{solution_id}"
        await self.ok("PUT", path, self.as_employee(author), {"text": "A CRM rule sends the reminder on day 3."})
        if publish:
            await self.ok("POST", f"{path}/publication", self.as_employee(author))
        return solution_id

    async def comment(self, task_id: str, solution_id: str, author: str, *, anonymous: bool = False) -> str:
        body = {"text": "Does it skip clients on a payment plan?", "anonymous": anonymous}
        path = f"/tasks/{task_id}/solutions/{solution_id}/comments"
        return str((await self.ok("POST", path, self.as_employee(author), body))["id"])


def refused_with(answer: httpx.Response, status: int, field: str | None = None) -> None:
    """The answer has the status and, for a 422, names the field (our `field`, or pydantic's `loc`)."""
    assert answer.status_code == status, answer.text
    if field is None:
        return
    body = answer.json()
    if isinstance(body.get("detail"), list):
        assert any(error["loc"][-1] == field for error in body["detail"]), body
    else:
        assert body.get("field") == field, body


@pytest.fixture
async def service(servers: Servers) -> AsyncIterator[Mentoring]:
    settings = isolated(MentoringSettings, servers, "mentoring")
    yield bootstrap(settings)
    cleanup = connect(settings.mongodb_url)
    await cleanup.drop_database(settings.mongodb_database)
    await cleanup.close()


@pytest.fixture
async def owlery(service: Mentoring) -> AsyncIterator[Owlery]:
    issuer = TestIssuer()
    issuer.trust(service.runtime)  # before the app is created: its gate verifies tokens from this issuer
    app = create_app(service)

    async def never_a_server_error(response: httpx.Response) -> None:
        assert response.status_code < 500, f"{response.request.method} {response.request.url}: {response.status_code}"

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://mentoring",
            event_hooks={"response": [never_a_server_error]},
        ) as client,
    ):
        yield Owlery(client, issuer)


async def test_bad_values_are_refused_naming_the_field(owlery: Owlery) -> None:
    api, curator = owlery.client, owlery.as_curator()

    for cadence in (0, 61):
        body = {"title": "Mentoring", "kind": "classic", "terms": terms_body(cadence_days=cadence)}
        refused_with(await api.post("/programmes", json=body, headers=curator), 422, "cadence_days")
    not_a_number = {"title": "Mentoring", "kind": "classic", "terms": terms_body(cadence_days="often")}
    refused_with(await api.post("/programmes", json=not_a_number, headers=curator), 422, "cadence_days")
    draft = await owlery.programme()
    edit = {"terms": terms_body(cadence_days=90)}
    refused_with(await api.put(f"/programmes/{draft}", json=edit, headers=curator), 422, "cadence_days")

    naive = {"starts_at": (datetime.now(UTC) + timedelta(days=2)).replace(tzinfo=None).isoformat()}
    refused_with(await api.post(f"/programmes/{draft}/kickoff", json=naive, headers=curator), 422, "starts_at")

    # A capacity below one, whichever way the mentor comes in.
    programme_id = await owlery.opened()
    participants, nominations = f"/programmes/{programme_id}/participants", f"/programmes/{programme_id}/nominations"
    for capacity in (0, -3):
        profile = {**MENTOR_PROFILE, "capacity": capacity}
        added = {"person_id": "mona", "role": "mentor", "profile": profile, "accept_rules": True}
        refused_with(await api.post(participants, json=added, headers=curator), 422, "capacity")
        nominated = {"person_id": "mona", "profile": profile, "accept_rules": True}
        refused_with(await api.post(nominations, json=nominated, headers=owlery.as_employee("mona")), 422, "capacity")
    await owlery.add_mentor(programme_id, "mona")
    shrunk = {**MENTOR_PROFILE, "capacity": 0}
    mona = owlery.as_employee("mona")
    refused_with(await api.put(f"{participants}/mona/profile", json=shrunk, headers=mona), 422, "capacity")

    # Inside a pair: a goal with no due date (confirmed or not), and other out-of-range numbers.
    _, pair_id = await owlery.pair("mark", "nina")
    pair, mark = f"/pairs/{pair_id}", owlery.as_employee("mark")
    no_due = goal_body(due=None)
    refused_with(await api.post(f"{pair}/goals", json=no_due, headers=mark), 422, "due")
    refused_with(await api.post(f"{pair}/goals", json={**no_due, "confirm": True}, headers=mark), 422, "due")
    goal = await owlery.ok("POST", f"{pair}/goals", mark, goal_body())
    progress = f"{pair}/goals/{goal['goal']['id']}/progress"
    refused_with(await api.put(progress, json={"progress": 101}, headers=mark), 422, "progress")
    refused_with(await api.post(f"{pair}/check-ins", json={"score": 9}, headers=mark), 422, "score")
    refused_with(
        await api.put(f"{pair}/meetings/m1", json={"held_on": today(), "minutes": 0}, headers=mark), 422, "minutes"
    )
    past = {"starts_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(), "minutes": 60}
    refused_with(await api.post(f"{pair}/meetings", json=past, headers=mark), 422, "starts_at")
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    refused_with(
        await api.put(f"{pair}/meetings/m1", json={"held_on": tomorrow, "minutes": 60}, headers=mark), 422, "held_on"
    )
    refused_with(await api.post(f"{pair}/goals", json={**goal_body(), "owner": "x"}, headers=mark), 422, "owner")


async def test_clashes_with_what_exists_are_409(owlery: Owlery) -> None:
    api = owlery.client

    # Nominating twice: a second self-nomination, and a recommendation of someone already nominated.
    programme_id = await owlery.opened()
    nominations = f"/programmes/{programme_id}/nominations"
    paul = owlery.as_employee("paul")
    self_nomination = {"person_id": "paul", "profile": MENTOR_PROFILE, "accept_rules": True}
    await owlery.ok("POST", nominations, paul, self_nomination)
    refused_with(await api.post(nominations, json=self_nomination, headers=paul), 409)
    recommendation = {"person_id": "paul", "reason": "He runs our AI guild"}
    refused_with(await api.post(nominations, json=recommendation, headers=owlery.as_employee("rita")), 409)

    # Approving a proposal that is already approved.
    programme_id, proposal = await owlery.proposed("alma", "boris")
    approval = f"/programmes/{programme_id}/matching/{proposal['id']}/approval"
    await owlery.ok("POST", approval, owlery.as_curator())
    refused_with(await api.post(approval, headers=owlery.as_curator()), 409)

    # Logging a meeting for a pair that ended (its mentor left the programme).
    programme_id, pair_id = await owlery.pair("clara", "dmitri")
    await owlery.ok("POST", f"/programmes/{programme_id}/participants/dmitri/departure", owlery.as_employee("dmitri"))
    pair = await owlery.ok("GET", f"/pairs/{pair_id}", owlery.as_employee("clara"))
    assert (pair["status"], pair["end_reason"]) == ("ended", "left")
    meeting = {"held_on": today(), "minutes": 45, "notes": "after the end"}
    refused_with(
        await api.put(f"/pairs/{pair_id}/meetings/late", json=meeting, headers=owlery.as_employee("clara")), 409
    )


async def test_what_does_not_exist_is_404(owlery: Owlery) -> None:
    api, curator = owlery.client, owlery.as_curator()
    _, pair_id = await owlery.pair("olga", "pyotr")
    olga = owlery.as_employee("olga")
    refused_with(await api.get(f"/pairs/{pair_id}/meetings/never/notes", headers=olga), 404)
    refused_with(await api.put(f"/pairs/{pair_id}/goals/never/progress", json={"progress": 5}, headers=olga), 404)
    refused_with(await api.get("/pairs/never", headers=olga), 404)
    refused_with(await api.get("/programmes/never/matching", headers=curator), 404)
    refused_with(await api.get("/concerns/never", headers=olga), 404)


async def test_records_the_caller_may_not_see_are_403(owlery: Owlery) -> None:
    api = owlery.client
    programme_id, pair_id = await owlery.pair("elena", "fyodor")
    elena = owlery.as_employee("elena")
    meeting = {"held_on": today(), "minutes": 30, "notes": "Elena fears the new CRM"}
    await owlery.ok("PUT", f"/pairs/{pair_id}/meetings/first", elena, meeting)
    notes = f"/pairs/{pair_id}/meetings/first/notes"

    # The programme's own curator may not read a pair's meeting notes.
    refused_with(await api.get(notes, headers=owlery.as_curator()), 403)
    assert "CRM" not in (await api.get(notes, headers=owlery.as_curator())).text

    # A participant of another pair reads neither the pair nor its notes, nor writes into it.
    _, other_pair = await owlery.pair("gleb", "hanna")
    gleb = owlery.as_employee("gleb")
    refused_with(await api.get(f"/pairs/{pair_id}", headers=gleb), 403)
    refused_with(await api.get(notes, headers=gleb), 403)
    refused_with(await api.post(f"/pairs/{pair_id}/goals", json=goal_body(), headers=gleb), 403)
    refused_with(await api.get(f"/pairs/{other_pair}", headers=elena), 403)

    # A mentee may not edit their mentor's profile.
    profile = f"/programmes/{programme_id}/participants/fyodor/profile"
    refused_with(await api.put(profile, json={**MENTOR_PROFILE, "capacity": 1}, headers=elena), 403)
    fyodor = await owlery.ok("GET", f"/programmes/{programme_id}/participants/fyodor", owlery.as_employee("fyodor"))
    assert fyodor["profile"]["capacity"] == MENTOR_PROFILE["capacity"]


async def test_a_curator_sees_that_a_pair_met_but_not_what_was_said(owlery: Owlery, service: Mentoring) -> None:
    programme_id, pair_id = await owlery.pair("irina", "yakov")
    irina, yakov = owlery.as_employee("irina"), owlery.as_employee("yakov")
    secret = f"Irina is thinking of leaving {short()}"
    meeting = {"held_on": today(), "minutes": 75, "topics": ["career moves"], "notes": secret}
    logged = await owlery.ok("PUT", f"/pairs/{pair_id}/meetings/first", irina, meeting)
    assert (logged["topics"], logged["has_notes"]) == (["career moves"], True)

    seen_by_curator = await owlery.client.get(f"/pairs/{pair_id}", headers=owlery.as_curator())
    assert seen_by_curator.status_code == 200, seen_by_curator.text
    assert seen_by_curator.json()["meetings"] == [
        {"id": "first", "scheduled_for": None, "held_on": today(), "minutes": 75, "topics": None, "has_notes": None}
    ]
    assert seen_by_curator.json()["experiments"] is None
    assert secret not in seen_by_curator.text and "career moves" not in seen_by_curator.text
    roster = await owlery.ok("GET", f"/programmes/{programme_id}/pairs", owlery.as_curator())
    assert [(line["pair_id"], line["meetings_held"], line["minutes_held"]) for line in roster] == [(pair_id, 1, 75)]
    assert roster[0]["last_meeting"] == today()

    # Either member sees the topics and reads the notes back.
    seen_by_member = await owlery.ok("GET", f"/pairs/{pair_id}", yakov)
    assert seen_by_member["meetings"][0]["topics"] == ["career moves"]
    assert seen_by_member["meetings"][0]["has_notes"] is True
    for member in (irina, yakov):
        notes = await owlery.ok("GET", f"/pairs/{pair_id}/meetings/first/notes", member)
        assert notes == {"meeting_id": "first", "notes": secret}

    # And the words are nowhere in the database as written: they are sealed.
    assert mentioning(await every_document(service.runtime.database), secret) == {}


# --- peer-learning circles (issue 7) ------------------------------------------------------------------


async def test_a_circle_task_with_bad_values_is_refused_naming_the_field(owlery: Owlery) -> None:
    api = owlery.client
    circle_id = await owlery.circle("fiona")
    tasks, fiona = f"/circles/{circle_id}/tasks", owlery.as_employee("fiona")

    for statement in ("", "   "):
        refused_with(await api.post(tasks, json=task_body(statement=statement), headers=fiona), 422, "statement")
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    refused_with(await api.post(tasks, json=task_body(due=yesterday), headers=fiona), 422, "due")
    refused_with(await api.post(tasks, json=task_body(due="next week"), headers=fiona), 422, "due")
    refused_with(await api.post(tasks, json={**task_body(), "owner": "x"}, headers=fiona), 422, "owner")
    assert await owlery.ok("GET", tasks, fiona) == []


async def test_circle_clashes_are_409(owlery: Owlery) -> None:
    api = owlery.client

    # Too few experienced members: the facilitator is told how many more are needed.
    beginners = await owlery.circle("gwen", experience="beginner")
    answer = await api.post(f"/circles/{beginners}/tasks", json=task_body(), headers=owlery.as_employee("gwen"))
    refused_with(answer, 409)
    assert answer.json()["needed"] == 1, answer.text

    # A sixth task in a rolling week, with the date the next slot frees (a week after the first task).
    circle_id = await owlery.circle("fiona", "max", "nadia")
    fiona, max_, nadia = (owlery.as_employee(person) for person in ("fiona", "max", "nadia"))
    first_at = datetime.now(UTC)
    task_ids = [await owlery.task(circle_id, "fiona") for _ in range(5)]
    sixth = await api.post(f"/circles/{circle_id}/tasks", json=task_body(), headers=fiona)
    refused_with(sixth, 409)
    next_slot = datetime.fromisoformat(sixth.json()["next_slot"])
    assert first_at + timedelta(days=7) <= next_slot <= datetime.now(UTC) + timedelta(days=7), sixth.text
    assert sixth.json()["next_slot"] in sixth.json()["detail"]
    assert len(await owlery.ok("GET", f"/circles/{circle_id}/tasks", fiona)) == 5

    # Helpful marks: once each, and never on one's own comment (named or anonymous).
    task_id = task_ids[0]
    solution_id = await owlery.solution(task_id, "max")
    named = await owlery.comment(task_id, solution_id, "nadia")
    anonymous = await owlery.comment(task_id, solution_id, "nadia", anonymous=True)
    helpful = f"/tasks/{task_id}/comments/{{}}/helpful"
    await owlery.ok("POST", helpful.format(named), max_)
    refused_with(await api.post(helpful.format(named), headers=max_), 409)
    refused_with(await api.post(helpful.format(named), headers=nadia), 409)
    refused_with(await api.post(helpful.format(anonymous), headers=nadia), 409)
    task = await owlery.ok("GET", f"/tasks/{task_id}", fiona)
    assert [c["helpful"] for c in task["solutions"][0]["comments"]] == [1, 0]

    # Publishing to a closed task: a draft written in time cannot go out after the closure.
    draft = await owlery.solution(task_id, "nadia", publish=False)
    await owlery.ok("POST", f"/tasks/{task_id}/closure", fiona)
    refused_with(await api.post(f"/tasks/{task_id}/solutions/{draft}/publication", headers=nadia), 409)
    late = {"text": "Mine, a day late"}
    refused_with(await api.put(f"/tasks/{task_id}/solutions/s-late", json=late, headers=fiona), 409)
    refused_with(await api.post(f"/tasks/{task_id}/closure", headers=fiona), 409)


async def test_circle_records_the_caller_may_not_see_are_403(owlery: Owlery) -> None:
    api = owlery.client
    circle_id = await owlery.circle("fiona", "max", "nadia")
    fiona, max_, nadia = (owlery.as_employee(person) for person in ("fiona", "max", "nadia"))
    outsider, moderator = owlery.as_employee("oscar"), owlery.issuer.headers("mila", "moderator")

    # A member does not publish tasks (nor close them); an outsider does not even read them.
    refused_with(await api.post(f"/circles/{circle_id}/tasks", json=task_body(), headers=max_), 403)
    task_id = await owlery.task(circle_id, "fiona")
    refused_with(await api.post(f"/tasks/{task_id}/closure", headers=max_), 403)
    refused_with(await api.get(f"/tasks/{task_id}", headers=outsider), 403)
    refused_with(await api.put(f"/tasks/{task_id}/solutions/s-x", json={"text": "Mine"}, headers=outsider), 403)

    # Only moderators read the moderation queue: not the circle's facilitator, a curator or an admin.
    secret = f"Call Ivan at home, he never pays {short()}"
    solution_id = f"s-{short()}"
    await owlery.ok("PUT", f"/tasks/{task_id}/solutions/{solution_id}", max_, {"text": secret})
    await owlery.ok("POST", f"/tasks/{task_id}/solutions/{solution_id}/publication", max_)
    flag = {"item_id": solution_id, "reason": "rudeness", "text": "Names a client"}
    flagged = await owlery.ok("POST", f"/tasks/{task_id}/flags", nadia, flag)
    for someone in (nadia, fiona, owlery.as_curator(), owlery.issuer.headers("adam", "admin")):
        refused_with(await api.get("/moderation/flags", headers=someone), 403)
        refused_with(
            await api.post(f"/moderation/flags/{flagged['id']}/decision", json={"outcome": "hidden"}, headers=someone),
            403,
        )
    queue = await owlery.ok("GET", "/moderation/flags", moderator)
    assert [item["id"] for item in queue] == [flagged["id"]]
    decision = {"outcome": "hidden", "note": "Clients are not named here"}
    await owlery.ok("POST", f"/moderation/flags/{flagged['id']}/decision", moderator, decision)

    # Hidden content stays stored for moderators only; members no longer see it in the task.
    item = f"/tasks/{task_id}/items/{solution_id}"
    for someone in (nadia, fiona, outsider):
        answer = await api.get(item, headers=someone)
        refused_with(answer, 403)
        assert secret not in answer.text
    assert secret not in (await api.get(f"/tasks/{task_id}", headers=nadia)).text
    stored = await owlery.ok("GET", item, moderator)
    assert (stored["hidden"], stored["versions"][-1]["text"]) == (True, secret)

    # An anonymous author is revealed to nobody but a moderator.
    other = await owlery.task(circle_id, "fiona")
    answered = await owlery.solution(other, "fiona")
    anonymous = await owlery.comment(other, answered, "nadia", anonymous=True)
    reveal = f"/tasks/{other}/comments/{anonymous}/reveal"
    for someone in (fiona, max_, nadia):
        answer = await api.post(reveal, json={"reason": "Curious"}, headers=someone)
        refused_with(answer, 403)
        assert "nadia" not in answer.text


async def test_a_refused_moderation_decision_changes_nothing(owlery: Owlery) -> None:
    api, moderator = owlery.client, owlery.issuer.headers("mila", "moderator")
    circle_id = await owlery.circle("fiona", "max", "nadia")
    task_id = await owlery.task(circle_id, "fiona")
    solution_id = await owlery.solution(task_id, "max")
    flag = {"item_id": solution_id, "reason": "false_information", "text": "Day 3 is too early"}
    flagged = await owlery.ok("POST", f"/tasks/{task_id}/flags", owlery.as_employee("nadia"), flag)
    decision, item = f"/moderation/flags/{flagged['id']}/decision", f"/tasks/{task_id}/items/{solution_id}"

    # Hiding or editing someone's words needs a note saying why: without one, the item stays as it was.
    refused_with(await api.post(decision, json={"outcome": "hidden"}, headers=moderator), 422, "note")
    edit = {"outcome": "edited", "text": "A CRM rule sends the reminder on day 5."}
    refused_with(await api.post(decision, json=edit, headers=moderator), 422, "note")
    refused_with(await api.post(decision, json={"outcome": "edited", "note": "Day 5"}, headers=moderator), 422, "text")
    stored = await owlery.ok("GET", item, moderator)
    assert (stored["hidden"], len(stored["versions"])) == (False, 1), stored
    assert [queued["id"] for queued in await owlery.ok("GET", "/moderation/flags", moderator)] == [flagged["id"]]

    # A flag is decided once: a second decision is refused and does not touch the item either.
    await owlery.ok("POST", decision, moderator, {"outcome": "hidden", "note": "Wrong advice"})
    refused_with(
        await api.post(decision, json={"outcome": "restored", "note": "Changed my mind"}, headers=moderator), 409
    )
    assert (await owlery.ok("GET", item, moderator))["hidden"] is True
    assert await owlery.ok("GET", "/moderation/flags", moderator) == []
