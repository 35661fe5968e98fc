# ruff: noqa: RUF001, RUF002 - Russian "yo" folds to "ye": the Cyrillic letters are meant
"""The library of solutions: the best answers of the peer-learning circles, kept for everyone after.

A librarian or a facilitator promotes a solution with a title, a summary and tags. The entry keeps a
snapshot of the solution's text as it was at promotion time, so the library stays whole even if the
discussion moves on, the solution is edited or the circle closes. Who may promote is the service's
to check; an entry only keeps its own content valid.

`search` is pure: the service loads the entries and asks; no index is needed at the scale of one
company's circles.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from shared.errors import Invalid

MAX_TITLE_LENGTH = 200
MAX_SUMMARY_LENGTH = 2000
MAX_TAGS = 10
MAX_TAG_LENGTH = 40


# --- events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SolutionPromoted:
    """Promotion credits the author: gamification and notifications listen for it."""

    circle_id: str
    task_id: str
    solution_id: str
    author_id: str
    entry_id: str
    promoted_by: str


LibraryEvent = SolutionPromoted


# --- values ----------------------------------------------------------------------------------------


class SearchOrder(StrEnum):
    NEWEST = "newest"  # most recently promoted first
    HELPFUL = "helpful"  # most helpful first, then newest


# --- the aggregate ---------------------------------------------------------------------------------


@dataclass
class LibraryEntry:
    id: str
    circle_id: str
    circle_topic: str
    task_id: str
    solution_id: str
    author_id: str
    title: str
    summary: str
    tags: tuple[str, ...]
    text: str  # the solution as it read when promoted, not as it reads now
    promoted_by: str
    promoted_at: datetime
    helpful: int = 0
    kind: Literal["solution", "brainstorm"] = "solution"
    """A promoted solution, or a brainstorm's summary (its task_id is the brainstorm's id, its solution_id empty)."""
    events: list[LibraryEvent] = field(default_factory=list, compare=False)

    @classmethod
    def promote(
        cls,
        entry_id: str,
        circle_id: str,
        circle_topic: str,
        task_id: str,
        solution_id: str,
        author_id: str,
        title: str,
        summary: str,
        tags: Sequence[str],
        text: str,
        promoted_by: str,
        helpful: int,
        now: datetime,
    ) -> "LibraryEntry":
        entry = cls._checked(
            entry_id, circle_id, circle_topic, task_id, solution_id, author_id, title, summary, tags, text, promoted_by,
            helpful, now,
        )  # fmt: skip
        entry.events.append(SolutionPromoted(circle_id, task_id, solution_id, author_id, entry_id, promoted_by))
        return entry

    @classmethod
    def keep_brainstorm(
        cls,
        entry_id: str,
        circle_id: str,
        circle_topic: str,
        brainstorm_id: str,
        facilitator_id: str,
        title: str,
        decision: str,
        tags: Sequence[str],
        summary_text: str,
        now: datetime,
    ) -> "LibraryEntry":
        """A decided brainstorm's summary kept in its circle's library, by its facilitator. No event: the
        decision is news of its own (BrainstormDecided), and no author is credited for a summary."""
        entry = cls._checked(
            entry_id, circle_id, circle_topic, brainstorm_id, "", facilitator_id, title,
            decision[:MAX_SUMMARY_LENGTH], tags, summary_text, facilitator_id, 0, now,
        )  # fmt: skip
        entry.kind = "brainstorm"
        return entry

    @classmethod
    def _checked(
        cls,
        entry_id: str,
        circle_id: str,
        circle_topic: str,
        task_id: str,
        solution_id: str,
        author_id: str,
        title: str,
        summary: str,
        tags: Sequence[str],
        text: str,
        promoted_by: str,
        helpful: int,
        now: datetime,
    ) -> "LibraryEntry":
        title = title.strip()
        if not 1 <= len(title) <= MAX_TITLE_LENGTH:
            raise Invalid(f"a title has 1 to {MAX_TITLE_LENGTH} characters", field="title", limit=MAX_TITLE_LENGTH)
        summary = summary.strip()
        if not 1 <= len(summary) <= MAX_SUMMARY_LENGTH:
            raise Invalid(
                f"a summary has 1 to {MAX_SUMMARY_LENGTH} characters", field="summary", limit=MAX_SUMMARY_LENGTH
            )
        cleaned_tags = _clean_tags(tags)
        _require_count(helpful)
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("times must be timezone-aware (UTC)")
        return cls(
            id=entry_id,
            circle_id=circle_id,
            circle_topic=circle_topic,
            task_id=task_id,
            solution_id=solution_id,
            author_id=author_id,
            title=title,
            summary=summary,
            tags=cleaned_tags,
            text=text,
            promoted_by=promoted_by,
            promoted_at=now,
            helpful=helpful,
        )

    # No event: the count mirrors the solution's "helpful" marks, which are news of their own.
    def update_helpful(self, count: int) -> None:
        """Copy the solution's current count of "helpful" marks, so the library can order by it."""
        _require_count(count)
        self.helpful = count

    def erase_person(self, person_id: str, replacement: str) -> bool:
        """Put a former employee in the person's place as author or promoter; False if absent.

        The snapshot text stays: it is the circle's knowledge, not the person's record. No event.
        """
        if person_id not in (self.author_id, self.promoted_by):
            return False
        if replacement in (self.author_id, self.promoted_by):
            raise ValueError("the replacement id is already in use in this library entry")
        if self.author_id == person_id:
            self.author_id = replacement
        if self.promoted_by == person_id:
            self.promoted_by = replacement
        return True

    # The state as plain data, for the repository.
    def to_state(self) -> dict[str, Any]:
        return {
            "circle_id": self.circle_id,
            "circle_topic": self.circle_topic,
            "task_id": self.task_id,
            "solution_id": self.solution_id,
            "author_id": self.author_id,
            "title": self.title,
            "summary": self.summary,
            "tags": list(self.tags),
            "text": self.text,
            "promoted_by": self.promoted_by,
            "promoted_at": self.promoted_at.isoformat(),
            "helpful": self.helpful,
            "kind": self.kind,
        }

    @classmethod
    def from_state(cls, entry_id: str, state: dict[str, Any]) -> "LibraryEntry":
        return cls(
            id=entry_id,
            circle_id=state["circle_id"],
            circle_topic=state["circle_topic"],
            task_id=state["task_id"],
            solution_id=state["solution_id"],
            author_id=state["author_id"],
            title=state["title"],
            summary=state["summary"],
            tags=tuple(state["tags"]),
            text=state["text"],
            promoted_by=state["promoted_by"],
            promoted_at=datetime.fromisoformat(state["promoted_at"]),
            helpful=state["helpful"],
            kind=state.get("kind", "solution"),
        )


