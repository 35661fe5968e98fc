"""The peer-learning circles HTTP API: circles, tasks and discussions, moderation, the library.

Every view of a comment is built here from `Comment.shown_author`: an anonymous comment shows its pseudonym
to everyone (moderators included: they reveal only through the audited reveal), and `by_me` tells its
author which comments are theirs.
"""

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from mentoring.domain.circle import Circle
from mentoring.domain.flag import Flag
from mentoring.domain.library import LibraryEntry
from mentoring.domain.task import Comment, Solution, Task
from mentoring.service import circles as uc
from mentoring.service.ports import Ports
from shared.auth.http import caller
from shared.auth.tokens import Principal

Who = Annotated[Principal, Depends(caller)]
Experience = Literal["beginner", "practitioner", "expert"]
CircleRoleName = Literal["facilitator", "expert", "reviewer", "librarian", "member"]


def acting(who: Principal) -> uc.Caller:
    return uc.Caller(who.person_id, moderator="moderator" in who.roles)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CircleIn(_In):
    topic: str = Field(min_length=1, max_length=200, examples=["CRM automations"])
    description: str = Field("", max_length=5000)
    join_policy: Literal["open", "request"] = "open"
    experienced_threshold: float = Field(0.10, description="Share of practitioners and experts needed, 0-1")
    weekly_task_limit: int = Field(5, description="Tasks a rolling week may bring, 1 to the company's maximum")
    dominance_share: float = Field(0.40, description="Share of a task's comments one author may write unflagged")
    experience: Experience = Field("expert", description="Your own experience on the topic")


class JoinIn(_In):
    person_id: str = Field(min_length=1, max_length=200, description="You")
    experience: Experience
    message: str = Field("", max_length=1000)


class DecisionIn(_In):
    accept: bool


class RoleIn(_In):
    role: CircleRoleName


class CoffeeIn(_In):
    opt_in: bool


class CircleOut(BaseModel):
    id: str
    topic: str
    description: str
    join_policy: str
    members: int
    experienced_share: float
    experienced_threshold: float
    experienced_needed: int = Field(description="Experienced members still needed before a task can be published")
    weekly_task_limit: int
    my_role: str | None
    roster: list[dict[str, str]] | None = Field(description="Members and roles; for members and moderators only")
    requests: list[dict[str, str]] | None = Field(description="Pending join requests; for facilitators and moderators")

    @classmethod
    def of(cls, circle: Circle, viewer: uc.Caller) -> "CircleOut":
        role = circle.role_of(viewer.person_id)
        inside = viewer.moderator or role is not None
        facilitates = viewer.moderator or (role is not None and role.value == "facilitator")
        return cls(
            id=circle.id,
            topic=circle.topic,
            description=circle.description,
            join_policy=circle.join_policy.value,
            members=len(circle.members),
            experienced_share=round(circle.experienced_share(), 4),
            experienced_threshold=circle.experienced_threshold,
            experienced_needed=circle.experienced_needed(),
            weekly_task_limit=circle.weekly_task_limit,
            my_role=role.value if role is not None else None,
            roster=[
                {"person_id": m.person_id, "role": m.role.value, "experience": m.experience.value}
                for m in circle.members.values()
            ]
            if inside
            else None,
            requests=[
                {"person_id": r.person_id, "experience": r.experience.value, "message": r.message}
                for r in circle.requests.values()
            ]
            if facilitates
            else None,
        )


class TaskIn(_In):
    statement: str = Field(max_length=5000, description="A concrete task, not a topic to talk about")
    expected_outcome: str = Field(max_length=2000)
    due: date
    check_instructions: str = Field("", max_length=2000, description="How a reviewer checks the skill in practice")


class SolutionIn(_In):
    text: str = Field(max_length=20_000, description="Markdown")
    links: list[str] = Field(default_factory=list, max_length=20)
    attachments: list[str] = Field(default_factory=list, description="References to files, at most 10")


class CommentIn(_In):
    text: str = Field(max_length=5000)
    parent_id: str | None = None
    anonymous: bool = Field(False, description="Shown under a pseudonym, stable within this task")


class CheckIn(_In):
    person_id: str = Field(min_length=1, max_length=200, description="The member who showed the skill")
    passed: bool
    note: str = Field("", max_length=2000)


class ReflectionIn(_In):
    text: str = Field(max_length=3000, description="What changed in your understanding?")


class FlagIn(_In):
    item_id: str = Field(min_length=1, max_length=100, description="A solution or comment id")
    reason: Literal["false_information", "rudeness", "spam", "dominance"]
    text: str = Field(max_length=2000, description="What is wrong")


