"""A person's standing: their ledger entries folded into the few sums balances, levels and boards need.

A standing is a projection of the ledger, one per person, built from the PointsAwarded events in the
order they arrive (one person's events share a partition). It holds the total, the points of the
current and previous ISO week and month, the same per circle, counts per rule, the restricted points
still held back from boards, and per topic and partition the offset of the last record applied, so a
record delivered again after a crash is recognised by its offset and not applied twice.

Periods are told by the time the entry's event was recorded; only the newest periods are kept, and
which ones depends on the newest entry alone, so folding the same entries in any order gives the
same standing (a rebuild equals the live projection).

Restricted points (anonymous contributions) count in the person's own balance at once but on boards
only from the next UTC day, so nobody can watch a board move when an anonymous comment is marked
helpful. `held` keeps them by day until that day is over.

Plain Python: stdlib and the rule set only.
"""

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from gamification.domain.engine import CORRECTION_RULES, RuleSet

ALL = "all"
"""The period key of all-time points."""

EVERYWHERE: None = None
"""The circle key of points earned anywhere (circle or not)."""

Bucket = tuple[str | None, str]
"""(circle id, or EVERYWHERE; period key: ALL, "2026-W48" or "2026-11")."""


def week_of(moment: datetime | date) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def month_of(moment: datetime | date) -> str:
    return f"{moment.year}-{moment.month:02d}"


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is UTC:
        return moment
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@functools.cache
def periods_of(day: date) -> tuple[str, str]:
    """The ISO week and the month of a day (a rebuild asks for the same few days a million times)."""
    return week_of(day), month_of(day)


@functools.cache
def oldest_periods_kept(newest: date) -> tuple[str, str]:
    """The oldest week and month a standing keeps: the ones before the newest entry's."""
    previous_month = newest.replace(day=1) - timedelta(days=1)
    return week_of(newest - timedelta(days=7)), month_of(previous_month)


def is_week(period: str) -> bool:
    return "-W" in period


class UnknownRule(Exception):
    """An entry priced by a rule, or a rule version, this service's rule set does not have."""


def knows(ruleset: RuleSet, rule_id: str, rule_version: int) -> bool:
    """True if the rule set has the rule at this version or later (versions only grow)."""
    if rule_id in CORRECTION_RULES:  # recalculations and ring holds: no rule of the set prices them
        return True
    rule = ruleset.rules.get(rule_id)
    return rule is not None and 1 <= rule_version <= rule.version


@dataclass(frozen=True)
class Credit:
    """One ledger entry as the projection sees it (from its PointsAwarded event, or from the ledger)."""

    entry_id: str
    person_id: str
    points: int
    rule: str
    rule_version: int
    at: datetime
    """When the entry's event was recorded: it decides the week, the month and the day."""
    circle_id: str | None = None
    restricted: bool = False


@dataclass(frozen=True)
class LogPosition:
    """A record's place in the log (`shared.messaging.consumer.Position` has the same shape)."""

    topic: str
    partition: int
    offset: int


@dataclass
class RuleTally:
    count: int = 0
    points: int = 0


