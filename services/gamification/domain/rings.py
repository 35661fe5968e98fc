"""Reciprocal rings: two people of a circle who mark each other's comments helpful far above its norm.

The rule, kept simple enough to explain to the people it flags:

- the marks counted are the helpful marks (credit deeds) of the last `WINDOW` (30 days), in one circle,
  one per marker and comment, never one's own;
- a circle's norm is the median number of marks per marking pair: over every (marker, author) pair with
  at least one mark there in the window (the flagged pair's own two directions included);
- two people form a ring when each marked the other at least `MIN_EACH_WAY` (3) times and their marks
  of each other add up to at least `NORM_FACTOR` (3) times the circle's norm.

Larger rings show as several flagged pairs (each mutual pair of them is one). After a moderator decided
a pair's ring, only their marks after the decision count towards the next one (an episode): a pair found
honest is not flagged again for the same marks.

While a ring is flagged its points are held, without rewriting the ledger: the credits already awarded
for marks between its members get a compensating entry each (`hold_entry`, a correction pointing at the
entry it cancels), and new credits between them are parked instead of entering the ledger. A moderator
then confirms the ring (the points were earned: every hold is cancelled by a `release_entry` and the
parked entries are appended as they were priced) or reverses it (the holds stand, the parked entries
never enter the ledger). A comment hidden by then is not released: its points would have been
withdrawn by the hiding.

Moderators see who marks whom (they can reveal an anonymous author anyway, with a reason); nothing here
carries a comment id or the time of a mark to anyone else, and restricted entries show their day only.

Plain Python: the domain's own modules, stdlib, `shared.errors` and `shared.contracts` (for the event
types the entries name).
"""

import hashlib
import json
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast, get_args

from gamification.domain.engine import ENTRY_ID_LENGTH, HELPFUL_COMMENT_CREDIT, RING_HOLD_RULE, RING_RELEASE_RULE
from gamification.domain.ledger import Deed, LedgerEntry
from shared.contracts.gamification import ReciprocalRingDecidedV1, ReciprocalRingFlaggedV1
from shared.errors import Conflict, Forbidden

WINDOW = timedelta(days=30)
MIN_EACH_WAY = 3
NORM_FACTOR = 3
HOLD_RULE = RING_HOLD_RULE
"""The rule hold entries name: no rule of the set, so no cap or reversal rule ever prices them."""
RELEASE_RULE = RING_RELEASE_RULE

Status = Literal["flagged", "confirmed", "reversed"]
STATUSES: tuple[str, ...] = get_args(Status)
Decision = Literal["confirmed", "reversed"]
Pair = tuple[str, str]


@dataclass(frozen=True)
class Mark:
    """One helpful mark: `marker` found a comment of `author` helpful in a circle."""

    event_id: str
    circle_id: str
    marker: str
    author: str
    comment_id: str
    at: datetime

    @classmethod
    def of(cls, deed: Deed) -> "Mark | None":
        if deed.event_type != HELPFUL_COMMENT_CREDIT:
            return None
        fields = [deed.data.get(name) for name in ("circle_id", "marked_by", "author_id", "comment_id")]
        if not all(isinstance(value, str) and value for value in fields):
            return None
        circle, marker, author, comment = cast(list[str], fields)
        return cls(deed.event_id, circle, marker, author, comment, deed.at)


def pair_of(first: str, second: str) -> Pair:
    return (first, second) if first <= second else (second, first)


@dataclass(frozen=True)
class Evidence:
    circle_id: str
    members: Pair
    marks_each_way: tuple[int, int]
    """Marks by members[0] on members[1]'s comments, and the other way round."""
    circle_median: float
    since: datetime
    """The first moment whose marks counted: the window's start, or the pair's last decision."""