# --- search ----------------------------------------------------------------------------------------


def search(
    entries: Sequence[LibraryEntry],
    *,
    text: str = "",
    tags: Sequence[str] = (),
    order: Literal["newest", "helpful"] = "newest",
) -> list[LibraryEntry]:
    """The entries matching every word of `text` and carrying every one of `tags`, in `order`.

    A word matches when it begins a word of the title, summary, text, tags or circle topic, case
    and "ё"/"е" aside: "напомин" finds "Напоминание", "ёлк" finds "елка".
    """
    try:
        parsed_order = SearchOrder(order)
    except ValueError:
        raise Invalid("order must be newest or helpful", field="order") from None
    query_words = _words(text)
    wanted_tags = {_fold(tag.strip()) for tag in _as_list(tags, "tags")}

    def matches(entry: LibraryEntry) -> bool:
        if not wanted_tags <= {_fold(tag) for tag in entry.tags}:
            return False
        entry_words = _words(" ".join((entry.title, entry.summary, entry.text, *entry.tags, entry.circle_topic)))
        return all(any(word.startswith(query) for word in entry_words) for query in query_words)

    found = [entry for entry in entries if matches(entry)]
    # Two stable sorts: newest first, then (for "helpful") by count, keeping newest first among equals.
    found.sort(key=lambda entry: entry.promoted_at, reverse=True)
    if parsed_order is SearchOrder.HELPFUL:
        found.sort(key=lambda entry: entry.helpful, reverse=True)
    return found


def _fold(value: str) -> str:
    """One spelling for comparison: Unicode-normalised, case-folded, "ё" read as "е" (as Russians type it)."""
    return unicodedata.normalize("NFKC", value).casefold().replace("ё", "е")


_WORD = re.compile(r"\w+")


def _words(value: str) -> list[str]:
    return _WORD.findall(_fold(value))


def _clean_tags(tags: Sequence[str]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(tag.strip().lower() for tag in _as_list(tags, "tags")))  # first spelling kept
    if len(cleaned) > MAX_TAGS:
        raise Invalid(f"an entry has at most {MAX_TAGS} tags", field="tags", limit=MAX_TAGS)
    if any(not 1 <= len(tag) <= MAX_TAG_LENGTH for tag in cleaned):
        raise Invalid(f"a tag has 1 to {MAX_TAG_LENGTH} characters", field="tags", limit=MAX_TAG_LENGTH)
    return cleaned


def _as_list(values: Iterable[str], field_name: str) -> list[str]:
    # A bare string is a sequence of letters: "python" must not become six one-letter tags.
    if isinstance(values, str):
        raise Invalid(f"{field_name} must be a list of words", field=field_name)
    listed = list(values)
    if not all(isinstance(value, str) for value in listed):
        raise Invalid(f"{field_name} must be a list of words", field=field_name)
    return listed


def _require_count(count: int) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise Invalid("helpful is a count: a whole number, zero or more", field="helpful")
