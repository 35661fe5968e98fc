"""What the use cases need from the outside world."""

from typing import Protocol

from mentoring.domain.model import Programme


class ProgrammeRepository(Protocol):
    async def get(self, programme_id: str) -> tuple[Programme, int] | None:
        """The programme and the version it was loaded at."""
        ...

    async def save(self, programme: Programme, expected_version: int) -> None:
        """Store the programme with the events it recorded; ConcurrencyConflict if the version moved."""
        ...
