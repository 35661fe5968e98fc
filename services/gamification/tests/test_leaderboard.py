"""Leaderboards from standings: shared ranks, pages, own rank with neighbours, scopes, periods, opt-outs."""

from datetime import UTC, datetime, timedelta

import pytest

from gamification.domain.leaderboard import Leaderboards, Member
from gamification.domain.standing import Credit, fold
from shared.errors import Invalid

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday of 2026-W48
LAST_MONTH = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
n = 0


def credit(person: str, points: int, at: datetime = NOW, **changes: object) -> Credit:
    global n
    n += 1
    values: dict[str, object] = {
        "entry_id": f"e{n}",
        "person_id": person,
        "points": points,
        "rule": "enrolment.enrolled",
        "rule_version": 1,
        "at": at,
        **changes,
    }
    return Credit(**values)  # type: ignore[arg-type]


def members(*people: str, department: str = "R&D", **special: Member) -> dict[str, Member]:
    found = {p: Member(p, p.title(), department) for p in people}
    found.update(special)
    return found


def board(credits: list[Credit], known: dict[str, Member], now: datetime = NOW) -> Leaderboards:
    return Leaderboards.build(fold(credits).values(), known, now)


def ranked(
    boards: Leaderboards, period: str = "all", scope: str = "company", scope_id: str | None = None
) -> list[tuple[int, str, int]]:
    return [(r.rank, r.person_id, r.points) for r in boards.top(period, scope, scope_id, 100, 0).rows]


def test_equal_points_share_a_rank_and_pages_keep_the_ranks() -> None:
    boards = board(
        [credit("ann", 30), credit("bob", 20), credit("cat", 20), credit("dan", 10), credit("eve", 5)],
        members("ann", "bob", "cat", "dan", "eve"),
    )
    assert ranked(boards) == [(1, "ann", 30), (2, "bob", 20), (2, "cat", 20), (4, "dan", 10), (5, "eve", 5)]
    page = boards.top("all", "company", None, 2, 2)
    assert [(r.rank, r.person_id, r.display_name, r.department) for r in page.rows] == [
        (2, "cat", "Cat", "R&D"),
        (4, "dan", "Dan", "R&D"),
    ]
    assert page.total == 5


def test_own_rank_comes_with_neighbours_above_and_below() -> None:
    people = [f"p{i}" for i in range(10)]
    boards = board([credit(p, 100 - 10 * i) for i, p in enumerate(people)], members(*people))

    middle = boards.rank("p5", "all", "company", None, neighbours=2)
    assert (middle.rank, middle.points, middle.shown, middle.total) == (6, 50, True, 10)
    assert [r.person_id for r in middle.above] == ["p3", "p4"]
    assert [r.person_id for r in middle.below] == ["p6", "p7"]
    top = boards.rank("p0", "all", "company", None, neighbours=3)
    assert (top.rank, top.above, [r.rank for r in top.below]) == (1, [], [2, 3, 4])
    assert boards.rank("p9", "all", "company", None, neighbours=3).below == []


def test_someone_who_opted_out_is_on_nobodys_board_but_sees_their_own_rank() -> None:
    known = members("ann", "bob", "cat", "dan", hid=Member("hid", "Hidden", "R&D", opted_out=True))
    boards = board(
        [credit(p, pts, circle_id="go") for p, pts in (("ann", 40), ("bob", 30), ("hid", 35), ("cat", 20), ("dan", 5))],
        known,
    )

    for scope, scope_id in (("company", None), ("department", "R&D"), ("circle", "go")):
        assert "hid" not in [row[1] for row in ranked(boards, "all", scope, scope_id)]
    assert ranked(boards) == [(1, "ann", 40), (2, "bob", 30), (3, "cat", 20), (4, "dan", 5)]
    own = boards.rank("hid", "all", "company", None, neighbours=1)
    assert (own.rank, own.points, own.shown) == (2, 35, False)  # between Ann and Bob, as if shown
    assert ([r.person_id for r in own.above], [r.person_id for r in own.below]) == (["ann"], ["bob"])
    assert boards.departments("all")[0].points == 95  # the hidden person's points reveal nothing there either


def test_people_who_left_were_erased_or_are_unknown_are_not_listed() -> None:
    known = members("ann", gone=Member("gone", "Gone", "R&D", listed=False))
    boards = board([credit("ann", 10), credit("gone", 50), credit("former-employee-1", 70)], known)
    assert ranked(boards) == [(1, "ann", 10)]


