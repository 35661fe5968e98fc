"""In-memory stand-ins for the ports: an append-only ledger and a copy of the directory."""

from datetime import datetime
from typing import Any

from gamification.domain.engine import PastEntry, RuleSet, starting_rule_set
from gamification.domain.ledger import LedgerEntry
from shared.concurrency import ConcurrencyConflict
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

    async def awarded_since(self, rule: str, person_id: str, since: datetime) -> list[datetime]:
        return [
            e.awarded_at
            for e in self.recorded
            if (e.rule, e.person_id) == (rule, person_id) and e.awarded_at >= since and e.reverses is None
        ]

    async def entries_about(self, rule: str, subject: str, person_id: str) -> list[PastEntry]:
        mine = [e for e in self.recorded if (e.person_id, e.subject) == (person_id, subject)]

        def cancelled(entry_id: str) -> bool:
            return any(e.reverses == entry_id and not cancelled(e.id) for e in mine)

        return [PastEntry(e.id, e.points, cancelled(e.id)) for e in mine if e.rule == rule]

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


class InMemoryRules:
    """The rule set store: versioned like the real one, seeded with the starting rules."""

    def __init__(self, ruleset: RuleSet | None = None) -> None:
        self.ruleset = ruleset or starting_rule_set()
        self.stored = 1
        self.changes: list[Any] = []

    async def current(self) -> tuple[RuleSet, int]:
        return self.ruleset, self.stored

    async def in_force(self) -> RuleSet:
        return self.ruleset

    async def save(self, ruleset: RuleSet, stored_version: int) -> None:
        if stored_version != self.stored:
            raise ConcurrencyConflict("the rule set moved")
        self.ruleset, self.stored = RuleSet.from_state(ruleset.to_state()), self.stored + 1
        self.changes.extend(ruleset.events[len(self.changes) :])
