"""Leaderboards: every board sorted once when a snapshot is built, so a read is a bisection and a slice.

A board is one period (all time, this month, this ISO week) in one scope (the company, a department,
a circle). It lists the people listed in the directory who have not opted out and whose points there
are not zero, best first; equal points share a rank (1, 2, 2, 4). A person who opted out appears on
nobody's board, but still learns their own rank, computed as if they appeared. Restricted points
count only from the day after they were earned (`Standing.on_boards`).

The department board ranks departments by points per active member: the points of its listed,
visible members in the period over how many of them earned any (so a large, quiet department is not
punished for its size).

A snapshot answers every read from sorted lists: the top of a board, a page further down, a person's
rank with neighbours above and below. Building it sorts every board (about a second for 100,000
people); reading it takes microseconds.

Plain Python: stdlib, `shared.errors` and the standing.
"""

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction

from gamification.domain.standing import ALL, EVERYWHERE, Standing, month_of, utc, week_of
from shared.errors import Invalid

PERIODS = ("all", "month", "week")
SCOPES = ("company", "department", "circle")
MAX_NEIGHBOURS = 10

BoardKey = tuple[str, str, str]
"""(period, scope, scope id; "" for the company)."""


@dataclass(frozen=True)
class Member:
    """What the directory copy says of a person, and whether they want to appear on boards."""

    person_id: str
    display_name: str | None = None
    department: str | None = None
    listed: bool = True
    """Active in the directory: a person who left, was erased or is unknown never appears on a board."""
    opted_out: bool = False


@dataclass(frozen=True)
class Row:
    rank: int
    person_id: str
    display_name: str | None
    department: str | None
    points: int


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    """How many people the board lists."""


@dataclass(frozen=True)
class OwnRank:
    person_id: str
    points: int
    rank: int
    """Counted as if the person appeared, whether they do or not."""
    shown: bool
    """Whether others see the person on this board (not opted out, listed, and points not zero)."""
    above: list[Row]
    below: list[Row]
    total: int


@dataclass(frozen=True)
class DepartmentRow:
    rank: int
    department: str
    points: int
    active_members: int

    @property
    def points_per_member(self) -> float:
        return self.points / self.active_members


def checked(period: str, scope: str, scope_id: str | None) -> BoardKey:
    """The board asked for, or `Invalid` naming the field at fault."""
    if period not in PERIODS:
        raise Invalid(f"period is one of {', '.join(PERIODS)}", field="period")
    if scope not in SCOPES:
        raise Invalid(f"scope is one of {', '.join(SCOPES)}", field="scope")
    if scope == "company":
        return period, scope, ""
    if not scope_id:
        raise Invalid(f"a {scope} board needs the {scope}'s id", field="scope_id")
    return period, scope, scope_id


@dataclass
class Board:
    keys: list[tuple[int, str]] = field(default_factory=list)
    """(-points, person id), sorted: best first, ties by person id so every read sees one order."""

    def rank_for(self, points: int) -> int:
        """1 + how many listed have more points: equal points share a rank."""
        return bisect_left(self.keys, (-points, "")) + 1


