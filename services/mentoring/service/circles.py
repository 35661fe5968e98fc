"""Peer-learning circle use cases: members and roles, tasks and their discussion, moderation, the library, coffee.

Anonymity is decided here, once: an anonymous comment is stored with its real author (for erasure,
export and the audited reveal) and its pseudonym, a keyed hash of the author and the task, and every
view or public event shows the pseudonym. Only the restricted-topic events and the audited reveal name
the author.
"""

import contextlib
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from mentoring.domain.circle import Circle, CircleRole, JoinRequest, Member
from mentoring.domain.coffee_round import CoffeeRound, round_id, week_of
from mentoring.domain.flag import Flag
from mentoring.domain.library import LibraryEntry, search
from mentoring.domain.task import Comment, HiddenItem, Task
from mentoring.service.handlers import change, load, new_id
from mentoring.service.ports import Ports
from shared.concurrency import ConcurrencyConflict
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.privacy.anonymity import reveal

COFFEE_MEMORY_WEEKS = 8  # by default two people do not meet for coffee again within this many weeks


@dataclass(frozen=True)
class Caller:
    """Who acts, and whether the platform made them a moderator (who may act in any circle)."""

    person_id: str
    moderator: bool = False


# ------------------------------------------------------------------------------------------ circles


async def create_circle(
    ports: Ports,
    by: Caller,
    *,
    topic: str,
    description: str = "",
    max_weekly_tasks: int,
    creator_experience: str = "expert",
    **settings: Any,
) -> Circle:
    """Start a circle; its creator facilitates it. `settings`: join policy, thresholds, the weekly task limit."""
    person = await ports.people.get(by.person_id)
    department = person.fields.get("department") if person is not None else None
    circle = Circle.create(
        new_id()[:12],
        topic,
        description,
        by.person_id,
        ports.clock(),
        max_weekly_tasks=max_weekly_tasks,
        creator_experience=creator_experience,
        creator_department=department if isinstance(department, str) else None,
        **settings,
    )
    await ports.circles.save(circle, expected_version=0)
    return circle


async def get_circle(ports: Ports, circle_id: str) -> Circle:
    circle, _ = await load(ports.circles, circle_id, "circle")
    return circle


async def circles(ports: Ports) -> list[Circle]:
    found = []
    for circle_id in await ports.circles.all_ids():
        loaded = await ports.circles.get(circle_id)
        if loaded is not None:
            found.append(loaded[0])
    return sorted(found, key=lambda circle: circle.created_at)


async def join(ports: Ports, circle_id: str, person_id: str, experience: str, message: str) -> Member | JoinRequest:
    if await ports.people.is_blocked(person_id):
        raise Forbidden(f"person {person_id} is deactivated in the directory")
    person = await ports.people.get(person_id)
    department = person.fields.get("department") if person is not None else None
    joined, _ = await change(
        ports.circles,
        circle_id,
        "circle",
        lambda c: c.join(person_id, experience, ports.clock(), message=message, department=department),
    )
    return joined


async def decide_join(ports: Ports, circle_id: str, by: Caller, person_id: str, accept: bool) -> Circle:
    _, circle = await change(
        ports.circles,
        circle_id,
        "circle",
        lambda c: c.decide_request(by.person_id, person_id, accept, ports.clock(), is_moderator=by.moderator),
    )
    return circle


async def set_role(ports: Ports, circle_id: str, by: Caller, person_id: str, role: str) -> Circle:
    _, circle = await change(
        ports.circles,
        circle_id,
        "circle",
        lambda c: c.set_role(by.person_id, person_id, role, is_moderator=by.moderator),
    )
    return circle


async def leave(ports: Ports, circle_id: str, person_id: str) -> Circle:
    _, circle = await change(ports.circles, circle_id, "circle", lambda c: c.leave(person_id))
    return circle


