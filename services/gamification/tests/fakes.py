"""In-memory stand-ins for the ports: an append-only ledger and a copy of the directory."""

import copy
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from gamification.domain.badges import Badge, BadgeAward, Progress
from gamification.domain.engine import PastEntry, RuleSet, starting_rule_set
from gamification.domain.leaderboard import Member
from gamification.domain.ledger import Deed, LedgerEntry
from gamification.domain.recalculation import Recalculation
from gamification.domain.replay import Totals
from gamification.domain.rings import Ring, Withheld
from gamification.domain.standing import Standing
from gamification.domain.titles import ExpertTitle, Scope
from shared.concurrency import ConcurrencyConflict
from shared.persistence.erasures import replace_value
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

    async def append_many(
        self, entries: Sequence[LedgerEntry], correlation_ids: Mapping[str, str | None]
    ) -> list[LedgerEntry]:
        return [entry for entry in entries if await self.append(entry)]

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

    async def append_limited(
        self, entry: LedgerEntry, fits: Callable[[list[datetime]], bool], window: timedelta
    ) -> bool:
        if any(known.id == entry.id for known in self.recorded):
            return False
        if not fits(await self.awarded_since(entry.rule, entry.person_id, entry.awarded_at - window)):
            return False
        return await self.append(entry)

    async def entries_about(self, rule: str, subject: str, person_id: str) -> list[PastEntry]:
        mine = [e for e in self.recorded if (e.person_id, e.subject) == (person_id, subject)]

        def cancelled(entry_id: str) -> bool:
            return any(e.reverses == entry_id and not cancelled(e.id) for e in mine)

        return [PastEntry(e.id, e.points, cancelled(e.id)) for e in mine if e.rule == rule]

    async def totals(self, before: datetime | None = None) -> dict[str, Totals]:
        public: dict[str, int] = {}
        restricted: dict[str, int] = {}
        for entry in self.recorded:
            if before is None or entry.awarded_at < before:
                sums = restricted if entry.restricted else public
                sums[entry.person_id] = sums.get(entry.person_id, 0) + entry.points
        return {
            person: Totals(public.get(person, 0), restricted.get(person, 0)) for person in public.keys() | restricted
        }

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

    async def get_many(self, person_ids: Iterable[str]) -> dict[str, PersonCopy]:
        return {person: self.copies[person] for person in person_ids if person in self.copies}

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


class InMemoryDeeds:
    """The deeds store: one deed per event id, read back by type and time like the real one."""

    def __init__(self) -> None:
        self.kept: dict[str, Deed] = {}

    async def record(self, deed: Deed) -> bool:
        if deed.event_id in self.kept:
            return False
        self.kept[deed.event_id] = deed
        return True

    async def record_many(self, deeds: Sequence[Deed]) -> set[str]:
        return {deed.event_id for deed in deeds if await self.record(deed)}

    async def get(self, event_id: str) -> Deed | None:
        return self.kept.get(event_id)

    async def of_types(
        self, types: Collection[str], since: datetime | None = None, until: datetime | None = None
    ) -> list[Deed]:
        found = [
            deed
            for deed in self.kept.values()
            if deed.event_type in types and (since is None or deed.at >= since) and (until is None or deed.at < until)
        ]
        return sorted(found, key=lambda deed: (deed.at, deed.event_id))

    async def every(self) -> AsyncIterator[Deed]:
        for deed in list(self.kept.values()):
            yield deed

    async def reattribute(self, person_id: str, replacement: str) -> int:
        changed = 0
        for event_id, deed in self.kept.items():
            data = replace_value(deed.data, person_id, replacement)  # at any depth, lists too, like the real one
            if data != deed.data:
                self.kept[event_id] = Deed(deed.event_id, deed.event_type, data, deed.at, deed.restricted)
                changed += 1
        return changed