def test_month_and_week_boards_count_only_this_month_and_week() -> None:
    known = members("ann", "bob", "cat")
    boards = board(
        [
            credit("ann", 100, LAST_MONTH),
            credit("ann", 1, NOW),
            credit("bob", 7, NOW - timedelta(days=8)),  # this month, last week
            credit("cat", 3, NOW - timedelta(days=1)),
        ],
        known,
    )
    assert ranked(boards, "all") == [(1, "ann", 101), (2, "bob", 7), (3, "cat", 3)]
    assert ranked(boards, "month") == [(1, "bob", 7), (2, "cat", 3), (3, "ann", 1)]
    assert ranked(boards, "week") == [(1, "cat", 3), (2, "ann", 1)]
    assert (boards.period_key("month"), boards.period_key("week")) == ("2026-11", "2026-W48")
    # A week later nobody has points this week: the board is empty, not stale.
    assert ranked(board([credit("cat", 3, NOW)], known, NOW + timedelta(days=7)), "week") == []


def test_department_and_circle_boards_list_their_own_people() -> None:
    known = {
        "ann": Member("ann", "Ann", "R&D"),
        "bob": Member("bob", "Bob", "Sales"),
        "cat": Member("cat", "Cat", "R&D"),
    }
    boards = board(
        [credit("ann", 5, circle_id="go"), credit("bob", 9, circle_id="go"), credit("cat", 7), credit("ann", 4)],
        known,
    )
    assert ranked(boards, "all", "department", "R&D") == [(1, "ann", 9), (2, "cat", 7)]
    assert ranked(boards, "all", "circle", "go") == [(1, "bob", 9), (2, "ann", 5)]
    assert ranked(boards, "all", "circle", "rust") == []
    in_circle = boards.rank("ann", "all", "circle", "go", neighbours=1)
    assert (in_circle.rank, in_circle.points, [r.person_id for r in in_circle.above]) == (2, 5, ["bob"])
    with pytest.raises(Invalid) as refused:
        boards.rank("ann", "all", "department", "Sales")
    assert refused.value.details["field"] == "scope_id"


def test_departments_rank_by_points_per_active_member() -> None:
    known = {
        **{p: Member(p, p, "Big") for p in ("b1", "b2", "b3", "b4", "idle")},
        **{p: Member(p, p, "Small") for p in ("s1",)},
        **{p: Member(p, p, "Even") for p in ("e1", "e2")},
    }
    boards = board(
        [credit(p, 10) for p in ("b1", "b2", "b3", "b4")] + [credit("s1", 25), credit("e1", 30), credit("e2", 20)],
        known,
    )
    rows = [(r.rank, r.department, r.points, r.active_members, r.points_per_member) for r in boards.departments("all")]
    assert rows == [(1, "Even", 50, 2, 25.0), (1, "Small", 25, 1, 25.0), (3, "Big", 40, 4, 10.0)]
    assert boards.departments("week")[2].department == "Big"


def test_anonymous_contributions_reach_boards_the_next_utc_day_only() -> None:
    known = members("ann", "bob")
    credits = [credit("ann", 10), credit("bob", 8), credit("bob", 5, NOW, restricted=True, circle_id="go")]
    assert ranked(board(credits, known)) == [(1, "ann", 10), (2, "bob", 8)]
    assert ranked(board(credits, known), "all", "circle", "go") == []
    midnight = NOW.replace(hour=0, minute=0) + timedelta(days=1)
    assert ranked(board(credits, known, midnight)) == [(1, "bob", 13), (2, "ann", 10)]


@pytest.mark.parametrize(
    ("period", "scope", "scope_id", "field"),
    [
        ("year", "company", None, "period"),
        ("all", "planet", None, "scope"),
        ("all", "department", None, "scope_id"),
        ("week", "circle", "", "scope_id"),
    ],
)
def test_a_board_that_does_not_exist_is_refused_naming_the_field(
    period: str, scope: str, scope_id: str | None, field: str
) -> None:
    boards = board([credit("ann", 1)], members("ann"))
    for read in (
        lambda: boards.top(period, scope, scope_id, 10, 0),
        lambda: boards.rank("ann", period, scope, scope_id),
    ):
        with pytest.raises(Invalid) as refused:
            read()
        assert refused.value.details["field"] == field


def test_someone_with_no_points_is_ranked_after_everyone_who_has_some() -> None:
    boards = board([credit("ann", 10), credit("bob", 10)], members("ann", "bob", "new"))
    own = boards.rank("new", "all", "company", None, neighbours=5)
    assert (own.rank, own.points, own.shown, [r.person_id for r in own.above], own.below) == (
        3,
        0,
        False,
        ["ann", "bob"],
        [],
    )
