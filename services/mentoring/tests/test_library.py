# ruff: noqa: RUF001, RUF003 - Russian titles and queries: Cyrillic letters are meant
"""The library of solutions: promoted snapshots with a summary and tags, and a search over them."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from mentoring.domain.library import (
    MAX_SUMMARY_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TITLE_LENGTH,
    LibraryEntry,
    SolutionPromoted,
    search,
)
from shared.errors import Invalid

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def promoted(
    entry_id: str = "entry-1",
    *,
    title: str = "Retry with backoff",
    summary: str = "Wrap the call and wait longer after each failure.",
    tags: list[str] | tuple[str, ...] = ("python", "resilience"),
    text: str = "Use tenacity or a small loop with sleep(2 ** attempt).",
    topic: str = "Python for analysts",
    helpful: int = 0,
    at: datetime = NOW,
) -> LibraryEntry:
    return LibraryEntry.promote(
        entry_id, "circle-1", topic, "task-1", "sol-1", "ann", title, summary, tags, text, "lib-1", helpful, at
    )


# --- promotion -------------------------------------------------------------------------------------


def test_promotion_keeps_a_snapshot_and_credits_the_author() -> None:
    entry = promoted(title="  Retry with backoff ", tags=["Python", " python ", "RESILIENCE"])

    assert entry.title == "Retry with backoff"
    assert entry.tags == ("python", "resilience")
    assert entry.text == "Use tenacity or a small loop with sleep(2 ** attempt)."
    assert entry.promoted_at == NOW
    assert entry.events == [SolutionPromoted("circle-1", "task-1", "sol-1", "ann", "entry-1", "lib-1")]


@pytest.mark.parametrize("title", ["", "  ", "t" * (MAX_TITLE_LENGTH + 1)])
def test_a_title_has_1_to_200_characters(title: str) -> None:
    with pytest.raises(Invalid) as error:
        promoted(title=title)
    assert error.value.details["field"] == "title"


@pytest.mark.parametrize("summary", ["", "\n", "s" * (MAX_SUMMARY_LENGTH + 1)])
def test_a_summary_has_1_to_2000_characters(summary: str) -> None:
    with pytest.raises(Invalid) as error:
        promoted(summary=summary)
    assert error.value.details["field"] == "summary"


@pytest.mark.parametrize(
    "tags",
    [
        [f"tag{number}" for number in range(11)],
        ["ok", " "],
        ["t" * (MAX_TAG_LENGTH + 1)],
        "python",  # a bare string is not a list of tags
    ],
)
def test_up_to_10_tags_of_1_to_40_characters(tags: list[str]) -> None:
    with pytest.raises(Invalid) as error:
        promoted(tags=tags)
    assert error.value.details["field"] == "tags"


def test_limits_are_inclusive_and_duplicates_do_not_count_twice() -> None:
    tags = [f"tag{number}" for number in range(9)] + ["t" * MAX_TAG_LENGTH, "TAG0", "tag1 "]
    entry = promoted(title="t" * MAX_TITLE_LENGTH, summary="s" * MAX_SUMMARY_LENGTH, tags=tags)

    assert len(entry.tags) == 10
    assert entry.tags[-1] == "t" * MAX_TAG_LENGTH
    assert promoted(tags=[]).tags == ()


def test_helpful_count_is_updated_without_an_event_and_never_negative() -> None:
    entry = promoted()
    entry.events.clear()

    entry.update_helpful(7)

    assert entry.helpful == 7
    assert entry.events == []
    with pytest.raises(Invalid) as error:
        entry.update_helpful(-1)
    assert error.value.details["field"] == "helpful"
    assert entry.helpful == 7


# --- search ----------------------------------------------------------------------------------------


def _library() -> list[LibraryEntry]:
    return [
        promoted(
            "reminders",
            title="Напоминание о встрече",
            summary="Бот шлёт напоминания за день до встречи.",
            tags=["бот", "календарь"],
            text="Используйте cron и очередь.",
            topic="Автоматизация",
            helpful=3,
            at=NOW,
        ),
        promoted(
            "trees",
            title="Ёлка из звёздочек",
            summary="Рекурсия на примере ёлки.",
            tags=["рекурсия", "python"],
            text="def tree(n): ...",
            topic="Python для аналитиков",
            helpful=9,
            at=NOW - timedelta(days=2),
        ),
        promoted(
            "retry",
            title="Retry with backoff",
            summary="Wrap the call and wait longer after each failure.",
            tags=["python", "resilience"],
            text="Use tenacity.",
            topic="Python for analysts",
            helpful=3,
            at=NOW - timedelta(days=1),
        ),
    ]


def _ids(entries: list[LibraryEntry]) -> list[str]:
    return [entry.id for entry in entries]


def test_no_criteria_lists_everything_newest_first() -> None:
    assert _ids(search(_library())) == ["reminders", "retry", "trees"]


def test_helpful_order_puts_the_most_helpful_first_and_newest_among_equals() -> None:
    assert _ids(search(_library(), order="helpful")) == ["trees", "reminders", "retry"]


def test_an_unknown_order_is_refused_by_name() -> None:
    with pytest.raises(Invalid) as error:
        search(_library(), order="oldest")  # type: ignore[arg-type]  # what an HTTP query could send
    assert error.value.details["field"] == "order"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("напомин", ["reminders"]),  # a prefix of "напоминание"
        ("НАПОМИНАНИЕ встреч", ["reminders"]),  # every word, any case
        ("шлет", ["reminders"]),  # "ё" typed as "е"
        ("елка звездочек", ["trees"]),
        ("ёлка", ["trees"]),
        ("BACKOFF", ["retry"]),
        ("tenac", ["retry"]),  # the snapshot text is searched
        ("analysts", ["retry"]),  # so is the circle's topic
        ("resil", ["retry"]),  # and the tags
        ("python", ["retry", "trees"]),
        ("python cron", []),  # every word must match somewhere
        ("ackoff", []),  # a word matches from its start, not in its middle
    ],
)
def test_search_by_text(text: str, expected: list[str]) -> None:
    assert _ids(search(_library(), text=text)) == expected


def test_every_tag_asked_for_must_be_present() -> None:
    library = _library()

    assert _ids(search(library, tags=["python"])) == ["retry", "trees"]
    assert _ids(search(library, tags=["Python", "рекурсия"])) == ["trees"]
    assert _ids(search(library, tags=["python", "бот"])) == []
    assert _ids(search(library, text="wrap", tags=["python"], order="helpful")) == ["retry"]


# --- state and erasure -----------------------------------------------------------------------------


def test_the_state_round_trips_through_plain_json() -> None:
    entry = promoted(tags=["ёлка", "python"], helpful=4)

    state = json.loads(json.dumps(entry.to_state()))

    assert LibraryEntry.from_state("entry-1", state) == entry
    assert all(not isinstance(item, list) for item in state["tags"])


def test_erasure_replaces_the_author_and_the_promoter() -> None:
    entry = promoted()
    entry.events.clear()

    assert entry.erase_person("ann", "former-employee-1") is True
    assert entry.erase_person("lib-1", "former-employee-2") is True

    assert (entry.author_id, entry.promoted_by) == ("former-employee-1", "former-employee-2")
    state = json.dumps(entry.to_state())
    assert '"ann"' not in state
    assert "lib-1" not in state
    assert entry.events == []


def test_erasing_someone_not_on_the_entry_changes_nothing() -> None:
    entry = promoted()
    before = entry.to_state()

    assert entry.erase_person("max", "former-employee-3") is False
    assert entry.to_state() == before
