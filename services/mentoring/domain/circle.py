"""A peer-learning circle: colleagues learn from each other on practical tasks, nobody lectures.

Peer learning works only with structure, so a circle keeps exactly that: roles (who facilitates,
who checks practice, who keeps the library of best solutions), enough experienced people (a circle
of beginners only swaps misconceptions: a share of practitioners and experts, 10 % by default, must
be there before tasks go out), a cap on tasks (5 a week at most, or people stop engaging) and the
opt-in list of the weekly random coffee.

The circle is its own aggregate: who is in it and in which role, and how many tasks went out this
week, are decisions that need the whole member list and publication log at once. The tasks, their
answers and comments live in their own aggregates.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any

from mentoring.domain.coffee import CoffeeCandidate
from mentoring.domain.model import FORMER_EMPLOYEE_PREFIX, parse
from shared.errors import Conflict, Forbidden, Invalid, NotFound

MAX_TOPIC_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 5_000
MAX_MESSAGE_LENGTH = 2_000
DEFAULT_EXPERIENCED_THRESHOLD = 0.10
DEFAULT_WEEKLY_TASK_LIMIT = 5
DEFAULT_MAX_WEEKLY_TASKS = 5
DEFAULT_DOMINANCE_SHARE = 0.40
TASK_WINDOW = timedelta(days=7)  # the rolling week of the task cap


class CircleRole(StrEnum):
    FACILITATOR = "facilitator"  # organises the dialogue: picks and publishes tasks, filters the noise
    EXPERT = "expert"  # has walked the path: guides and checks practice
    REVIEWER = "reviewer"  # checks practice
    LIBRARIAN = "librarian"  # collects the best solutions in the circle's library
    MEMBER = "member"


class Experience(StrEnum):
    BEGINNER = "beginner"
    PRACTITIONER = "practitioner"
    EXPERT = "expert"


EXPERIENCED = frozenset({Experience.PRACTITIONER, Experience.EXPERT})


class JoinPolicy(StrEnum):
    OPEN = "open"  # anyone joins at once
    REQUEST = "request"  # a facilitator (or a moderator) accepts each request


class CircleAction(StrEnum):
    PUBLISH_TASK = "publish_task"
    CLOSE_TASK = "close_task"
    RECORD_CHECK = "record_check"  # a practical check: "show me how you would do it now"
    PROMOTE_TO_LIBRARY = "promote_to_library"


ALLOWED: Mapping[CircleAction, frozenset[CircleRole]] = {
    CircleAction.PUBLISH_TASK: frozenset({CircleRole.FACILITATOR}),
    CircleAction.CLOSE_TASK: frozenset({CircleRole.FACILITATOR}),
    CircleAction.RECORD_CHECK: frozenset({CircleRole.FACILITATOR, CircleRole.EXPERT, CircleRole.REVIEWER}),
    CircleAction.PROMOTE_TO_LIBRARY: frozenset({CircleRole.FACILITATOR, CircleRole.LIBRARIAN}),
}


# ------------------------------------------------------------------------------------------------ values


@dataclass(frozen=True)
class Member:
    person_id: str
    role: CircleRole
    experience: Experience
    joined_at: datetime
    department: str | None = None  # for the coffee's cross-department pairs; None once erased


@dataclass(frozen=True)
class JoinRequest:
    person_id: str
    experience: Experience
    message: str  # for the facilitator who decides; never in an event
    at: datetime
    department: str | None = None  # kept so an accepted member has it


# ------------------------------------------------------------------------------------------------ events


@dataclass(frozen=True)
class CircleCreated:
    circle_id: str
    topic_title: str  # the circle's topic: the contract's `topic` is the Kafka topic, so it is named so there
    created_by: str


@dataclass(frozen=True)
class MemberJoined:
    circle_id: str
    person_id: str
    role: str
    experience: str


@dataclass(frozen=True)
class JoinRequested:
    circle_id: str
    person_id: str


@dataclass(frozen=True)
class MemberRoleChanged:
    circle_id: str
    person_id: str
    role: str


@dataclass(frozen=True)
class MemberLeft:
    circle_id: str
    person_id: str


CircleEvent = CircleCreated | MemberJoined | JoinRequested | MemberRoleChanged | MemberLeft


# --------------------------------------------------------------------------------------------- aggregate


@dataclass
class Circle:
    id: str
    topic: str
    description: str
    join_policy: JoinPolicy
    experienced_threshold: float  # share 0..1 of practitioners and experts needed before tasks go out
    weekly_task_limit: int  # tasks per rolling 7 days
    dominance_share: float  # a member writing more than this share of a discussion is dominating it
    created_by: str
    created_at: datetime
    members: dict[str, Member] = field(default_factory=dict)  # by person id, in joining order
    requests: dict[str, JoinRequest] = field(default_factory=dict)  # pending only
    tasks_published: list[tuple[str, datetime]] = field(default_factory=list)  # (task id, published at)
    coffee: set[str] = field(default_factory=set)  # members who opted in to the weekly random coffee
    events: list[CircleEvent] = field(default_factory=list, compare=False)

    # ------------------------------------------------------------------------------------- setting up

    @classmethod
    def create(
        cls,
        circle_id: str,
        topic: str,
        description: str,
        created_by: str,
        now: datetime,
        *,
        join_policy: str = JoinPolicy.OPEN,
        experienced_threshold: float = DEFAULT_EXPERIENCED_THRESHOLD,
        weekly_task_limit: int = DEFAULT_WEEKLY_TASK_LIMIT,
        max_weekly_tasks: int = DEFAULT_MAX_WEEKLY_TASKS,
        dominance_share: float = DEFAULT_DOMINANCE_SHARE,
        creator_experience: str = Experience.EXPERT,
        creator_department: str | None = None,
    ) -> "Circle":
        """A new circle; its creator is its first facilitator. `max_weekly_tasks` is the company's cap."""
        cleaned_topic = topic.strip()
        if not 1 <= len(cleaned_topic) <= MAX_TOPIC_LENGTH:
            raise Invalid(f"a circle's topic has 1 to {MAX_TOPIC_LENGTH} characters", field="topic")
        if len(description) > MAX_DESCRIPTION_LENGTH:
            raise Invalid(f"the description has at most {MAX_DESCRIPTION_LENGTH} characters", field="description")
        if not 0 <= experienced_threshold <= 1:
            raise Invalid("experienced_threshold is a share from 0 to 1", field="experienced_threshold")
        if not 0 < dominance_share <= 1:
            raise Invalid("dominance_share is a share above 0 and at most 1", field="dominance_share")
        if not 1 <= weekly_task_limit <= max_weekly_tasks:
            raise Invalid(
                f"weekly_task_limit must be from 1 to {max_weekly_tasks} (the company's maximum)",
                field="weekly_task_limit",
                max_weekly_tasks=max_weekly_tasks,
            )
        _check_person(created_by, "created_by")
        circle = cls(
            id=circle_id,
            topic=cleaned_topic,
            description=description.strip(),
            join_policy=parse(JoinPolicy, join_policy, "join_policy"),
            experienced_threshold=float(experienced_threshold),
            weekly_task_limit=weekly_task_limit,
            dominance_share=float(dominance_share),
            created_by=created_by,
            created_at=now,
        )
        creator = Member(
            created_by,
            CircleRole.FACILITATOR,
            parse(Experience, creator_experience, "creator_experience"),
            now,
            _department(creator_department),
        )
        circle.events.append(CircleCreated(circle.id, circle.topic, created_by))
        circle._add(creator)
        return circle

    # ------------------------------------------------------------------------------------------ people

    def join(
        self, person_id: str, experience: str, now: datetime, *, message: str = "", department: str | None = None
    ) -> Member | JoinRequest:
        """Join an open circle at once, or ask to join one that takes requests."""
        _check_person(person_id, "person_id")
        parsed_experience = parse(Experience, experience, "experience")
        if person_id in self.members:
            raise Conflict("you are already a member of this circle", person_id=person_id)
        if person_id in self.requests:
            raise Conflict("you have already asked to join this circle", person_id=person_id)
        if self.join_policy is JoinPolicy.OPEN:
            return self._add(Member(person_id, CircleRole.MEMBER, parsed_experience, now, _department(department)))
        if len(message) > MAX_MESSAGE_LENGTH:
            raise Invalid(f"the message has at most {MAX_MESSAGE_LENGTH} characters", field="message")
        request = JoinRequest(person_id, parsed_experience, message.strip(), now, _department(department))
        self.requests[person_id] = request
        self.events.append(JoinRequested(self.id, person_id))
        return request

    def decide_request(
        self, by: str, person_id: str, accept: bool, now: datetime, *, is_moderator: bool = False
    ) -> Member | None:
        """A facilitator (or a moderator) lets the person in, or not; the new member, if accepted."""
        if not (is_moderator or self.role_of(by) is CircleRole.FACILITATOR):
            raise Forbidden("only the circle's facilitators decide on requests", circle_id=self.id)
        request = self.requests.pop(person_id, None)
        if request is None:
            raise NotFound(f"{person_id} has not asked to join this circle", person_id=person_id)
        if not accept:
            return None
        return self._add(Member(person_id, CircleRole.MEMBER, request.experience, now, request.department))

    def set_role(self, by: str, person_id: str, role: str, *, is_moderator: bool = False) -> Member:
        if not (is_moderator or self.role_of(by) is CircleRole.FACILITATOR):
            raise Forbidden("only the circle's facilitators give roles", circle_id=self.id)
        new_role = parse(CircleRole, role, "role")
        member = self._member(person_id)
        if member.role is new_role:
            return member  # nothing changes, nothing to tell
        if member.role is CircleRole.FACILITATOR:
            self._keep_a_facilitator(person_id, "demote")
        changed = replace(member, role=new_role)
        self.members[person_id] = changed
        self.events.append(MemberRoleChanged(self.id, person_id, new_role.value))
        return changed

    def leave(self, person_id: str) -> None:
        """The member leaves (and so leaves the coffee); the last facilitator first hands the role on."""
        member = self._member(person_id)
        if member.role is CircleRole.FACILITATOR:
            self._keep_a_facilitator(person_id, "leave")
        del self.members[person_id]
        self.coffee.discard(person_id)
        self.events.append(MemberLeft(self.id, person_id))

    def _add(self, member: Member) -> Member:
        self.members[member.person_id] = member
        self.events.append(MemberJoined(self.id, member.person_id, member.role.value, member.experience.value))
        return member

    def _member(self, person_id: str) -> Member:
        member = self.members.get(person_id)
        if member is None:
            raise NotFound(f"{person_id} is not a member of this circle", person_id=person_id)
        return member

    def _keep_a_facilitator(self, person_id: str, what: str) -> None:
        others = [m for m in self.members.values() if m.role is CircleRole.FACILITATOR and m.person_id != person_id]
        if not others:
            raise Conflict(
                f"a circle keeps at least one facilitator: make someone else facilitator before you {what}",
                person_id=person_id,
            )

    # ------------------------------------------------------------------------------------------- roles

    def role_of(self, person_id: str) -> CircleRole | None:
        member = self.members.get(person_id)
        return member.role if member is not None else None

    def is_member(self, person_id: str) -> bool:
        return person_id in self.members

    def can(self, person_id: str, action: str, *, is_moderator: bool = False) -> bool:
        """May the person do this in the circle? Moderators act in any circle."""
        parsed = parse(CircleAction, action, "action")
        return is_moderator or self.role_of(person_id) in ALLOWED[parsed]

    def require(self, person_id: str, action: str, *, is_moderator: bool = False) -> None:
        if not self.can(person_id, action, is_moderator=is_moderator):
            allowed = ", ".join(sorted(role.value for role in ALLOWED[CircleAction(action)]))
            raise Forbidden(f"only a circle's {allowed} may {action.replace('_', ' ')}", circle_id=self.id)

    # ------------------------------------------------------------------------------------------- tasks

    def experienced_share(self) -> float:
        """The share of practitioners and experts among the members."""
        if not self.members:
            return 0.0
        return self._experienced_count() / len(self.members)

    def experienced_needed(self) -> int:
        """How many more experienced people must join for their share to reach the threshold (0 if it does).

        The smallest k >= 0 with (e + k) / (n + k) >= threshold, in exact fractions: the threshold is read
        as the decimal it was written as, so 1 expert in 10 members meets 0.10. At a threshold of 1 no
        number of newcomers helps while a beginner is in: the answer is then the number of beginners.
        """
        experienced, total = self._experienced_count(), len(self.members)
        threshold = Fraction(str(self.experienced_threshold))
        if total and Fraction(experienced, total) >= threshold:
            return 0
        if threshold == 1:
            return total - experienced
        # e + k >= t (n + k)  <=>  k >= (t n - e) / (1 - t)
        return max(0, math.ceil((threshold * total - experienced) / (1 - threshold)))

    def record_task(
        self,
        by: str,
        task_id: str,
        now: datetime,
        *,
        is_moderator: bool = False,
        max_weekly_tasks: int | None = None,
    ) -> None:
        """Note a task going out, within the rules: enough experienced members, and the weekly cap.

        `max_weekly_tasks`, when given, is the company's current cap: if an admin lowered it below this
        circle's limit, the lower one applies. Recording the same task again changes nothing (a retry).
        """
        self.require(by, CircleAction.PUBLISH_TASK, is_moderator=is_moderator)
        if any(published_id == task_id for published_id, _ in self.tasks_published):
            return
        needed = self.experienced_needed()
        if needed:
            raise Conflict(
                f"too few experienced members to publish tasks: {needed} more practitioner(s) or expert(s) needed "
                f"for {self.experienced_threshold:.0%} of the circle",
                needed=needed,
                threshold=self.experienced_threshold,
            )
        limit = self.weekly_task_limit if max_weekly_tasks is None else min(self.weekly_task_limit, max_weekly_tasks)
        this_week = sorted(at for _, at in self.tasks_published if at > now - TASK_WINDOW)
        if len(this_week) >= limit:
            # The slot frees once enough of this week's tasks are 7 days old to leave limit - 1 of them.
            next_slot = this_week[len(this_week) - limit] + TASK_WINDOW
            raise Conflict(
                f"this circle publishes at most {limit} tasks in 7 days; the next one may go out at "
                f"{next_slot.isoformat()}",
                limit=limit,
                next_slot=next_slot.isoformat(),
            )
        self.tasks_published.append((task_id, now))

    def _experienced_count(self) -> int:
        return sum(member.experience in EXPERIENCED for member in self.members.values())

    # ------------------------------------------------------------------------------------------ coffee

    def opt_in(self, person_id: str) -> None:
        self._member(person_id)
        self.coffee.add(person_id)

    def opt_out(self, person_id: str) -> None:
        self._member(person_id)
        self.coffee.discard(person_id)

    def coffee_candidates(self) -> list[CoffeeCandidate]:
        """The members who opted in, with their departments, for `coffee.pair_for_coffee`."""
        return [
            CoffeeCandidate(member.person_id, member.department)
            for member in self.members.values()
            if member.person_id in self.coffee
        ]

    # ----------------------------------------------------------------------------------------- erasure

    def erase_person(self, person_id: str, replacement: str) -> bool:
        """Put a former employee in the person's place; False if the person is not here (erased already).

        Their role and experience stay (the circle's shape and share do not change); their department goes
        with them, they leave the coffee, and a pending request (with its message) is dropped: a former
        employee joins nothing. No event is recorded, as for every aggregate's erasure.
        """
        found = person_id in self.members or person_id in self.requests or self.created_by == person_id
        if not found:
            return False
        if replacement in self.members:
            raise ValueError("the replacement id is already in use in this circle")
        self.requests.pop(person_id, None)
        self.coffee.discard(person_id)
        if self.created_by == person_id:
            self.created_by = replacement
        if person_id in self.members:
            self.members = {
                (replacement if key == person_id else key): (
                    replace(member, person_id=replacement, department=None) if key == person_id else member
                )
                for key, member in self.members.items()
            }
        return True

    # ------------------------------------------------------------------------------------------- state

    def to_state(self) -> dict[str, Any]:
        """Plain data for the repository; pairs are documents, never arrays inside arrays (FerretDB)."""
        return {
            "topic": self.topic,
            "description": self.description,
            "join_policy": self.join_policy.value,
            "experienced_threshold": self.experienced_threshold,
            "weekly_task_limit": self.weekly_task_limit,
            "dominance_share": self.dominance_share,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "members": [
                {
                    "person_id": m.person_id,
                    "role": m.role.value,
                    "experience": m.experience.value,
                    "joined_at": m.joined_at.isoformat(),
                    "department": m.department,
                }
                for m in self.members.values()
            ],
            "requests": [
                {
                    "person_id": r.person_id,
                    "experience": r.experience.value,
                    "message": r.message,
                    "at": r.at.isoformat(),
                    "department": r.department,
                }
                for r in self.requests.values()
            ],
            "tasks_published": [
                {"task_id": task_id, "published_at": at.isoformat()} for task_id, at in self.tasks_published
            ],
            "coffee": sorted(self.coffee),
        }

    @classmethod
    def from_state(cls, circle_id: str, state: Mapping[str, Any]) -> "Circle":
        return cls(
            id=circle_id,
            topic=state["topic"],
            description=state.get("description", ""),
            join_policy=JoinPolicy(state["join_policy"]),
            experienced_threshold=state.get("experienced_threshold", DEFAULT_EXPERIENCED_THRESHOLD),
            weekly_task_limit=state.get("weekly_task_limit", DEFAULT_WEEKLY_TASK_LIMIT),
            dominance_share=state.get("dominance_share", DEFAULT_DOMINANCE_SHARE),
            created_by=state["created_by"],
            created_at=datetime.fromisoformat(state["created_at"]),
            members={
                m["person_id"]: Member(
                    m["person_id"],
                    CircleRole(m["role"]),
                    Experience(m["experience"]),
                    datetime.fromisoformat(m["joined_at"]),
                    m.get("department"),
                )
                for m in state.get("members", ())
            },
            requests={
                r["person_id"]: JoinRequest(
                    r["person_id"],
                    Experience(r["experience"]),
                    r.get("message", ""),
                    datetime.fromisoformat(r["at"]),
                    r.get("department"),
                )
                for r in state.get("requests", ())
            },
            tasks_published=[
                (t["task_id"], datetime.fromisoformat(t["published_at"])) for t in state.get("tasks_published", ())
            ],
            coffee=set(state.get("coffee", ())),
        )


def _check_person(person_id: str, field_name: str) -> None:
    if not person_id.strip():
        raise Invalid("a person id is needed", field=field_name)
    if person_id.startswith(FORMER_EMPLOYEE_PREFIX):
        raise Invalid("former employees cannot take part", field=field_name)


def _department(department: str | None) -> str | None:
    return department.strip() if department is not None and department.strip() else None