async def coffee(ports: Ports, circle_id: str, person_id: str, opt_in: bool) -> Circle:
    def decide(circle: Circle) -> None:
        if opt_in:
            circle.opt_in(person_id)
        else:
            circle.opt_out(person_id)

    _, circle = await change(ports.circles, circle_id, "circle", decide)
    return circle


def require_member(circle: Circle, by: Caller) -> None:
    if not (by.moderator or circle.is_member(by.person_id)):
        raise Forbidden("only the circle's members see its tasks", circle_id=circle.id)


# ------------------------------------------------------------------------------------------ tasks


async def publish_task(
    ports: Ports,
    circle_id: str,
    by: Caller,
    *,
    statement: str,
    expected_outcome: str,
    due: date,
    check_instructions: str,
) -> Task:
    """Check the task, take one of the circle's weekly slots for it, then store it."""
    now = ports.clock()
    task = Task.publish(
        new_id()[:12], circle_id, by.person_id, statement, expected_outcome, due, check_instructions, now
    )
    await change(
        ports.circles,
        circle_id,
        "circle",
        lambda c: c.record_task(by.person_id, task.id, now, is_moderator=by.moderator),
    )
    await ports.tasks.save(task, expected_version=0)
    return task


async def tasks_of(ports: Ports, circle_id: str, by: Caller) -> list[Task]:
    circle = await get_circle(ports, circle_id)
    require_member(circle, by)
    found = []
    for task_id in await ports.tasks.all_ids(circle_id=circle_id):
        loaded = await ports.tasks.get(task_id)
        if loaded is not None:
            found.append(loaded[0])
    return sorted(found, key=lambda task: task.published_at, reverse=True)


@dataclass(frozen=True)
class TaskView:
    task: Task
    circle: Circle
    viewer: Caller


async def view_task(ports: Ports, task_id: str, by: Caller) -> TaskView:
    task, _ = await load(ports.tasks, task_id, "task")
    circle = await get_circle(ports, task.circle_id)
    require_member(circle, by)
    return TaskView(task, circle, by)


async def _task_change(ports: Ports, task_id: str, by: Caller, decide: Any) -> tuple[Any, Task, Circle]:
    view = await view_task(ports, task_id, by)
    result, task = await change(ports.tasks, task_id, "task", lambda t: decide(t, view.circle))
    return result, task, view.circle


def _require_role(circle: Circle, by: Caller, roles: Sequence[CircleRole], what: str) -> None:
    if by.moderator:
        return
    if circle.role_of(by.person_id) not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise Forbidden(f"only a circle's {allowed} may {what}", circle_id=circle.id)


async def close_task(ports: Ports, task_id: str, by: Caller) -> Task:
    def decide(task: Task, circle: Circle) -> None:
        _require_role(circle, by, (CircleRole.FACILITATOR,), "close a task")
        task.close(by.person_id, ports.clock())

    _, task, _ = await _task_change(ports, task_id, by, decide)
    return task


async def save_solution(
    ports: Ports,
    task_id: str,
    by: Caller,
    solution_id: str,
    text: str,
    links: Sequence[str],
    attachments: Sequence[str],
) -> Task:
    def decide(task: Task, circle: Circle) -> None:
        if not circle.is_member(by.person_id):
            raise Forbidden("only the circle's members write solutions", circle_id=circle.id)
        task.save_solution(by.person_id, solution_id, text, tuple(links), tuple(attachments), ports.clock())

    _, task, _ = await _task_change(ports, task_id, by, decide)
    return task


async def publish_solution(ports: Ports, task_id: str, by: Caller, solution_id: str) -> Task:
    _, task, _ = await _task_change(
        ports, task_id, by, lambda t, c: t.publish_solution(by.person_id, solution_id, ports.clock())
    )
    return task


