"""View logic of the mentoring, circle and moderation pages, worked out from the mentoring service's answers."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def words(text: str, limit: int = 10) -> list[str]:
    """Comma-separated words as typed ("SQL, 1C ,, tests") -> ["SQL", "1C", "tests"], at most `limit`."""
    return [part.strip() for part in text.split(",") if part.strip()][:limit]


def role_in_pair(pair: Mapping[str, Any], person_id: str) -> str | None:
    """mentor, mentee, or None (a curator looking at the pair)."""
    if pair.get("mentor_id") == person_id:
        return "mentor"
    if person_id in pair.get("mentee_ids", []):
        return "mentee"
    return None


def shown_author(comment: Mapping[str, Any], names: Mapping[str, str]) -> tuple[bool, str]:
    """(anonymous, what to show). An anonymous comment shows the service's pseudonym and nothing else:
    never looked up in the directory, whoever reads it."""
    author = str(comment.get("author", ""))
    if comment.get("anonymous"):
        return True, author
    return False, names.get(author, author)


def my_solution(task: Mapping[str, Any], person_id: str) -> Mapping[str, Any] | None:
    """The reader's own solution to a task, if they have started one."""
    return next((s for s in task.get("solutions", []) if s.get("author_id") == person_id), None)


def latest_text(solution: Mapping[str, Any]) -> str:
    versions = solution.get("versions") or []
    return str(versions[-1].get("text", "")) if versions else ""


def named_people(task: Mapping[str, Any]) -> set[str]:
    """Whose names a task page may look up: solution authors and the authors of comments not anonymous."""
    people = {str(task.get("published_by", ""))} - {""}
    for solution in task.get("solutions", []):
        people.add(str(solution.get("author_id", "")))
        people |= {str(c["author"]) for c in solution.get("comments", []) if not c.get("anonymous")}
    return people - {""}


def pair_people(proposal: Mapping[str, Any]) -> set[str]:
    """Everyone a matching proposal names: mentors, mentees and the unmatched."""
    people = {str(u["person_id"]) for u in proposal.get("unmatched", [])}
    for pair in proposal.get("pairs", []):
        people.add(str(pair["mentor_id"]))
        people |= {str(mentee) for mentee in pair.get("mentee_ids", [])}
    return people


def health(line: Mapping[str, Any]) -> str:
    """The pair health board's verdict: ended, at_risk or healthy."""
    if line.get("status") == "ended":
        return "ended"
    return "at_risk" if line.get("at_risk") else "healthy"


FEEDBACK_STAGES = ("closing", "closed")
"""Programme stages in which the service takes a pair's final feedback."""


def meeting_start(local: str, zone: str) -> str:
    """A meeting's start as typed in a datetime-local field, in the named time zone, as ISO text with the offset.

    ValueError names the field at fault ("starts_at" or "time_zone") so the page can show it beside it.
    """
    try:
        tz = ZoneInfo(zone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("time_zone") from None
    try:
        moment = datetime.fromisoformat(local.strip())
    except ValueError:
        raise ValueError("starts_at") from None
    return moment.replace(tzinfo=tz).isoformat()


def planned(meeting: Mapping[str, Any]) -> bool:
    """Scheduled and not yet logged as held: the pair may log it (with notes) under its own id."""
    return bool(meeting.get("scheduled_for")) and not meeting.get("held_on")
