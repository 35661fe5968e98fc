"""The people CSV, for companies whose HR system cannot speak SCIM.

Parsing and validation only: the file is checked whole before anything is imported, and every bad
row is reported with the line an HR person sees in their editor (line 1 is the header; a quoted value
spanning lines moves the count on accordingly). A file with one bad row is rejected as a whole,
because a half-imported directory (a manager missing, a team without half its members) is worse than
none. The service layer upserts the drafts by user name, so importing the same file twice changes
nothing the second time.

The columns, in any order, names case-insensitive:
    user_name, display_name, email, locale, time_zone   required, with a value on every row
    department, manager_user_name, job_title, external_id, active   optional (active defaults to true)
"""

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from typing import TypeVar

from directory.domain.model import (
    ProfileDraft,
    normalise_display_name,
    normalise_email,
    normalise_locale,
    normalise_time_zone,
    normalise_user_name,
    user_name_key,
)
from shared.errors import Invalid

REQUIRED_COLUMNS = ("user_name", "display_name", "email", "locale", "time_zone")
OPTIONAL_COLUMNS = ("department", "manager_user_name", "job_title", "external_id", "active")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

T = TypeVar("T")

_TRUE = frozenset(("true", "yes", "1"))
_FALSE = frozenset(("false", "no", "0"))


@dataclass(frozen=True)
class RowError:
    """One problem: its line in the file (1 = header), the column if there is one, what is wrong."""

    line: int
    field: str | None
    message: str


class CsvRejected(Exception):
    """The file was not imported; `errors` lists every problem found, in line order."""

    def __init__(self, errors: Iterable[RowError]) -> None:
        self.errors = sorted(errors, key=lambda error: (error.line, _column_order(error.field)))
        super().__init__(f"the people file has {len(self.errors)} problem(s)")


@dataclass(frozen=True)
class CsvPerson:
    """A valid row: the profile (its `manager_id` still None) and the manager's user name to resolve."""

    line: int
    draft: ProfileDraft
    manager_user_name: str | None = None

    def with_manager_id(self, manager_id: str | None) -> ProfileDraft:
        """The profile to upsert once the service layer has found the manager's id."""
        return replace(self.draft, manager_id=manager_id)


def parse_people_csv(text: str, known_user_names: Collection[str] = ()) -> list[CsvPerson]:
    """The people in a CSV file, in file order; raises `CsvRejected` listing every bad row.

    `known_user_names` are the people already in the directory: a manager_user_name must name one of
    them or someone in the file (compared case-insensitively, as user names always are).
    """
    text = text.removeprefix("\ufeff")  # Excel's "CSV UTF-8" starts with a byte order mark
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    errors: list[RowError] = []
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise CsvRejected([RowError(1, None, f"the header cannot be read: {error}")]) from error
    if header is None or not any(cell.strip() for cell in header):
        raise CsvRejected([RowError(1, None, f"the file is empty: the first line must name the columns {_listed()}")])
    columns = _columns(header, errors)
    if errors:
        raise CsvRejected(errors)  # rows cannot be read against a broken header

    rows: list[tuple[int, dict[str, str]]] = []
    misshapen: list[str] = []  # user names on rows of the wrong length, so their reports are not "unknown"
    last_line = reader.line_num
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as error:
            # An unclosed quote swallows the rest of the file: nothing after it can be trusted.
            errors.append(RowError(last_line + 1, None, f"the row cannot be read: {error}"))
            break
        if cells is None:
            break
        line, last_line = last_line + 1, reader.line_num  # a row starts on the line after the previous one ended
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, including a trailing one, are not rows
        if len(cells) != len(columns):
            errors.append(RowError(line, None, f"the row has {len(cells)} values, the header has {len(columns)}"))
            position = columns.index("user_name")
            if position < len(cells):
                misshapen.append(cells[position])
            continue
        rows.append((line, dict(zip(columns, cells, strict=True))))

    people = [person for line, row in rows if (person := _person(line, row, errors)) is not None]
    # Names are checked across every row, valid or not, so one bad cell does not hide a duplicate
    # elsewhere nor make its row's user name look unknown to the people it manages.
    names = [
        _Names(line, user_name_key(row["user_name"]), row.get("manager_user_name", "").strip()) for line, row in rows
    ]
    errors.extend(_duplicates(names))
    errors.extend(_unknown_managers(names, [*known_user_names, *misshapen]))
    errors.extend(_manager_loops(names))
    if errors:
        raise CsvRejected(errors)
    return people


def managers_first(people: Iterable[CsvPerson]) -> list[CsvPerson]:
    """The people ordered so that everyone's manager from the same file comes before them.

    Importing in this order lets the service layer resolve each manager's id in one pass. Otherwise the
    file order is kept; `parse_people_csv` has already refused loops, so the order always exists.
    """
    people = list(people)
    by_key = {person.draft.user_name_key: person for person in people}
    ordered: list[CsvPerson] = []
    placed: set[str] = set()

    def place(person: CsvPerson, chain: frozenset[str]) -> None:
        key = person.draft.user_name_key
        if key in placed or key in chain:
            return
        manager = by_key.get(user_name_key(person.manager_user_name or ""))
        if manager is not None:
            place(manager, chain | {key})
        placed.add(key)
        ordered.append(person)

    for person in people:
        place(person, frozenset())
    return ordered


