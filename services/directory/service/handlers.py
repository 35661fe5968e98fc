"""The directory's use cases: keep people as HR says they are, and tell every other service.

A userName belongs to one person: it is claimed (a unique key) before the person is written, so two
racing creations cannot both succeed; a claim left behind by a crash or a rename is recognised as stale
(its holder no longer carries that name) and taken over.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from directory.domain import csv_import
from directory.domain.imports import ImportRun, Source, finished_run, new_import_id
from directory.domain.model import Change, Person, ProfileDraft, new_person_id, user_name_key
from directory.service.ports import ImportRuns, People
from shared.errors import Conflict, NotFound

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")


class UserNameTaken(Conflict):
    """Another person already has this userName (SCIM 409 uniqueness)."""


async def get_person(person_id: str, people: People) -> Person:
    person = await people.get(person_id)
    if person is None or person.erased:
        raise NotFound(f"no person {person_id}", person_id=person_id)
    return person


async def find_by_user_name(user_name: str, people: People) -> Person | None:
    holder = await people.owner_of(user_name_key(user_name))
    if holder is None:
        return None
    person = await people.get(holder)
    if person is None or person.erased or person.user_name_key != user_name_key(user_name):
        return None  # a stale claim
    return person


async def _claim(key: str, person_id: str, people: People) -> None:
    if await people.claim(key, person_id):
        return
    holder = await people.owner_of(key)
    current = await people.get(holder) if holder else None
    if current is not None and not current.erased and current.user_name_key == key:
        raise UserNameTaken(f"userName is already used by person {current.id}", user_name=current.user_name)
    await people.take_over(key, person_id)


def _id_for(draft: ProfileDraft) -> str:
    # HR's own id, when it is a usable one, is the person id: the identity provider's tokens carry the
    # same id (Entra's default mapping sends the object id as externalId), so no lookup table is needed.
    external = (draft.external_id or "").strip()
    return external if _ID.match(external) else new_person_id()


async def create_person(draft: ProfileDraft, people: People) -> Person:
    person_id = _id_for(draft)
    if await people.get(person_id) is not None:
        raise Conflict(f"a person with id {person_id} already exists", person_id=person_id)
    change = Person.create(draft, person_id=person_id)
    await _claim(change.person.user_name_key, person_id, people)
    await people.save(change.person, 0, change.events)
    return change.person


async def _store(before: Person, change: Change, people: People) -> Person:
    if not change.changed:
        return before
    if change.person.user_name_key != before.user_name_key:
        await _claim(change.person.user_name_key, before.id, people)
    await people.save(change.person, before.version, change.events)
    if change.person.user_name_key != before.user_name_key:
        await people.release(before.user_name_key, before.id)
    return change.person


async def replace_person(person_id: str, draft: ProfileDraft, people: People) -> Person:
    before = await get_person(person_id, people)
    return await _store(before, before.replace(draft), people)


async def deactivate_person(person_id: str, people: People) -> Person:
    before = await get_person(person_id, people)
    return await _store(before, before.deactivate(), people)


async def upsert_person(draft: ProfileDraft, people: People) -> tuple[Person, str]:
    """Create or update by userName; says which: "created", "updated" or "unchanged"."""
    existing = await find_by_user_name(draft.user_name, people)
    if existing is None:
        return await create_person(draft, people), "created"
    after = await _store(existing, existing.replace(draft), people)
    return after, "unchanged" if after is existing else "updated"


async def erase_person(person_id: str, requested_by: str, reason: str, people: People) -> None:
    """Forget the person here and ask every service to do the same (PersonErasedV1)."""
    before = await get_person(person_id, people)
    change = before.erase()
    await people.save(change.person, before.version, change.events, requested_by=requested_by, reason=reason)
    await people.release(before.user_name_key, person_id)
    await people.forget_history(person_id, change.person.version, change.person.to_state())


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int


async def import_people(csv_text: str, people: People, counts: dict[str, int] | None = None) -> ImportReport:
    """Validate the whole file first (`CsvRejected` lists every bad row, nothing is written), then upsert.

    Re-running the same file changes nothing: every row is then "unchanged". `counts`, when given, is
    kept up to date row by row, so a caller still knows what was written if a row fails midway.
    """
    rows = csv_import.parse_people_csv(csv_text, known_user_names=await people.all_user_name_keys())
    counts = counts if counts is not None else {}
    counts.update(created=0, updated=0, unchanged=0)
    ids: dict[str, str] = {}
    for row in csv_import.managers_first(rows):
        manager_id = None
        if row.manager_user_name:
            manager_key = user_name_key(row.manager_user_name)
            manager_id = ids.get(manager_key) or await people.owner_of(manager_key)
        person, outcome = await upsert_person(row.with_manager_id(manager_id), people)
        ids[person.user_name_key] = person.id
        counts[outcome] += 1
    return ImportReport(**counts)


class ImportRejected(Exception):
    """The file had bad rows and nothing was imported; the run is in the history as `run`."""

    def __init__(self, run: ImportRun, rejected: csv_import.CsvRejected) -> None:
        self.run = run
        self.errors = rejected.errors
        super().__init__(str(rejected))


def _now() -> datetime:
    return datetime.now(UTC)


async def import_and_record(
    csv_text: str,
    people: People,
    runs: ImportRuns,
    started_by: str,
    source: Source,
    clock: Callable[[], datetime] = _now,
) -> ImportRun:
    """Import a people file and add the run to the history, whatever its outcome.

    Raises `ImportRejected` (after recording) when the file has bad rows; any other error is recorded
    as a failed run, with the rows written before it, and raised again.
    """
    started_at = clock()
    run_id = new_import_id(started_at)
    counts: dict[str, int] = {}
    try:
        await import_people(csv_text, people, counts)
    except csv_import.CsvRejected as rejected:
        run = finished_run(run_id, started_at, clock(), started_by, source, errors=rejected.errors)
        await runs.record(run)
        raise ImportRejected(run, rejected) from rejected
    except Exception as error:
        failed = finished_run(run_id, started_at, clock(), started_by, source, counts=counts, failure=str(error))
        await runs.record(failed)
        raise
    run = finished_run(run_id, started_at, clock(), started_by, source, counts=counts)
    await runs.record(run)
    return run


async def get_import_run(run_id: str, runs: ImportRuns) -> ImportRun:
    run = await runs.get(run_id)
    if run is None:
        raise NotFound(f"no import run {run_id}", import_id=run_id)
    return run
