"""Use cases of the trainers' profiles: fold enrolment's own events into them, and read one.

Each change loads the person's profile, lets the domain decide, and saves it at the version it was
loaded at; a clash with another writer (another partition, another replica, the same event handled
twice at once) loads again and re-decides, so nothing is lost and nothing counts twice.
The debut is settled by the store before the first course enters the profile (see `TrainerProfiles`).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from enrolment.domain.trainers import CohortResult, Debut, Trainer
from shared.concurrency import retry_on_conflict
from shared.errors import NotFound


class TrainerProfiles(Protocol):
    async def get(self, person_id: str) -> tuple[Trainer, int] | None:
        """The profile and the version it was loaded at; None if nothing is known of the person."""
        ...

    async def save(self, trainer: Trainer, expected_version: int) -> None:
        """Store the profile as version expected+1; ConcurrencyConflict if another writer got there first."""
        ...

    async def settle_debut(self, person_id: str, course_id: str, at: datetime, correlation_id: str) -> Debut:
        """Record that `course_id` made the person a trainer, unless a debut is recorded already.

        Exactly once per person, however many callers race: the first recorded debut is returned to
        all of them, and only its recording publishes `TrainerDebutedV1`.
        """
        ...


@dataclass(frozen=True)
class CoursePublished:
    person_id: str
    course_id: str
    title_en: str | None
    title_ru: str | None
    competencies: tuple[str, ...]
    at: datetime
    correlation_id: str


@dataclass(frozen=True)
class CohortScheduled:
    person_id: str
    course_id: str
    cohort_id: str


@dataclass(frozen=True)
class CohortFinished:
    person_id: str
    course_id: str
    cohort_id: str
    participants: int
    completed: int
    average_rating: float | None


async def _change(profiles: TrainerProfiles, person_id: str, decide: Callable[[Trainer], Awaitable[bool]]) -> bool:
    """Load, decide, save; again on a conflict. True if the profile changed."""

    async def attempt() -> bool:
        loaded = await profiles.get(person_id)
        trainer, version = loaded if loaded is not None else (Trainer(person_id), 0)
        if not await decide(trainer):
            return False
        await profiles.save(trainer, version)
        return True

    return await retry_on_conflict(attempt, aggregate_id=f"trainer:{person_id}")


async def course_published(command: CoursePublished, profiles: TrainerProfiles) -> bool:
    """The person gives this course; if it is their first, they debut as a trainer (once)."""

    async def decide(trainer: Trainer) -> bool:
        changed = False
        # A profile holds a published course only after its debut was settled, so a person with
        # courses never reaches the store's debut record again.
        if trainer.would_debut():
            debut = await profiles.settle_debut(
                command.person_id, command.course_id, command.at, command.correlation_id
            )
            changed = trainer.note_debut(debut)
        return (
            trainer.give_course(
                command.course_id,
                title_en=command.title_en,
                title_ru=command.title_ru,
                competencies=command.competencies,
            )
            or changed
        )

    return await _change(profiles, command.person_id, decide)


async def cohort_scheduled(command: CohortScheduled, profiles: TrainerProfiles) -> bool:
    async def decide(trainer: Trainer) -> bool:
        return trainer.schedule_cohort(command.course_id, command.cohort_id)

    return await _change(profiles, command.person_id, decide)


async def cohort_finished(command: CohortFinished, profiles: TrainerProfiles) -> bool:
    result = CohortResult(command.cohort_id, command.participants, command.completed, command.average_rating)

    async def decide(trainer: Trainer) -> bool:
        return trainer.finish_cohort(command.course_id, result)

    return await _change(profiles, command.person_id, decide)


async def trainer_profile(person_id: str, profiles: TrainerProfiles) -> Trainer:
    """The person's profile as a trainer; NotFound if no course of theirs was published."""
    loaded = await profiles.get(person_id)
    if loaded is None or not loaded[0].is_trainer:
        raise NotFound("this person gives no course", person_id=person_id)
    return loaded[0]
