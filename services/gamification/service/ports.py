"""What the gamification use cases need from the outside world."""

from typing import Protocol

from gamification.domain.ledger import LedgerEntry


class Ledger(Protocol):
    async def append(self, entry: LedgerEntry) -> bool:
        """Record the entry and its PointsAwarded event; False if this entry id was recorded before."""
        ...

    async def balance(self, person_id: str) -> int: ...

    async def entries(self, person_id: str, limit: int, offset: int) -> list[LedgerEntry]: ...
