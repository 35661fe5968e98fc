"""A recalculation: how far each person's points are from a replay of their deeds under the rules in force.

An admin first dry-runs it (`Recalculation.compare`) and reads the differences; applying it writes
compensating entries and never rewrites history. Per person at most two entries, the public part and the
restricted part apart, so restricted points stay on the restricted topic. Their ids derive from
(recalculation, person, part): a retried application cannot award twice. A recalculation is applied once,
and only under the rule set version it was computed at: the differences mean nothing under other rules.

The comparison holds "as of" a moment: the deeds that happened before it against the entries awarded
before it. The compensating entries are dated that moment too, so any later comparison counts them.

Plain Python: stdlib, `shared.errors` and `shared.contracts` (for the event type the entries name).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from gamification.domain.engine import RECALCULATION_RULE, entry_id
from gamification.domain.ledger import LedgerEntry
from gamification.domain.replay import Totals
from shared.contracts.gamification import RecalculationAppliedV1
from shared.errors import Conflict

RULE_ID = RECALCULATION_RULE
"""The rule the compensating entries name: no rule of the set, so no cap or reversal ever counts them."""

Status = Literal["dry_run", "applied"]
Part = Literal["public", "restricted"]
NONE = Totals(0, 0)


@dataclass(frozen=True)
class Difference:
    person_id: str
    current: Totals
    """What the ledger holds for the person."""
    replayed: Totals
    """What a replay of every deed under the rules gives them."""

    @property
    def public_change(self) -> int:
        return self.replayed.public - self.current.public

    @property
    def restricted_change(self) -> int:
        return self.replayed.restricted - self.current.restricted

    @property
    def change(self) -> int:
        return self.public_change + self.restricted_change


@dataclass(frozen=True)
class RecalculationApplied:
    recalculation_id: str
    ruleset_version: int
    people_changed: int
    points_difference: int


@dataclass(frozen=True)
class Recalculation:
    id: str
    ruleset_version: int
    """The rule set version the replay priced with; it can be applied only while that version is in force."""
    computed_at: datetime
    as_of: datetime
    """Deeds before this moment were replayed, entries awarded before it summed; compensations are dated it."""
    differences: tuple[Difference, ...]
    """Only people whose totals differ, by person id."""
    status: Status = "dry_run"
    applied_at: datetime | None = None
    events: list[RecalculationApplied] = field(default_factory=list, compare=False)

    @classmethod
    def compare(
        cls,
        recalculation_id: str,
        ruleset_version: int,
        computed_at: datetime,
        as_of: datetime,
        current: Mapping[str, Totals],
        replayed: Mapping[str, Totals],
    ) -> "Recalculation":
        differences = []
        for person in sorted(current.keys() | replayed.keys()):
            now, then = current.get(person, NONE), replayed.get(person, NONE)
            if now != then:
                differences.append(Difference(person, Totals(*now), Totals(*then)))
        return cls(recalculation_id, ruleset_version, computed_at, as_of, tuple(differences))

    @property
    def people_changed(self) -> int:
        return len(self.differences)

    @property
    def points_difference(self) -> int:
        """The sum of the compensating entries: points the application gives (or takes, when negative)."""
        return sum(difference.change for difference in self.differences)

    def leaving_out(self, person_ids: Iterable[str]) -> "Recalculation":
        left_out = set(person_ids)
        return replace(self, differences=tuple(d for d in self.differences if d.person_id not in left_out))

    def compensations(self) -> list[LedgerEntry]:
        """The entries that bring every listed person's totals to the replayed ones; none for a part already equal."""
        entries = []
        for difference in self.differences:
            parts: tuple[tuple[Part, int], ...] = (
                ("public", difference.public_change),
                ("restricted", difference.restricted_change),
            )
            for part, points in parts:
                if points:
                    entries.append(self._compensation(difference.person_id, part, points))
        return entries

    def _compensation(self, person_id: str, part: Part, points: int) -> LedgerEntry:
        return LedgerEntry(
            id=entry_id(RULE_ID, self.ruleset_version, f"{self.id}:{part}", person_id),
            person_id=person_id,
            points=points,
            rule=RULE_ID,
            cause_event_id=self.id,
            cause_event_type=RecalculationAppliedV1.ce_type,
            awarded_at=self.as_of,
            rule_version=self.ruleset_version,
            restricted=part == "restricted",
        )

    def apply(
        self, expected_ruleset_version: int, ruleset_version_in_force: int, at: datetime
    ) -> tuple["Recalculation", list[LedgerEntry]]:
        """The applied recalculation (with its RecalculationApplied) and the entries to write.

        A Conflict (409) when it was applied before, when the admin confirms another version than the one it
        was computed under, or when the rules changed since: its differences no longer say what to write.
        """
        if self.status == "applied":
            raise Conflict(
                f"recalculation {self.id} was already applied; its entries are in the ledger",
                recalculation_id=self.id,
                applied_at=None if self.applied_at is None else self.applied_at.isoformat(),
            )
        if expected_ruleset_version != self.ruleset_version:
            raise Conflict(
                f"recalculation {self.id} was computed under rule set version {self.ruleset_version}, "
                f"not {expected_ruleset_version}: read it again before applying",
                ruleset_version=self.ruleset_version,
                expected_ruleset_version=expected_ruleset_version,
            )
        if ruleset_version_in_force != self.ruleset_version:
            raise Conflict(
                f"the rules changed since this dry run (version {self.ruleset_version}, now "
                f"{ruleset_version_in_force}): dry-run a new recalculation",
                ruleset_version=self.ruleset_version,
                ruleset_version_in_force=ruleset_version_in_force,
            )
        applied = replace(
            self,
            status="applied",
            applied_at=at,
            events=[RecalculationApplied(self.id, self.ruleset_version, self.people_changed, self.points_difference)],
        )
        return applied, self.compensations()