async def comment(
    ports: Ports, task_id: str, by: Caller, solution_id: str, parent_id: str | None, text: str, anonymous: bool
) -> Comment:
    # One pseudonym per person and task: a reader can follow one anonymous voice through the discussion.
    pseudonym = ports.pseudonyms.pseudonym(by.person_id, task_id) if anonymous else None
    comment_id = new_id()[:12]

    def decide(task: Task, circle: Circle) -> Comment:
        if not circle.is_member(by.person_id):
            raise Forbidden("only the circle's members comment", circle_id=circle.id)
        return task.comment(by.person_id, comment_id, solution_id, parent_id, text, anonymous, pseudonym, ports.clock())

    posted, _, _ = await _task_change(ports, task_id, by, decide)
    return posted  # type: ignore[no-any-return]


async def mark_helpful(ports: Ports, task_id: str, by: Caller, comment_id: str) -> Task:
    def decide(task: Task, circle: Circle) -> None:
        if not circle.is_member(by.person_id):
            raise Forbidden("only the circle's members mark comments helpful", circle_id=circle.id)
        task.mark_helpful(by.person_id, comment_id, ports.clock())

    _, task, _ = await _task_change(ports, task_id, by, decide)
    return task


async def record_check(ports: Ports, task_id: str, by: Caller, person_id: str, passed: bool, note: str) -> Task:
    def decide(task: Task, circle: Circle) -> None:
        checkers = (CircleRole.REVIEWER, CircleRole.EXPERT, CircleRole.FACILITATOR)
        _require_role(circle, by, checkers, "record a practical check")
        if not circle.is_member(person_id):
            raise NotFound(f"{person_id} is not a member of this circle", person_id=person_id)
        task.record_check(by.person_id, person_id, passed, note, ports.clock())

    _, task, _ = await _task_change(ports, task_id, by, decide)
    return task


async def reflect(ports: Ports, task_id: str, by: Caller, text: str) -> Task:
    _, task, _ = await _task_change(ports, task_id, by, lambda t, c: t.reflect(by.person_id, text, ports.clock()))
    return task


async def reflections(ports: Ports, task_id: str, by: Caller) -> dict[str, Any]:
    view = await view_task(ports, task_id, by)
    _require_role(view.circle, by, (CircleRole.FACILITATOR,), "read the reflections")
    return view.task.reflection_summary()


async def dominance(ports: Ports, task_id: str, by: Caller) -> dict[str, Any]:
    """Who writes more than the circle's set share of a task's comments, as readers see them.

    Counted per voice as readers see it (see `Task.dominance`), so the signal never links an anonymous
    voice to a name.
    """
    view = await view_task(ports, task_id, by)
    _require_role(view.circle, by, (CircleRole.FACILITATOR,), "see the dominance signal")
    share = view.circle.dominance_share
    dominant = view.task.dominance(share)
    return {
        "comments": len(view.task.comments),
        "threshold": share,
        "dominant": [{"author": voice, "share": part} for voice, part in dominant.items()],
    }


# ------------------------------------------------------------------------------------------ moderation


async def raise_flag(ports: Ports, task_id: str, by: Caller, item_id: str, reason: str, text: str) -> Flag:
    view = await view_task(ports, task_id, by)
    kind = view.task.item_kind(item_id)
    flag = Flag.raise_flag(
        new_id()[:12], view.circle.id, task_id, item_id, kind, reason, text, by.person_id, ports.clock()
    )
    await ports.flags.save(flag, expected_version=0)
    return flag


async def moderation_queue(ports: Ports, by: Caller) -> list[Flag]:
    if not by.moderator:
        raise Forbidden("the moderation queue is for moderators")
    found = []
    for flag_id in await ports.flags.all_ids(status="open"):
        loaded = await ports.flags.get(flag_id)
        if loaded is not None:
            found.append(loaded[0])
    return sorted(found, key=lambda flag: flag.flagged_at)


