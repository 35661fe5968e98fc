"""In-memory stand-ins for the ports: an append-only ledger and a copy of the directory."""

from typing import Any

from gamification.domain.ledger import LedgerEntry
from shared.persistence.people import PersonCopy


class InMemoryLedger:
    """Append-only: an entry id is recorded at most once."""

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

    async def reattribute(self, person_id: str, replacement: str) -> int:
        moved = 0
        for index, entry in enumerate(self.recorded):
            if entry.person_id == person_id:
                self.recorded[index] = entry.attributed_to(replacement)
                moved += 1
        return moved


class InMemoryPeople:
    """The directory copy as the shared `DirectoryCopy` keeps it: profiles, and tombstones once erased."""

    def __init__(self) -> None:
        self.copies: dict[str, PersonCopy] = {}
        self.tombstones_written = 0

    def upsert(self, person_id: str, **fields: Any) -> None:
        """What a PersonUpsertedV1 from the directory leaves behind."""
        self.copies[person_id] = PersonCopy(person_id, active=True, erased=False, fields=fields)

    async def get(self, person_id: str) -> PersonCopy | None:
        return self.copies.get(person_id)

    async def export(self, person_id: str) -> dict[str, Any] | None:
        found = self.copies.get(person_id)
        if found is None or found.erased:
            return None
        return {"active": found.active, "erased": False, **found.fields}

    async def apply_erased(self, person_id: str) -> None:
        self.copies[person_id] = PersonCopy(person_id, active=False, erased=True, fields={})
        self.tombstones_written += 1
