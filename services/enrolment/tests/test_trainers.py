"""Trainers' profiles without servers: the domain's rules, the use cases on an in-memory store that
behaves like the real one (versions clash, the debut is a unique key), and the HTTP answers."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI

from enrolment.domain.trainers import CohortResult, Debut, Rating, Trainer
from enrolment.entrypoints.trainers_http import TRAINERS_POLICY, trainers_router
from enrolment.service import trainers
from shared.auth.http import Gatekeeper
from shared.auth.policy import Guardrails
from shared.auth.testing import TEST_ISSUER, TestIssuer
from shared.auth.tokens import KeySet, TokenRules, TokenVerifier, static_key_fetcher
from shared.concurrency import ConcurrencyConflict, retry_on_conflict
from shared.errors import NotFound
from shared.http import prepare_app

T = TypeVar("T")

NOON = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class InMemoryTrainerProfiles:
    """Versions clash like the versioned store's commits; the first debut per person wins like a unique key."""

    def __init__(self) -> None:
        self.states: dict[str, tuple[dict[str, object], int]] = {}
        self.debuts: dict[str, Debut] = {}
        self.announced: list[tuple[str, str]] = []  # (person, course) of each TrainerDebutedV1 emitted
        self.conflicts = 0

    async def get(self, person_id: str) -> tuple[Trainer, int] | None:
        await asyncio.sleep(0)  # let concurrent use cases interleave between load and save
        found = self.states.get(person_id)
        return None if found is None else (Trainer.from_state(person_id, found[0]), found[1])

    async def save(self, trainer: Trainer, expected_version: int) -> None:
        await asyncio.sleep(0)
        _, current = self.states.get(trainer.person_id, ({}, 0))
        if current != expected_version:
            self.conflicts += 1
            raise ConcurrencyConflict(f"{trainer.person_id} is at {current}, not {expected_version}")
        self.states[trainer.person_id] = (trainer.to_state(), expected_version + 1)

    async def settle_debut(self, person_id: str, course_id: str, at: datetime, correlation_id: str) -> Debut:
        await asyncio.sleep(0)
        if person_id not in self.debuts:
            self.debuts[person_id] = Debut(course_id, at)
            self.announced.append((person_id, course_id))
        return self.debuts[person_id]


def published(course_id: str, person_id: str = "ann", *competencies: str) -> trainers.CoursePublished:
    return trainers.CoursePublished(
        person_id=person_id,
        course_id=course_id,
        title_en=f"{course_id} (en)",
        title_ru=f"{course_id} (ru)",
        competencies=competencies or ("python",),
        at=NOON,
        correlation_id="c-1",
    )


def finished(
    course_id: str, cohort_id: str, rating: float | None, participants: int = 7, completed: int = 5
) -> trainers.CohortFinished:
    return trainers.CohortFinished("ann", course_id, cohort_id, participants, completed, rating)


# --- the domain -----------------------------------------------------------------------------------------


def test_a_rating_is_the_mean_over_rated_cohorts_each_weighing_the_same() -> None:
    rating = Rating.of([4.5, None, 3.0, 4.0])
    assert (rating.total, rating.count, rating.average) == (11.5, 3, 3.83)


def test_no_rated_cohort_means_no_average() -> None:
    assert Rating.of([None, None]) == Rating(0.0, 0)
    assert Rating.of([]).average is None


def test_rating_sums_do_not_accumulate_rounding() -> None:
    assert Rating.of([0.1] * 10).total == 1.0  # a naive float sum gives 0.9999999999999999


def test_competencies_are_the_union_of_the_courses_given_in_first_seen_order() -> None:
    trainer = Trainer("ann")
    trainer.give_course("c1", title_en="Python", title_ru=None, competencies=["python", "sql", "python"])
    trainer.give_course("c2", title_en=None, title_ru="Данные", competencies=["pandas", "sql"])
    trainer.schedule_cohort("c3", "k1")  # a course whose publication has not come yet teaches nothing
    assert trainer.competencies == ["python", "sql", "pandas"]
    assert [c.course_id for c in trainer.courses_given] == ["c1", "c2"]


