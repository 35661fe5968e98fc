"""What the use cases need from the outside world."""

from typing import Any, Protocol

from mentoring.domain.model import Programme


class ProgrammeRepository(Protocol):
    async def get(self, programme_id: str) -> tuple[Programme, int] | None:
        """The programme and the version it was loaded at."""
        ...

    async def save(self, programme: Programme, expected_version: int) -> None:
        """Store the programme with the events it recorded; ConcurrencyConflict if the version moved."""
        ...

    async def involving(self, person_id: str) -> list[str]:
        """Ids of the programmes whose state or history names the person (a scan: privacy requests only)."""
        ...

    async def erase_from_history(
        self, programme_id: str, person_id: str, replacement: str, through_version: int
    ) -> int:
        """Put `replacement` for the person in versions 1..through_version; how many versions changed.

        Only the recorded state and event payloads change, never whether an event is published yet.
        """
        ...


class People(Protocol):
    """This service's copy of the employee directory."""

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
