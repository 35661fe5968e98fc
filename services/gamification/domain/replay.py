"""Replaying stored deeds through a rule set: the entries the ledger would hold had these rules always been in force.

The live path (`service.handlers.credit_deed`) prices one deed at a time and reads what the engine needs
from the ledger. A replay prices every deed, oldest first, with the same `engine.price`, and keeps that
history in memory instead: when each (rule, person) was awarded, for caps and cooldowns; and the entries
about each (subject, person), for reversals, with the ledger's "standing reversal" semantics (see
`adapters.ledger._standing_reversals`: an entry is cancelled while a correction of it stands, and a
correction stands unless it is cancelled in turn). Given the same deeds in the same order under the same
rules, it gives the same entries as the live path, ids and points included.

Built to run over a million deeds: no per-deed copies of anything, the rules indexed by event type once,
and award times kept only for the rules that have a cap or a cooldown.

Plain Python: stdlib and the domain only.
"""

import gc
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from gamification.domain.engine import Award, PastAwards, PastEntry, Rule, RuleSet, price
from gamification.domain.ledger import Deed, LedgerEntry

NO_AWARDS = PastAwards(0, None)


class Totals(NamedTuple):
    """A person's points, split by where they were announced: the public topic, or the restricted one."""

    public: int = 0
    restricted: int = 0

    @property
    def points(self) -> int:
        return self.public + self.restricted


class ReplayedAward(NamedTuple):
    award: Award
    restricted: bool
    """Its deed came from a restricted topic (it names the real author of anonymous content)."""
    circle_id: str | None

    def entry(self) -> LedgerEntry:
        """The ledger entry the live path writes for this award."""
        return LedgerEntry.of(self.award, restricted=self.restricted, circle_id=self.circle_id)


def deed_order(deed: Deed) -> tuple[datetime, str]:
    """The order a replay takes deeds in: when they happened, ties broken by event id."""
    return deed.at, deed.event_id


@dataclass(frozen=True)
class _IndexedRuleSet(RuleSet):
    """The same rule set, answering `for_event` from a dictionary: `RuleSet` sorts its rules on every call."""

    by_type: Mapping[str, tuple[Rule, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, ruleset: RuleSet) -> "_IndexedRuleSet":
        types = {rule.event_type for rule in ruleset.rules.values()}
        return cls(version=ruleset.version, rules=ruleset.rules, by_type={t: ruleset.for_event(t) for t in types})

    def for_event(self, event_type: str) -> tuple[Rule, ...]:
        return self.by_type.get(event_type, ())


def replay(deeds: Iterable[Deed], ruleset: RuleSet) -> list[ReplayedAward]:
    """Every award the deeds earn under `ruleset`, in the order they are earned.

    `deeds` must come sorted by `deed_order` (a ValueError says so otherwise): caps and cooldowns count
    the awards before a deed, and only a replay in time order counts them as they happened.
    """
    # A replay allocates awards by the million and frees none: the cyclic collector would walk every live
    # deed again and again for nothing (more than half the time of a million deeds). Nothing awaits in
    # here, so no other task runs while it is paused.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _replay(deeds, ruleset)
    finally:
        if collecting:
            _resume_collecting()


def _resume_collecting() -> None:
    """Turn the collector back on without it first walking the millions of objects the replay made.

    Freezing then unfreezing moves them to the oldest generation in one step; most are freed by reference
    counting once the caller has summed them. Skipped when someone else froze objects: unfreezing is global.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.enable()
        gc.unfreeze()
    else:
        gc.enable()


def _replay(deeds: Iterable[Deed], ruleset: RuleSet) -> list[ReplayedAward]:
    indexed = _IndexedRuleSet.of(ruleset)
    limited = {
        rule.id for rule in ruleset.rules.values() if rule.cap_per_day or rule.cap_per_week or rule.cooldown_minutes
    }
    # Award times per (rule, person), ascending because deeds come in time order.
    times: dict[tuple[str, str], list[datetime]] = {}
    # Every award with a subject, per (subject, person): what a reversal looks through.
    about: dict[tuple[str, str], list[Award]] = {}
    # The corrections of each corrected entry. A correction has its entry's person and subject, so this one
    # map answers for every (subject, person) what the ledger answers from the entries about it alone.
    corrections: dict[str, list[str]] = {}

    def cancelled(entry_id: str) -> bool:
        """A correction of it stands: one not cancelled in turn (a restore cancels a revoke)."""
        return any(not cancelled(correction) for correction in corrections.get(entry_id, ()))

    replayed: list[ReplayedAward] = []

    def history(rule_id: str, person_id: str, since: datetime) -> PastAwards:
        moments = times.get((rule_id, person_id))
        if not moments:
            return NO_AWARDS
        first = bisect_left(moments, since)
        if first == len(moments):
            return NO_AWARDS
        return PastAwards(len(moments) - first, moments[-1])

    def entries_of(rule_id: str, subject: str, person_id: str) -> list[PastEntry]:
        found = about.get((subject, person_id))
        if not found:
            return []
        return [
            PastEntry(award.entry_id, award.points, award.entry_id in corrections and cancelled(award.entry_id))
            for award in found
            if award.rule_id == rule_id
        ]

    latest: datetime | None = None
    for deed in deeds:
        at = deed.at
        if latest is not None and at < latest:
            raise ValueError("deeds must be replayed oldest first (sorted by deed_order)")
        latest = at
        # The engine reads the history before this deed only: it is updated once the deed is priced.
        awards = price(deed.event_id, deed.event_type, deed.data, indexed, history, at, entries_of)
        if not awards:
            continue
        circle = deed.data.get("circle_id")
        circle_id = circle if isinstance(circle, str) else None
        restricted = deed.restricted
        for award in awards:
            replayed.append(ReplayedAward(award, restricted, circle_id))
            # Corrections neither count towards a cap nor start a cooldown, as in `Ledger.awarded_since`.
            if award.reverses_entry_id is None and award.rule_id in limited:
                key = (award.rule_id, award.person_id)
                moments = times.get(key)
                if moments is None:
                    times[key] = [at]
                else:
                    moments.append(at)
            if award.reverses_entry_id is not None:
                corrections.setdefault(award.reverses_entry_id, []).append(award.entry_id)
            if award.subject is not None:
                subject_key = (award.subject, award.person_id)
                entries = about.get(subject_key)
                if entries is None:
                    about[subject_key] = [award]
                else:
                    entries.append(award)
    return replayed


def totals(awards: Iterable[ReplayedAward]) -> dict[str, Totals]:
    """Each credited person's points, public and restricted apart."""
    public: dict[str, int] = {}
    restricted: dict[str, int] = {}
    for award, is_restricted, _ in awards:
        sums = restricted if is_restricted else public
        person = award.person_id
        sums[person] = sums.get(person, 0) + award.points
    return {person: Totals(public.get(person, 0), restricted.get(person, 0)) for person in public.keys() | restricted}