class ModerationIn(_In):
    outcome: Literal["hidden", "edited", "restored", "dismissed"]
    note: str = Field("", max_length=2000, description="Shown with an edit; kept with every decision")
    text: str | None = Field(None, max_length=20_000, description="The edited text (outcome edited)")


class RestorationIn(_In):
    note: str = Field("", max_length=2000, description="Why it is shown again; kept with the item")


class RevealIn(_In):
    reason: str = Field(max_length=2000, description="Why the author must be known; audited, and the author is told")


class PromotionIn(_In):
    title: str = Field(max_length=200)
    summary: str = Field(max_length=2000)
    tags: list[str] = Field(default_factory=list, max_length=10)


def comment_out(item: Comment, viewer: uc.Caller) -> dict[str, Any]:
    latest = item.versions[-1]
    return {
        "id": item.id,
        "solution_id": item.solution_id,
        "parent_id": item.parent_id,
        "author": item.shown_author,
        "anonymous": item.anonymous,
        "by_me": item.author_id == viewer.person_id,
        "text": latest.text,
        "moderation_note": latest.note or None,
        "at": item.at.isoformat(),
        "helpful": len(item.helpful_by),
        "marked_by_me": viewer.person_id in item.helpful_by,
        "hidden": item.hidden,
    }


def solution_out(task: Task, item: Solution, viewer: uc.Caller) -> dict[str, Any]:
    return {
        "id": item.id,
        "author_id": item.author_id,
        "published": item.published_at is not None,
        "published_at": item.published_at.isoformat() if item.published_at else None,
        "hidden": item.hidden,
        "versions": [
            {
                "text": v.text,
                "links": list(v.links),
                "attachments": list(v.attachments),
                "at": v.at.isoformat(),
                "note": v.note or None,
            }
            for v in item.versions
        ],
        "comments": [comment_out(c, viewer) for c in task.visible_comments(item.id, moderator=viewer.moderator)],
    }


def task_out(task: Task, viewer: uc.Caller) -> dict[str, Any]:
    latest_check = task.latest_check(viewer.person_id)
    return {
        "id": task.id,
        "circle_id": task.circle_id,
        "statement": task.statement,
        "expected_outcome": task.expected_outcome,
        "due": task.due.isoformat(),
        "check_instructions": task.check_instructions,
        "published_by": task.published_by,
        "published_at": task.published_at.isoformat(),
        "status": task.status.value,
        "solutions": [
            solution_out(task, s, viewer) for s in task.visible_solutions(viewer.person_id, moderator=viewer.moderator)
        ],
        "my_check": {"passed": latest_check.passed, "note": latest_check.note} if latest_check else None,
    }


def flag_out(flag: Flag) -> dict[str, Any]:
    return {
        "id": flag.id,
        "circle_id": flag.circle_id,
        "task_id": flag.task_id,
        "item_id": flag.item_id,
        "item_kind": flag.item_kind,
        "reason": flag.reason.value,
        "text": flag.text,
        "flagged_at": flag.flagged_at.isoformat(),
        "status": flag.status.value,
        "outcome": flag.outcome.value if flag.outcome else None,
    }


def hidden_out(entry: uc.HiddenEntry) -> dict[str, Any]:
    item = entry.item
    return {
        "circle_id": item.circle_id,
        "task_id": item.task_id,
        "item_id": item.item_id,
        "kind": item.kind,
        "author": item.author,  # the pseudonym of an anonymous comment, never its author
        "anonymous": item.anonymous,
        "text": item.text,
        "note": item.note or None,
        "reason": entry.reason,
        "hidden_at": item.hidden_at.isoformat() if item.hidden_at else None,
    }


def entry_out(entry: LibraryEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "circle_id": entry.circle_id,
        "circle_topic": entry.circle_topic,
        "task_id": entry.task_id,
        "solution_id": entry.solution_id,
        "author_id": entry.author_id,
        "title": entry.title,
        "summary": entry.summary,
        "tags": list(entry.tags),
        "text": entry.text,
        "helpful": entry.helpful,
        "promoted_at": entry.promoted_at.isoformat(),
    }


