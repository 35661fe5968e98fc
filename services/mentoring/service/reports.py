"""Outcome reports: gather each programme's or circle's facts, check the reader's reach, let the domain count.

Reach: a curator sees the programmes they curate, a circle's facilitator that circle; an HR admin or an
admin sees them all (`Viewer.sees_all`). The HTTP policy checks the same before a request gets here.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from mentoring.domain.circle import Circle, CircleRole
from mentoring.domain.pair import Pair
from mentoring.domain.programme import Programme
from mentoring.domain.reports import (
    CircleFacts,
    CircleMember,
    Mentee,
    PairRecord,
    Participant,
    ProgrammeFacts,
    Scope,
    TaskRecord,
    circle_outcomes,
    programme_outcomes,
    programmes_overview,
)
from mentoring.domain.task import Task
from mentoring.service.circles import get_circle
from mentoring.service.handlers import get_programme
from mentoring.service.pairs import pairs_of
from mentoring.service.ports import Ports
from shared.errors import Forbidden


@dataclass(frozen=True)
class PastMember:
    person_id: str
    role: str
    department: str | None
    joined_at: datetime
    left: bool


class ReportReader(Protocol):
    async def departments(self, person_ids: Iterable[str]) -> dict[str, str | None]:
        """Each known person's department in the directory copy (None when it gives none)."""
        ...

    async def circle_members_ever(self, circle_id: str) -> list[PastMember]:
        """Everyone who was ever a member of the circle, as last seen; `left` for those gone."""
        ...


@dataclass(frozen=True)
class Viewer:
    person_id: str
    sees_all: bool  # an HR admin or an admin


# ------------------------------------------------------------------------------------------ programmes


async def programme_report(
    ports: Ports, reader: ReportReader, programme_id: str, viewer: Viewer, scope: Scope
) -> dict[str, Any]:
    programme = await get_programme(ports, programme_id)
    if not (viewer.sees_all or programme.is_curator(viewer.person_id)):
        raise Forbidden("a programme's report is for its curators and HR", programme_id=programme_id)
    return programme_outcomes(await _programme_facts(ports, reader, programme), scope)


async def programmes_report(ports: Ports, reader: ReportReader, viewer: Viewer, scope: Scope) -> dict[str, Any]:
    """Every programme the viewer may see: all for HR and admins, the ones they curate for a curator."""
    facts = []
    for programme_id in await ports.programmes.all_ids():
        loaded = await ports.programmes.get(programme_id)
        if loaded is None:
            continue
        programme = loaded[0]
        if viewer.sees_all or programme.is_curator(viewer.person_id):
            facts.append(await _programme_facts(ports, reader, programme))
    return programmes_overview(facts, scope)


async def _programme_facts(ports: Ports, reader: ReportReader, programme: Programme) -> ProgrammeFacts:
    pairs = await pairs_of(ports, list(programme.roster))
    people = set(programme.participants) | {person for pair in pairs for person in pair.member_ids}
    departments = await reader.departments(people)
    return ProgrammeFacts(
        programme_id=programme.id,
        title=programme.title,
        kind=programme.kind.value,
        stage=programme.stage.value,
        starts=programme.terms.starts if programme.terms is not None else None,
        participants=tuple(
            Participant(p.person_id, p.role.value, departments.get(p.person_id), left=not p.active)
            for p in programme.participants.values()
        ),
        pairs=tuple(_pair_record(pair, departments) for pair in pairs),
    )


def _pair_record(pair: Pair, departments: dict[str, str | None]) -> PairRecord:
    adapted = {a.person_id: a.days_to_adapt for a in pair.adaptations}
    return PairRecord(
        pair_id=pair.id,
        status=pair.status.value,
        end_reason=pair.end_reason.value if pair.end_reason is not None else None,
        formed_on=pair.formed_at.date(),
        started_on=pair.started_at.date() if pair.started_at is not None else None,
        ended_on=pair.ended_at.date() if pair.ended_at is not None else None,
        meetings=pair.meetings_held,
        minutes=pair.minutes_held,
        goals_set=len(pair.goals),
        goals_achieved=pair.goals_achieved,
        ratings=tuple((given.role, given.rating) for given in pair.feedback),
        mentees=tuple(Mentee(m, departments.get(m), adapted.get(m)) for m in pair.mentee_ids),
    )


# ------------------------------------------------------------------------------------------ circles


async def circle_report(
    ports: Ports, reader: ReportReader, circle_id: str, viewer: Viewer, scope: Scope
) -> dict[str, Any]:
    circle = await get_circle(ports, circle_id)
    if not (viewer.sees_all or circle.role_of(viewer.person_id) is CircleRole.FACILITATOR):
        raise Forbidden("a circle's report is for its facilitators and HR", circle_id=circle_id)
    return circle_outcomes(await _circle_facts(ports, reader, circle), scope)


async def _circle_facts(ports: Ports, reader: ReportReader, circle: Circle) -> CircleFacts:
    tasks: list[Task] = []
    for task_id in await ports.tasks.all_ids(circle_id=circle.id):
        loaded = await ports.tasks.get(task_id)
        if loaded is not None:
            tasks.append(loaded[0])
    members = await reader.circle_members_ever(circle.id)
    # The commit log knows everyone; without it (an empty log) the current members are all we have.
    if not members:
        members = [
            PastMember(m.person_id, m.role.value, m.department, m.joined_at, False) for m in circle.members.values()
        ]
    people = {m.person_id for m in members}
    people |= {s.author_id for task in tasks for s in task.solutions.values()}
    people |= {c.person_id for task in tasks for c in task.checks}
    known = await reader.departments(people)
    recorded = {m.person_id: m.department for m in members}

    def department(person_id: str) -> str | None:
        # The directory's current department first; else the one the person joined with.
        return known.get(person_id) or recorded.get(person_id)

    return CircleFacts(
        circle_id=circle.id,
        topic=circle.topic,
        members=tuple(
            CircleMember(m.person_id, m.role, department(m.person_id), m.joined_at.date(), m.left) for m in members
        ),
        tasks=tuple(_task_record(task, department) for task in tasks),
    )


def _task_record(task: Task, department: Any) -> TaskRecord:
    shown = [comment for comment in task.comments.values() if not comment.hidden]
    checked = dict.fromkeys(check.person_id for check in task.checks)
    latest = [(person_id, task.latest_check(person_id)) for person_id in checked]
    return TaskRecord(
        task_id=task.id,
        published_on=task.published_at.date(),
        closed_on=task.closed_at.date() if task.closed_at is not None else None,
        solution_departments=tuple(department(s.author_id) for s in task.solutions.values() if s.published),
        checks=tuple((department(person_id), check.passed) for person_id, check in latest if check is not None),
        comments=len(shown),
        helpful_marks=sum(len(comment.helpful_by) for comment in shown),
        reflections=len(task.reflections),
    )