def _delimiter(text: str) -> str:
    # Excel in a Russian (or German, French…) locale saves "CSV" with semicolons, since the comma is
    # the decimal separator there; the header, which has no quoted commas, tells which one was used.
    first_line = text.split("\n", 1)[0]
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _column_order(field: str | None) -> int:
    return COLUMNS.index(field) if field in COLUMNS else -1


def _listed() -> str:
    return ", ".join(COLUMNS)


def _columns(header: list[str], errors: list[RowError]) -> list[str]:
    columns = [cell.strip().lower() for cell in header]
    seen: set[str] = set()
    for column in columns:
        if not column:
            errors.append(RowError(1, None, "a column has no name"))
        elif column not in COLUMNS:
            errors.append(RowError(1, None, f"unknown column {column!r}: the columns are {_listed()}"))
        elif column in seen:
            errors.append(RowError(1, column, f"column {column!r} appears twice"))
        seen.add(column)
    errors.extend(RowError(1, name, f"missing column {name!r}") for name in REQUIRED_COLUMNS if name not in seen)
    return columns


def _person(line: int, row: dict[str, str], errors: list[RowError]) -> CsvPerson | None:
    """The row as a person, or None after adding one error per bad value (all of them, not just the first)."""
    found_before = len(errors)

    def check(column: str, rule: Callable[[str], T]) -> T | None:
        try:
            return rule(row.get(column, ""))
        except Invalid as error:
            errors.append(RowError(line, column, _message(row.get(column, ""), error)))
            return None

    user_name = check("user_name", normalise_user_name)
    display_name = check("display_name", normalise_display_name)
    email = check("email", normalise_email)
    locale = check("locale", normalise_locale)
    time_zone = check("time_zone", normalise_time_zone)
    active = check("active", _active)
    if user_name is None or display_name is None or email is None or locale is None or time_zone is None:
        return None
    if active is None or len(errors) > found_before:
        return None
    draft = ProfileDraft(
        user_name=user_name,
        display_name=display_name,
        email=email,
        external_id=_optional(row, "external_id"),
        department=_optional(row, "department"),
        job_title=_optional(row, "job_title"),
        locale=locale,
        time_zone=time_zone,
        active=active,
    )
    return CsvPerson(line, draft, _optional(row, "manager_user_name"))


def _message(value: str, error: Invalid) -> str:
    # An empty cell gets a plain "required" rather than the rule's wording about bad values.
    return "a value is required" if not value.strip() else error.message


def _optional(row: dict[str, str], column: str) -> str | None:
    return row.get(column, "").strip() or None


def _active(value: str) -> bool:
    text = value.strip().lower()
    if not text or text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Invalid(f"active must be true/false, yes/no or 1/0, got {value.strip()!r}", field="active")


@dataclass(frozen=True)
class _Names:
    """What the cross-row checks need of a row: its line, its user name key, the manager named in it."""

    line: int
    key: str
    manager: str


def _duplicates(names: list[_Names]) -> list[RowError]:
    lines: dict[str, list[int]] = defaultdict(list)
    for row in names:
        if row.key:
            lines[row.key].append(row.line)
    errors = []
    for row in names:
        others = [line for line in lines.get(row.key, ()) if line != row.line]
        if others:
            listed = ", ".join(str(line) for line in others)
            errors.append(RowError(row.line, "user_name", f"the same user name is also on line {listed}"))
    return errors


def _unknown_managers(names: list[_Names], known_user_names: Collection[str]) -> list[RowError]:
    known = {user_name_key(name) for name in known_user_names} | {row.key for row in names if row.key}
    errors = []
    for row in names:
        if not row.manager:
            continue
        if user_name_key(row.manager) == row.key:
            errors.append(RowError(row.line, "manager_user_name", "a person cannot be their own manager"))
        elif user_name_key(row.manager) not in known:
            message = f"manager {row.manager!r} is neither in this file nor in the directory"
            errors.append(RowError(row.line, "manager_user_name", message))
    return errors


def _manager_loops(names: list[_Names]) -> list[RowError]:
    """Rows whose chain of managers within the file comes back to them (A manages B, B manages A)."""
    manager_of = {row.key: user_name_key(row.manager) for row in names if row.key and row.manager}
    errors = []
    for row in names:
        seen = {row.key}
        current = manager_of.get(row.key)
        if current is None or current == row.key:
            continue  # no manager, or a self-manager, which is reported on its own
        while current is not None and current not in seen:
            seen.add(current)
            current = manager_of.get(current)
        if current == row.key:
            errors.append(RowError(row.line, "manager_user_name", "the chain of managers loops back to this person"))
    return errors
