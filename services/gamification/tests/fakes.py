"""An in-memory ledger: append-only, an entry id is recorded at most once."""

from gamification.domain.ledger import LedgerEntry


class InMemoryLedger:
    def __init__(self) -> None:
        self.recorded: list[LedgerEntry] = []

    async def append(self, entry: LedgerEntry) -> bool:
        if any(known.id == entry.id for known in self.recorded):
            return False
        self.recorded.append(entry)
        return True

    async def balance(self, person_id: str) -> int:
        return sum(entry.points for entry in self.recorded if entry.person_id == person_id)

    async def entries(self, person_id: str, limit: int, offset: int) -> list[LedgerEntry]:
        mine = [entry for entry in reversed(self.recorded) if entry.person_id == person_id]  # newest first
        return mine[offset : offset + limit]
