# ruff: noqa: RUF001, RUF002 - Russian "yo" folds to "ye": the Cyrillic letters are meant
"""The knowledge base: one searchable place for everything worth keeping, whatever service it came from.

Mentoring owns this read model. An item is an article a curator wrote, a promoted peer solution, or
something another service announced (a master-class recording, ...): other services' items arrive as
events, and an item's id is derived from its source (service + the source's id), so an event delivered
twice makes one item. Each item has an owner and a review period; one whose last review is older than
its period is flagged stale, once, and its owner is told (`KnowledgeItemStale`).

`search` is pure and runs in Python over the loaded items: FerretDB can index nothing but `_id` and has
no text index, so a text query could not be pushed down anyway; at one company's scale (thousands of
items) a scan is fine.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from mentoring.domain.model import LOCALES
from shared.errors import Invalid

MAX_TITLE_LENGTH = 200
MAX_SUMMARY_LENGTH = 5000
MAX_BODY_LENGTH = 100_000
MAX_TAGS = 20
MAX_TAG_LENGTH = 60
MAX_CATEGORY_LENGTH = 100
MIN_REVIEW_DAYS = 1
MAX_REVIEW_DAYS = 3650
MAX_PAGE = 100


class ItemType(StrEnum):
    SOLUTION = "solution"
    BRAINSTORM = "brainstorm"
    MASTER_CLASS = "master_class"
    CONFERENCE_TALK = "conference_talk"
    INTERNSHIP_REPORT = "internship_report"
    ARTICLE = "article"


# --- events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KnowledgeItemStale:
    """The item's last review is older than its review period: its owner is asked to look at it again."""

    item_id: str
    owner_id: str
    title: str
    item_type: str
    last_reviewed_at: datetime
    review_days: int


@dataclass(frozen=True)
class KnowledgeItemReviewed:
    """Someone vouched for the item again; the first review by someone other than its owner is marked."""

    item_id: str
    owner_id: str
    reviewer_id: str
    title: str
    item_type: str
    first_independent_review: bool


KnowledgeEvent = KnowledgeItemStale | KnowledgeItemReviewed


def item_id_for(source_service: str, source_id: str) -> str:
    """The one id an item from this source can have: a redelivered event finds the item already there."""
    return f"{source_service}:{source_id}"


# --- the aggregate ---------------------------------------------------------------------------------