@dataclass
class Standing:
    person_id: str
    points: dict[Bucket, int] = field(default_factory=dict)
    rules: dict[str, RuleTally] = field(default_factory=dict)
    held: dict[tuple[date, str | None], int] = field(default_factory=dict)
    """Restricted points by (UTC day, circle) not on boards yet: they show from the day after."""
    latest: datetime | None = None
    """The newest entry's time: which periods and held days are still kept follows from it alone."""
    positions: dict[tuple[str, int], int] = field(default_factory=dict)
    """(topic, partition) -> offset of the last record applied (or of the last one a rebuild covered)."""

    @property
    def total(self) -> int:
        """The balance: every entry, restricted ones included."""
        return self.points.get((EVERYWHERE, ALL), 0)

    @property
    def circles(self) -> set[str]:
        return {circle for circle, _ in self.points if circle is not None}

    def applied(self, position: LogPosition) -> bool:
        """True if the record at `position` (or a later one of its partition) is already in this standing."""
        return position.offset <= self.positions.get((position.topic, position.partition), -1)

    def apply(self, credit: Credit, position: LogPosition | None = None) -> None:
        """Fold one entry in (and remember its record's position, when it came from the log)."""
        at = utc(credit.at)
        day = at.date()
        if self.latest is None or at > self.latest:
            before = None if self.latest is None else self.latest.date()
            self.latest = at
            if before is not None and day > before:
                self._forget_old_periods(periods=oldest_periods_kept(before) != oldest_periods_kept(day))
        newest_day = self.latest.date()
        oldest_week, oldest_month = oldest_periods_kept(newest_day)
        week, month = periods_of(day)
        periods = [ALL]
        if week >= oldest_week:
            periods.append(week)
        if month >= oldest_month:
            periods.append(month)
        circles = [EVERYWHERE] if credit.circle_id is None else [EVERYWHERE, credit.circle_id]
        for circle in circles:
            for period in periods:
                self.points[(circle, period)] = self.points.get((circle, period), 0) + credit.points
        tally = self.rules.setdefault(credit.rule, RuleTally())
        tally.count += 1
        tally.points += credit.points
        if credit.restricted and day >= newest_day:  # an earlier day is over by the time a board is read
            key = (day, credit.circle_id)
            self.held[key] = self.held.get(key, 0) + credit.points
        if position is not None:
            self.positions[(position.topic, position.partition)] = position.offset

    def covered_through(self, ends: Mapping[tuple[str, int], int]) -> None:
        """Mark every record before these end offsets as applied (a rebuild folded them all)."""
        for key, end in ends.items():
            self.positions[key] = max(self.positions.get(key, -1), end - 1)

    def absorb(self, other: "Standing") -> None:
        """Add another standing's points to this one (an erased person's go to their stand-in)."""
        for bucket, points in other.points.items():
            self.points[bucket] = self.points.get(bucket, 0) + points
        for rule, tally in other.rules.items():
            mine = self.rules.setdefault(rule, RuleTally())
            mine.count += tally.count
            mine.points += tally.points
        for day, points in other.held.items():
            self.held[day] = self.held.get(day, 0) + points
        if other.latest is not None and (self.latest is None or other.latest > self.latest):
            self.latest = other.latest
        for key, offset in other.positions.items():
            self.positions[key] = max(self.positions.get(key, -1), offset)
        self._forget_old_periods()

    def on_boards(self, circle: str | None, period: str, today: date) -> int:
        """Points shown on boards for (circle, period) on `today`: without the restricted points of today or later."""
        points = self.points.get((circle, period), 0)
        if not self.held:
            return points
        for (day, held_circle), held in self.held.items():
            if day < today or (circle is not None and held_circle != circle):
                continue
            if period == ALL or period in periods_of(day):
                points -= held
        return points

    def _forget_old_periods(self, periods: bool = True) -> None:
        """Drop what the newest entry shows to be over; entries older still are never added (see `apply`)."""
        if self.latest is None:
            return
        newest_day = self.latest.date()
        if periods:
            oldest_week, oldest_month = oldest_periods_kept(newest_day)
            stale = [
                bucket
                for bucket in self.points
                if bucket[1] != ALL and bucket[1] < (oldest_week if is_week(bucket[1]) else oldest_month)
            ]
            for bucket in stale:
                del self.points[bucket]
        # A held day before the newest entry's is over by the time anyone reads a board.
        for key in [key for key in self.held if key[0] < newest_day]:
            del self.held[key]


def fold(credits: Iterable[Credit], standings: dict[str, Standing] | None = None) -> dict[str, Standing]:
    """Fold entries into standings by person (a rebuild): the order of the entries does not matter."""
    folded = standings if standings is not None else {}
    for credit in credits:
        standing = folded.get(credit.person_id)
        if standing is None:
            standing = folded[credit.person_id] = Standing(credit.person_id)
        standing.apply(credit)
    return folded