def circles_router(ports: Ports, max_weekly_tasks: int) -> APIRouter:
    router = APIRouter(tags=["peer-learning circles"])
    C = "/circles/{circle_id}"
    T = "/tasks/{task_id}"

    @router.post("/circles", status_code=201, response_model=CircleOut)
    async def create_circle(body: CircleIn, who: Who) -> CircleOut:
        """Start a circle on a topic; you facilitate it."""
        settings = body.model_dump(exclude={"experience"})
        circle = await uc.create_circle(
            ports, acting(who), max_weekly_tasks=max_weekly_tasks, creator_experience=body.experience, **settings
        )
        return CircleOut.of(circle, acting(who))

    @router.get("/circles", response_model=list[CircleOut])
    async def list_circles(who: Who) -> list[CircleOut]:
        return [CircleOut.of(circle, acting(who)) for circle in await uc.circles(ports)]

    @router.get(C, response_model=CircleOut, responses={404: {"description": "No such circle"}})
    async def get_circle(circle_id: str, who: Who) -> CircleOut:
        return CircleOut.of(await uc.get_circle(ports, circle_id), acting(who))

    @router.post(f"{C}/members", status_code=201)
    async def join(circle_id: str, body: JoinIn) -> dict[str, str]:
        """Join an open circle, or ask to join one that admits by request."""
        joined = await uc.join(ports, circle_id, body.person_id, body.experience, body.message)
        return {"status": "member" if hasattr(joined, "role") else "requested"}

    @router.post(f"{C}/requests/{{person_id}}/decision", response_model=CircleOut)
    async def decide(circle_id: str, person_id: str, body: DecisionIn, who: Who) -> CircleOut:
        return CircleOut.of(await uc.decide_join(ports, circle_id, acting(who), person_id, body.accept), acting(who))

    @router.put(f"{C}/members/{{person_id}}/role", response_model=CircleOut)
    async def set_role(circle_id: str, person_id: str, body: RoleIn, who: Who) -> CircleOut:
        return CircleOut.of(await uc.set_role(ports, circle_id, acting(who), person_id, body.role), acting(who))

    @router.post(f"{C}/members/{{person_id}}/departure", response_model=CircleOut)
    async def leave(circle_id: str, person_id: str, who: Who) -> CircleOut:
        return CircleOut.of(await uc.leave(ports, circle_id, person_id), acting(who))

    @router.put(f"{C}/members/{{person_id}}/coffee", response_model=CircleOut)
    async def coffee(circle_id: str, person_id: str, body: CoffeeIn, who: Who) -> CircleOut:
        """Opt in or out of the weekly random coffee with someone from another department."""
        return CircleOut.of(await uc.coffee(ports, circle_id, person_id, body.opt_in), acting(who))

    @router.post(f"{C}/tasks", status_code=201)
    async def publish_task(circle_id: str, body: TaskIn, who: Who) -> dict[str, Any]:
        """Set the circle a concrete task (facilitators; at most the circle's weekly limit)."""
        task = await uc.publish_task(
            ports,
            circle_id,
            acting(who),
            statement=body.statement,
            expected_outcome=body.expected_outcome,
            due=body.due,
            check_instructions=body.check_instructions,
        )
        return task_out(task, acting(who))

    @router.get(f"{C}/tasks")
    async def tasks(circle_id: str, who: Who) -> list[dict[str, Any]]:
        return [task_out(task, acting(who)) for task in await uc.tasks_of(ports, circle_id, acting(who))]

    @router.get(T)
    async def get_task(task_id: str, who: Who) -> dict[str, Any]:
        return task_out((await uc.view_task(ports, task_id, acting(who))).task, acting(who))

    @router.post(f"{T}/closure")
    async def close(task_id: str, who: Who) -> dict[str, Any]:
        return task_out(await uc.close_task(ports, task_id, acting(who)), acting(who))

    @router.put(f"{T}/solutions/{{solution_id}}")
    async def save_solution(task_id: str, solution_id: str, body: SolutionIn, who: Who) -> dict[str, Any]:
        """Write or edit your solution (a draft until you publish it; every edit is kept)."""
        task = await uc.save_solution(ports, task_id, acting(who), solution_id, body.text, body.links, body.attachments)
        return solution_out(task, task.solution(solution_id), acting(who))

    @router.post(f"{T}/solutions/{{solution_id}}/publication")
    async def publish_solution(task_id: str, solution_id: str, who: Who) -> dict[str, Any]:
        task = await uc.publish_solution(ports, task_id, acting(who), solution_id)
        return solution_out(task, task.solution(solution_id), acting(who))

    @router.post(f"{T}/solutions/{{solution_id}}/comments", status_code=201)
    async def comment(task_id: str, solution_id: str, body: CommentIn, who: Who) -> dict[str, Any]:
        posted = await uc.comment(ports, task_id, acting(who), solution_id, body.parent_id, body.text, body.anonymous)
        return comment_out(posted, acting(who))

    @router.post(f"{T}/comments/{{comment_id}}/helpful", status_code=204)
    async def helpful(task_id: str, comment_id: str, who: Who) -> None:
        await uc.mark_helpful(ports, task_id, acting(who), comment_id)

    @router.post(f"{T}/checks", status_code=201)
    async def practical_check(task_id: str, body: CheckIn, who: Who) -> dict[str, Any]:
        """Record that a member showed the skill ("show how you would do it now")."""
        await uc.record_check(ports, task_id, acting(who), body.person_id, body.passed, body.note)
        return {"person_id": body.person_id, "passed": body.passed}

    @router.post(f"{T}/reflections", status_code=204)
    async def reflect(task_id: str, body: ReflectionIn, who: Who) -> None:
        await uc.reflect(ports, task_id, acting(who), body.text)

    @router.get(f"{T}/reflections")
    async def reflections(task_id: str, who: Who) -> dict[str, Any]:
        """For the facilitator: what participants said changed in their understanding, without names."""
        return await uc.reflections(ports, task_id, acting(who))

    @router.get(f"{T}/dominance")
    async def dominance(task_id: str, who: Who) -> dict[str, Any]:
        return await uc.dominance(ports, task_id, acting(who))

    @router.post(f"{T}/flags", status_code=201)
    async def flag(task_id: str, body: FlagIn, who: Who) -> dict[str, Any]:
        """Flag a solution or comment for the moderators (false information, rudeness, spam, dominance)."""
        return flag_out(await uc.raise_flag(ports, task_id, acting(who), body.item_id, body.reason, body.text))

    @router.get("/moderation/flags")
    async def queue(who: Who) -> list[dict[str, Any]]:
        return [flag_out(flag) for flag in await uc.moderation_queue(ports, acting(who))]

    @router.post("/moderation/flags/{flag_id}/decision")
    async def moderate(flag_id: str, body: ModerationIn, who: Who) -> dict[str, Any]:
        return flag_out(await uc.moderate(ports, flag_id, acting(who), body.outcome, body.note, body.text))

    @router.get("/moderation/hidden")
    async def hidden(who: Who) -> list[dict[str, Any]]:
        """Solutions and comments hidden now, newest first, with why and when: for moderators.

        An anonymous comment shows its pseudonym only; naming its author is the audited reveal's job.
        """
        return [hidden_out(entry) for entry in await uc.hidden_items(ports, acting(who))]

    @router.post(f"{T}/items/{{item_id}}/restoration")
    async def restore(task_id: str, item_id: str, body: RestorationIn, who: Who) -> dict[str, Any]:
        """Show a hidden solution or comment again, without a flag: for moderators."""
        return await uc.restore_item(ports, task_id, item_id, acting(who), body.note)

    @router.get(f"{T}/items/{{item_id}}")
    async def item(task_id: str, item_id: str, who: Who) -> dict[str, Any]:
        """A solution or comment as stored, hidden or not, with its history: for moderators."""
        return await uc.hidden_item(ports, task_id, item_id, acting(who))

    @router.post(f"{T}/comments/{{comment_id}}/reveal")
    async def reveal(task_id: str, comment_id: str, body: RevealIn, who: Who) -> dict[str, str]:
        """Who wrote an anonymous comment: a moderator with a reason; audited, and the author is told."""
        return {"author_id": await uc.reveal_author(ports, task_id, comment_id, acting(who), body.reason)}

    @router.post(f"{T}/solutions/{{solution_id}}/promotion", status_code=201)
    async def promote(task_id: str, solution_id: str, body: PromotionIn, who: Who) -> dict[str, Any]:
        """Keep a good solution in the library (librarians and facilitators); credits its author."""
        entry = await uc.promote(
            ports, task_id, acting(who), solution_id, title=body.title, summary=body.summary, tags=body.tags
        )
        return entry_out(entry)

    @router.get("/library")
    async def library(
        who: Who,
        text: str = "",
        tag: Annotated[list[str] | None, Query()] = None,
        order: Literal["newest", "helpful"] = "newest",
    ) -> list[dict[str, Any]]:
        """The library of solutions of the circles you can see, by words and tags, newest or most helpful first."""
        found = await uc.search_library(ports, acting(who), text=text, tags=tag or (), order=order)
        return [entry_out(entry) for entry in found]

    @router.get(f"{C}/coffee")
    async def my_coffee(circle_id: str, who: Who) -> dict[str, Any]:
        """This week's coffee partner in the circle, if any."""
        week, partner = await uc.coffee_partner(ports, circle_id, who.person_id)
        return {"week": week, "partner_id": partner}

    return router
