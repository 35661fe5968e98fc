# ruff: noqa: RUF003 - Russian "yo" folds to "ye": the Cyrillic letters are meant
"""The knowledge base's rules: staleness and search, in memory."""

from datetime import UTC, datetime, timedelta

import pytest

from mentoring.domain.knowledge import (
    KnowledgeItem,
    KnowledgeItemReviewed,
    KnowledgeItemStale,
    Query,
    guess_language,
    item_id_for,
    search,
)
from shared.errors import Invalid

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def item(source_id: str = "a1", *, title: str = "Window functions in SQL", tags: tuple[str, ...] = ("sql",),
         language: str = "en", item_type: str = "article", category: str = "data", days_ago: int = 0,
         review_days: int = 180, summary: str = "Ranking without self-joins") -> KnowledgeItem:  # fmt: skip
    return KnowledgeItem.create(
        item_type=item_type,
        title=title,
        summary=summary,
        language=language,
        category=category,
        tags=tags,
        owner_id="owner-1",
        source_service="knowledge",
        source_id=source_id,
        review_days=review_days,
        now=NOW - timedelta(days=days_ago),
    )


def test_an_items_id_comes_from_its_source() -> None:
    assert item("x").id == item_id_for("knowledge", "x") == "knowledge:x"


def test_an_item_is_stale_only_after_its_review_period_and_is_flagged_once() -> None:
    fresh = item(review_days=30)
    assert not fresh.flag_if_due(NOW + timedelta(days=30))
    assert fresh.flag_if_due(NOW + timedelta(days=31))
    assert fresh.stale
    assert fresh.events == [KnowledgeItemStale(fresh.id, "owner-1", fresh.title, "article", NOW, 30)]
    assert not fresh.flag_if_due(NOW + timedelta(days=60))  # flagged already: the owner is not told twice
    assert len(fresh.events) == 1


def test_a_review_clears_the_flag_and_restarts_the_period() -> None:
    old = item(review_days=30)
    old.flag_if_due(NOW + timedelta(days=40))
    old.mark_reviewed("curator-1", NOW + timedelta(days=41))
    assert not old.stale
    assert old.last_reviewed_at == NOW + timedelta(days=41)
    assert not old.is_due(NOW + timedelta(days=70))
    assert KnowledgeItem.from_state(old.id, old.to_state()) == old


def test_only_the_first_review_by_someone_other_than_the_owner_makes_a_reviewed_item() -> None:
    article = item(review_days=30)
    article.mark_reviewed("owner-1", NOW + timedelta(days=1))  # the owner vouching for their own text
    article.mark_reviewed("curator-1", NOW + timedelta(days=2))
    article.mark_reviewed("curator-2", NOW + timedelta(days=3))
    restored = KnowledgeItem.from_state(article.id, article.to_state())
    restored.mark_reviewed("curator-3", NOW + timedelta(days=4))  # remembered across loads
    reviewed = [e for e in article.events + restored.events if isinstance(e, KnowledgeItemReviewed)]
    assert [(e.reviewer_id, e.first_independent_review) for e in reviewed] == [
        ("owner-1", False), ("curator-1", True), ("curator-2", False), ("curator-3", False)
    ]  # fmt: skip
    assert {e.owner_id for e in reviewed} == {"owner-1"}


def test_search_matches_every_word_against_title_summary_and_tags() -> None:
    sql = item("1")
    crm = item("2", title="Напоминания клиентам в CRM", summary="Ёлочная распродажа", tags=("crm", "продажи"),
               language="ru", category="Sales")  # fmt: skip
    items = [sql, crm]
    assert search(items, Query.checked(text="window SQL")).items == [sql]
    assert search(items, Query.checked(text="напомин")).items == [crm]  # a prefix, any case
    assert search(items, Query.checked(text="елочн")).items == [crm]  # "ё" read as "е"
    assert search(items, Query.checked(text="ПРОДАЖ")).items == [crm]  # a tag's word
    assert search(items, Query.checked(text="window crm")).items == []  # every word must match
    assert search(items, Query.checked(tags=["CRM"])).items == [crm]
    assert search(items, Query.checked(category="sales")).items == [crm]
    assert search(items, Query.checked(language="en")).items == [sql]
    assert search(items, Query.checked(item_type="master_class")).items == []


def test_search_orders_newest_reviewed_first_and_pages() -> None:
    items = [item(str(n), days_ago=n) for n in range(5)]
    page = search(items, Query.checked(), limit=2, offset=1)
    assert [i.source_id for i in page.items] == ["1", "2"]
    assert page.total == 5
    stale = item("9", days_ago=400)
    stale.flag_if_due(NOW)
    assert search([*items, stale], Query.checked(stale=True)).items == [stale]


@pytest.mark.parametrize(
    ("ask", "field"),
    [
        (lambda: Query.checked(item_type="podcast"), "type"),
        (lambda: Query.checked(language="de"), "language"),
        (lambda: search([], Query(), limit=0), "limit"),
        (lambda: search([], Query(), limit=101), "limit"),
        (lambda: search([], Query(), offset=-1), "offset"),
        (lambda: item(review_days=0), "review_days"),
        (lambda: item(title=" "), "title"),
    ],
)
def test_bad_input_names_its_field(ask: object, field: str) -> None:
    with pytest.raises(Invalid) as raised:
        ask()  # type: ignore[operator]
    assert raised.value.details.get("field") == field


def test_the_language_of_a_source_that_does_not_say_is_guessed() -> None:
    assert guess_language("Как настроить напоминания в CRM") == "ru"
    assert guess_language("How to set reminders") == "en"