def test_a_person_debuts_only_before_any_course_is_known_published() -> None:
    trainer = Trainer("ann")
    trainer.finish_cohort("c1", CohortResult("k1", 3, 3, 5.0))  # cohort facts alone make no trainer
    assert trainer.would_debut()
    assert not trainer.is_trainer
    assert trainer.note_debut(Debut("c1", NOON))
    assert not trainer.note_debut(Debut("c1", NOON))  # the same debut again changes nothing
    with pytest.raises(ValueError, match="already debuted"):
        trainer.note_debut(Debut("c2", NOON))
    assert not trainer.would_debut()

    other = Trainer("bob")
    other.give_course("c9", title_en="Go", title_ru=None, competencies=["go"])
    assert not other.would_debut()


def test_a_cohort_counts_once_and_results_add_up_per_course_and_overall() -> None:
    trainer = Trainer("ann")
    assert trainer.finish_cohort("c1", CohortResult("k1", 7, 5, 4.5))
    assert not trainer.finish_cohort("c1", CohortResult("k1", 7, 5, 4.5))
    assert trainer.finish_cohort("c1", CohortResult("k2", 6, 6, None))
    assert trainer.finish_cohort("c2", CohortResult("k3", 5, 2, 3.5))
    assert trainer.schedule_cohort("c1", "k1")
    assert not trainer.schedule_cohort("c1", "k1")
    (c1, c2) = trainer.courses
    assert (c1.participants, c1.completed, c1.rating) == (13, 11, Rating(4.5, 1))
    assert c2.rating.average == 3.5
    assert (trainer.cohorts_given, trainer.cohorts_scheduled) == (3, 1)
    assert (trainer.participants_taught, trainer.completed) == (18, 13)
    assert trainer.rating == Rating(8.0, 2)
    assert trainer.rating.average == 4.0


def test_impossible_cohort_results_are_refused() -> None:
    with pytest.raises(ValueError, match="completions"):
        Trainer("ann").finish_cohort("c1", CohortResult("k1", 2, 3, None))
    with pytest.raises(ValueError, match="between 1 and 5"):
        Trainer("ann").finish_cohort("c1", CohortResult("k1", 2, 1, 6.0))


def test_the_profile_survives_its_storage_form() -> None:
    trainer = Trainer("ann", debut=Debut("c1", NOON))
    trainer.give_course("c1", title_en="Python", title_ru="Питон", competencies=["python"])
    trainer.schedule_cohort("c1", "k1")
    trainer.finish_cohort("c1", CohortResult("k1", 7, 5, 4.25))
    state = trainer.to_state()
    assert (state["rating_sum"], state["rating_count"]) == (4.25, 1)
    assert Trainer.from_state("ann", state) == trainer


# --- the use cases ------------------------------------------------------------------------------------


@pytest.fixture
def as_if_on_replicas(monkeypatch: pytest.MonkeyPatch) -> None:
    """Concurrent use cases on one person no longer take turns in this process: they race as replicas do."""
    monkeypatch.setattr(trainers, "retry_on_conflict", as_replicas)


async def as_replicas(attempt: Callable[[], Awaitable[T]], **_: Any) -> T:
    return await retry_on_conflict(attempt, base_delay=0.0005)


@pytest.mark.usefixtures("as_if_on_replicas")
async def test_two_first_courses_at_once_redelivered_make_one_debut_and_both_courses() -> None:
    profiles = InMemoryTrainerProfiles()
    deliveries = [published("c1", "ann", "python", "sql"), published("c2", "ann", "sql", "pandas")] * 2
    await asyncio.gather(*(trainers.course_published(command, profiles) for command in deliveries))

    assert len(profiles.announced) == 1
    ((person, first),) = profiles.announced
    assert person == "ann"
    profile = await trainers.trainer_profile("ann", profiles)
    assert profile.debut == Debut(first, NOON)
    assert sorted(c.course_id for c in profile.courses_given) == ["c1", "c2"]
    assert set(profile.competencies) == {"python", "sql", "pandas"}
    assert profiles.conflicts > 0  # they did race, and none of the writes was lost