@dataclass
class Leaderboards:
    """A snapshot of every board at one moment; read-only once built."""

    built_at: datetime
    today: date
    week: str
    month: str
    boards: dict[BoardKey, Board]
    standings: Mapping[str, Standing]
    members: Mapping[str, Member]
    department_rows: dict[str, list[DepartmentRow]]

    @classmethod
    def build(cls, standings: Iterable[Standing], members: Mapping[str, Member], now: datetime) -> "Leaderboards":
        now = utc(now)
        today, week, month = now.date(), week_of(now), month_of(now)
        period_keys = {"all": ALL, "month": month, "week": week}
        boards: dict[BoardKey, Board] = {}
        by_person: dict[str, Standing] = {}
        departments: dict[tuple[str, str], list[int]] = {}  # (period, department) -> [points, active members]
        for standing in standings:
            by_person[standing.person_id] = standing
            member = members.get(standing.person_id)
            if member is None or not member.listed or member.opted_out:
                continue
            circles = standing.circles
            for period, key in period_keys.items():
                points = standing.on_boards(EVERYWHERE, key, today)
                if points:
                    _board(boards, (period, "company", "")).keys.append((-points, standing.person_id))
                    if member.department:
                        _board(boards, (period, "department", member.department)).keys.append(
                            (-points, standing.person_id)
                        )
                        tally = departments.setdefault((period, member.department), [0, 0])
                        tally[0] += points
                        tally[1] += 1
                for circle in circles:
                    in_circle = standing.on_boards(circle, key, today)
                    if in_circle:
                        _board(boards, (period, "circle", circle)).keys.append((-in_circle, standing.person_id))
        for board in boards.values():
            board.keys.sort()
        return cls(
            built_at=now,
            today=today,
            week=week,
            month=month,
            boards=boards,
            standings=by_person,
            members=dict(members),
            department_rows={period: _ranked_departments(departments, period) for period in PERIODS},
        )

    def period_key(self, period: str) -> str:
        return {"all": ALL, "month": self.month, "week": self.week}[period]

    def top(self, period: str, scope: str, scope_id: str | None, limit: int, offset: int) -> Page:
        board = self.boards.get(checked(period, scope, scope_id), Board())
        return Page([self._row(board, key) for key in board.keys[offset : offset + limit]], len(board.keys))

    def rank(self, person_id: str, period: str, scope: str, scope_id: str | None, neighbours: int = 2) -> OwnRank:
        """The person's rank on a board and up to `neighbours` people above and below, as if they appeared."""
        key = checked(period, scope, scope_id)
        if not 0 <= neighbours <= MAX_NEIGHBOURS:
            raise Invalid(f"neighbours is 0 to {MAX_NEIGHBOURS}", field="neighbours")
        member = self.members.get(person_id)
        if scope == "department" and (member is None or member.department != scope_id):
            raise Invalid("a person is ranked in their own department only", field="scope_id")
        standing = self.standings.get(person_id)
        circle = scope_id if scope == "circle" else EVERYWHERE
        points = standing.on_boards(circle, self.period_key(period), self.today) if standing else 0
        board = self.boards.get(key, Board())
        own = (-points, person_id)
        at = bisect_left(board.keys, own)
        shown = at < len(board.keys) and board.keys[at] == own
        after = at + 1 if shown else at
        return OwnRank(
            person_id=person_id,
            points=points,
            rank=board.rank_for(points),
            shown=shown,
            above=[self._row(board, k) for k in board.keys[max(0, at - neighbours) : at]],
            below=[self._row(board, k) for k in board.keys[after : after + neighbours]],
            total=len(board.keys),
        )

    def departments(self, period: str) -> list[DepartmentRow]:
        checked(period, "company", None)
        return self.department_rows[period]

    def _row(self, board: Board, key: tuple[int, str]) -> Row:
        member = self.members.get(key[1])
        return Row(
            rank=board.rank_for(-key[0]),
            person_id=key[1],
            display_name=member.display_name if member else None,
            department=member.department if member else None,
            points=-key[0],
        )


def _board(boards: dict[BoardKey, Board], key: BoardKey) -> Board:
    board = boards.get(key)
    if board is None:
        board = boards[key] = Board()
    return board


def _ranked_departments(tallies: Mapping[tuple[str, str], list[int]], period: str) -> list[DepartmentRow]:
    mine = [(department, points, active) for (p, department), (points, active) in tallies.items() if p == period]
    mine.sort(key=lambda row: (-Fraction(row[1], row[2]), row[0]))  # exact: equal averages share a rank
    ranked: list[DepartmentRow] = []
    for index, (department, points, active) in enumerate(mine):
        tied = ranked and Fraction(points, active) == Fraction(ranked[-1].points, ranked[-1].active_members)
        ranked.append(DepartmentRow(ranked[-1].rank if tied else index + 1, department, points, active))
    return ranked
