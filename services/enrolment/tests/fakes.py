"""In-memory stand-ins for the adapters: a course repository that behaves like the versioned store
(state round-trips, versions clash, every version kept with its events) and keeps the same caches as the
Mongo one (catalogue cards, offer deadlines), a directory copy, an erasure ledger."""

import asyncio
import builtins
import dataclasses
from datetime import datetime
from typing import Any

from enrolment.adapters.repository import catalogue_card
from enrolment.domain.events import DomainEvent
from enrolment.domain.model import CohortWindow, Course, catalogue_status
from shared.concurrency import ConcurrencyConflict
from shared.persistence.erasures import replace_value
from shared.persistence.people import PersonCopy


def names(value: Any, person_id: str) -> bool:
    """True if `person_id` is stored anywhere in `value`."""
    return bool(replace_value(value, person_id, f"\0{person_id}") != value)


class InMemoryCourseRepository:
    def __init__(self, *, yield_on_load: bool = False) -> None:
        self.states: dict[str, tuple[dict[str, Any], int]] = {}
        self.history: dict[str, builtins.list[dict[str, Any]]] = {}  # per course, version N at index N-1
        self.titles: dict[str, str] = {}
        self.published: builtins.list[DomainEvent] = []
        self.catalogue: dict[str, dict[str, Any]] = {}  # catalogue cards, as the Mongo adapter caches them
        self.deadlines: dict[str, datetime] = {}  # each course's next seat-offer deadline
        self.conflicts = 0
        self.yield_on_load = yield_on_load  # lets concurrent use cases interleave between load and save

    async def get(self, course_id: str) -> tuple[Course, int] | None:
        found = self.states.get(course_id)
        if self.yield_on_load:
            await asyncio.sleep(0)
        if found is None:
            return None
        state, version = found
        return Course.from_state(course_id, state), version

    async def save(self, course: Course, expected_version: int) -> None:
        _, current = self.states.get(course.id, ({}, 0))
        if current != expected_version:
            self.conflicts += 1
            raise ConcurrencyConflict(f"{course.id} is at version {current}, not {expected_version}")
        # A copy through plain data, as a real store would keep it: nothing shared by reference.
        state = Course.from_state(course.id, course.to_state()).to_state()
        self.states[course.id] = (state, expected_version + 1)
        commit = {"state": state, "events": [dataclasses.asdict(event) for event in course.events]}
        self.history.setdefault(course.id, []).append(commit)
        self.published.extend(course.events)
        course.events.clear()
        self.catalogue[course.id] = catalogue_card(course)
        deadline = course.next_offer_deadline()
        if deadline is None:
            self.deadlines.pop(course.id, None)
        else:
            self.deadlines[course.id] = deadline

    async def search(
        self, now: datetime, *, text: str | None = None, competency: str | None = None, language: str | None = None,
        status: str | None = None, statuses: tuple[str, ...] = ("approved",), limit: int = 50, offset: int = 0,
    ) -> tuple[builtins.list[dict[str, Any]], int]:  # fmt: skip
        """The Mongo adapter's filters over the cached cards, in id order, each with its status at `now`."""
        wanted = text.casefold().split() if text else []
        found = []
        for _, stored in sorted(self.catalogue.items()):
            if stored["status"] not in statuses:
                continue
            card = {**stored, "cohorts": [dict(w) for w in stored["cohorts"]]}
            card["catalogue_status"] = catalogue_status([CohortWindow(**w) for w in card["cohorts"]], now)
            if (
                all(word in card["search_text"] for word in wanted)
                and (competency is None or competency in card["competencies"])
                and (language is None or card["language"] == language)
                and (status is None or card["catalogue_status"] == status)
            ):
                found.append(card)
        return found[offset : offset + limit], len(found)

    async def with_open_stream_proposal(self) -> builtins.list[Course]:
        return [
            Course.from_state(course_id, self.states[course_id][0])
            for course_id, card in sorted(self.catalogue.items())
            if card["stream_proposal_open"]
        ]

    async def with_offers_due(self, now: datetime) -> builtins.list[str]:
        return [course_id for course_id, at in sorted(self.deadlines.items()) if at <= now]

    async def forget_ended_offers(self, course: Course, now: datetime) -> None:
        """Nothing to forget: this fake keeps only each course's next deadline, recomputed on save."""

    async def applied_to_by(self, person_id: str) -> builtins.list[Course]:
        return [
            Course.from_state(course_id, state)
            for course_id, (state, _) in sorted(self.states.items())
            if any(a["person_id"] == person_id for a in state["applications"])
        ]

    async def involving(self, person_id: str) -> builtins.list[str]:
        return sorted(
            course_id
            for course_id in self.states
            if names(self.states[course_id][0], person_id) or names(self.history.get(course_id, []), person_id)
        )

    async def erase_from_history(self, course_id: str, person_id: str, replacement: str, through_version: int) -> int:
        changed = 0
        for commit in self.history.get(course_id, [])[:through_version]:
            course = Course.from_state(course_id, commit["state"])
            state = course.to_state() if course.erase_person(person_id, replacement) else commit["state"]
            events = replace_value(commit["events"], person_id, replacement)
            if state != commit["state"] or events != commit["events"]:
                commit.update(state=state, events=events)
                changed += 1
        return changed