async def test_a_later_course_does_not_debut_again() -> None:
    profiles = InMemoryTrainerProfiles()
    await trainers.course_published(published("c1"), profiles)
    await trainers.course_published(published("c2"), profiles)
    assert profiles.announced == [("ann", "c1")]


async def test_a_redelivered_publication_changes_nothing_and_a_republication_updates_titles() -> None:
    profiles = InMemoryTrainerProfiles()
    assert await trainers.course_published(published("c1"), profiles)
    assert not await trainers.course_published(published("c1"), profiles)
    renamed = trainers.CoursePublished("ann", "c1", "Python 2", None, ("python",), NOON, "c-2")
    assert await trainers.course_published(renamed, profiles)
    (course,) = (await trainers.trainer_profile("ann", profiles)).courses_given
    assert (course.title_en, course.title_ru) == ("Python 2", None)


@pytest.mark.usefixtures("as_if_on_replicas")
async def test_redelivered_and_concurrent_cohort_results_count_once() -> None:
    profiles = InMemoryTrainerProfiles()
    await trainers.course_published(published("c1"), profiles)
    events = [finished("c1", "k1", 4.5), finished("c1", "k2", 3.75, participants=6, completed=6)] * 3
    await asyncio.gather(*(trainers.cohort_finished(event, profiles) for event in events))
    await trainers.cohort_scheduled(trainers.CohortScheduled("ann", "c1", "k3"), profiles)

    profile = await trainers.trainer_profile("ann", profiles)
    assert (profile.cohorts_given, profile.participants_taught, profile.completed) == (2, 13, 11)
    assert (profile.rating.count, profile.rating.average) == (2, 4.12)
    assert profile.cohorts_scheduled == 1
    assert profiles.conflicts > 0


async def test_someone_who_gives_no_course_is_not_found() -> None:
    profiles = InMemoryTrainerProfiles()
    with pytest.raises(NotFound):
        await trainers.trainer_profile("nobody", profiles)
    await trainers.cohort_finished(finished("c1", "k1", 5.0), profiles)  # came before the publication
    with pytest.raises(NotFound):
        await trainers.trainer_profile("ann", profiles)
    assert profiles.announced == []


# --- HTTP ---------------------------------------------------------------------------------------------


async def test_the_profile_over_http_for_any_signed_in_employee() -> None:
    profiles = InMemoryTrainerProfiles()
    await trainers.course_published(published("c1", "ann", "python"), profiles)
    await trainers.cohort_finished(finished("c1", "k1", 4.5), profiles)
    issuer = TestIssuer()
    verifier = TokenVerifier(
        TokenRules(issuer=TEST_ISSUER, audience="owlery"), KeySet(static_key_fetcher(issuer.signer.jwks()))
    )
    app = prepare_app(FastAPI(), Gatekeeper(Guardrails(TRAINERS_POLICY), verifier))
    app.include_router(trainers_router(profiles))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://enrolment") as client:
        signed_in = issuer.headers("someone-else", "employee")
        answer = await client.get("/trainers/ann", headers=signed_in)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["first_course_id"] == "c1"
        assert body["became_trainer_at"].startswith("2025-03-01T12:00:00")
        assert body["competencies"] == ["python"]
        assert body["courses"][0] | {"rating": None} == {
            "course_id": "c1",
            "title_ru": "c1 (ru)",
            "title_en": "c1 (en)",
            "competencies": ["python"],
            "cohorts_scheduled": 0,
            "cohorts_given": 1,
            "participants_taught": 7,
            "completed": 5,
            "rating": None,
        }
        assert body["rating"] == {"average": 4.5, "count": 1}
        assert (await client.get("/trainers/nobody", headers=signed_in)).status_code == 404
        assert (await client.get("/trainers/ann")).status_code == 401
