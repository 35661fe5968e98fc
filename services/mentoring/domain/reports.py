"""Outcome reports for leaders: each mentoring programme and each peer-learning circle, per department and period.

Pure functions over plain facts the service gathers (like `report.py`, which serves the curator's desk).
Confidentiality is a rule here: the output holds counts, sums, shares, means and day counts, never a note,
a feedback text or any person's words, and no person id (pair and task ids appear, their people do not).
A feedback mean or distribution over fewer than `MIN_RESPONSES_FOR_MEAN` answers is suppressed, since a
distribution of two answers is those two people's ratings.

Definitions (what each figure means) are in the docstrings of the facts and of each function.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import fmean, median
from typing import Any

from mentoring.domain.report import DROP_OUT_END_REASONS, MIN_RESPONSES_FOR_MEAN, ROLES
from shared.errors import Invalid

RATINGS = (1, 2, 3, 4, 5)
NO_DEPARTMENT = "(none)"  # people the directory gave no department
CLASSIC = "classic"


# ----------------------------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Scope:
    """What the reader asked for: one department (of the mentee, or of the member), and a period of intake days."""

    department: str | None = None
    start: date | None = None  # the query's `from`
    end: date | None = None  # the query's `to`; both inclusive

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise Invalid("the period ends before it starts", field="to")

    def in_period(self, day: date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def in_department(self, department: str | None) -> bool:
        return self.department is None or (department or NO_DEPARTMENT) == self.department

    def to_dict(self) -> dict[str, Any]:
        return {
            "department": self.department,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
        }


# ------------------------------------------------------------------------------------------ programme facts


@dataclass(frozen=True)
class Participant:
    """A registered participant; registrations carry no date, so the period does not filter them."""

    person_id: str  # never copied into a report
    role: str  # "mentor" | "mentee"
    department: str | None
    left: bool


@dataclass(frozen=True)
class Mentee:
    person_id: str  # never copied into a report
    department: str | None
    days_to_adapt: int | None = None  # None until a curator or manager recorded the adapted milestone


@dataclass(frozen=True)
class PairRecord:
    pair_id: str
    status: str  # "preparing" | "active" | "ended"
    end_reason: str | None  # "completed" | "left" | "rematch" | "closed"
    formed_on: date
    started_on: date | None  # None for a pair that never started
    ended_on: date | None
    meetings: int  # meetings held
    minutes: int  # their minutes
    goals_set: int
    goals_achieved: int  # goals at 100 %
    ratings: tuple[tuple[str, int], ...]  # (role of whoever answered, 1..5): the final feedback, anonymous
    mentees: tuple[Mentee, ...]

    @property
    def intake_on(self) -> date:
        """The day the pair entered the programme: its start, or its forming if it never started."""
        return self.started_on or self.formed_on

    @property
    def completed(self) -> bool:
        return self.status == "ended" and self.end_reason == "completed"

    @property
    def dropped(self) -> bool:
        """Ended early: someone left or the pair was rematched (as in the curator's report)."""
        return self.status == "ended" and self.end_reason in DROP_OUT_END_REASONS

    def in_department(self, scope: Scope) -> bool:
        """A pair belongs to its mentees' departments: the people a programme develops."""
        return any(scope.in_department(mentee.department) for mentee in self.mentees)


@dataclass(frozen=True)
class ProgrammeFacts:
    programme_id: str
    title: str
    kind: str
    stage: str
    starts: date | None  # the programme's planned start (its terms)
    participants: tuple[Participant, ...]
    pairs: tuple[PairRecord, ...]


# ------------------------------------------------------------------------------------------------ helpers


def _share(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def _mean(values: Sequence[float]) -> float | None:
    return round(fmean(values), 2) if values else None


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _months(first: date, last: date) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _department(value: str | None) -> str:
    return value or NO_DEPARTMENT


def feedback_stats(ratings: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """Responses, mean and distribution 1-5; all but the count hidden below the anonymity threshold.

    Per-role means show only when every role that answered reaches the threshold (else the other role's
    mean is simple arithmetic from the overall one).
    """
    values = [rating for _, rating in ratings]
    shown = len(values) >= MIN_RESPONSES_FOR_MEAN
    counts = Counter(values)
    by_role_values = {role: [rating for who, rating in ratings if who == role] for role in ROLES}
    roles_shown = all(not got or len(got) >= MIN_RESPONSES_FOR_MEAN for got in by_role_values.values())
    return {
        "responses": len(values),
        "mean": _mean(values) if shown else None,
        "suppressed": bool(values) and not shown,
        "distribution": {str(rating): counts[rating] for rating in RATINGS} if shown else None,
        "by_role": {
            role: {
                "responses": len(got),
                "mean": _mean(got) if roles_shown and len(got) >= MIN_RESPONSES_FOR_MEAN else None,
            }
            for role, got in by_role_values.items()
        },
    }


def _adaptation_cohorts(rows: Iterable[tuple[str, int | None]]) -> list[dict[str, Any]]:
    """(cohort, days or None) per newcomer mentee -> one line per cohort, in cohort order."""
    by_cohort: dict[str, list[int | None]] = {}
    for cohort, days in rows:
        by_cohort.setdefault(cohort, []).append(days)
    return [_adaptation_line({"cohort": cohort}, by_cohort[cohort]) for cohort in sorted(by_cohort)]


def _adaptation_line(head: dict[str, Any], days: Sequence[int | None]) -> dict[str, Any]:
    adapted = [value for value in days if value is not None]
    return {
        **head,
        "mentees": len(days),
        "adapted": len(adapted),
        "mean_days": _mean(adapted),
        "median_days": round(float(median(adapted)), 2) if adapted else None,
        "min_days": min(adapted) if adapted else None,
        "max_days": max(adapted) if adapted else None,
    }


# ------------------------------------------------------------------------------------------ programme report


def _pairs_in(facts: ProgrammeFacts, scope: Scope) -> list[PairRecord]:
    return [pair for pair in facts.pairs if scope.in_period(pair.intake_on) and pair.in_department(scope)]


def _newcomers(kind: str, pairs: Sequence[PairRecord], scope: Scope) -> list[tuple[str, int | None]]:
    """(cohort, days to adapt) of each mentee of a started classic pair; cohort = the month their pair started."""
    if kind != CLASSIC:
        return []
    return [
        (_month(pair.started_on), mentee.days_to_adapt)
        for pair in pairs
        if pair.started_on is not None
        for mentee in pair.mentees
        if scope.in_department(mentee.department)
    ]


def _figures(facts: ProgrammeFacts, pairs: Sequence[PairRecord], scope: Scope) -> dict[str, Any]:
    """The figures of one slice (the whole scope, or one department of it)."""
    pairs = [pair for pair in pairs if pair.in_department(scope)]
    participants = [p for p in facts.participants if scope.in_department(p.department)]
    started = [pair for pair in pairs if pair.started_on is not None]
    by_status = Counter(pair.status for pair in pairs)
    goals_set = sum(pair.goals_set for pair in pairs)
    goals_achieved = sum(pair.goals_achieved for pair in pairs)
    completed = sum(1 for pair in pairs if pair.completed)
    newcomers = _newcomers(facts.kind, pairs, scope)
    return {
        "participation": {
            "registered": {role: sum(1 for p in participants if p.role == role) for role in ROLES},
            "pairs": len(pairs),
            "pairs_by_status": {status: by_status[status] for status in ("preparing", "active", "ended")},
            "pairs_started": len(started),
        },
        "completion": {
            "pairs_completed": completed,
            "pairs_ended": by_status["ended"],
            "completed_share": _share(completed, len(pairs)),
        },
        "goals": {"set": goals_set, "achieved": goals_achieved, "achieved_share": _share(goals_achieved, goals_set)},
        "meetings": {
            "held": sum(pair.meetings for pair in started),
            "hours": round(sum(pair.minutes for pair in started) / 60, 2),
            "mean_per_pair": _mean([pair.meetings for pair in started]),
        },
        "feedback": feedback_stats([rating for pair in pairs for rating in pair.ratings]),
        "drop_outs": {
            "participants_left": sum(1 for p in participants if p.left),
            "pairs_dropped": sum(1 for pair in pairs if pair.dropped),
            "pairs_closed": sum(1 for pair in pairs if pair.status == "ended" and pair.end_reason == "closed"),
        },
        "adaptation": _adaptation_line({}, [days for _, days in newcomers]) if facts.kind == CLASSIC else None,
    }


def _departments(facts: ProgrammeFacts, pairs: Sequence[PairRecord], scope: Scope) -> list[str]:
    if scope.department is not None:
        return [scope.department]
    found = {_department(p.department) for p in facts.participants}
    found |= {_department(mentee.department) for pair in pairs for mentee in pair.mentees}
    return sorted(found)


def over_time(pairs: Sequence[PairRecord]) -> list[dict[str, Any]]:
    """Per month, cumulative: pairs that entered (intake day), pairs completed, pairs dropped (by their end day)."""
    days = [pair.intake_on for pair in pairs] + [pair.ended_on for pair in pairs if pair.ended_on is not None]
    if not days:
        return []
    lines = []
    for month in _months(min(days), max(days)):
        lines.append(
            {
                "month": month,
                "pairs": sum(1 for pair in pairs if _month(pair.intake_on) <= month),
                "completed": sum(
                    1 for pair in pairs if pair.completed and pair.ended_on and _month(pair.ended_on) <= month
                ),
                "dropped": sum(
                    1 for pair in pairs if pair.dropped and pair.ended_on and _month(pair.ended_on) <= month
                ),
            }
        )
    return lines


def programme_outcomes(facts: ProgrammeFacts, scope: Scope) -> dict[str, Any]:
    """The programme's report in `scope`: the figures, each department's, per pair, per month, per cohort.

    - a pair is in scope when its intake day is in the period and one of its mentees is in the department;
    - `participation.registered`: participants by role (department filter only: registrations have no date);
    - `completion.completed_share`: pairs ended as completed / pairs in scope;
    - `goals.achieved_share`: goals at 100 % / goals set, over the pairs in scope;
    - `meetings`: over pairs that started; `mean_per_pair` = meetings held / pairs started;
    - `feedback`: the final ratings 1-5 of the pairs' members (see `feedback_stats`);
    - `drop_outs`: participants who left; pairs ended because someone left or by a rematch; pairs a curator closed;
    - `adaptation` (classic programmes): newcomer mentees of started pairs, how many adapted, and days from their
      pair's start to the adapted milestone (mean, median, min, max), overall and per cohort (month the pair started).
    """
    pairs = _pairs_in(facts, scope)
    newcomers = _newcomers(facts.kind, pairs, scope)
    return {
        "programme": {
            "id": facts.programme_id,
            "title": facts.title,
            "kind": facts.kind,
            "stage": facts.stage,
            "starts": facts.starts.isoformat() if facts.starts else None,
        },
        "filters": scope.to_dict(),
        **_figures(facts, pairs, scope),
        "adaptation_by_cohort": _adaptation_cohorts(newcomers) if facts.kind == CLASSIC else [],
        "per_pair": [
            {
                "pair_id": pair.pair_id,
                "status": pair.status,
                "end_reason": pair.end_reason,
                "started_on": pair.started_on.isoformat() if pair.started_on else None,
                "meetings": pair.meetings,
                "hours": round(pair.minutes / 60, 2),
                "goals_set": pair.goals_set,
                "goals_achieved": pair.goals_achieved,
            }
            for pair in sorted(pairs, key=lambda pair: (pair.intake_on, pair.pair_id))
        ],
        "by_department": [
            {"department": department, **_figures(facts, pairs, Scope(department, scope.start, scope.end))}
            for department in _departments(facts, pairs, scope)
        ],
        "over_time": over_time(pairs),
    }


def programmes_overview(programmes: Sequence[ProgrammeFacts], scope: Scope) -> dict[str, Any]:
    """Every programme in the reader's reach, one summary line each, and time to adapt across cohorts.

    The cohort comparison pools the newcomers of every classic programme listed, by the month their pair started.
    """
    lines, newcomers = [], []
    for facts in sorted(programmes, key=lambda p: (p.starts or date.min, p.title, p.programme_id)):
        pairs = _pairs_in(facts, scope)
        figures = _figures(facts, pairs, scope)
        newcomers += _newcomers(facts.kind, pairs, scope)
        adaptation = figures["adaptation"] or {}
        lines.append(
            {
                "programme_id": facts.programme_id,
                "title": facts.title,
                "kind": facts.kind,
                "stage": facts.stage,
                "starts": facts.starts.isoformat() if facts.starts else None,
                "mentors": figures["participation"]["registered"]["mentor"],
                "mentees": figures["participation"]["registered"]["mentee"],
                "pairs": figures["participation"]["pairs"],
                "pairs_completed": figures["completion"]["pairs_completed"],
                "completed_share": figures["completion"]["completed_share"],
                "goals_set": figures["goals"]["set"],
                "goals_achieved": figures["goals"]["achieved"],
                "meetings_per_pair": figures["meetings"]["mean_per_pair"],
                "feedback_responses": figures["feedback"]["responses"],
                "feedback_mean": figures["feedback"]["mean"],
                "participants_left": figures["drop_outs"]["participants_left"],
                "pairs_dropped": figures["drop_outs"]["pairs_dropped"],
                "adapted": adaptation.get("adapted"),
                "mean_days_to_adapt": adaptation.get("mean_days"),
            }
        )
    return {"filters": scope.to_dict(), "programmes": lines, "adaptation_by_cohort": _adaptation_cohorts(newcomers)}


OVERVIEW_COLUMNS = (
    "programme_id",
    "title",
    "kind",
    "stage",
    "starts",
    "mentors",
    "mentees",
    "pairs",
    "pairs_completed",
    "completed_share",
    "goals_set",
    "goals_achieved",
    "meetings_per_pair",
    "feedback_responses",
    "feedback_mean",
    "participants_left",
    "pairs_dropped",
    "adapted",
    "mean_days_to_adapt",
)


# -------------------------------------------------------------------------------------------- circle facts


@dataclass(frozen=True)
class CircleMember:
    """Anyone who was ever a member; `left` once they left (their last known role and department)."""

    person_id: str  # never copied into a report
    role: str
    department: str | None
    joined_on: date
    left: bool


@dataclass(frozen=True)
class TaskRecord:
    task_id: str
    published_on: date
    closed_on: date | None
    solution_departments: tuple[str | None, ...]  # one per published solution: its author's department
    checks: tuple[tuple[str | None, bool], ...]  # per person checked, their department and latest verdict
    comments: int  # shown comments; circle-wide: an anonymous comment is never tied to a department
    helpful_marks: int
    reflections: int


@dataclass(frozen=True)
class CircleFacts:
    circle_id: str
    topic: str
    members: tuple[CircleMember, ...]
    tasks: tuple[TaskRecord, ...]


def circle_outcomes(facts: CircleFacts, scope: Scope) -> dict[str, Any]:
    """A circle's report in `scope`.

    - members in scope: joined in the period, of the department; `members` counts those still in, `left`
      those who left (drop-outs); `by_role` counts current members by their circle role;
    - tasks in scope: published in the period; `completion.closed_share` = tasks closed / tasks published;
      `solutions_per_task` = published solutions (by authors of the department) / tasks;
    - `checks` (the circle's goals): people whose latest practical check on a task passed, out of those checked;
    - `feedback`: helpful marks and comments (circle-wide), reflections written, and the distribution of
      practical-check verdicts (passed / not passed).
    """
    members = [m for m in facts.members if scope.in_period(m.joined_on) and scope.in_department(m.department)]
    current = [m for m in members if not m.left]
    tasks = [t for t in facts.tasks if scope.in_period(t.published_on)]
    solutions = [t for t in tasks for d in t.solution_departments if scope.in_department(d)]
    verdicts = [passed for t in tasks for d, passed in t.checks if scope.in_department(d)]
    closed = sum(1 for t in tasks if t.closed_on is not None)
    roles = Counter(m.role for m in current)
    passed = sum(1 for verdict in verdicts if verdict)
    return {
        "circle": {"id": facts.circle_id, "topic": facts.topic},
        "filters": scope.to_dict(),
        "participation": {
            "members": len(current),
            "joined": len(members),
            "by_role": dict(sorted(roles.items())),
        },
        "completion": {
            "tasks_published": len(tasks),
            "tasks_closed": closed,
            "closed_share": _share(closed, len(tasks)),
            "solutions": len(solutions),
            "solutions_per_task": round(len(solutions) / len(tasks), 2) if tasks else None,
        },
        "checks": {"checked": len(verdicts), "passed": passed, "passed_share": _share(passed, len(verdicts))},
        "feedback": {
            "comments": sum(t.comments for t in tasks),
            "helpful_marks": sum(t.helpful_marks for t in tasks),
            "reflections": sum(t.reflections for t in tasks),
            "check_distribution": {"passed": passed, "not_passed": len(verdicts) - passed},
        },
        "drop_outs": {"members_left": len(members) - len(current)},
        "per_task": [
            {
                "task_id": t.task_id,
                "published_on": t.published_on.isoformat(),
                "closed": t.closed_on is not None,
                "solutions": sum(1 for d in t.solution_departments if scope.in_department(d)),
                "checks_passed": sum(1 for d, ok in t.checks if ok and scope.in_department(d)),
                "checks_not_passed": sum(1 for d, ok in t.checks if not ok and scope.in_department(d)),
            }
            for t in sorted(tasks, key=lambda t: (t.published_on, t.task_id))
        ],
        "by_department": [
            {
                "department": department,
                "members": sum(1 for m in current if _department(m.department) == department),
                "left": sum(1 for m in members if m.left and _department(m.department) == department),
            }
            for department in sorted({_department(m.department) for m in members})
        ],
        "over_time": _circle_over_time(members, tasks),
    }


def _circle_over_time(members: Sequence[CircleMember], tasks: Sequence[TaskRecord]) -> list[dict[str, Any]]:
    """Per month, cumulative: members who joined, tasks published, tasks closed."""
    days = [m.joined_on for m in members] + [t.published_on for t in tasks]
    days += [t.closed_on for t in tasks if t.closed_on is not None]
    if not days:
        return []
    return [
        {
            "month": month,
            "members_joined": sum(1 for m in members if _month(m.joined_on) <= month),
            "tasks_published": sum(1 for t in tasks if _month(t.published_on) <= month),
            "tasks_closed": sum(1 for t in tasks if t.closed_on is not None and _month(t.closed_on) <= month),
        }
        for month in _months(min(days), max(days))
    ]


# ------------------------------------------------------------------------------------------------- flat rows


def flatten(report: dict[str, Any]) -> list[dict[str, Any]]:
    """A nested report as (metric, value) rows for CSV: lists of lines are keyed by their first field's value.

    E.g. `meetings.mean_per_pair`, `per_pair.<pair id>.meetings`, `adaptation_by_cohort.2026-03.mean_days`.
    """
    rows: list[dict[str, Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            for line in value:
                if isinstance(line, dict) and line:
                    first = next(iter(line))
                    rest = {k: v for k, v in line.items() if k != first}
                    walk(f"{prefix}.{line[first]}", rest)
        else:
            rows.append({"metric": prefix, "value": value})

    walk("", report)
    return rows