class InMemoryPeople:
    """The directory copy's rules: a deactivated or erased person is blocked, an unknown one is not."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}

    def upsert(self, person_id: str, *, active: bool = True, **fields: Any) -> None:
        self.documents[person_id] = {"active": active, "erased": False, "version": 1, **fields}

    def deactivate(self, person_id: str) -> None:
        self.documents.setdefault(person_id, {"erased": False, "version": 1})["active"] = False

    async def get(self, person_id: str) -> PersonCopy | None:
        document = self.documents.get(person_id)
        if document is None:
            return None
        fields = {k: v for k, v in document.items() if k not in ("active", "erased", "version")}
        return PersonCopy(person_id, bool(document.get("active")), bool(document.get("erased")), fields)

    async def is_blocked(self, person_id: str) -> bool:
        document = self.documents.get(person_id)
        return document is not None and (not document["active"] or document["erased"])

    async def export(self, person_id: str) -> dict[str, Any] | None:
        document = self.documents.get(person_id)
        return None if document is None or document["erased"] else dict(document)

    async def apply_erased(self, person_id: str) -> None:
        self.documents[person_id] = {"active": False, "erased": True}


class InMemoryErasures:
    def __init__(self) -> None:
        self.under_way: dict[str, str] = {}
        self.begun = 0

    async def begin(self, person_id: str, replacement: str) -> str:
        self.begun += 1
        return self.under_way.setdefault(person_id, replacement)

    async def finish(self, person_id: str) -> None:
        self.under_way.pop(person_id, None)


# --- a cohort's run -------------------------------------------------------------------------------------

from enrolment.domain.cohort_run import Roster  # noqa: E402 (appended section)
from shared.errors import NotFound  # noqa: E402


class FakeRosters:
    """The course side's rosters, set by the test: NotFound for a course or cohort it was not told of."""

    def __init__(self) -> None:
        self.rosters: dict[tuple[str, str], Roster] = {}

    def put(self, roster: Roster) -> None:
        self.rosters[(roster.course_id, roster.cohort_id)] = roster

    async def roster(self, course_id: str, cohort_id: str) -> Roster:
        found = self.rosters.get((course_id, cohort_id))
        if found is None:
            raise NotFound(f"course {course_id} has no cohort {cohort_id}")
        return found


# --- erasure and export of cohort runs and trainers' profiles ---------------------------------------------

from enrolment.domain.cohort_run import CohortRun, CompletionDecided  # noqa: E402
from enrolment.domain.trainers import Debut, Trainer  # noqa: E402


class InMemoryCohortRuns:
    """Runs as the versioned store keeps them (every version with its events) and the certificate index."""

    def __init__(self) -> None:
        self.states: dict[str, tuple[dict[str, Any], int]] = {}
        self.history: dict[str, builtins.list[dict[str, Any]]] = {}  # per run, version N at index N-1
        self.certificates: dict[str, str] = {}  # number → cohort id

    async def get(self, cohort_id: str) -> tuple[CohortRun, int] | None:
        found = self.states.get(cohort_id)
        return None if found is None else (CohortRun.from_state(cohort_id, found[0]), found[1])

    async def save(self, run: CohortRun, expected_version: int) -> None:
        _, current = self.states.get(run.cohort_id, ({}, 0))
        if current != expected_version:
            raise ConcurrencyConflict(f"{run.cohort_id} is at version {current}, not {expected_version}")
        for event in run.events:
            if isinstance(event, CompletionDecided) and event.certificate_number is not None:
                self.certificates[event.certificate_number] = run.cohort_id
        state = CohortRun.from_state(run.cohort_id, run.to_state()).to_state()
        self.states[run.cohort_id] = (state, expected_version + 1)
        events = [dataclasses.asdict(event) for event in run.events]
        self.history.setdefault(run.cohort_id, []).append({"state": state, "events": events})
        run.events.clear()

    async def cohort_of_certificate(self, number: str) -> str | None:
        return self.certificates.get(number)

    async def involving(self, person_id: str) -> builtins.list[str]:
        return sorted(
            cohort_id
            for cohort_id in self.states
            if names(self.states[cohort_id][0], person_id) or names(self.history.get(cohort_id, []), person_id)
        )

    async def erase_from_history(self, cohort_id: str, person_id: str, replacement: str, through_version: int) -> int:
        changed = 0
        for commit in self.history.get(cohort_id, [])[:through_version]:
            run = CohortRun.from_state(cohort_id, commit["state"])
            state = run.to_state() if run.erase_person(person_id, replacement) else commit["state"]
            events = commit["events"]
            for old, new in [(person_id, replacement), *run.erased_certificate_numbers(person_id, replacement).items()]:
                events = replace_value(events, old, new)
            if state != commit["state"] or events != commit["events"]:
                commit.update(state=state, events=events)
                changed += 1
        return changed

    async def erase_certificates(self, run: CohortRun, person_id: str, replacement: str) -> int:
        dropped = 0
        for old, new in run.erased_certificate_numbers(person_id, replacement).items():
            self.certificates[new] = run.cohort_id
            dropped += self.certificates.pop(old, None) is not None
        return dropped