def reciprocal_pairs(
    marks: Iterable[Mark], now: datetime, decided_at: Mapping[tuple[str, Pair], datetime] | None = None
) -> list[Evidence]:
    """Every pair of every circle that forms a ring at `now`, by circle and pair.

    `decided_at` gives, per (circle, pair), when a moderator last decided a ring of theirs: only their
    later marks count for a new one. The circle's norm is read over the whole window all the same.
    """
    start = now - WINDOW
    decided_at = decided_at or {}
    by_circle: dict[str, list[Mark]] = {}
    seen: set[tuple[str, str, str]] = set()
    for mark in marks:
        once = (mark.marker, mark.comment_id, mark.author)  # a redelivered mark under another id counts once
        if mark.marker == mark.author or not start <= mark.at <= now or once in seen:
            continue
        seen.add(once)
        by_circle.setdefault(mark.circle_id, []).append(mark)

    found = []
    for circle, circle_marks in sorted(by_circle.items()):
        per_pair: dict[tuple[str, str], int] = {}
        for mark in circle_marks:
            per_pair[(mark.marker, mark.author)] = per_pair.get((mark.marker, mark.author), 0) + 1
        median = float(statistics.median(per_pair.values()))
        candidates = {pair_of(marker, author) for marker, author in per_pair if (author, marker) in per_pair}
        for members in sorted(candidates):
            since = max(start, decided_at.get((circle, members), start))
            first, second = members
            each_way = (
                sum(1 for m in circle_marks if (m.marker, m.author) == (first, second) and m.at >= since),
                sum(1 for m in circle_marks if (m.marker, m.author) == (second, first) and m.at >= since),
            )
            if min(each_way) >= MIN_EACH_WAY and sum(each_way) >= NORM_FACTOR * median:
                found.append(Evidence(circle, members, each_way, median, since))
    return found


def ring_id(circle_id: str, members: Pair, episode: int) -> str:
    """Replicas finding the same pair in the same episode derive the same id: the ring is flagged once."""
    key = json.dumps(["reciprocal-ring", circle_id, list(members), episode])
    return hashlib.sha256(key.encode()).hexdigest()[:ENTRY_ID_LENGTH]


