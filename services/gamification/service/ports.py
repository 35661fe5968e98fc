"""What the gamification use cases need from the outside world."""

from collections.abc import AsyncIterator, Collection
from datetime import datetime
from typing import Any, Protocol

from gamification.domain.engine import PastEntry, RuleSet
from gamification.domain.ledger import Deed, LedgerEntry
from shared.persistence.people import PersonCopy


class Ledger(Protocol):
    async def append(self, entry: LedgerEntry) -> bool:
        """Record the entry and its PointsAwarded event; False if this entry id was recorded before."""
        ...

    async def balance(self, person_id: str) -> int: ...

    async def awarded_since(self, rule: str, person_id: str, since: datetime) -> list[datetime]:
        """When the person was awarded under the rule since `since` (corrections left out)."""
        ...

    async def entries_about(self, rule: str, subject: str, person_id: str) -> list[PastEntry]:
        """The person's entries under the rule about `subject`, marked reversed where a correction stands."""
        ...

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


class Rules(Protocol):
    async def current(self) -> tuple[RuleSet, int]:
        """The rule set and the store version it was read at."""
        ...

    async def in_force(self) -> RuleSet:
        """The rule set to price with (may be a few seconds old)."""
        ...

    async def save(self, ruleset: RuleSet, stored_version: int) -> None:
        """Store the set with its change events; ConcurrencyConflict if the store version moved."""
        ...


class Deeds(Protocol):
    """Every priceable event as it arrived (`adapters.deeds.MongoDeeds`), for replays and monthly titles."""

    async def record(self, deed: Deed) -> bool:
        """Keep the deed; False if its event was stored before."""
        ...

    async def of_types(
        self, types: Collection[str], since: datetime | None = None, until: datetime | None = None
    ) -> list[Deed]:
        """The deeds of these event types that happened in [since, until), oldest first."""
        ...

    def every(self) -> AsyncIterator[Deed]:
        """Every deed stored, in no particular order."""
        ...

    async def reattribute(self, person_id: str, replacement: str) -> int:
        """Erasure: mentions of the person name `replacement` instead; how many deeds changed."""
        ...
