"""What the gamification use cases need from the outside world."""

from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from gamification.domain.badges import Badge, BadgeAward, Progress
from gamification.domain.engine import PastEntry, RuleSet
from gamification.domain.leaderboard import Member
from gamification.domain.ledger import Deed, LedgerEntry
from gamification.domain.recalculation import Recalculation
from gamification.domain.replay import Totals
from gamification.domain.rings import Ring, Withheld
from gamification.domain.standing import Credit, Standing
from gamification.domain.titles import ExpertTitle, Scope
from shared.persistence.people import PersonCopy


class Ledger(Protocol):
    async def append(self, entry: LedgerEntry) -> bool:
        """Record the entry and its PointsAwarded event; False if this entry id was recorded before."""
        ...

    async def append_many(
        self, entries: Sequence[LedgerEntry], correlation_ids: Mapping[str, str | None]
    ) -> list[LedgerEntry]:
        """Record entries of rules without limits and their events, in one write; those not recorded before.

        Each event carries the correlation id `correlation_ids` names for its cause event id.
        """
        ...

    async def balance(self, person_id: str) -> int: ...

    async def awarded_since(self, rule: str, person_id: str, since: datetime) -> list[datetime]:
        """When the person was awarded under the rule since `since` (corrections left out); by key, never a scan."""
        ...

    async def append_limited(
        self, entry: LedgerEntry, fits: Callable[[list[datetime]], bool], window: timedelta
    ) -> bool:
        """Record an entry of a capped or cooled-down rule if `fits` still holds for the person's awards under
        that rule in the `window` before it, claimed exclusively against concurrent awards (so two deeds priced
        at once cannot both take the last place under a cap). False if recorded before or it no longer fits.
        """
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

    async def totals(self, before: datetime | None = None) -> dict[str, Totals]:
        """Every person's points, public and restricted apart, from the entries awarded before `before` (all if None).

        May scan the ledger: a recalculation is a rare admin operation.
        """
        ...


class People(Protocol):
    """This service's copy of the directory (`shared.persistence.people.DirectoryCopy` in production)."""

    async def get(self, person_id: str) -> PersonCopy | None: ...

    async def get_many(self, person_ids: Iterable[str]) -> dict[str, PersonCopy]:
        """The copies of those the directory told us about, by id."""
        ...

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

    async def record_many(self, deeds: Sequence[Deed]) -> set[str]:
        """Keep the deeds in one write; the event ids of those not stored before."""
        ...

    async def get(self, event_id: str) -> Deed | None:
        """The deed as stored (by _id)."""
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


class Titles(Protocol):
    """Expert of the month decisions (`adapters.titles.MongoTitles`), one per counted month and scope."""

    async def name(self, title: ExpertTitle) -> bool:
        """Record the decision and its ExpertOfTheMonthNamed event; False if this title id was decided before."""
        ...

    async def held(
        self, title_month: str, scope: Scope | None = None, scope_id: str | None = None
    ) -> list[ExpertTitle]:
        """The titles held in `title_month`, by scope and scope id."""
        ...

    async def month_settled(self, counted_month: str) -> bool:
        """True once every decision of the counted month has been recorded."""
        ...

    async def settle(self, counted_month: str) -> None:
        """Remember that every decision of the counted month is recorded (safe to call twice)."""
        ...

    async def reattribute(self, person_id: str, replacement: str) -> int:
        """Erasure: the person's titles, and the events in their outbox, name `replacement`; how many moved."""
        ...

    async def of_person(self, person_id: str) -> list[ExpertTitle]:
        """Every title the person was given (a subject access request; may scan)."""
        ...


class BadgeAwards(Protocol):
    """Badges awarded (`adapters.badges.MongoBadges`): one document per award id, carrying its event."""

    async def record(self, award: BadgeAward) -> bool:
        """Record the award and its BadgeAwarded event; False if this award id was recorded before."""
        ...

    async def get(self, award_id: str) -> BadgeAward | None: ...

    async def of_person(self, person_id: str) -> list[BadgeAward]:
        """The person's awards, newest first."""
        ...

    async def reattribute(self, person_id: str, replacement: str) -> int:
        """Erasure: the person's awards and their events go to `replacement`, their progress is dropped."""
        ...


class BadgeProgress(Protocol):
    """Progress toward threshold badges, one versioned aggregate per (badge, person)."""

    async def load(self, badge: Badge, person_id: str) -> tuple[Progress, int]:
        """The progress (empty if none yet) and the store version it was read at (0 if none)."""
        ...

    async def save(self, progress: Progress, stored_version: int) -> None:
        """Store the progress; ConcurrencyConflict if the store version moved."""
        ...


class Badges(BadgeAwards, BadgeProgress, Protocol):
    """One store keeping both awards and progress (`adapters.badges.MongoBadges`)."""