async def moderate(ports: Ports, flag_id: str, by: Caller, outcome: str, note: str, text: str | None) -> Flag:
    """Apply the moderator's decision to the flagged item (hide, edit with a note, restore), then close the flag."""
    if not by.moderator:
        raise Forbidden("only moderators handle flags")
    flag, _ = await load(ports.flags, flag_id, "flag")
    now = ports.clock()
    # The flag refuses first (resolved already, a hide or an edit without a note): the item must not change then.
    flag.check_decision(outcome, note)

    def apply(task: Task) -> None:
        match outcome:
            case "hidden":
                task.hide(flag.item_id, by.person_id, note, now)
            case "restored":
                task.restore(flag.item_id, by.person_id, note, now)
            case "edited":
                if not text:
                    raise Invalid("an edit gives the new text", field="text")
                task.moderate_edit(flag.item_id, by.person_id, text, note, now)
            case _:
                pass  # dismissed: the item stays as it is

    if outcome != "dismissed":
        await change(ports.tasks, flag.task_id, "task", apply)
    _, resolved = await change(ports.flags, flag_id, "flag", lambda f: f.resolve(by.person_id, outcome, note, now))
    return resolved


async def hidden_item(ports: Ports, task_id: str, item_id: str, by: Caller) -> dict[str, Any]:
    """A hidden item, as stored, for moderators (hidden content stays auditable)."""
    if not by.moderator:
        raise Forbidden("hidden content is for moderators")
    task, _ = await load(ports.tasks, task_id, "task")
    return task.item_record(item_id)


@dataclass(frozen=True)
class HiddenEntry:
    """A hidden item with the reason of the flag that hid it (None if the flag is gone)."""

    item: HiddenItem
    reason: str | None


async def hidden_items(ports: Ports, by: Caller) -> list[HiddenEntry]:
    """Every solution and comment hidden now, newest hiding first: for moderators.

    Items are hidden only by a moderator's decision on a flag, so the flags resolved as "hidden" name every
    task to look in; the task says whether each item is still hidden (a restore shows it again).
    """
    if not by.moderator:
        raise Forbidden("hidden content is for moderators")
    hiding_flags: list[Flag] = []
    for flag_id in await ports.flags.all_ids(outcome="hidden"):
        loaded = await ports.flags.get(flag_id)
        if loaded is not None:
            hiding_flags.append(loaded[0])
    # The latest hiding decision per item gives its reason, and a time for items hidden before it was kept.
    latest: dict[str, Flag] = {}
    for flag in sorted(hiding_flags, key=lambda f: f.resolved_at or f.flagged_at):
        latest[flag.item_id] = flag
    found: list[HiddenEntry] = []
    for task_id in sorted({flag.task_id for flag in hiding_flags}):
        loaded_task = await ports.tasks.get(task_id)
        if loaded_task is None:
            continue
        for item in loaded_task[0].hidden_items():
            hiding = latest.get(item.item_id)
            if item.hidden_at is None and hiding is not None:
                item = dataclasses.replace(item, hidden_at=hiding.resolved_at)
            found.append(HiddenEntry(item, hiding.reason.value if hiding is not None else None))
    never = datetime.min.replace(tzinfo=UTC)
    return sorted(found, key=lambda entry: entry.item.hidden_at or never, reverse=True)


async def restore_item(ports: Ports, task_id: str, item_id: str, by: Caller, note: str) -> dict[str, Any]:
    """A moderator shows a hidden item again without a new flag; its record as stored afterwards."""
    if not by.moderator:
        raise Forbidden("only moderators restore hidden content")
    now = ports.clock()
    _, task = await change(ports.tasks, task_id, "task", lambda t: t.restore(item_id, by.person_id, note, now))
    return task.item_record(item_id)


