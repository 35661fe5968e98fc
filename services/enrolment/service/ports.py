"""What the use cases need from the outside world."""

import builtins
from datetime import datetime
from typing import Any, Protocol

from enrolment.domain.model import Course
from shared.persistence.people import PersonCopy


class CourseRepository(Protocol):
    async def get(self, course_id: str) -> tuple[Course, int] | None:
        """The course and the version it was loaded at."""
        ...

    async def save(self, course: Course, expected_version: int) -> None:
        """Store the course with the events it recorded; ConcurrencyConflict if the version moved."""
        ...

    async def search(
        self,
        now: datetime,
        *,
        text: str | None = None,
        competency: str | None = None,
        language: str | None = None,
        status: str | None = None,
        statuses: tuple[str, ...] = ("approved",),
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[builtins.list[dict[str, Any]], int]:
        """Catalogue cards matching the filters, each with its `catalogue_status` at `now`; and the total."""
        ...

    async def with_offers_due(self, now: datetime) -> builtins.list[str]:
        """Ids of courses holding a seat offer whose deadline has passed."""
        ...

    async def forget_ended_offers(self, course: Course, now: datetime) -> None:
        """Stop remembering deadlines that passed of offers the course no longer holds."""
        ...

    async def involving(self, person_id: str) -> builtins.list[str]:
        """Ids of the courses whose state or history names the person (a scan: privacy requests only)."""
        ...

    async def erase_from_history(self, course_id: str, person_id: str, replacement: str, through_version: int) -> int:
        """Put `replacement` for the person in versions 1..through_version; how many versions changed.

        Only the recorded state and event payloads change, never whether an event is published yet.
        """
        ...


class People(Protocol):
    """This service's copy of the employee directory."""

    async def get(self, person_id: str) -> PersonCopy | None:
        """What the directory told us of the person (locale, department, time zone, manager)."""
        ...

    async def is_blocked(self, person_id: str) -> bool:
        """True if the directory deactivated or erased the person; unknown people are not blocked."""
        ...

    async def export(self, person_id: str) -> dict[str, Any] | None:
        """The profile fields kept on the person, or None if none are (unknown or erased)."""
        ...

    async def apply_erased(self, person_id: str) -> None:
        """Keep nothing on the person but a tombstone, which also blocks them from now on."""
        ...


class Erasures(Protocol):
    """Erasures under way, so an interrupted one resumes with the stand-in id it had chosen."""

    async def begin(self, person_id: str, replacement: str) -> str:
        """The stand-in to use: the one of an unfinished erasure of this person, else `replacement`."""
        ...

    async def finish(self, person_id: str) -> None:
        """Forget the erasure (and with it the last link between the person and the stand-in)."""
        ...
