"""Who may call which mentoring endpoint, checked route by route against the real servers.

Curator routes belong to the curators *of that programme*; pair routes to the pair's members; a
concern to the person who raised it and the programme's curators. A circle's routes belong to its
members, or to those in the right circle role (the creator facilitates); a moderator acts in any circle,
and moderation itself is the moderators' alone. Each example builds what it needs
through the API itself, so the records are the ones a real caller would meet.
"""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mentoring.bootstrap import bootstrap
from mentoring.config import MentoringSettings
from mentoring.entrypoints.http import create_app
from shared.auth.testing import Call, Example, TestIssuer, about, authorization_matrix
from shared.contracts import directory
from shared.persistence.mongo import connect
from tests.support.infra import Servers, isolated

MISSING = "/programmes/does-not-exist"
MISSING_PAIR = "/pairs/does-not-exist"
MISSING_CONCERN = "/concerns/does-not-exist"
MISSING_CIRCLE = "/circles/does-not-exist"
MISSING_TASK = "/tasks/does-not-exist"
CURATOR = ("curator",)
MODERATOR = ("moderator",)
ADMIN = ("admin",)
MISSING_INTERNSHIP = "/internships/does-not-exist"


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


MENTEE_PROFILE: dict[str, Any] = {"topics": ["ai tools"], "interests": ["chess"], "languages": ["en"], "grade": 10}
MENTOR_PROFILE: dict[str, Any] = {
    "competencies": {"ai tools": 4, "social media": 3},
    "topics": ["ai tools", "social media"],
    "interests": ["chess"],
    "languages": ["en"],
    "capacity": 3,
    "grade": 5,
}


