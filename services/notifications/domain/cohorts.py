"""Cohorts as notifications sees them (schedule, members, calendar sequence) and the reminders they call for."""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Cohort:
    cohort_id: str
    course_id: str | None = None
    course_title: str | None = None
    time_zone: str | None = None
    session_starts: tuple[datetime, ...] = ()
    members: tuple[str, ...] = ()
    sequence: int = 0
    """Raised on every change of the schedule: the calendar invitation's SEQUENCE."""
    trainer_id: str | None = None

    def scheduled(
        self, course_id: str, time_zone: str, session_starts: Sequence[datetime], trainer_id: str | None = None
    ) -> "Cohort":
        changed = tuple(session_starts) != self.session_starts
        return replace(
            self,
            trainer_id=trainer_id or self.trainer_id,
            course_id=course_id,
            time_zone=time_zone,
            session_starts=tuple(session_starts),
            sequence=self.sequence + (1 if changed and self.session_starts else 0),
        )

    def joined(self, person_id: str, course_id: str, course_title: str) -> "Cohort":
        members = self.members if person_id in self.members else (*self.members, person_id)
        return replace(self, members=members, course_id=course_id, course_title=course_title)

    def left(self, person_id: str) -> "Cohort":
        return replace(self, members=tuple(member for member in self.members if member != person_id))

    def moved(self, session_number: int, starts_at: datetime) -> "Cohort":
        """Session `session_number` (1-based) now starts at `starts_at`; the sequence goes up if that is news."""
        starts = list(self.session_starts)
        while len(starts) < session_number:
            starts.append(starts_at)
        if starts[session_number - 1] == starts_at and len(starts) == len(self.session_starts):
            return self
        starts[session_number - 1] = starts_at
        return replace(self, session_starts=tuple(starts), sequence=self.sequence + 1)


@dataclass(frozen=True)
class Reminder:
    id: str
    """Derived from what it reminds of and when that is: a moved session gets a new reminder."""
    kind: str
    """"session" or "homework"."""
    cohort_id: str
    at: datetime
    params: dict[str, object] = field(default_factory=dict)


def session_reminders(cohort: Cohort, leads: Sequence[timedelta], now: datetime) -> list[Reminder]:
    """A reminder `lead` before every session still ahead (one whose reminder time has passed gets none)."""
    reminders = []
    for number, starts_at in enumerate(cohort.session_starts, start=1):
        for lead in leads:
            at = starts_at - lead
            if at > now:
                hours = int(lead.total_seconds() // 3600)
                reminders.append(
                    Reminder(
                        id=f"session:{cohort.cohort_id}:{number}:{starts_at.isoformat()}:{hours}h",
                        kind="session",
                        cohort_id=cohort.cohort_id,
                        at=at,
                        params={"session_number": number, "starts_at": starts_at.isoformat(), "hours": hours},
                    )
                )
    return reminders


def still_current(reminder: Reminder, cohort: Cohort) -> bool:
    """A session reminder whose session has since moved is dropped (the move planned a new one)."""
    if reminder.kind != "session":
        return True
    number = int(str(reminder.params["session_number"]))
    starts = cohort.session_starts
    return number <= len(starts) and starts[number - 1].isoformat() == reminder.params["starts_at"]


def homework_reminder(
    cohort_id: str, homework_id: str, session_number: int, due_at: datetime, lead: timedelta, now: datetime
) -> Reminder | None:
    at = due_at - lead
    if at <= now:
        return None
    return Reminder(
        id=f"homework:{homework_id}:{due_at.isoformat()}",
        kind="homework",
        cohort_id=cohort_id,
        at=at,
        params={"homework_id": homework_id, "session_number": session_number, "due_at": due_at.isoformat()},
    )