class InMemoryTitles:
    """Expert of the month decisions: a title id is recorded at most once, with one event each."""

    def __init__(self) -> None:
        self.decided: dict[str, ExpertTitle] = {}
        self.events: list[ExpertTitle] = []
        self.settled: set[str] = set()

    async def name(self, title: ExpertTitle) -> bool:
        if title.title_id in self.decided:
            return False
        self.decided[title.title_id] = title
        self.events.append(title)
        return True

    async def held(
        self, title_month: str, scope: Scope | None = None, scope_id: str | None = None
    ) -> list[ExpertTitle]:
        found = [
            title
            for title in self.decided.values()
            if title.title_month == title_month
            and (scope is None or title.scope == scope)
            and (scope_id is None or title.scope_id == scope_id)
        ]
        return sorted(found, key=lambda title: (title.scope, title.scope_id))

    async def of_person(self, person_id: str) -> list[ExpertTitle]:
        return [title for title in self.decided.values() if title.person_id == person_id]

    async def month_settled(self, counted_month: str) -> bool:
        return counted_month in self.settled

    async def settle(self, counted_month: str) -> None:
        self.settled.add(counted_month)

    async def reattribute(self, person_id: str, replacement: str) -> int:
        mine = [title for title in self.decided.values() if title.person_id == person_id]
        for title in mine:
            self.decided[title.title_id] = title.attributed_to(replacement)
        return len(mine)


class InMemoryRecalculations:
    """Recalculations by id; one claim per rule set version, like the unique key of the real store."""

    def __init__(self) -> None:
        self.kept: dict[str, Recalculation] = {}
        self.claims: dict[int, str] = {}
        self.events: list[Any] = []

    async def add(self, recalculation: Recalculation) -> None:
        self.kept[recalculation.id] = recalculation

    async def get(self, recalculation_id: str) -> Recalculation | None:
        return self.kept.get(recalculation_id)

    async def claim(self, ruleset_version: int, recalculation_id: str) -> str:
        return self.claims.setdefault(ruleset_version, recalculation_id)

    async def mark_applied(self, recalculation: Recalculation) -> None:
        if self.kept[recalculation.id].status != "applied":
            self.events.extend(recalculation.events)
        self.kept[recalculation.id] = recalculation


class InMemoryErasures:
    """Erasures under way: the stand-in chosen first is the one a resumed erasure uses."""

    def __init__(self) -> None:
        self.under_way: dict[str, str] = {}

    async def begin(self, person_id: str, replacement: str) -> str:
        return self.under_way.setdefault(person_id, replacement)

    async def finish(self, person_id: str) -> None:
        self.under_way.pop(person_id, None)


class InMemoryBadges:
    """Awards (an award id at most once) and versioned progress, like `adapters.badges.MongoBadges`."""

    def __init__(self) -> None:
        self.awarded: dict[str, BadgeAward] = {}
        self.progress: dict[tuple[str, str], tuple[Progress, int]] = {}
        self.other_writer: list[tuple[Badge, str, str]] = []
        """(badge, person, value) another replica counts just before each of our next saves lands."""

    async def record(self, award: BadgeAward) -> bool:
        if award.id in self.awarded:
            return False
        self.awarded[award.id] = award
        return True

    async def get(self, award_id: str) -> BadgeAward | None:
        return self.awarded.get(award_id)

    async def of_person(self, person_id: str) -> list[BadgeAward]:
        mine = [award for award in self.awarded.values() if award.person_id == person_id]
        return sorted(mine, key=lambda award: (award.valid_from, award.id), reverse=True)

    async def reattribute(self, person_id: str, replacement: str) -> int:
        mine = [award for award in self.awarded.values() if award.person_id == person_id]
        for award in mine:
            del self.awarded[award.id]
            moved = award.attributed_to(replacement)
            self.awarded[moved.id] = moved
        for key in [key for key in self.progress if key[1] == person_id]:
            del self.progress[key]
        return len(mine)

    async def load(self, badge: Badge, person_id: str) -> tuple[Progress, int]:
        return self.progress.get((badge.id, person_id), (Progress.start(badge, person_id), 0))

    async def save(self, progress: Progress, stored_version: int) -> None:
        if self.other_writer:
            badge, person_id, value = self.other_writer.pop(0)
            theirs, their_version = await self.load(badge, person_id)
            self.progress[(badge.id, person_id)] = (theirs.counting(value), their_version + 1)
        key = (progress.badge_id, progress.person_id)
        version = self.progress.get(key, (None, 0))[1]
        if version != stored_version:
            raise ConcurrencyConflict("the progress moved")
        self.progress[key] = (progress, version + 1)


