"""What the use cases need from the outside world."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from mentoring.domain.brainstorm import Brainstorm
from mentoring.domain.channel import Post
from mentoring.domain.circle import Circle
from mentoring.domain.coffee_round import CoffeeRound
from mentoring.domain.concern import Concern
from mentoring.domain.flag import Flag
from mentoring.domain.internship import Internship, Partner, Placement
from mentoring.domain.knowledge import KnowledgeItem
from mentoring.domain.library import LibraryEntry
from mentoring.domain.pair import Pair
from mentoring.domain.programme import Programme
from mentoring.domain.task import Task
from shared.persistence.people import PersonCopy
from shared.privacy.anonymity import Pseudonymizer

A = TypeVar("A")


class Repository(Protocol[A]):
    """One kind of aggregate, versioned: a save whose version moved raises ConcurrencyConflict."""

    async def get(self, aggregate_id: str) -> tuple[A, int] | None:
        """The aggregate and the version it was loaded at."""
        ...

    async def save(self, aggregate: A, expected_version: int) -> None:
        """Store the aggregate with the events it recorded; ConcurrencyConflict if the version moved."""
        ...

    async def all_ids(self, **equal: Any) -> list[str]:
        """Ids of those whose newest state has these field values (a scan: periodic jobs only)."""
        ...

    async def involving(self, person_id: str) -> list[str]:
        """Ids of those whose state or history names the person (a scan: privacy requests only)."""
        ...

    async def naming(self, person_id: str, *fields: str) -> list[A]:
        """Those whose newest state has the person in one of these fields (a scan: one person's page at most)."""
        ...

    async def erase_from_history(
        self, aggregate_id: str, person_id: str, replacement: str, through_version: int
    ) -> int:
        """Put `replacement` for the person in versions 1..through_version; how many versions changed.

        Only the recorded state and event payloads change, never whether an event is published yet.
        """
        ...


class People(Protocol):
    """This service's copy of the employee directory."""

    async def get(self, person_id: str) -> PersonCopy | None: ...

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


class Sealer(Protocol):
    """Seals what only its readers may see (meeting notes, check-in answers, concerns) under a context."""

    def seal(self, plaintext: str, context: str) -> str: ...

    def open(self, token: str, context: str) -> str: ...


class Audit(Protocol):
    """The service's audit log of privileged actions (reveals, exports, erasures)."""

    async def record(
        self,
        action: str,
        actor_id: str,
        subject_id: str,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
        entry_id: str | None = None,
    ) -> Any: ...


@dataclass
class Ports:
    """Everything a mentoring use case may touch, injected by the bootstrap (fakes in unit tests)."""

    programmes: Repository[Programme]
    pairs: Repository[Pair]
    concerns: Repository[Concern]
    posts: Repository[Post]
    people: People
    erasures: Erasures
    sealer: Sealer
    clock: Callable[[], datetime]
    circles: Repository[Circle]
    tasks: Repository[Task]
    flags: Repository[Flag]
    library: Repository[LibraryEntry]
    coffee: Repository[CoffeeRound]
    pseudonyms: Pseudonymizer
    audit: Audit
    knowledge: "Repository[KnowledgeItem] | None" = None
    """The knowledge base's items (owners and reviewers are people an erasure replaces)."""
    brainstorms: "Repository[Brainstorm] | None" = None
    """The circles' collective brainstorms (facilitators, idea authors, voters and owners are people)."""
    partners: "Repository[Partner] | None" = None
    """Partner organisations and outside training centres an admin registered (the registering admin is a person)."""
    placements: "Repository[Placement] | None" = None
    """Exchange placements units offer (the host and whoever offered are people)."""
    internships: "Repository[Internship] | None" = None
    """Exchange internships (guest, host and the guest's manager are people)."""
