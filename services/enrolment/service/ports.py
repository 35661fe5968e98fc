"""What the use cases need from the outside world."""

from typing import Protocol

from enrolment.domain.model import Course


class CourseRepository(Protocol):
    async def get(self, course_id: str) -> tuple[Course, int] | None:
        """The course and the version it was loaded at."""
        ...

    async def save(self, course: Course, expected_version: int) -> None:
        """Store the course with the events it recorded; ConcurrencyConflict if the version moved."""
        ...

    async def list(self, limit: int, offset: int) -> list[Course]: ...