class InMemoryRings:
    """Rings versioned like the real store (a stale version is a conflict), and the credits they withhold."""

    def __init__(self) -> None:
        self.stored: dict[str, tuple[Ring, int]] = {}
        self.events: list[Any] = []
        self.holds: dict[str, Withheld] = {}
        self.parked: dict[str, Withheld] = {}

    async def load(self, ring_id: str) -> tuple[Ring, int] | None:
        return self.stored.get(ring_id)

    async def flag(self, ring: Ring) -> bool:
        if ring.ring_id in self.stored:
            return False
        self.stored[ring.ring_id] = (ring, 1)
        self.events.append(ring.flagged_event())
        return True

    async def save(self, ring: Ring, stored_version: int, announce: bool) -> None:
        if self.stored[ring.ring_id][1] != stored_version:
            raise ConcurrencyConflict("the ring moved")
        self.stored[ring.ring_id] = (ring, stored_version + 1)
        if announce:
            self.events.append(ring.decided_event())

    async def all(self) -> list[Ring]:
        return sorted((ring for ring, _ in self.stored.values()), key=lambda r: (r.circle_id, r.members, r.episode))

    async def flagged(self) -> list[Ring]:
        return [ring for ring in await self.all() if ring.status == "flagged"]

    async def record_hold(self, withheld: Withheld) -> None:
        self.holds.setdefault(withheld.entry.id, withheld)

    async def holds_of(self, ring_id: str) -> list[Withheld]:
        return [held for held in self.holds.values() if held.ring_id == ring_id]

    async def park(self, withheld: Withheld) -> bool:
        if withheld.entry.id in self.parked:
            return False
        self.parked[withheld.entry.id] = withheld
        return True

    async def parked_of(self, ring_id: str) -> list[Withheld]:
        return [parked for parked in self.parked.values() if parked.ring_id == ring_id]

    async def is_parked(self, entry_id: str) -> bool:
        return entry_id in self.parked


class InMemoryAudit:
    def __init__(self) -> None:
        self.recorded: list[tuple[str, str, str, str | None]] = []

    async def record(
        self,
        action: str,
        actor_id: str,
        subject_id: str,
        reason: str | None = None,
        details: Any = None,
        entry_id: str | None = None,
    ) -> None:
        self.recorded.append((action, actor_id, subject_id, reason))


class InMemoryStandings:
    """Standings kept as copies (as a store would), and who owns each ledger entry now."""

    def __init__(self, ledger: InMemoryLedger | None = None) -> None:
        self.saved: dict[str, Standing] = {}
        self.ledger = ledger or InMemoryLedger()
        self.writes = 0

    async def get(self, person_id: str) -> Standing | None:
        found = self.saved.get(person_id)
        return copy.deepcopy(found) if found else None

    async def save(self, standing: Standing) -> None:
        self.saved[standing.person_id] = copy.deepcopy(standing)
        self.writes += 1

    async def get_many(self, person_ids: Iterable[str]) -> dict[str, Standing]:
        return {person: copy.deepcopy(self.saved[person]) for person in person_ids if person in self.saved}

    async def save_many(self, standings: Sequence[Standing], new: Collection[str]) -> None:
        for standing in standings:
            await self.save(standing)

    async def every(self) -> AsyncIterator[Standing]:
        for standing in list(self.saved.values()):
            yield copy.deepcopy(standing)

    async def replace_all(self, standings: Iterable[Standing]) -> int:
        self.saved = {standing.person_id: copy.deepcopy(standing) for standing in standings}
        return len(self.saved)

    async def reattribute(self, person_id: str, replacement: str) -> bool:
        mine = self.saved.pop(person_id, None)
        if mine is None:
            return False
        theirs = self.saved.get(replacement) or Standing(replacement)
        theirs.absorb(mine)
        self.saved[replacement] = theirs
        return True

    async def owner_of_entry(self, entry_id: str) -> str | None:
        return next((e.person_id for e in self.ledger.recorded if e.id == entry_id), None)


class InMemoryMembers:
    """The directory copy as boards see it, and the opt-outs."""

    def __init__(self, people: InMemoryPeople) -> None:
        self.people = people
        self.hidden: set[str] = set()

    async def every(self) -> AsyncIterator[Member]:
        for person_id, copied in self.people.copies.items():
            yield Member(
                person_id,
                copied.fields.get("display_name"),
                copied.fields.get("department"),
                listed=copied.active and not copied.erased,
                opted_out=person_id in self.hidden,
            )

    async def set_visible(self, person_id: str, visible: bool) -> None:
        if visible:
            self.hidden.discard(person_id)
        else:
            self.hidden.add(person_id)