@dataclass
class KnowledgeItem:
    id: str
    type: ItemType
    title: str
    summary: str
    body: str
    language: str
    category: str
    tags: tuple[str, ...]
    owner_id: str
    source_service: str
    source_id: str
    created_at: datetime
    last_reviewed_at: datetime
    review_days: int
    links: tuple[str, ...] = ()
    stale: bool = False
    reviewed_by: str | None = None
    independently_reviewed: bool = False  # someone other than the owner has vouched for it
    events: list[KnowledgeEvent] = field(default_factory=list, compare=False)

    @classmethod
    def create(
        cls,
        *,
        item_type: str,
        title: str,
        summary: str,
        body: str = "",
        language: str,
        category: str = "",
        tags: Sequence[str] = (),
        owner_id: str,
        source_service: str,
        source_id: str,
        review_days: int,
        now: datetime,
        links: Sequence[str] = (),
    ) -> "KnowledgeItem":
        """A new item, reviewed as of now (its author vouches for it today)."""
        title = title.strip()
        if not 1 <= len(title) <= MAX_TITLE_LENGTH:
            raise Invalid(f"a title has 1 to {MAX_TITLE_LENGTH} characters", field="title", limit=MAX_TITLE_LENGTH)
        summary = summary.strip()
        if len(summary) > MAX_SUMMARY_LENGTH:
            raise Invalid(f"a summary has at most {MAX_SUMMARY_LENGTH} characters", field="summary")
        if len(body) > MAX_BODY_LENGTH:
            raise Invalid(f"a body has at most {MAX_BODY_LENGTH} characters", field="body")
        category = category.strip().lower()
        if len(category) > MAX_CATEGORY_LENGTH:
            raise Invalid(f"a category has at most {MAX_CATEGORY_LENGTH} characters", field="category")
        if not owner_id:
            raise Invalid("an item has an owner", field="owner_id")
        _require_aware(now)
        return cls(
            id=item_id_for(source_service, source_id),
            type=parse_type(item_type),
            title=title,
            summary=summary,
            body=body,
            language=parse_language(language),
            category=category,
            tags=clean_tags(tags),
            owner_id=owner_id,
            source_service=source_service,
            source_id=source_id,
            created_at=now,
            last_reviewed_at=now,
            review_days=check_review_days(review_days),
            links=tuple(links),
        )

    def is_due(self, now: datetime) -> bool:
        """True when the last review is older than the review period."""
        return now - self.last_reviewed_at > timedelta(days=self.review_days)

    def flag_if_due(self, now: datetime) -> bool:
        """Flag the item stale (telling its owner) if its review is overdue; True if it was flagged now."""
        if self.stale or not self.is_due(now):
            return False
        self.stale = True
        self.events.append(
            KnowledgeItemStale(
                self.id, self.owner_id, self.title, self.type.value, self.last_reviewed_at, self.review_days
            )
        )
        return True

    def mark_reviewed(self, by: str, now: datetime) -> None:
        """The owner (or a curator) looked at the item and it still holds: reviewed as of now."""
        _require_aware(now)
        first_independent = by != self.owner_id and not self.independently_reviewed
        self.last_reviewed_at = now
        self.stale = False
        self.reviewed_by = by
        self.independently_reviewed = self.independently_reviewed or by != self.owner_id
        self.events.append(
            KnowledgeItemReviewed(self.id, self.owner_id, by, self.title, self.type.value, first_independent)
        )

    def erase_person(self, person_id: str, replacement: str) -> bool:
        """A former employee in the person's place as owner or reviewer; False if absent. The text stays."""
        if person_id not in (self.owner_id, self.reviewed_by):
            return False
        if replacement in (self.owner_id, self.reviewed_by):
            raise ValueError("the replacement id is already in use in this item")
        if self.owner_id == person_id:
            self.owner_id = replacement
        if self.reviewed_by == person_id:
            self.reviewed_by = replacement
        return True

    def to_state(self) -> dict[str, Any]:
        return {
            "type": self.type.value,
            "title": self.title,
            "summary": self.summary,
            "body": self.body,
            "language": self.language,
            "category": self.category,
            "tags": list(self.tags),
            "owner_id": self.owner_id,
            "source_service": self.source_service,
            "source_id": self.source_id,
            "created_at": self.created_at.isoformat(),
            "last_reviewed_at": self.last_reviewed_at.isoformat(),
            "review_days": self.review_days,
            "links": list(self.links),
            "stale": self.stale,
            "reviewed_by": self.reviewed_by,
            "independently_reviewed": self.independently_reviewed,
        }

    @classmethod
    def from_state(cls, item_id: str, state: dict[str, Any]) -> "KnowledgeItem":
        return cls(
            id=item_id,
            type=ItemType(state["type"]),
            title=state["title"],
            summary=state["summary"],
            body=state["body"],
            language=state["language"],
            category=state["category"],
            tags=tuple(state["tags"]),
            owner_id=state["owner_id"],
            source_service=state["source_service"],
            source_id=state["source_id"],
            created_at=datetime.fromisoformat(state["created_at"]),
            last_reviewed_at=datetime.fromisoformat(state["last_reviewed_at"]),
            review_days=state["review_days"],
            links=tuple(state["links"]),
            stale=state["stale"],
            reviewed_by=state["reviewed_by"],
            independently_reviewed=state.get(
                "independently_reviewed", state["reviewed_by"] not in (None, state["owner_id"])
            ),
        )


