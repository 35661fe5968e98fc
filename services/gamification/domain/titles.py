"""Expert of the month: who had the most helpful-marked comments in a circle or a department.

At the end of a month (the counted month) each circle and each department names the person with the
most distinct comments marked helpful during that month; they hold the title for the next month (the
title month). What counts:

- a comment counts for its author if at least one helpful mark (a credit deed) happened in the month
  and the one marking it was not the author;
- only comments written under the author's name count: the public helpful mark says whether a comment is
  anonymous, and one that is (or of which no public mark was kept) does not count. A title is public and
  carries a count: were anonymous comments in it, comparing the count with the author's named comments
  would show they wrote anonymously, and which pseudonym's count makes up the difference;
- a comment hidden by a revoke that was not restored by month end does not count (what happens after
  the month end changes nothing: the decision is made once);
- a circle's scope is where the comment was written; a department's is every comment of its members,
  in whichever circle; a person the directory gives no department competes in circles only;
- a tie goes to whoever reached that count earliest: the time their last counted comment got its first
  mark in the month; the same instant (rare) falls back to the person id, so replicas decide alike;
- former employees and people who left are not named: the title is for the next month.

A decision names the person for a scope and a count, never a comment or the time of a mark; counting
named comments only, everything it says can be read from the discussions themselves.

Plain Python: the domain's own modules, stdlib and `shared.errors` only.
"""

import hashlib
import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

from gamification.domain.engine import (
    ENTRY_ID_LENGTH,
    HELPFUL_COMMENT_CREDIT,
    HELPFUL_CREDITS_RESTORED,
    HELPFUL_CREDITS_REVOKED,
)
from gamification.domain.ledger import FORMER_EMPLOYEE_PREFIX, Deed
from shared.contracts.mentoring import CommentMarkedHelpfulV1
from shared.errors import Invalid

Scope = Literal["circle", "department"]
SCOPES: tuple[str, ...] = get_args(Scope)
TITLE_NAME_RU = "Эксперт месяца"
TITLE_NAME_EN = "Expert of the month"
COUNTED_TYPES = (HELPFUL_COMMENT_CREDIT,)
PUBLIC_MARK_TYPES = (CommentMarkedHelpfulV1.ce_type,)
"""The public side of each mark: it says whether the comment is anonymous (its author a pseudonym)."""
CORRECTION_TYPES = (HELPFUL_CREDITS_REVOKED, HELPFUL_CREDITS_RESTORED)
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
LAST_YEAR = 9998  # the month after December 9999 is past what datetime holds


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in UTC (one clock for every replica and every department)."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str, field: str = "month") -> "Month":
        found = _MONTH.match(text.strip()) if isinstance(text, str) else None
        if found is None or not 1 <= int(found.group(1)) <= LAST_YEAR:
            raise Invalid(f"a month is written YYYY-MM, e.g. 2026-11; not {text!r}", field=field)
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, moment: datetime) -> "Month":
        if moment.tzinfo is None:
            raise ValueError("moment must be an aware datetime")
        moment = moment.astimezone(UTC)
        return cls(moment.year, moment.month)

    def start(self) -> datetime:
        return datetime(self.year, self.number, 1, tzinfo=UTC)

    def end(self) -> datetime:
        """The first instant after the month (the next month's start)."""
        return self.next().start()

    def next(self) -> "Month":
        return Month(self.year + 1, 1) if self.number == 12 else Month(self.year, self.number + 1)

    def previous(self) -> "Month":
        return Month(self.year - 1, 12) if self.number == 1 else Month(self.year, self.number - 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.number:02d}"


def parse_scope(text: str | None, scope_id: str | None = None) -> Scope | None:
    """The scope a reader asked for (None: every scope); 422 naming `scope` for anything else."""
    if text is None or text == "":
        if scope_id:
            raise Invalid("scope_id needs the scope it belongs to: circle or department", field="scope")
        return None
    if text == "circle":
        return "circle"
    if text == "department":
        return "department"
    raise Invalid(f"scope is one of {', '.join(SCOPES)}; not {text!r}", field="scope")


def last_month_due(now: datetime, grace: timedelta) -> Month:
    """The latest month whose experts may be named at `now`: it ended at least `grace` ago.

    The grace lets deeds of the month's last minutes, still on their way through Kafka, arrive first.
    """
    return Month.of(now - grace).previous()