async def reveal_author(ports: Ports, task_id: str, comment_id: str, by: Caller, reason: str) -> str:
    """Who wrote an anonymous comment: for a moderator with a stated reason, audited, and the author is told."""
    if not by.moderator:
        raise Forbidden("only moderators may reveal an anonymous author")
    task, _ = await load(ports.tasks, task_id, "task")
    item = task.comments.get(comment_id)
    if item is None:
        raise NotFound(f"comment {comment_id} does not exist", comment_id=comment_id)
    if not item.anonymous or item.pseudonym is None:
        raise Conflict("this comment is not anonymous", comment_id=comment_id)
    decision = reveal(
        ports.pseudonyms,
        discussion_id=task_id,
        item_id=comment_id,
        pseudonym=item.pseudonym,
        author_id=item.author_id,
        moderator_id=by.person_id,
        reason=reason,
        revealed_at=ports.clock(),
    )
    await ports.audit.record(
        "comment.author_revealed",
        by.person_id,
        decision.author_id,
        reason=decision.reason,
        details={"task_id": task_id, "comment_id": comment_id, "pseudonym": decision.pseudonym},
    )
    await change(ports.tasks, task_id, "task", lambda t: t.record_reveal(comment_id, by.person_id))
    return decision.author_id


# ------------------------------------------------------------------------------------------ library


async def promote(
    ports: Ports, task_id: str, by: Caller, solution_id: str, *, title: str, summary: str, tags: Sequence[str]
) -> LibraryEntry:
    view = await view_task(ports, task_id, by)
    _require_role(view.circle, by, (CircleRole.LIBRARIAN, CircleRole.FACILITATOR), "promote a solution to the library")
    solution = view.task.solution(solution_id)
    if solution.published_at is None or solution.hidden:
        raise Conflict("only a published, visible solution enters the library", solution_id=solution_id)
    entry = LibraryEntry.promote(
        solution_id,
        view.circle.id,
        view.circle.topic,
        task_id,
        solution_id,
        solution.author_id,
        title,
        summary,
        tags,
        solution.versions[-1].text,
        by.person_id,
        view.task.helpful_count(solution_id),
        ports.clock(),
    )
    try:
        await ports.library.save(entry, expected_version=0)  # the solution's id is the entry's: promoted once
    except ConcurrencyConflict:
        raise Conflict("this solution is in the library already", solution_id=solution_id) from None
    return entry


async def search_library(
    ports: Ports, by: Caller, *, text: str = "", tags: Sequence[str] = (), order: str = "newest"
) -> list[LibraryEntry]:
    """Entries of the circles the person can see: their own circles and every open one (moderators: all)."""
    visible = {
        circle.id
        for circle in await circles(ports)
        if by.moderator or circle.is_member(by.person_id) or circle.join_policy.value == "open"
    }
    entries = []
    for entry_id in await ports.library.all_ids():
        loaded = await ports.library.get(entry_id)
        if loaded is not None and loaded[0].circle_id in visible:
            entries.append(loaded[0])
    return search(entries, text=text, tags=tags, order=order)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ coffee


async def coffee_partner(ports: Ports, circle_id: str, person_id: str) -> tuple[str, str | None]:
    """This week's coffee round of the circle, and the person's partner in it (None if none)."""
    week = week_of(ports.clock().date())
    found = await ports.coffee.get(round_id(circle_id, week))
    return week, found[0].partner_of(person_id) if found else None


async def form_coffee_rounds(ports: Ports, memory_weeks: int = COFFEE_MEMORY_WEEKS) -> int:
    """This week's coffee pairs in every circle that has none yet; how many rounds were formed.

    Runs periodically on every replica: a round's id is (circle, week), so only one insert wins.
    """
    today = ports.clock().date()
    week = week_of(today)
    formed = 0
    for circle in await circles(ports):
        if len(circle.coffee) < 2 or await ports.coffee.get(round_id(circle.id, week)) is not None:
            continue
        recent: set[frozenset[str]] = set()
        for weeks_back in range(1, memory_weeks + 1):
            past = await ports.coffee.get(round_id(circle.id, week_of(today - timedelta(weeks=weeks_back))))
            if past is not None:
                recent |= past[0].met()
        coffee_round = CoffeeRound.form(circle.id, week, circle.coffee_candidates(), recent, ports.clock())
        with contextlib.suppress(ConcurrencyConflict):  # another replica formed it first
            await ports.coffee.save(coffee_round, expected_version=0)
            formed += 1
    return formed