class CredentialSigner(Protocol):
    """Signs Open Badges credentials with the issuer's key (`adapters.signing.IssuerKey`)."""

    async def sign(self, claims: dict[str, Any]) -> str:
        """The claims as a compact JWS."""
        ...

    async def jwks(self) -> dict[str, Any]:
        """The public key(s) verifiers check signatures with, as a JWK set."""
        ...


class Recalculations(Protocol):
    """Recalculations dry-run by admins (`adapters.recalculations.MongoRecalculations`)."""

    async def add(self, recalculation: Recalculation) -> None: ...

    async def get(self, recalculation_id: str) -> Recalculation | None: ...

    async def claim(self, ruleset_version: int, recalculation_id: str) -> str:
        """Make this the one recalculation applied under `ruleset_version`; returns the one that is (maybe another).

        Exclusive (a unique key): two dry runs under one version must not both compensate the same differences.
        """
        ...

    async def mark_applied(self, recalculation: Recalculation) -> None:
        """Store the applied recalculation with its RecalculationApplied event (safe to repeat)."""
        ...


class Erasures(Protocol):
    """Erasures under way, so an interrupted one resumes with the stand-in id it had chosen."""

    async def begin(self, person_id: str, replacement: str) -> str:
        """The stand-in to use: the one of an unfinished erasure of this person, else `replacement`."""
        ...

    async def finish(self, person_id: str) -> None:
        """Forget the erasure (and with it the last link between the person and the stand-in)."""
        ...


class Rings(Protocol):
    """Reciprocal rings flagged for moderators (`adapters.rings.MongoRings`) and the credits they withhold."""

    async def load(self, ring_id: str) -> tuple[Ring, int] | None:
        """The ring and its stored version, read fresh."""
        ...

    async def flag(self, ring: Ring) -> bool:
        """Store a new ring with its RingFlagged event; False if this ring id was flagged before."""
        ...

    async def save(self, ring: Ring, stored_version: int, announce: bool) -> None:
        """Store the ring's new state (with its RingDecided event if `announce`); ConcurrencyConflict if it moved."""
        ...

    async def all(self) -> list[Ring]:
        """Every ring, by circle and pair (few: this may read them one by one)."""
        ...

    async def flagged(self) -> list[Ring]:
        """The rings awaiting a decision; may be a few seconds old."""
        ...

    async def record_hold(self, withheld: Withheld) -> None:
        """Remember a hold entry before it enters the ledger (safe to call twice)."""
        ...

    async def holds_of(self, ring_id: str) -> list[Withheld]: ...

    async def park(self, withheld: Withheld) -> bool:
        """Keep a credit out of the ledger under the ring; False if it was parked before."""
        ...

    async def parked_of(self, ring_id: str) -> list[Withheld]: ...

    async def is_parked(self, entry_id: str) -> bool: ...


class Audit(Protocol):
    """The service's log of privileged actions (`shared.audit.AuditLog`)."""

    async def record(
        self,
        action: str,
        actor_id: str,
        subject_id: str,
        reason: str | None = None,
        details: Any = None,
        entry_id: str | None = None,
    ) -> Any: ...


class Standings(Protocol):
    """Each person's standing (`adapters.standings.MongoStandings`): the ledger projected, one document each."""

    async def get(self, person_id: str) -> Standing | None: ...

    async def save(self, standing: Standing) -> None:
        """Replace the person's standing by this one: one single-document write."""
        ...

    async def get_many(self, person_ids: Iterable[str]) -> dict[str, Standing]:
        """The standings of those of these people who have one, by id."""
        ...

    async def save_many(self, standings: Sequence[Standing], new: Collection[str]) -> None:
        """Write these standings; those of the people in `new` were read as absent (inserted, all in one write)."""
        ...

    def every(self) -> AsyncIterator[Standing]:
        """Every standing, in no particular order."""
        ...

    async def replace_all(self, standings: Iterable[Standing]) -> int:
        """Drop every standing and write these (a rebuild, with the service stopped); how many were written."""
        ...

    async def reattribute(self, person_id: str, replacement: str) -> bool:
        """Erasure: the person's standing becomes the stand-in's, their board preference goes; False if none."""
        ...


class EntryOwners(Protocol):
    async def owner_of_entry(self, entry_id: str) -> str | None:
        """Whom the ledger entry belongs to now (an erasure re-attributes entries); None if no such entry."""
        ...


class Members(Protocol):
    """Who may appear on boards, by name and department, and who opted out."""

    def every(self) -> AsyncIterator[Member]:
        """Everyone the directory copy knows or who chose a board visibility."""
        ...

    async def set_visible(self, person_id: str, visible: bool) -> None: ...


class PublishedEntries(Protocol):
    def every(self) -> AsyncIterator[Credit]:
        """Every ledger entry whose PointsAwarded event is published, as the projection would see it."""
        ...


class HoldsPeople(Protocol):
    """A store naming people, which an erasure hands over to the person's stand-in."""

    async def reattribute(self, person_id: str, replacement: str) -> object: ...
