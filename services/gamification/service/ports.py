"""What the gamification use cases need from the outside world."""

from typing import Any, Protocol

from gamification.domain.ledger import LedgerEntry
from shared.persistence.people import PersonCopy


class Ledger(Protocol):
    async def append(self, entry: LedgerEntry) -> bool:
        """Record the entry and its PointsAwarded event; False if this entry id was recorded before."""
        ...

    async def balance(self, person_id: str) -> int: ...

    async def entries(self, person_id: str, limit: int, offset: int) -> list[LedgerEntry]: ...

    async def reattribute(self, person_id: str, replacement: str) -> int:
        """Give every entry of `person_id`, and the event in its outbox, to `replacement`; how many moved.

        Points, rules and outbox state stay as they are, so totals keep their sums. May scan: erasure is rare.
        """
        ...


class People(Protocol):
    """This service's copy of the directory (`shared.persistence.people.DirectoryCopy` in production)."""

    async def get(self, person_id: str) -> PersonCopy | None: ...

    async def export(self, person_id: str) -> dict[str, Any] | None:
        """The profile fields held on the person; None if unknown or erased."""
        ...

    async def apply_erased(self, person_id: str) -> None:
        """Leave a tombstone holding nothing but the id, so a replayed upsert cannot bring the person back."""
        ...
