"""GET /trainers/{person_id}: an internal trainer's profile (any signed-in employee may look)."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from enrolment.domain.trainers import CourseGiven, Rating, Trainer
from enrolment.entrypoints.trainer_consumers import register_trainer_projection
from enrolment.service import trainers
from enrolment.service.trainers import TrainerProfiles
from shared.auth.policy import SIGNED_IN, Policy

__all__ = ["TRAINERS_POLICY", "TrainerOut", "register_trainer_projection", "trainers_router"]

TRAINERS_POLICY: Policy = {"GET /trainers/{person_id}": SIGNED_IN}


class RatingOut(BaseModel):
    average: float | None
    count: int

    @classmethod
    def of(cls, rating: Rating) -> "RatingOut":
        return cls(average=rating.average, count=rating.count)


class CourseGivenOut(BaseModel):
    course_id: str
    title_ru: str | None
    title_en: str | None
    competencies: list[str]
    cohorts_scheduled: int
    cohorts_given: int
    participants_taught: int
    completed: int
    rating: RatingOut

    @classmethod
    def of(cls, course: CourseGiven) -> "CourseGivenOut":
        return cls(
            course_id=course.course_id,
            title_ru=course.title_ru,
            title_en=course.title_en,
            competencies=list(course.competencies),
            cohorts_scheduled=len(course.scheduled),
            cohorts_given=len(course.finished),
            participants_taught=course.participants,
            completed=course.completed,
            rating=RatingOut.of(course.rating),
        )


class TrainerOut(BaseModel):
    person_id: str
    first_course_id: str | None
    became_trainer_at: datetime | None
    competencies: list[str]
    courses: list[CourseGivenOut]
    cohorts_scheduled: int
    cohorts_given: int
    participants_taught: int
    completed: int
    rating: RatingOut

    @classmethod
    def of(cls, trainer: Trainer) -> "TrainerOut":
        return cls(
            person_id=trainer.person_id,
            first_course_id=trainer.debut.course_id if trainer.debut else None,
            became_trainer_at=trainer.debut.at if trainer.debut else None,
            competencies=trainer.competencies,
            courses=[CourseGivenOut.of(course) for course in trainer.courses_given],
            cohorts_scheduled=trainer.cohorts_scheduled,
            cohorts_given=trainer.cohorts_given,
            participants_taught=trainer.participants_taught,
            completed=trainer.completed,
            rating=RatingOut.of(trainer.rating),
        )


def trainers_router(profiles: TrainerProfiles) -> APIRouter:
    router = APIRouter(prefix="/trainers", tags=["trainers"])

    @router.get("/{person_id}", summary="An internal trainer's profile: courses, cohorts, ratings")
    async def trainer_profile(person_id: str) -> TrainerOut:
        return TrainerOut.of(await trainers.trainer_profile(person_id, profiles))

    return router