# --- search ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """What a reader asks for; every part is optional and all given parts must hold."""

    text: str = ""
    tags: tuple[str, ...] = ()
    category: str | None = None
    type: ItemType | None = None
    language: str | None = None
    stale: bool | None = None

    @classmethod
    def checked(
        cls,
        *,
        text: str = "",
        tags: Iterable[str] = (),
        category: str | None = None,
        item_type: str | None = None,
        language: str | None = None,
        stale: bool | None = None,
    ) -> "Query":
        return cls(
            text=text,
            tags=tuple(_fold(tag.strip()) for tag in tags if tag.strip()),
            category=_fold(category.strip()) if category and category.strip() else None,
            type=parse_type(item_type) if item_type else None,
            language=parse_language(language) if language else None,
            stale=stale,
        )


@dataclass(frozen=True)
class Page:
    items: list[KnowledgeItem]
    total: int
    limit: int
    offset: int


def matches(item: KnowledgeItem, query: Query) -> bool:
    """Every filter holds, and every word of the text begins a word of the title, summary or tags.

    Case and "ё"/"е" aside: "напомин" finds "Напоминание", "ёлк" finds "елка", "PYTHON" finds "python".
    """
    if query.type is not None and item.type is not query.type:
        return False
    if query.language is not None and item.language != query.language:
        return False
    if query.category is not None and _fold(item.category) != query.category:
        return False
    if query.stale is not None and item.stale != query.stale:
        return False
    if not set(query.tags) <= {_fold(tag) for tag in item.tags}:
        return False
    words = _words(" ".join((item.title, item.summary, *item.tags)))
    return all(any(word.startswith(wanted) for word in words) for wanted in _words(query.text))


def search(items: Iterable[KnowledgeItem], query: Query, *, limit: int = 20, offset: int = 0) -> Page:
    """One page of the matching items, most recently reviewed first (then newest, then by id: stable pages)."""
    if isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit is 1 to {MAX_PAGE}", field="limit", limit=MAX_PAGE)
    if isinstance(offset, bool) or offset < 0:
        raise Invalid("offset is zero or more", field="offset")
    found = [item for item in items if matches(item, query)]
    found.sort(key=lambda item: (item.last_reviewed_at, item.created_at, item.id), reverse=True)
    return Page(found[offset : offset + limit], len(found), limit, offset)


# --- values ----------------------------------------------------------------------------------------


def parse_type(value: str) -> ItemType:
    try:
        return ItemType(value)
    except ValueError:
        allowed = ", ".join(member.value for member in ItemType)
        raise Invalid(f"type must be one of {allowed}", field="type") from None


def parse_language(value: str) -> str:
    if value not in LOCALES:
        raise Invalid(f"language must be one of {', '.join(LOCALES)}", field="language")
    return value


def check_review_days(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_REVIEW_DAYS <= days <= MAX_REVIEW_DAYS:
        raise Invalid(
            f"a review period is {MIN_REVIEW_DAYS} to {MAX_REVIEW_DAYS} days",
            field="review_days",
            limit=MAX_REVIEW_DAYS,
        )
    return days


def clean_tags(tags: Sequence[str]) -> tuple[str, ...]:
    if isinstance(tags, str) or not all(isinstance(tag, str) for tag in tags):
        raise Invalid("tags must be a list of words", field="tags")
    cleaned = tuple(dict.fromkeys(tag.strip().lower() for tag in tags if tag.strip()))
    if len(cleaned) > MAX_TAGS:
        raise Invalid(f"an item has at most {MAX_TAGS} tags", field="tags", limit=MAX_TAGS)
    if any(len(tag) > MAX_TAG_LENGTH for tag in cleaned):
        raise Invalid(f"a tag has at most {MAX_TAG_LENGTH} characters", field="tags", limit=MAX_TAG_LENGTH)
    return cleaned


def guess_language(text: str) -> str:
    """ "ru" when the text is mostly Cyrillic, else "en" (for sources that do not say)."""
    cyrillic = sum(1 for char in text if "а" <= char.lower() <= "я" or char.lower() == "ё")
    latin = sum(1 for char in text if "a" <= char.lower() <= "z")
    return "ru" if cyrillic > latin else "en"


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value).casefold().replace("ё", "е")


_WORD = re.compile(r"\w+")


def _words(value: str) -> list[str]:
    return _WORD.findall(_fold(value))


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("times must be timezone-aware (UTC)")