@dataclass(frozen=True)
class ExpertTitle:
    title_id: str
    person_id: str
    scope: Scope
    scope_id: str
    counted_month: str
    title_month: str
    helpful_marks: int
    """How many distinct comments of the person were marked helpful in the scope during the counted month."""

    def attributed_to(self, person_id: str) -> "ExpertTitle":
        return ExpertTitle(
            self.title_id,
            person_id,
            self.scope,
            self.scope_id,
            self.counted_month,
            self.title_month,
            self.helpful_marks,
        )


def title_id(counted_month: Month, scope: Scope, scope_id: str) -> str:
    """One decision per month and scope: replicas deciding the same scope derive the same id."""
    key = json.dumps(["expert-of-the-month", str(counted_month), scope, scope_id])
    return hashlib.sha256(key.encode()).hexdigest()[:ENTRY_ID_LENGTH]


def experts_of_the_month(
    month: Month,
    deeds: Iterable[Deed],
    departments: Mapping[str, str | None],
    not_eligible: Collection[str] = (),
) -> list[ExpertTitle]:
    """The experts of `month`, one per circle and department with any counted comment, by scope and scope id.

    `deeds` holds the helpful credits (those outside the month are ignored), the public helpful marks of
    their comments, and the revokes and restores up to the month end. `departments` gives each author's
    department (missing or None: none); `not_eligible` are people who may not be named (they left, or
    were erased).
    """
    deeds = list(deeds)
    start, end = month.start(), month.end()
    hidden = hidden_at(end, deeds)
    named = _named_comments(deeds)
    first_marked: dict[tuple[str, str], datetime] = {}  # (author, comment) -> first mark in the month
    circle_of: dict[str, str] = {}
    for deed in sorted(deeds, key=lambda d: (d.at, d.event_id)):
        if deed.event_type not in COUNTED_TYPES or not start <= deed.at < end:
            continue
        author, comment, circle = _text(deed, "author_id"), _text(deed, "comment_id"), _text(deed, "circle_id")
        if author is None or comment is None or circle is None or comment in hidden or comment not in named:
            continue
        if author == deed.data.get("marked_by") or author in not_eligible or author.startswith(FORMER_EMPLOYEE_PREFIX):
            continue
        first_marked.setdefault((author, comment), deed.at)
        circle_of.setdefault(comment, circle)

    by_scope: dict[tuple[Scope, str], dict[str, list[datetime]]] = {}
    for (author, comment), at in first_marked.items():
        by_scope.setdefault(("circle", circle_of[comment]), {}).setdefault(author, []).append(at)
        department = departments.get(author)
        if department:
            by_scope.setdefault(("department", department), {}).setdefault(author, []).append(at)

    titles = []
    for (scope, scope_id), contenders in sorted(by_scope.items()):
        person, marks = _winner(contenders)
        titles.append(
            ExpertTitle(
                title_id=title_id(month, scope, scope_id),
                person_id=person,
                scope=scope,
                scope_id=scope_id,
                counted_month=str(month),
                title_month=str(month.next()),
                helpful_marks=marks,
            )
        )
    return titles


def _winner(contenders: Mapping[str, list[datetime]]) -> tuple[str, int]:
    """Most comments first; then who reached their count earliest; then the person id (same instant)."""

    def standing(person: str) -> tuple[int, datetime, str]:
        times = sorted(contenders[person])
        return -len(times), times[-1], person

    person = min(contenders, key=standing)
    return person, len(contenders[person])


def hidden_at(end: datetime, deeds: Iterable[Deed]) -> set[str]:
    """Comments whose latest revoke or restore before `end` is a revoke."""
    latest: dict[str, str] = {}
    for deed in sorted(deeds, key=lambda d: (d.at, d.event_id)):
        comment = _text(deed, "comment_id")
        if deed.event_type in CORRECTION_TYPES and deed.at < end and comment is not None:
            latest[comment] = deed.event_type
    return {comment for comment, kind in latest.items() if kind == HELPFUL_CREDITS_REVOKED}


def _named_comments(deeds: Iterable[Deed]) -> set[str]:
    """Comments a public mark shows under their author's name (and none shows anonymous)."""
    named: set[str] = set()
    anonymous: set[str] = set()
    for deed in deeds:
        comment = _text(deed, "comment_id")
        if deed.event_type in PUBLIC_MARK_TYPES and comment is not None:
            (named if deed.data.get("anonymous") is False else anonymous).add(comment)
    return named - anonymous


def _text(deed: Deed, name: str) -> str | None:
    value = deed.data.get(name)
    return value if isinstance(value, str) and value else None
