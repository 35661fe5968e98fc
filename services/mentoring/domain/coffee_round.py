"""One week's random coffee in one circle: who meets whom, decided once.

The round's id is the circle and the ISO week, so a round is formed at most once per week however many
replicas try: the second insert of the same id loses. The pairing is seeded by the id, so a retried
attempt decides the same pairs.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from mentoring.domain.coffee import CoffeeCandidate, pair_for_coffee


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def round_id(circle_id: str, week: str) -> str:
    return f"{circle_id}:{week}"


@dataclass(frozen=True)
class CoffeePairFormed:
    circle_id: str
    round_id: str
    person_ids: list[str]


@dataclass
class CoffeeRound:
    id: str
    circle_id: str
    week: str
    pairs: list[tuple[str, str]]
    left_out: list[str]
    formed_at: datetime
    events: list[CoffeePairFormed] = field(default_factory=list, compare=False)

    @classmethod
    def form(
        cls,
        circle_id: str,
        week: str,
        candidates: Sequence[CoffeeCandidate],
        recent: Collection[frozenset[str]],
        now: datetime,
    ) -> "CoffeeRound":
        """Pair the circle's opted-in members for the week, never two who met within the recent rounds."""
        identifier = round_id(circle_id, week)
        pairs, left_out = pair_for_coffee(candidates, recent, seed=identifier)
        made = cls(identifier, circle_id, week, list(pairs), list(left_out), now)
        made.events.extend(CoffeePairFormed(circle_id, identifier, [a, b]) for a, b in pairs)
        return made

    def met(self) -> set[frozenset[str]]:
        return {frozenset(pair) for pair in self.pairs}

    def partner_of(self, person_id: str) -> str | None:
        for a, b in self.pairs:
            if person_id in (a, b):
                return b if person_id == a else a
        return None

    def erase_person(self, person_id: str, replacement: str) -> bool:
        if person_id not in {p for pair in self.pairs for p in pair} | set(self.left_out):
            return False
        self.pairs = [
            (replacement if a == person_id else a, replacement if b == person_id else b) for a, b in self.pairs
        ]
        self.left_out = [replacement if p == person_id else p for p in self.left_out]
        return True

    def to_state(self) -> dict[str, Any]:
        return {
            "circle_id": self.circle_id,
            "week": self.week,
            "pairs": [{"first": a, "second": b} for a, b in self.pairs],  # no arrays in arrays (FerretDB)
            "left_out": list(self.left_out),
            "formed_at": self.formed_at.isoformat(),
        }

    @classmethod
    def from_state(cls, identifier: str, state: Mapping[str, Any]) -> "CoffeeRound":
        return cls(
            id=identifier,
            circle_id=state["circle_id"],
            week=state["week"],
            pairs=[(pair["first"], pair["second"]) for pair in state["pairs"]],
            left_out=list(state["left_out"]),
            formed_at=datetime.fromisoformat(state["formed_at"]),
        )