@dataclass(frozen=True)
class Ring:
    ring_id: str
    circle_id: str
    members: Pair
    episode: int
    status: Status
    flagged_at: datetime
    since: datetime
    marks_each_way: tuple[int, int]
    circle_median: float
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    settled: bool = False
    """The decision's consequences on the ledger are all written (releases, parked entries)."""

    @classmethod
    def flag(cls, evidence: Evidence, episode: int, now: datetime) -> "Ring":
        return cls(
            ring_id=ring_id(evidence.circle_id, evidence.members, episode),
            circle_id=evidence.circle_id,
            members=evidence.members,
            episode=episode,
            status="flagged",
            flagged_at=now,
            since=evidence.since,
            marks_each_way=evidence.marks_each_way,
            circle_median=evidence.circle_median,
        )

    def covers(self, mark: Mark) -> bool:
        """Is this mark one of the ring's: between its members, in its circle, since it started counting?"""
        return (
            mark.circle_id == self.circle_id
            and mark.marker != mark.author
            and {mark.marker, mark.author} == set(self.members)
            and mark.at >= self.since
        )

    def decide(self, decision: Decision, moderator_id: str, now: datetime, reason: str | None = None) -> "Ring":
        if moderator_id in self.members:
            raise Forbidden("a moderator cannot decide a ring they are in", ring_id=self.ring_id)
        if self.status != "flagged":
            raise Conflict(f"this ring was {self.status} already", ring_id=self.ring_id, status=self.status)
        return replace(
            self,
            status=decision,
            decided_by=moderator_id,
            decided_at=now,
            reason=reason,
            settled=decision == "reversed",
        )

    def settle(self) -> "Ring":
        return replace(self, settled=True)

    def flagged_event(self) -> ReciprocalRingFlaggedV1:
        return ReciprocalRingFlaggedV1(
            ring_id=self.ring_id,
            circle_id=self.circle_id,
            members=list(self.members),
            marks_each_way=list(self.marks_each_way),
            circle_median=self.circle_median,
            counted_from=self.since.date(),
        )

    def decided_event(self) -> ReciprocalRingDecidedV1:
        assert self.status != "flagged" and self.decided_by is not None
        return ReciprocalRingDecidedV1(
            ring_id=self.ring_id,
            circle_id=self.circle_id,
            members=list(self.members),
            decision=self.status,
            moderator_id=self.decided_by,
        )

    def to_state(self) -> dict[str, Any]:
        return {
            "ring_id": self.ring_id,
            "circle_id": self.circle_id,
            "members": list(self.members),
            "episode": self.episode,
            "status": self.status,
            "flagged_at": self.flagged_at,
            "since": self.since,
            "marks_each_way": list(self.marks_each_way),
            "circle_median": self.circle_median,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
            "reason": self.reason,
            "settled": self.settled,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "Ring":
        first, second = state["members"]
        ahead, back = state["marks_each_way"]
        return cls(
            ring_id=state["ring_id"],
            circle_id=state["circle_id"],
            members=(first, second),
            episode=state["episode"],
            status=state["status"],
            flagged_at=_aware(state["flagged_at"]),
            since=_aware(state["since"]),
            marks_each_way=(ahead, back),
            circle_median=float(state["circle_median"]),
            decided_by=state.get("decided_by"),
            decided_at=_aware(state["decided_at"]) if state.get("decided_at") else None,
            reason=state.get("reason"),
            settled=bool(state.get("settled")),
        )


def next_episode(rings: Iterable[Ring], circle_id: str, members: Pair) -> int:
    return 1 + max((r.episode for r in rings if (r.circle_id, r.members) == (circle_id, members)), default=0)


def last_decisions(rings: Iterable[Ring]) -> dict[tuple[str, Pair], datetime]:
    """When each pair's latest ring was decided: only their later marks count for a new one."""
    latest: dict[tuple[str, Pair], datetime] = {}
    for ring in rings:
        if ring.decided_at is not None:
            key = (ring.circle_id, ring.members)
            latest[key] = max(ring.decided_at, latest.get(key, ring.decided_at))
    return latest


# --------------------------------------------------------------------------------- ledger entries


@dataclass(frozen=True)
class Withheld:
    """A credit a ring withholds: the hold entry cancelling it, or the credit itself while parked."""

    ring_id: str
    entry: LedgerEntry
    deed_id: str
    """The mark whose credit is withheld (a recalculation leaves it out while the ring is not confirmed)."""
    comment_id: str
    """The comment marked: not released if it is hidden by the time the ring is confirmed."""


def _derived(*parts: str) -> str:
    return hashlib.sha256(json.dumps(["ring", *parts]).encode()).hexdigest()[:ENTRY_ID_LENGTH]


def hold_entry(ring: Ring, held_entry_id: str, points: int, person_id: str, subject: str | None) -> LedgerEntry:
    """The correction holding one credit of the ring: it cancels the entry while the ring is flagged.

    It is dated when the ring was flagged, not when the mark was made, and names the ring as its cause:
    what its owner sees does not point at the mark.
    """
    return LedgerEntry(
        id=_derived("hold", ring.ring_id, held_entry_id),
        person_id=person_id,
        points=-points,
        rule=HOLD_RULE,
        cause_event_id=ring.ring_id,
        cause_event_type=ReciprocalRingFlaggedV1.ce_type,
        awarded_at=ring.flagged_at,
        subject=subject,  # the held entry's: a later hiding of the comment sees it is cancelled already
        reverses=held_entry_id,
        restricted=True,
        circle_id=ring.circle_id,
    )


def release_entry(ring: Ring, hold: LedgerEntry) -> LedgerEntry:
    """The correction of a hold once the ring is confirmed: the held credit stands again."""
    assert ring.decided_at is not None
    return LedgerEntry(
        id=_derived("release", ring.ring_id, hold.id),
        person_id=hold.person_id,
        points=-hold.points,
        rule=RELEASE_RULE,
        cause_event_id=ring.ring_id,
        cause_event_type=ReciprocalRingDecidedV1.ce_type,
        awarded_at=ring.decided_at,
        subject=hold.subject,
        reverses=hold.id,
        restricted=True,
        circle_id=ring.circle_id,
    )


def may_be_ring_credit(entry: LedgerEntry) -> bool:
    """Could this new entry be a credit between ring members? Only helpful credits in a circle can."""
    return (
        entry.cause_event_type == HELPFUL_COMMENT_CREDIT
        and entry.reverses is None
        and entry.points > 0
        and entry.circle_id is not None
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
