"""Expert of the month: who wins a circle or a department, and how the monthly job names them once."""

import itertools
from collections.abc import Collection
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest

from gamification.domain.engine import HELPFUL_COMMENT_CREDIT, HELPFUL_CREDITS_RESTORED, HELPFUL_CREDITS_REVOKED
from gamification.domain.ledger import Deed, former_employee_id
from gamification.domain.titles import ExpertTitle, Month, experts_of_the_month, parse_scope
from gamification.service import titles
from gamification.tests.fakes import InMemoryDeeds, InMemoryPeople, InMemoryTitles
from shared.contracts.mentoring import CommentMarkedHelpfulV1
from shared.errors import Invalid
from shared.persistence.people import PersonCopy

NOVEMBER = Month(2026, 11)
_ids = itertools.count()


def on(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def mark(author: str, comment: str, at: datetime, circle: str = "circle-a", marked_by: str = "reader") -> Deed:
    data = {
        "circle_id": circle,
        "task_id": "task-1",
        "comment_id": comment,
        "author_id": author,
        "marked_by": marked_by,
    }
    return Deed(f"mark-{next(_ids)}", HELPFUL_COMMENT_CREDIT, data, at, restricted=True)


def correction(kind: str, author: str, comment: str, at: datetime, circle: str = "circle-a") -> Deed:
    data = {"circle_id": circle, "task_id": "task-1", "comment_id": comment, "author_id": author, "marks": 1}
    return Deed(f"correction-{next(_ids)}", kind, data, at, restricted=True)


def named(deeds: list[Deed], anonymous: Collection[str] = (), unseen: Collection[str] = ()) -> list[Deed]:
    """The credits with the public side of each mark, as the store keeps it: anonymous for the comments
    in `anonymous` (the author shown as a pseudonym), and no public mark at all for those in `unseen`."""
    public = []
    for deed in deeds:
        comment = deed.data.get("comment_id")
        if deed.event_type != HELPFUL_COMMENT_CREDIT or comment in unseen:
            continue
        hidden_author = comment in anonymous
        shown = {
            **{key: deed.data[key] for key in ("circle_id", "task_id", "comment_id", "marked_by")},
            "author": "Owl-7" if hidden_author else deed.data["author_id"],
            "anonymous": hidden_author,
        }
        public.append(Deed(f"public-{deed.event_id}", CommentMarkedHelpfulV1.ce_type, shown, deed.at))
    return [*deeds, *public]


def winners(found: list[ExpertTitle]) -> dict[tuple[str, str], tuple[str, int]]:
    return {(title.scope, title.scope_id): (title.person_id, title.helpful_marks) for title in found}


# ------------------------------------------------------------------------------------ deciding


def test_the_most_distinct_helpful_comments_win_not_the_most_marks() -> None:
    deeds = [
        mark("ann", "a1", on(2)),
        mark("ann", "a2", on(3)),
        mark("ann", "a3", on(4)),
        # Bob's one comment was marked by five readers: still one helpful comment.
        *(mark("bob", "b1", on(1), marked_by=f"reader-{n}") for n in range(5)),
        mark("bob", "b2", on(5)),
    ]

    found = experts_of_the_month(NOVEMBER, named(deeds), {})

    assert winners(found) == {("circle", "circle-a"): ("ann", 3)}


def test_a_tie_goes_to_whoever_reached_that_count_first() -> None:
    deeds = [
        mark("ann", "a1", on(1)),  # Ann started first...
        mark("ann", "a2", on(10)),  # ...but reached two on the 10th
        mark("bob", "b1", on(3)),
        mark("bob", "b2", on(5)),  # Bob reached two on the 5th
        mark("bob", "b2", on(20), marked_by="late-reader"),  # a later mark of the same comment changes nothing
    ]

    assert winners(experts_of_the_month(NOVEMBER, named(deeds), {})) == {("circle", "circle-a"): ("bob", 2)}
    assert winners(experts_of_the_month(NOVEMBER, named(list(reversed(deeds))), {})) == {
        ("circle", "circle-a"): ("bob", 2)
    }


def test_a_comment_hidden_and_not_restored_by_month_end_does_not_count() -> None:
    deeds = [
        mark("ann", "a1", on(1)),
        mark("ann", "a2", on(2)),
        mark("ann", "a3", on(3)),
        mark("bob", "b1", on(4)),
        mark("bob", "b2", on(5)),
        correction(HELPFUL_CREDITS_REVOKED, "ann", "a1", on(20)),
        correction(HELPFUL_CREDITS_REVOKED, "ann", "a2", on(30, hour=23)),
    ]

    assert winners(experts_of_the_month(NOVEMBER, named(deeds), {})) == {("circle", "circle-a"): ("bob", 2)}


def test_a_comment_restored_before_month_end_counts_and_a_later_hiding_changes_nothing() -> None:
    deeds = [
        mark("ann", "a1", on(1)),
        mark("ann", "a2", on(2)),
        mark("bob", "b1", on(3)),
        correction(HELPFUL_CREDITS_REVOKED, "ann", "a1", on(10)),
        correction(HELPFUL_CREDITS_RESTORED, "ann", "a1", on(20)),
        correction(HELPFUL_CREDITS_REVOKED, "ann", "a2", on(1, hour=0, month=12)),  # after the month: decided already
    ]

    assert winners(experts_of_the_month(NOVEMBER, named(deeds), {})) == {("circle", "circle-a"): ("ann", 2)}


def test_marks_outside_the_month_and_marks_of_ones_own_comment_do_not_count() -> None:
    deeds = [
        mark("ann", "a1", on(31, month=10)),
        mark("ann", "a2", on(1, hour=0, month=12)),
        mark("ann", "a3", on(2), marked_by="ann"),
        mark("bob", "b1", on(3)),
    ]

    assert winners(experts_of_the_month(NOVEMBER, named(deeds), {})) == {("circle", "circle-a"): ("bob", 1)}


def test_anonymous_comments_do_not_count_towards_a_public_title() -> None:
    deeds = [
        mark("ann", "a1", on(1)),
        mark("ann", "a2", on(2)),  # anonymous
        mark("ann", "a3", on(3)),  # its public mark never arrived: it may be anonymous
        mark("bob", "b1", on(4)),
        mark("bob", "b2", on(5)),
    ]

    found = experts_of_the_month(NOVEMBER, named(deeds, anonymous={"a2"}, unseen={"a3"}), {})

    # Counting them, Ann (3) would win, and her two named comments would show she wrote one anonymously.
    assert winners(found) == {("circle", "circle-a"): ("bob", 2)}


def test_each_circle_and_each_department_has_its_own_expert() -> None:
    deeds = [
        mark("ann", "a1", on(1), circle="circle-a"),
        mark("ann", "a2", on(2), circle="circle-a"),
        mark("ann", "a3", on(3), circle="circle-a"),
        mark("cid", "c1", on(4), circle="circle-a"),
        mark("bob", "b1", on(1), circle="circle-b"),
        mark("bob", "b2", on(2), circle="circle-b"),
        mark("cid", "c2", on(5), circle="circle-b"),
        mark("cid", "c3", on(6), circle="circle-b"),
    ]
    departments = {"ann": "Sales", "bob": "R&D", "cid": "R&D"}

    found = experts_of_the_month(NOVEMBER, named(deeds), departments)

    assert winners(found) == {
        ("circle", "circle-a"): ("ann", 3),
        ("circle", "circle-b"): ("bob", 2),  # Cid also has two there, reached later
        ("department", "R&D"): ("cid", 3),  # a department counts its members' comments in every circle
        ("department", "Sales"): ("ann", 3),
    }


def test_a_person_without_a_department_competes_in_circles_only() -> None:
    deeds = [*(mark("dan", f"d{n}", on(n + 1)) for n in range(5)), mark("ann", "a1", on(9))]

    found = experts_of_the_month(NOVEMBER, named(deeds), {"ann": "Sales", "dan": None})

    assert winners(found) == {("circle", "circle-a"): ("dan", 5), ("department", "Sales"): ("ann", 1)}


def test_people_who_may_not_hold_a_title_leave_it_to_the_next() -> None:
    stand_in = former_employee_id()
    deeds = [
        *(mark(stand_in, f"x{n}", on(n + 1)) for n in range(4)),
        *(mark("gone", f"g{n}", on(n + 1)) for n in range(3)),
        mark("bob", "b1", on(9)),
    ]

    assert winners(experts_of_the_month(NOVEMBER, named(deeds), {}, not_eligible={"gone"})) == {
        ("circle", "circle-a"): ("bob", 1)
    }


def test_a_title_is_held_the_next_month_under_an_id_of_its_month_and_scope() -> None:
    deeds = [mark("ann", "a1", on(3, month=12), circle="circle-a"), mark("ann", "a2", on(4, month=12), "circle-b")]

    first = experts_of_the_month(Month(2026, 12), named(deeds), {"ann": "Sales"})
    again = experts_of_the_month(Month(2026, 12), named(deeds), {"ann": "Sales"})

    assert {(t.counted_month, t.title_month) for t in first} == {("2026-12", "2027-01")}
    assert [t.title_id for t in first] == [t.title_id for t in again]
    assert len({t.title_id for t in first}) == 3


def test_a_title_carries_no_comment_and_no_time_of_a_mark() -> None:
    deeds = [mark("ann", "secret-comment", on(7, hour=9)), mark("ann", "other-comment", on(8))]

    (title,) = experts_of_the_month(NOVEMBER, named(deeds), {})

    shown = asdict(title)
    assert not any(isinstance(value, datetime) for value in shown.values())
    assert not {"secret-comment", "other-comment"} & {str(value) for value in shown.values()}


def test_a_month_is_written_yyyy_mm() -> None:
    assert Month.parse("2026-01") == Month(2026, 1)
    assert str(Month(2026, 12).next()) == "2027-01"
    assert str(Month(2027, 1).previous()) == "2026-12"
    for wrong in ("2026-13", "2026-1", "26-11", "2026/11", "", "0000-01"):
        with pytest.raises(Invalid) as refused:
            Month.parse(wrong)
        assert refused.value.details == {"field": "month"}


def test_a_scope_is_a_circle_or_a_department() -> None:
    assert parse_scope("circle") == "circle"
    assert parse_scope(None) is None
    for wrong, scope_id in (("team", None), (None, "circle-a")):
        with pytest.raises(Invalid) as refused:
            parse_scope(wrong, scope_id)
        assert refused.value.details == {"field": "scope"}


# ------------------------------------------------------------------------------ naming (use cases)


async def stored(*deeds: Deed) -> InMemoryDeeds:
    store = InMemoryDeeds()
    for deed in named(list(deeds)):
        await store.record(deed)
    return store


async def test_naming_the_experts_twice_names_each_once_with_one_event() -> None:
    deeds = await stored(
        mark("ann", "a1", on(1)),
        mark("bob", "b1", on(2), circle="circle-b"),
        mark("bob", "b2", on(3), circle="circle-b"),
    )
    people = InMemoryPeople()
    people.upsert("ann", display_name="Ann", department="Sales")
    people.upsert("bob", display_name="Bob", department="Sales")
    held = InMemoryTitles()

    first = await titles.name_experts("2026-11", deeds, people, held)
    second = await titles.name_experts("2026-11", deeds, people, held)

    assert winners(first) == {
        ("circle", "circle-a"): ("ann", 1),
        ("circle", "circle-b"): ("bob", 2),
        ("department", "Sales"): ("bob", 2),
    }
    assert second == []
    assert len(held.events) == 3


async def test_someone_who_has_left_is_not_named() -> None:
    deeds = await stored(mark("ann", "a1", on(1)), mark("ann", "a2", on(2)), mark("bob", "b1", on(3)))
    people = InMemoryPeople()
    people.copies["ann"] = PersonCopy("ann", active=False, erased=False, fields={"department": "Sales"})
    people.upsert("bob", department="Sales")

    found = await titles.name_experts(NOVEMBER, deeds, people, InMemoryTitles())

    assert winners(found) == {("circle", "circle-a"): ("bob", 1), ("department", "Sales"): ("bob", 1)}


async def test_a_comment_hidden_before_the_month_ended_is_read_back_and_not_counted() -> None:
    deeds = await stored(
        mark("ann", "a1", on(1)),
        mark("ann", "a2", on(2)),
        mark("bob", "b1", on(3)),
        correction(HELPFUL_CREDITS_REVOKED, "ann", "a1", on(15)),
        correction(HELPFUL_CREDITS_REVOKED, "ann", "a2", on(16)),
        correction(HELPFUL_CREDITS_RESTORED, "ann", "a2", on(2, month=12)),  # too late for November
    )

    found = await titles.name_experts(NOVEMBER, deeds, InMemoryPeople(), InMemoryTitles())

    assert winners(found) == {("circle", "circle-a"): ("bob", 1)}


async def test_the_job_names_last_month_once_it_ended_and_its_late_deeds_had_time_to_arrive() -> None:
    deeds = await stored(mark("ann", "a1", on(30, hour=23)))
    held = InMemoryTitles()
    grace = timedelta(minutes=60)

    async def run_at(moment: datetime) -> list[ExpertTitle]:
        return await titles.name_experts_when_due(moment, grace, deeds, InMemoryPeople(), held)

    assert await run_at(on(30, hour=23)) == []  # November is not over
    assert await run_at(datetime(2026, 12, 1, 0, 30, tzinfo=UTC)) == []  # over, but within the grace
    named = await run_at(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    again = await run_at(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))

    assert [(t.person_id, t.counted_month, t.title_month) for t in named] == [("ann", "2026-11", "2026-12")]
    assert again == []
    assert held.settled >= {"2026-11"}


async def test_the_holders_of_a_month_show_their_names_and_default_to_this_month() -> None:
    deeds = await stored(mark("ann", "a1", on(1)), mark("bob", "b1", on(2), circle="circle-b"))
    people = InMemoryPeople()
    people.upsert("ann", display_name="Ann", department="Sales")
    held = InMemoryTitles()
    await titles.name_experts(NOVEMBER, deeds, people, held)

    in_december = await titles.holders(None, None, None, on(15, month=12), held, people)
    one_circle = await titles.holders("2026-12", "circle", "circle-b", on(15), held, people)
    departments = await titles.holders("2026-12", "department", None, on(15), held, people)
    in_november = await titles.holders("2026-11", None, None, on(15), held, people)

    assert [(h.title.scope_id, h.display_name) for h in in_december] == [
        ("circle-a", "Ann"),
        ("circle-b", None),  # the directory does not know Bob (yet)
        ("Sales", "Ann"),
    ]
    assert [h.title.person_id for h in one_circle] == ["bob"]
    assert [h.title.person_id for h in departments] == ["ann"]
    assert in_november == []
    with pytest.raises(Invalid) as refused:
        await titles.holders("2026-13", None, None, on(15), held, people)
    assert refused.value.details == {"field": "month"}
