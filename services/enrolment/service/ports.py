"""What the use cases need from the outside world."""

import builtins
from datetime import datetime
from typing import Any, Protocol

from enrolment.domain.cohort_run import CohortRun
from enrolment.domain.conference import Conference
from enrolment.domain.master_class import MasterClass
from enrolment.domain.model import Course
from enrolment.domain.trainers import Trainer
from shared.persistence.people import PersonCopy


class CourseRepository(Protocol):
    async def get(self, course_id: str) -> tuple[Course, int] | None:
        """The course and the version it was loaded at."""
        ...

    async def save(self, course: Course, expected_version: int) -> None:
        """Store the course with the events it recorded; ConcurrencyConflict if the version moved."""
        ...

    async def search(
        self,
        now: datetime,
        *,
        text: str | None = None,
        competency: str | None = None,
        language: str | None = None,
        status: str | None = None,
        statuses: tuple[str, ...] = ("approved",),
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[builtins.list[dict[str, Any]], int]:
        """Catalogue cards matching the filters, each with its `catalogue_status` at `now`; and the total."""
        ...

    async def with_open_stream_proposal(self) -> builtins.list[Course]:
        """The courses whose stream proposal awaits a curator's decision."""
        ...

    async def with_offers_due(self, now: datetime) -> builtins.list[str]:
        """Ids of courses holding a seat offer whose deadline has passed."""
        ...

    async def forget_ended_offers(self, course: Course, now: datetime) -> None:
        """Stop remembering deadlines that passed of offers the course no longer holds."""
        ...

    async def involving(self, person_id: str) -> builtins.list[str]:
        """Ids of the courses whose state or history names the person (a scan: privacy requests only)."""
        ...

    async def applied_to_by(self, person_id: str) -> builtins.list[Course]:
        """The courses, as they are now, holding an application of the person (in any status)."""
        ...

    async def erase_from_history(self, course_id: str, person_id: str, replacement: str, through_version: int) -> int:
        """Put `replacement` for the person in versions 1..through_version; how many versions changed.

        Only the recorded state and event payloads change, never whether an event is published yet.
        """
        ...


class CohortRunRecords(Protocol):
    """What erasure and export need of the cohort runs' store."""

    async def get(self, cohort_id: str) -> tuple[CohortRun, int] | None:
        """The run and the version it was loaded at."""
        ...

    async def save(self, run: CohortRun, expected_version: int) -> None:
        """Store the run with the events it recorded; ConcurrencyConflict if the version moved."""
        ...

    async def involving(self, person_id: str) -> builtins.list[str]:
        """Ids of the runs whose state or history names the person in any role (a scan: privacy requests only)."""
        ...

    async def erase_from_history(self, cohort_id: str, person_id: str, replacement: str, through_version: int) -> int:
        """Put `replacement` for the person in versions 1..through_version (certificate numbers included).

        Only the recorded state and event payloads change, never whether an event is published yet.
        """
        ...

    async def erase_certificates(self, run: CohortRun, person_id: str, replacement: str) -> int:
        """Find the stand-in's certificates of an erased run by their new numbers, no longer by the person's."""
        ...


class TrainerRecords(Protocol):
    """What erasure and export need of the trainers' profiles, which are keyed by the person id."""

    async def get(self, person_id: str) -> tuple[Trainer, int] | None:
        """The profile and the version it was loaded at; None if nothing is known of the person."""
        ...

    async def involving(self, person_id: str) -> builtins.list[str]:
        """[person_id] while a profile, a version of it or a debut is stored under the person's id, else []."""
        ...

    async def erase_from_history(self, person_id: str, replacement: str) -> int:
        """Move the profile, all its versions and the debut under `replacement`; how many documents moved.

        Outbox states are kept: a published debut is not announced again.
        """
        ...


class People(Protocol):
    """This service's copy of the employee directory."""

    async def get(self, person_id: str) -> PersonCopy | None:
        """What the directory told us of the person (locale, department, time zone, manager)."""
        ...

    async def is_blocked(self, person_id: str) -> bool:
        """True if the directory deactivated or erased the person; unknown people are not blocked."""
        ...

    async def export(self, person_id: str) -> dict[str, Any] | None:
        """The profile fields kept on the person, or None if none are (unknown or erased)."""
        ...

    async def apply_erased(self, person_id: str) -> None:
        """Keep nothing on the person but a tombstone, which also blocks them from now on."""
        ...


class Erasures(Protocol):
    """Erasures under way, so an interrupted one resumes with the stand-in id it had chosen."""

    async def begin(self, person_id: str, replacement: str) -> str:
        """The stand-in to use: the one of an unfinished erasure of this person, else `replacement`."""
        ...

    async def finish(self, person_id: str) -> None:
        """Forget the erasure (and with it the last link between the person and the stand-in)."""
        ...


class MasterClassRecords(Protocol):
    """What erasure and the privacy export need of the master classes."""

    async def get(self, master_class_id: str) -> tuple[MasterClass, int] | None:
        """The master class and the version it was loaded at."""
        ...

    async def involving(self, person_id: str) -> builtins.list[str]:
        """Ids of the master classes whose state or history names the person."""
        ...

    async def erase_person(self, master_class_id: str, person_id: str, replacement: str) -> bool:
        """Put `replacement` in the person's place in the master class, state and history; False if not there."""
        ...


class ConferenceRecords(Protocol):
    """What erasure and the privacy export need of the conferences."""

    async def get(self, conference_id: str) -> tuple[Conference, int] | None:
        """The conference and the version it was loaded at."""
        ...

    async def involving(self, person_id: str) -> builtins.list[str]:
        """Ids of the conferences whose state or history names the person."""
        ...

    async def erase_person(self, conference_id: str, person_id: str, replacement: str) -> bool:
        """Put `replacement` in the person's place in the conference, state and history; False if not there."""
        ...