class InMemoryTrainerRecords:
    """Profiles keyed by person with every version, and debuts (with whether each was announced yet)."""

    def __init__(self, people: InMemoryPeople | None = None) -> None:
        self.history: dict[str, builtins.list[dict[str, Any]]] = {}  # per person, version N at index N-1
        self.debuts: dict[str, tuple[Debut, bool]] = {}  # person → (debut, published)
        self.announced: builtins.list[tuple[str, str]] = []
        self.people = people

    async def _erased(self, person_id: str) -> bool:
        found = await self.people.get(person_id) if self.people is not None else None
        return found is not None and found.erased

    async def get(self, person_id: str) -> tuple[Trainer, int] | None:
        versions = self.history.get(person_id)
        return None if not versions else (Trainer.from_state(person_id, versions[-1]), len(versions))

    async def save(self, trainer: Trainer, expected_version: int) -> None:
        if await self._erased(trainer.person_id):
            return
        versions = self.history.setdefault(trainer.person_id, [])
        if len(versions) != expected_version:
            raise ConcurrencyConflict(f"{trainer.person_id} is at {len(versions)}, not {expected_version}")
        versions.append(trainer.to_state())

    async def settle_debut(self, person_id: str, course_id: str, at: datetime, correlation_id: str) -> Debut:
        if await self._erased(person_id):
            return Debut(course_id, at)
        if person_id not in self.debuts:
            self.debuts[person_id] = (Debut(course_id, at), False)
            self.announced.append((person_id, course_id))
        return self.debuts[person_id][0]

    async def involving(self, person_id: str) -> builtins.list[str]:
        return [person_id] if person_id in self.history or person_id in self.debuts else []

    async def erase_from_history(self, person_id: str, replacement: str) -> int:
        moved = 0
        versions = self.history.pop(person_id, [])
        for state in versions:
            trainer = Trainer.from_state(person_id, state)
            trainer.erase_person(person_id, replacement)
            moved += 1
            self.history.setdefault(replacement, []).append(replace_value(trainer.to_state(), person_id, replacement))
        if person_id in self.debuts:
            self.debuts.setdefault(replacement, self.debuts.pop(person_id))
            moved += 1
        return moved


# --- master classes and conferences ---------------------------------------------------------------------

from collections.abc import Callable  # noqa: E402 (appended section)
from typing import Generic, TypeVar  # noqa: E402

from enrolment.adapters.aggregates import Recording  # noqa: E402
from enrolment.domain.conference import Conference  # noqa: E402
from enrolment.domain.master_class import MasterClass  # noqa: E402

A = TypeVar("A", bound=Recording)


class InMemoryAggregates(Generic[A]):
    """Like `VersionedAggregates`: state round-trips, versions clash, every version kept; erasure rewrites the
    person's id wherever it stands as a value, in the state and in every past version."""

    def __init__(self, from_state: Callable[[str, dict[str, Any]], A]) -> None:
        self.from_state = from_state
        self.states: dict[str, tuple[dict[str, Any], int]] = {}
        self.history: dict[str, builtins.list[dict[str, Any]]] = {}

    async def get(self, aggregate_id: str) -> tuple[A, int] | None:
        found = self.states.get(aggregate_id)
        return None if found is None else (self.from_state(aggregate_id, found[0]), found[1])

    async def save(self, aggregate: A, expected_version: int) -> None:
        current = self.states.get(aggregate.id, ({}, 0))[1]
        if current != expected_version:
            raise ConcurrencyConflict(f"{aggregate.id} is at version {current}, not {expected_version}")
        state = aggregate.to_state()
        self.states[aggregate.id] = (state, current + 1)
        self.history.setdefault(aggregate.id, []).append(state)
        aggregate.events.clear()

    async def involving(self, person_id: str) -> builtins.list[str]:
        return sorted(
            key
            for key, (state, _) in self.states.items()
            if names(state, person_id) or names(self.history.get(key, []), person_id)
        )

    async def erase_person(self, aggregate_id: str, person_id: str, replacement: str) -> bool:
        found = self.states.get(aggregate_id)
        if found is None:
            return False
        state, version = found
        erased = replace_value(state, person_id, replacement)
        history = replace_value(self.history.get(aggregate_id, []), person_id, replacement)
        changed = bool(erased != state or history != self.history.get(aggregate_id, []))
        if erased != state:
            self.states[aggregate_id] = (erased, version + 1)
            history = [*history, erased]
        self.history[aggregate_id] = history
        return changed


def in_memory_master_classes() -> InMemoryAggregates[MasterClass]:
    return InMemoryAggregates(MasterClass.from_state)


def in_memory_conferences() -> InMemoryAggregates[Conference]:
    return InMemoryAggregates(Conference.from_state)