@pytest.mark.infra
async def test_authorisation_matrix(servers: Servers) -> None:
    settings = isolated(MentoringSettings, servers, "mentoring")
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    setup_curator = "setup-curator"

    def curator(person: str) -> dict[str, str]:
        return issuer.headers(person, "curator")

    def employee(person: str) -> dict[str, str]:
        return issuer.headers(person)

    async def call(method: str, path: str, headers: dict[str, str], json: Any = None) -> Any:
        answer = await client.request(method, path, json=json, headers=headers)
        assert answer.status_code in (200, 201, 204), f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    # --- building blocks: each returns ids, made through the API --------------------------------

    async def programme(by: str = setup_curator, *, terms: bool = True, kind: str = "reverse") -> str:
        body: dict[str, Any] = {"title": "AI tools for managers", "kind": kind}
        if terms:
            body["terms"] = terms_body()
        created = await call("POST", "/programmes", curator(by), body)
        return str(created["id"])

    async def advance(programme_id: str, by: str, *stages: str) -> None:
        for stage in stages:
            await call("POST", f"/programmes/{programme_id}/stage", curator(by), {"stage": stage})

    async def opened(by: str = setup_curator, kind: str = "reverse") -> str:
        programme_id = await programme(by, kind=kind)
        await advance(programme_id, by, "open")
        return programme_id

    async def join(programme_id: str, mentee: str) -> None:
        """The mentee registers themselves (the programme is open)."""
        body = {"person_id": mentee, "role": "mentee", "profile": MENTEE_PROFILE, "accept_rules": True}
        await call("POST", f"/programmes/{programme_id}/participants", employee(mentee), body)

    async def add_mentor(programme_id: str, mentor: str, by: str = setup_curator) -> None:
        body = {"person_id": mentor, "role": "mentor", "profile": MENTOR_PROFILE, "accept_rules": True}
        await call("POST", f"/programmes/{programme_id}/participants", curator(by), body)

    async def pool(mentee: str, mentor: str, by: str = setup_curator, kind: str = "reverse") -> str:
        """An open programme with one mentee and one mentor."""
        programme_id = await opened(by, kind)
        await join(programme_id, mentee)
        await add_mentor(programme_id, mentor, by)
        return programme_id

    async def proposed(by: str = setup_curator) -> tuple[str, str]:
        """A programme in matching with a proposal not yet approved: its id and the proposal's."""
        programme_id = await pool(f"mentee-{_short()}", f"mentor-{_short()}", by)
        await advance(programme_id, by, "matching")
        proposal = await call("POST", f"/programmes/{programme_id}/matching", curator(by))
        return programme_id, str(proposal["id"])

    async def formed(
        mentee: str, mentor: str | None = None, by: str = setup_curator, kind: str = "reverse"
    ) -> tuple[str, str]:
        """An active pair (matched, approved, kickoff held, both prepared): the programme's id and the pair's."""
        mentor = mentor or f"mentor-{_short()}"
        programme_id = await pool(mentee, mentor, by, kind)
        await advance(programme_id, by, "matching")
        proposal = await call("POST", f"/programmes/{programme_id}/matching", curator(by))
        assert [p["mentee_ids"] for p in proposal["pairs"]] == [[mentee]], proposal
        planned = await call("POST", f"/programmes/{programme_id}/matching/{proposal['id']}/approval", curator(by))
        kickoff = {"starts_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
        await call("POST", f"/programmes/{programme_id}/kickoff", curator(by), kickoff)
        await call("POST", f"/programmes/{programme_id}/kickoff/held", curator(by))
        for person in (mentee, mentor):
            await call("POST", f"/programmes/{programme_id}/participants/{person}/preparation", employee(person))
        pair_id = str(planned[0]["pair_id"])
        pair = await call("GET", f"/pairs/{pair_id}", employee(mentee))
        assert pair["status"] == "active", pair
        return programme_id, pair_id

    async def meeting(pair_id: str, member: str) -> str:
        meeting_id = f"m-{_short()}"
        body = {"held_on": datetime.now(UTC).date().isoformat(), "minutes": 60, "notes": "We tried prompts"}
        await call("PUT", f"/pairs/{pair_id}/meetings/{meeting_id}", employee(member), body)
        return meeting_id

    async def concern(pair_id: str, member: str) -> str:
        raised = await call("POST", f"/pairs/{pair_id}/concerns", employee(member), {"text": "We never meet"})
        return str(raised["id"])

    def goal_body() -> dict[str, Any]:
        due = datetime.now(UTC).date() + timedelta(days=30)
        text = "Build 3 dashboards with ai tools for the sales team"
        return {"text": text, "due": due.isoformat(), "topics": ["ai tools"], "confirm": True}

    # --- programmes: the curator of this programme --------------------------------------------

    async def get_programme(owner: str) -> Call:
        return Call("GET", f"/programmes/{await programme()}", missing_path=MISSING)

    async def edit_programme(owner: str) -> Call:
        body = {"title": "AI tools, second run", "terms": terms_body()}
        return Call("PUT", f"/programmes/{await programme(owner)}", body, owner_roles=CURATOR, missing_path=MISSING)

    async def stage(owner: str) -> Call:
        path = f"/programmes/{await programme(owner)}/stage"
        return Call("POST", path, {"stage": "open"}, owner_roles=CURATOR, missing_path=f"{MISSING}/stage")

    async def kickoff(owner: str) -> Call:
        body = {"starts_at": (datetime.now(UTC) + timedelta(days=3)).isoformat()}
        path = f"/programmes/{await programme(owner)}/kickoff"
        return Call("POST", path, body, owner_roles=CURATOR, missing_path=f"{MISSING}/kickoff")

    async def kickoff_held(owner: str) -> Call:
        programme_id = await programme(owner)
        body = {"starts_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
        await call("POST", f"/programmes/{programme_id}/kickoff", curator(owner), body)
        path = f"/programmes/{programme_id}/kickoff/held"
        return Call("POST", path, owner_roles=CURATOR, missing_path=f"{MISSING}/kickoff/held")

    # --- people -------------------------------------------------------------------------------

    async def register(owner: str) -> Call:
        body = {"person_id": owner, "role": "mentee", "profile": MENTEE_PROFILE, "accept_rules": True}
        path = f"/programmes/{await opened()}/participants"
        return Call("POST", path, body, missing_path=f"{MISSING}/participants")

    async def joined(owner: str) -> str:
        programme_id = await opened()
        await join(programme_id, owner)
        return f"/programmes/{programme_id}/participants/{owner}"

    async def get_participant(owner: str) -> Call:
        return Call("GET", await joined(owner), missing_path=f"{MISSING}/participants/{owner}")

    async def update_profile(owner: str) -> Call:
        body = {**MENTEE_PROFILE, "interests": ["chess", "running"]}
        return Call(
            "PUT", f"{await joined(owner)}/profile", body, missing_path=f"{MISSING}/participants/{owner}/profile"
        )

    async def prepare(owner: str) -> Call:
        path = f"{await joined(owner)}/preparation"
        return Call("POST", path, missing_path=f"{MISSING}/participants/{owner}/preparation")

    async def depart(owner: str) -> Call:
        return Call(
            "POST", f"{await joined(owner)}/departure", missing_path=f"{MISSING}/participants/{owner}/departure"
        )

    async def veto(owner: str) -> Call:
        mentor = f"mentor-{_short()}"
        programme_id = await pool(owner, mentor)
        path = f"/programmes/{programme_id}/participants/{owner}/vetoes"
        return Call("POST", path, {"other_id": mentor}, missing_path=f"{MISSING}/participants/{owner}/vetoes")

    async def nominate(owner: str) -> Call:
        body = {"person_id": owner, "profile": MENTOR_PROFILE, "accept_rules": True}
        return Call("POST", f"/programmes/{await opened()}/nominations", body, missing_path=f"{MISSING}/nominations")

    async def nominations(owner: str) -> Call:
        path = f"/programmes/{await opened(owner)}/nominations"
        return Call("GET", path, owner_roles=CURATOR, missing_path=f"{MISSING}/nominations")

    async def consent(owner: str) -> Call:
        programme_id = await opened()
        recommendation = {"person_id": owner, "reason": "She automated our reporting with AI tools"}
        nomination = await call(
            "POST", f"/programmes/{programme_id}/nominations", employee("colleague"), recommendation
        )
        path = f"/programmes/{programme_id}/nominations/{nomination['id']}/consent"
        return Call("POST", path, {"profile": MENTOR_PROFILE, "accept_rules": True})

    async def withdraw_nomination(owner: str) -> Call:
        programme_id = await opened()
        recommendation = {"person_id": owner, "reason": "She runs our AI tools guild"}
        nomination = await call(
            "POST", f"/programmes/{programme_id}/nominations", employee("colleague"), recommendation
        )
        path = f"/programmes/{programme_id}/nominations/{nomination['id']}/withdrawal"
        return Call("POST", path, missing_path=f"{MISSING}/nominations/{nomination['id']}/withdrawal")

    async def decide_nomination(owner: str) -> Call:
        programme_id = await opened(owner)
        nominee = f"nominee-{_short()}"
        body = {"person_id": nominee, "profile": MENTOR_PROFILE, "accept_rules": True}
        nomination = await call("POST", f"/programmes/{programme_id}/nominations", employee(nominee), body)
        path = f"/programmes/{programme_id}/nominations/{nomination['id']}/decision"
        return Call("POST", path, {"accept": True}, owner_roles=CURATOR)

    # --- matching -----------------------------------------------------------------------------

    async def matching_rule(owner: str) -> Call:
        mentee, mentor = f"mentee-{_short()}", f"mentor-{_short()}"
        programme_id = await pool(mentee, mentor, owner)
        body = {"mentee_id": mentee, "mentor_id": mentor, "rule": "pin"}
        path = f"/programmes/{programme_id}/matching/rules"
        return Call("POST", path, body, owner_roles=CURATOR, missing_path=f"{MISSING}/matching/rules")

    async def run_matching(owner: str) -> Call:
        programme_id = await pool(f"mentee-{_short()}", f"mentor-{_short()}", owner)
        await advance(programme_id, owner, "matching")
        path = f"/programmes/{programme_id}/matching"
        return Call("POST", path, owner_roles=CURATOR, missing_path=f"{MISSING}/matching")

    async def current_proposal(owner: str) -> Call:
        programme_id, _ = await proposed(owner)
        return Call(
            "GET", f"/programmes/{programme_id}/matching", owner_roles=CURATOR, missing_path=f"{MISSING}/matching"
        )

    async def approve(owner: str) -> Call:
        programme_id, proposal_id = await proposed(owner)
        path = f"/programmes/{programme_id}/matching/{proposal_id}/approval"
        return Call("POST", path, owner_roles=CURATOR, missing_path=f"{MISSING}/matching/{proposal_id}/approval")

    async def request_mentor(owner: str) -> Call:
        mentor = f"mentor-{_short()}"
        programme_id = await pool(owner, mentor)
        body = {"mentee_id": owner, "mentor_id": mentor}
        return Call("POST", f"/programmes/{programme_id}/requests", body, missing_path=f"{MISSING}/requests")

    async def answer_request(owner: str) -> Call:
        mentee = f"mentee-{_short()}"
        programme_id = await pool(mentee, owner)
        body = {"mentee_id": mentee, "mentor_id": owner}
        asked = await call("POST", f"/programmes/{programme_id}/requests", employee(mentee), body)
        return Call("POST", f"/programmes/{programme_id}/requests/{asked['request_id']}/answer", {"accept": True})

    # --- the curator's desk and the channel ---------------------------------------------------

    def curated(suffix: str) -> Example:
        """A curator's view of a programme the owner curates (with one active pair in it)."""

        async def example(owner: str) -> Call:
            programme_id, _ = await formed(f"mentee-{_short()}", by=owner)
            path = f"/programmes/{programme_id}/{suffix}"
            return Call("GET", path, owner_roles=CURATOR, missing_path=f"{MISSING}/{suffix}")

        return example

    async def health_check(owner: str) -> Call:
        programme_id, _ = await formed(f"mentee-{_short()}", by=owner)
        path = f"/programmes/{programme_id}/health-check"
        return Call("POST", path, owner_roles=CURATOR, missing_path=f"{MISSING}/health-check")

    async def experiments(owner: str) -> Call:
        return Call("GET", f"/programmes/{await programme()}/experiments", missing_path=f"{MISSING}/experiments")

    async def publish_post(owner: str) -> Call:
        body = {"kind": "news", "title": "Kickoff on Monday", "body": "Bring a question you care about."}
        path = f"/programmes/{await programme(owner)}/posts"
        return Call("POST", path, body, owner_roles=CURATOR, missing_path=f"{MISSING}/posts")

    async def read_posts(owner: str) -> Call:
        return Call("GET", f"/programmes/{await programme()}/posts", missing_path=f"{MISSING}/posts")

    async def react(owner: str) -> Call:
        programme_id = await programme()
        body = {"kind": "success_story", "title": "A pair shipped a bot", "body": "In two weeks."}
        post = await call("POST", f"/programmes/{programme_id}/posts", curator(setup_curator), body)
        return Call("POST", f"/programmes/{programme_id}/posts/{post['id']}/reaction", {"reaction": "like"})

    # --- pairs: the owner is the pair's mentee ------------------------------------------------

    def pair_call(method: str, suffix: str, body: dict[str, Any] | None = None) -> Example:
        async def example(owner: str) -> Call:
            _, pair_id = await formed(owner)
            return Call(method, f"/pairs/{pair_id}{suffix}", body, missing_path=f"{MISSING_PAIR}{suffix}")

        return example

    async def my_pairs(owner: str) -> Call:
        await formed(owner)
        return Call("GET", f"/people/{owner}/pairs")

    async def set_goal(owner: str) -> Call:
        _, pair_id = await formed(owner)
        return Call("POST", f"/pairs/{pair_id}/goals", goal_body(), missing_path=f"{MISSING_PAIR}/goals")

    async def check_goal(owner: str) -> Call:
        _, pair_id = await formed(owner)
        return Call("POST", f"/pairs/{pair_id}/goals/check", goal_body(), missing_path=f"{MISSING_PAIR}/goals/check")

    async def progress(owner: str) -> Call:
        _, pair_id = await formed(owner)
        goal = await call("POST", f"/pairs/{pair_id}/goals", employee(owner), goal_body())
        path = f"/pairs/{pair_id}/goals/{goal['goal']['id']}/progress"
        return Call("PUT", path, {"progress": 40, "status": "two of three drafted"})

    async def schedule(owner: str) -> Call:
        _, pair_id = await formed(owner)
        body = {"starts_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(), "minutes": 45}
        return Call("POST", f"/pairs/{pair_id}/meetings", body, missing_path=f"{MISSING_PAIR}/meetings")

    async def log_meeting(owner: str) -> Call:
        _, pair_id = await formed(owner)
        body = {"held_on": datetime.now(UTC).date().isoformat(), "minutes": 50, "topics": ["prompts"], "notes": "ok"}
        return Call("PUT", f"/pairs/{pair_id}/meetings/first", body, missing_path=f"{MISSING_PAIR}/meetings/first")

    async def notes(owner: str) -> Call:
        _, pair_id = await formed(owner)
        meeting_id = await meeting(pair_id, owner)
        path = f"/pairs/{pair_id}/meetings/{meeting_id}/notes"
        return Call("GET", path, missing_path=f"{MISSING_PAIR}/meetings/{meeting_id}/notes")

    async def feedback(owner: str) -> Call:
        programme_id, pair_id = await formed(owner)
        await advance(programme_id, setup_curator, "running", "closing")
        body = {"rating": 5, "worked": "Honest talks", "improve": "More time"}
        return Call("POST", f"/pairs/{pair_id}/feedback", body, missing_path=f"{MISSING_PAIR}/feedback")

    async def publish_experiment(owner: str) -> Call:
        _, pair_id = await formed(owner)
        body = {"hypothesis": "A weekly AI digest saves an hour", "test": "Two weeks", "result": "It did"}
        experiment = await call("POST", f"/pairs/{pair_id}/experiments", employee(owner), body)
        return Call("POST", f"/pairs/{pair_id}/experiments/{experiment['id']}/publication")

    async def adaptation(owner: str) -> Call:
        """The owner manages a newcomer in a classic pair."""
        mentee = f"mentee-{_short()}"
        _, pair_id = await formed(mentee, kind="classic")
        await person(mentee, f"sales-{_short()}", owner)
        suffix = f"/mentees/{mentee}/adaptation"
        body = {"adapted_on": datetime.now(UTC).date().isoformat()}
        return Call("POST", f"/pairs/{pair_id}{suffix}", body, missing_path=f"{MISSING_PAIR}{suffix}")

    # --- outcome reports: the owner curates the programme, or facilitates the circle -----------

    def programme_report(suffix: str) -> Example:
        async def example(owner: str) -> Call:
            path = f"/reports/programmes/{await programme(owner)}{suffix}"
            return Call("GET", path, owner_roles=CURATOR, missing_path=f"/reports{MISSING}{suffix}")

        return example

    def circle_report(suffix: str) -> Example:
        async def example(owner: str) -> Call:
            path = f"/reports/circles/{await circle(owner)}{suffix}"
            return Call("GET", path, missing_path=f"/reports{MISSING_CIRCLE}{suffix}")

        return example

    # --- concerns: raised by the owner, or handled by the owner as the programme's curator ------

    async def see_concern(owner: str) -> Call:
        _, pair_id = await formed(owner)
        return Call("GET", f"/concerns/{await concern(pair_id, owner)}", missing_path=MISSING_CONCERN)

    async def handled(owner: str) -> str:
        mentee = f"mentee-{_short()}"
        _, pair_id = await formed(mentee, by=owner)
        return await concern(pair_id, mentee)

    async def act(owner: str) -> Call:
        path = f"/concerns/{await handled(owner)}/actions"
        body = {"action": "talk", "note": "Talked to both"}
        return Call("POST", path, body, owner_roles=CURATOR, missing_path=f"{MISSING_CONCERN}/actions")

    async def resolve(owner: str) -> Call:
        path = f"/concerns/{await handled(owner)}/resolution"
        return Call(
            "POST", path, {"outcome": "talked"}, owner_roles=CURATOR, missing_path=f"{MISSING_CONCERN}/resolution"
        )

    # --- peer-learning circles: a circle's creator facilitates it (an expert, so tasks may go out) ---

    async def circle(by: str = setup_curator, join_policy: str = "open") -> str:
        body = {"topic": "CRM automations", "join_policy": join_policy}
        return str((await call("POST", "/circles", employee(by), body))["id"])

    async def enter(circle_id: str, person: str) -> None:
        """The person joins (an open circle) or asks to (a circle that takes requests)."""
        body = {"person_id": person, "experience": "beginner"}
        await call("POST", f"/circles/{circle_id}/members", employee(person), body)

    async def circle_task(by: str = setup_curator) -> tuple[str, str]:
        """A fresh circle `by` facilitates, with one open task: the circle's id and the task's."""
        circle_id = await circle(by)
        published = await call("POST", f"/circles/{circle_id}/tasks", employee(by), task_body())
        return circle_id, str(published["id"])

    async def task(by: str = setup_curator) -> str:
        return (await circle_task(by))[1]

    async def solution(task_id: str, author: str) -> str:
        """A published solution (its id is the caller's to choose, and the library's entry id: unique)."""
        solution_id = f"s-{_short()}"
        path = f"/tasks/{task_id}/solutions/{solution_id}"
        await call("PUT", path, employee(author), {"text": "A rule in the CRM sends the reminder."})
        await call("POST", f"{path}/publication", employee(author))
        return solution_id

    async def comment(task_id: str, solution_id: str, author: str, *, anonymous: bool = False) -> str:
        body = {"text": "Does it skip clients on a payment plan?", "anonymous": anonymous}
        posted = await call("POST", f"/tasks/{task_id}/solutions/{solution_id}/comments", employee(author), body)
        return str(posted["id"])

    def task_body() -> dict[str, Any]:
        due = datetime.now(UTC).date() + timedelta(days=7)
        return {"statement": "Set up a reminder for late payers", "expected_outcome": "It runs", "due": due.isoformat()}

    async def see_circle(owner: str) -> Call:
        return Call("GET", f"/circles/{await circle()}", missing_path=MISSING_CIRCLE)

    async def join_circle(owner: str) -> Call:
        body = {"person_id": owner, "experience": "practitioner"}
        return Call("POST", f"/circles/{await circle()}/members", body, missing_path=f"{MISSING_CIRCLE}/members")

    async def decide_join(owner: str) -> Call:
        circle_id, asker = await circle(owner, join_policy="request"), f"asker-{_short()}"
        await enter(circle_id, asker)
        suffix = f"/requests/{asker}/decision"
        return Call("POST", f"/circles/{circle_id}{suffix}", {"accept": True}, missing_path=MISSING_CIRCLE + suffix)

    async def give_role(owner: str) -> Call:
        circle_id, member = await circle(owner), f"member-{_short()}"
        await enter(circle_id, member)
        suffix = f"/members/{member}/role"
        return Call("PUT", f"/circles/{circle_id}{suffix}", {"role": "reviewer"}, missing_path=MISSING_CIRCLE + suffix)

    def membership(method: str, suffix: str, body: dict[str, Any] | None = None) -> Example:
        """The owner's own membership of a circle someone else facilitates."""

        async def example(owner: str) -> Call:
            circle_id = await circle()
            await enter(circle_id, owner)
            path = suffix.format(person=owner)
            return Call(method, f"/circles/{circle_id}{path}", body, missing_path=MISSING_CIRCLE + path)

        return example

    def own_circle(method: str, suffix: str, body: dict[str, Any] | None = None) -> Example:
        """A request about a circle the owner facilitates."""

        async def example(owner: str) -> Call:
            return Call(method, f"/circles/{await circle(owner)}{suffix}", body, missing_path=MISSING_CIRCLE + suffix)

        return example

    def own_task(method: str, suffix: str, body: dict[str, Any] | None = None) -> Example:
        """A request about an open task in a circle the owner facilitates."""

        async def example(owner: str) -> Call:
            return Call(method, f"/tasks/{await task(owner)}{suffix}", body, missing_path=MISSING_TASK + suffix)

        return example

    async def publish_solution(owner: str) -> Call:
        task_id, suffix = await task(owner), f"/solutions/s-{_short()}"
        await call("PUT", f"/tasks/{task_id}{suffix}", employee(owner), {"text": "A CRM rule"})
        return Call("POST", f"/tasks/{task_id}{suffix}/publication", missing_path=f"{MISSING_TASK}{suffix}/publication")

    def on_solution(method: str, suffix: str, body: dict[str, Any]) -> Example:
        """A request about the owner's published solution (`{solution}` in the path or a body value names it)."""

        async def example(owner: str) -> Call:
            task_id = await task(owner)
            solution_id = await solution(task_id, owner)
            path = suffix.format(solution=solution_id)
            filled = {key: solution_id if value == "{solution}" else value for key, value in body.items()}
            return Call(method, f"/tasks/{task_id}{path}", filled, missing_path=MISSING_TASK + path)

        return example

    async def mark_helpful(owner: str) -> Call:
        circle_id, task_id = await circle_task(owner)
        solution_id, commenter = await solution(task_id, owner), f"member-{_short()}"
        await enter(circle_id, commenter)
        suffix = f"/comments/{await comment(task_id, solution_id, commenter)}/helpful"
        return Call("POST", f"/tasks/{task_id}{suffix}", missing_path=MISSING_TASK + suffix)

    async def practical_check(owner: str) -> Call:
        circle_id, task_id = await circle_task(owner)
        member = f"member-{_short()}"
        await enter(circle_id, member)
        body = {"person_id": member, "passed": True, "note": "Set the reminder up in front of me"}
        return Call("POST", f"/tasks/{task_id}/checks", body, missing_path=f"{MISSING_TASK}/checks")

    async def reflect(owner: str) -> Call:
        task_id = await task(owner)
        await call("POST", f"/tasks/{task_id}/closure", employee(owner))
        body = {"text": "Reminders are rules, not reports"}
        return Call("POST", f"/tasks/{task_id}/reflections", body, missing_path=f"{MISSING_TASK}/reflections")

    def own_brainstorm(
        method: str, suffix: str, body: dict[str, Any] | None = None, *, phase: str = "ideas"
    ) -> Example:
        """A request about a brainstorm the owner opened in a circle they facilitate (`{idea}`: its one idea)."""

        async def example(owner: str) -> Call:
            circle_id = await circle(owner)
            case = {"case": "Clients forget to pay", "votes_per_member": 2}
            opened = await call("POST", f"/circles/{circle_id}/brainstorms", employee(owner), case)
            path = f"/circles/{circle_id}/brainstorms/{opened['id']}"
            idea = await call("POST", f"{path}/ideas", employee(owner), {"text": "Remind them", "anonymous": True})
            if phase == "voting":
                await call("POST", f"{path}/voting", employee(owner))
            filled = suffix.format(idea=idea["id"])
            given = {key: [owner] if value == "{owner}" else value for key, value in (body or {}).items()}
            missing = f"{MISSING_CIRCLE}/brainstorms/does-not-exist{filled}"
            return Call(method, path + filled, given if body is not None else None, missing_path=missing)

        return example

    def moderating(example: Example) -> Example:
        """A moderator's request: the owner signs in as a moderator (no circle of their own is needed)."""

        async def as_moderator(owner: str) -> Call:
            return replace(await example(owner), owner_roles=MODERATOR)

        return as_moderator

    async def moderation_queue(owner: str) -> Call:
        return Call("GET", "/moderation/flags")

    async def decide_flag(owner: str) -> Call:
        task_id = await task()
        body = {"item_id": await solution(task_id, setup_curator), "reason": "spam", "text": "An advert"}
        flagged = await call("POST", f"/tasks/{task_id}/flags", employee(setup_curator), body)
        suffix = f"/{flagged['id']}/decision"
        decision = {"outcome": "hidden", "note": "Adverts go to the noticeboard"}
        return Call("POST", f"/moderation/flags{suffix}", decision, missing_path=f"/moderation/flags/missing{suffix}")

    async def stored_item(owner: str) -> Call:
        task_id = await task()
        suffix = f"/items/{await solution(task_id, setup_curator)}"
        return Call("GET", f"/tasks/{task_id}{suffix}", missing_path=MISSING_TASK + suffix)

    async def hidden_list(owner: str) -> Call:
        return Call("GET", "/moderation/hidden")

    async def restore_hidden(owner: str) -> Call:
        task_id = await task()
        item_id = await solution(task_id, setup_curator)
        body = {"item_id": item_id, "reason": "spam", "text": "An advert"}
        flagged = await call("POST", f"/tasks/{task_id}/flags", employee(setup_curator), body)
        decision = {"outcome": "hidden", "note": "Adverts go to the noticeboard"}
        hider = issuer.headers(f"moderator-{_short()}", "moderator")
        await call("POST", f"/moderation/flags/{flagged['id']}/decision", hider, decision)
        suffix = f"/items/{item_id}/restoration"
        return Call("POST", f"/tasks/{task_id}{suffix}", {"note": "Fair after all"}, missing_path=MISSING_TASK + suffix)

    async def reveal(owner: str) -> Call:
        circle_id, task_id = await circle_task()
        solution_id, commenter = await solution(task_id, setup_curator), f"member-{_short()}"
        await enter(circle_id, commenter)
        suffix = f"/comments/{await comment(task_id, solution_id, commenter, anonymous=True)}/reveal"
        body = {"reason": "A threat to a colleague"}
        return Call("POST", f"/tasks/{task_id}{suffix}", body, missing_path=MISSING_TASK + suffix)

    # --- exchange internships: the owner is the guest, the host or the guest's manager -----------------

    async def person(person_id: str, department: str, manager_id: str | None = None) -> None:
        """The directory's copy of a person, as the directory's events would have made it."""
        await service.people.apply_upsert(
            directory.PersonUpsertedV1(
                person_id=person_id,
                user_name=person_id,
                display_name=person_id,
                email=f"{person_id}@example.com",
                department=department,
                manager_id=manager_id,
                locale="en",
                time_zone="UTC",
                active=True,
                version=1,
            )
        )

    def placement_body() -> dict[str, Any]:
        today = datetime.now(UTC).date()
        return {
            "title": "Neural networks in quality analysis",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=60)).isoformat(),
            "seats": 5,
            "guest_learns": "Training a defect classifier",
            "competencies": ["neural networks"],
        }

    def goals_body() -> dict[str, Any]:
        due = datetime.now(UTC).date() + timedelta(days=30)
        goal = {"text": "Build 2 defect classifiers with neural networks", "due": due.isoformat()}
        return {"goals": [goal], "confirm": True}

    async def placement(host: str | None = None) -> str:
        host = host or f"host-{_short()}"
        await person(host, f"qa-{_short()}")
        offered = await call("POST", "/placements", employee(host), placement_body())
        return str(offered["id"])

    async def internship(
        guest: str | None = None, host: str | None = None, manager: str | None = None, stage: str = "applied"
    ) -> str:
        """An internship at a fresh placement, taken as far as `stage` through the API."""
        guest, host = guest or f"guest-{_short()}", host or f"host-{_short()}"
        manager = manager or f"boss-{_short()}"
        placement_id = await placement(host)
        await person(guest, f"sales-{_short()}", manager)
        applied = await call(
            "POST", f"/placements/{placement_id}/applications", employee(guest), {"goals": "Label defects"}
        )
        path = f"/internships/{applied['id']}"
        if stage in ("approved", "running", "completed"):
            await call("POST", f"{path}/decision", employee(manager), {"approve": True})
        if stage in ("running", "completed"):
            await call("POST", f"{path}/goals", employee(host), goals_body())
        if stage == "completed":
            report = {"title": "What QA taught me", "summary": "Labelling defects", "tags": ["qa"]}
            await call("PUT", f"{path}/report", employee(guest), report)
            for side in (guest, host):
                await call("POST", f"{path}/feedback", employee(side), {"rating": 5})
        return str(applied["id"])

    def on_internship(
        role: str, method: str, suffix: str, body: dict[str, Any] | None = None, *, stage: str = "running"
    ) -> Example:
        """A request about an internship where the owner is the `role` (guest, host or manager)."""

        async def example(owner: str) -> Call:
            internship_id = await internship(**{role: owner}, stage=stage)
            path = f"/internships/{internship_id}{suffix}"
            return Call(method, path, body, missing_path=MISSING_INTERNSHIP + suffix)

        return example

    async def offer_placement(owner: str) -> Call:
        await person(owner, f"qa-{_short()}")
        return Call("POST", "/placements", placement_body())

    async def see_placement(owner: str) -> Call:
        return Call("GET", f"/placements/{await placement()}", missing_path="/placements/does-not-exist")

    async def apply_for_placement(owner: str) -> Call:
        await person(owner, f"sales-{_short()}", f"boss-{_short()}")
        suffix = "/applications"
        path = f"/placements/{await placement()}{suffix}"
        return Call("POST", path, {"goals": "Label defects"}, missing_path=f"/placements/does-not-exist{suffix}")

    IN = "/internships/{internship_id}"
    internship_examples: dict[str, Example] = {
        "POST /partners": lambda owner: _call(
            Call("POST", "/partners", {"name": "Acme Labs", "kind": "organisation"}, owner_roles=ADMIN)
        ),
        "GET /partners": about("GET", "/partners"),
        "POST /placements": offer_placement,
        "GET /placements": about("GET", "/placements"),
        "GET /placements/{placement_id}": see_placement,
        "POST /placements/{placement_id}/applications": apply_for_placement,
        "GET /internships": about("GET", "/internships"),
        "GET /reciprocity": about("GET", "/reciprocity?unit=department:qa"),
        f"GET {IN}": on_internship("guest", "GET", "", stage="applied"),
        f"POST {IN}/decision": on_internship("manager", "POST", "/decision", {"approve": True}, stage="applied"),
        f"POST {IN}/goals/check": on_internship(
            "host", "POST", "/goals/check", {"goals": goals_body()["goals"], "locale": "ru"}, stage="approved"
        ),
        f"POST {IN}/goals": on_internship("host", "POST", "/goals", goals_body(), stage="approved"),
        f"POST {IN}/log": on_internship("guest", "POST", "/log", {"text": "Labelled 200 images"}),
        f"POST {IN}/feedback": on_internship("guest", "POST", "/feedback", {"rating": 4, "words": "Kind hosts"}),
        f"PUT {IN}/report": on_internship("guest", "PUT", "/report", {"title": "QA", "summary": "Labels"}),
        f"POST {IN}/report/publication": on_internship("guest", "POST", "/report/publication", stage="completed"),
    }

    P, C, T = "/programmes/{programme_id}", "/circles/{circle_id}", "/tasks/{task_id}"
    BR = C + "/brainstorms/{brainstorm_id}"
    # --- the knowledge base -----------------------------------------------------------------------

    def article_body(owner: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"article_id": f"a-{_short()}", "title": "SQL", "language": "en", "tags": ["sql"]}
        return body if owner is None else {**body, "owner_id": owner}

    async def write_article(owner: str) -> Call:
        return Call("POST", "/knowledge/articles", article_body())

    async def article_of(owner: str) -> str:
        created = await call("POST", "/knowledge/articles", curator(setup_curator), article_body(owner))
        return str(created["id"])

    async def read_item(owner: str) -> Call:
        item_id = await article_of(owner)
        return Call("GET", f"/knowledge/items/{item_id}", missing_path="/knowledge/items/does-not-exist")

    async def review_item(owner: str) -> Call:
        item_id = await article_of(owner)
        return Call("POST", f"/knowledge/items/{item_id}/review", missing_path="/knowledge/items/does-not-exist/review")

    examples: dict[str, Example] = {
        "POST /programmes": about("POST", "/programmes", {"title": "Peer mentoring", "kind": "peer"}),
        f"GET {P}": get_programme,
        f"PUT {P}": edit_programme,
        f"POST {P}/stage": stage,
        f"POST {P}/kickoff": kickoff,
        f"POST {P}/kickoff/held": kickoff_held,
        f"POST {P}/participants": register,
        f"GET {P}/participants/{{person_id}}": get_participant,
        f"PUT {P}/participants/{{person_id}}/profile": update_profile,
        f"POST {P}/participants/{{person_id}}/preparation": prepare,
        f"POST {P}/participants/{{person_id}}/departure": depart,
        f"POST {P}/participants/{{person_id}}/vetoes": veto,
        f"POST {P}/nominations": nominate,
        f"GET {P}/nominations": nominations,
        f"POST {P}/nominations/{{nomination_id}}/consent": consent,
        f"POST {P}/nominations/{{nomination_id}}/withdrawal": withdraw_nomination,
        f"POST {P}/nominations/{{nomination_id}}/decision": decide_nomination,
        f"POST {P}/matching/rules": matching_rule,
        f"POST {P}/matching": run_matching,
        f"GET {P}/matching": current_proposal,
        f"POST {P}/matching/{{proposal_id}}/approval": approve,
        f"POST {P}/requests": request_mentor,
        f"POST {P}/requests/{{request_id}}/answer": answer_request,
        f"GET {P}/pairs": curated("pairs"),
        f"POST {P}/health-check": health_check,
        f"GET {P}/report": curated("report"),
        f"GET {P}/concerns": curated("concerns"),
        f"GET {P}/experiments": experiments,
        f"POST {P}/posts": publish_post,
        f"GET {P}/posts": read_posts,
        f"POST {P}/posts/{{post_id}}/reaction": react,
        "GET /people/{person_id}/pairs": my_pairs,
        "GET /pairs/{pair_id}": pair_call("GET", ""),
        "POST /pairs/{pair_id}/goals": set_goal,
        "POST /pairs/{pair_id}/goals/check": check_goal,
        "PUT /pairs/{pair_id}/goals/{goal_id}/progress": progress,
        "POST /pairs/{pair_id}/meetings": schedule,
        "PUT /pairs/{pair_id}/meetings/{meeting_id}": log_meeting,
        "GET /pairs/{pair_id}/meetings/{meeting_id}/notes": notes,
        "POST /pairs/{pair_id}/check-ins": pair_call("POST", "/check-ins", {"score": 4, "answers": "Going well"}),
        "POST /pairs/{pair_id}/feedback": feedback,
        "POST /pairs/{pair_id}/experiments": pair_call("POST", "/experiments", {"hypothesis": "Bots save time"}),
        "POST /pairs/{pair_id}/experiments/{experiment_id}/publication": publish_experiment,
        "POST /pairs/{pair_id}/concerns": pair_call("POST", "/concerns", {"text": "My mentor cancels every time"}),
        "POST /pairs/{pair_id}/mentees/{person_id}/adaptation": adaptation,
        "GET /reports/programmes": about("GET", "/reports/programmes?from=2026-01-01"),
        f"GET /reports{P}": programme_report(""),
        f"GET /reports{P}/charts/{{chart}}": programme_report("/charts/participation.png"),
        f"GET /reports{C}": circle_report("?format=csv"),
        f"GET /reports{C}/charts/{{chart}}": circle_report("/charts/feedback.svg"),
        "GET /concerns/{concern_id}": see_concern,
        "POST /concerns/{concern_id}/actions": act,
        "POST /concerns/{concern_id}/resolution": resolve,
        "POST /circles": about("POST", "/circles", {"topic": "Prompting", "experience": "practitioner"}),
        "GET /circles": about("GET", "/circles"),
        f"GET {C}": see_circle,
        f"POST {C}/members": join_circle,
        f"POST {C}/requests/{{person_id}}/decision": decide_join,
        f"PUT {C}/members/{{person_id}}/role": give_role,
        f"POST {C}/members/{{person_id}}/departure": membership("POST", "/members/{person}/departure"),
        f"PUT {C}/members/{{person_id}}/coffee": membership("PUT", "/members/{person}/coffee", {"opt_in": True}),
        f"GET {C}/coffee": own_circle("GET", "/coffee"),
        f"POST {C}/tasks": own_circle("POST", "/tasks", task_body()),
        f"GET {C}/tasks": own_circle("GET", "/tasks"),
        f"GET {T}": own_task("GET", ""),
        f"POST {T}/closure": own_task("POST", "/closure"),
        f"PUT {T}/solutions/{{solution_id}}": own_task("PUT", "/solutions/s-mine", {"text": "A CRM rule"}),
        f"POST {T}/solutions/{{solution_id}}/publication": publish_solution,
        f"POST {T}/solutions/{{solution_id}}/comments": on_solution(
            "POST", "/solutions/{solution}/comments", {"text": "Try a rule per client", "anonymous": True}
        ),
        f"POST {T}/comments/{{comment_id}}/helpful": mark_helpful,
        f"POST {T}/checks": practical_check,
        f"POST {T}/reflections": reflect,
        f"GET {T}/reflections": own_task("GET", "/reflections"),
        f"GET {T}/dominance": own_task("GET", "/dominance"),
        f"POST {T}/flags": on_solution(
            "POST", "/flags", {"item_id": "{solution}", "reason": "false_information", "text": "Wrong menu"}
        ),
        f"POST {T}/solutions/{{solution_id}}/promotion": on_solution(
            "POST", "/solutions/{solution}/promotion", {"title": "Late payers", "summary": "A rule", "tags": ["crm"]}
        ),
        "GET /library": about("GET", "/library?text=reminder&tag=crm"),
        f"POST {C}/brainstorms": own_circle("POST", "/brainstorms", {"case": "Late payers", "votes_per_member": 3}),
        f"GET {C}/brainstorms": own_circle("GET", "/brainstorms"),
        f"GET {BR}": own_brainstorm("GET", ""),
        f"POST {BR}/ideas": own_brainstorm("POST", "/ideas", {"text": "Offer a plan", "anonymous": True}),
        f"POST {BR}/voting": own_brainstorm("POST", "/voting"),
        f"POST {BR}/ideas/{{idea_id}}/votes": own_brainstorm("POST", "/ideas/{idea}/votes", phase="voting"),
        f"POST {BR}/decision": own_brainstorm(
            "POST",
            "/decision",
            {"themes": [], "decision": "Automate the reminder", "owner_ids": "{owner}", "tags": ["crm"]},
            phase="voting",
        ),
        "POST /knowledge/articles": write_article,
        "GET /knowledge/items": about("GET", "/knowledge/items?q=sql&tag=sql&type=article&language=en"),
        "GET /knowledge/items/{item_id}": read_item,
        "POST /knowledge/items/{item_id}/review": review_item,
        "GET /moderation/flags": moderating(moderation_queue),
        "POST /moderation/flags/{flag_id}/decision": moderating(decide_flag),
        f"GET {T}/items/{{item_id}}": moderating(stored_item),
        f"POST {T}/comments/{{comment_id}}/reveal": moderating(reveal),
        "GET /moderation/hidden": moderating(hidden_list),
        f"POST {T}/items/{{item_id}}/restoration": moderating(restore_hidden),
        **internship_examples,
        "GET /privacy/people/{person_id}": about("GET", "/privacy/people/{person}"),
        "GET /privacy/audit": about("GET", "/privacy/audit?subject_id={person}"),
        "GET /health/live": about("GET", "/health/live"),
        "GET /health/ready": about("GET", "/health/ready"),
    }
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mentoring") as client,
        ):
            problems = await authorization_matrix(client, app, issuer, examples)
    finally:
        cleanup = connect(settings.mongodb_url)
        await cleanup.drop_database(settings.mongodb_database)
        await cleanup.close()
    assert problems == []


async def _call(call: Call) -> Call:
    return call


def _short() -> str:
    return uuid.uuid4().hex[:8]
