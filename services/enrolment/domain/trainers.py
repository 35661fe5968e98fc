"""Internal trainers' profiles: what a person teaches and how it went, folded from enrolment's own events.

A person becomes an internal trainer when their first course is published. The profile gathers the
courses they give (titles, competencies), the cohorts they scheduled and finished, the people they
taught and the ratings they received. Every change is keyed by a natural fact (a course, a cohort),
so applying the same fact twice changes nothing: the projection is idempotent whatever the delivery.

Ratings: a finished cohort reports the mean of its session ratings (or none without feedback); the
number of ratings behind it is not published. So an average here is the mean over *rated cohorts*,
each cohort weighing the same, per course and overall. Each cohort's figure is kept, and sums are
recomputed from them with `math.fsum`, so no rounding accumulates however many cohorts come.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Rating:
    """A sum of cohort ratings and how many cohorts were rated; the average is derived, never stored."""

    total: float = 0.0
    count: int = 0

    @classmethod
    def of(cls, ratings: Iterable[float | None]) -> "Rating":
        given = [rating for rating in ratings if rating is not None]
        return cls(total=math.fsum(given), count=len(given))

    @property
    def average(self) -> float | None:
        return None if self.count == 0 else round(self.total / self.count, 2)


@dataclass(frozen=True)
class CohortResult:
    cohort_id: str
    participants: int
    completed: int
    average_rating: float | None


@dataclass(frozen=True)
class Debut:
    """The one course that made the person a trainer, and when: recorded once, never changed."""

    course_id: str
    at: datetime


@dataclass
class CourseGiven:
    course_id: str
    published: bool = False
    title_en: str | None = None
    title_ru: str | None = None
    competencies: tuple[str, ...] = ()
    scheduled: list[str] = field(default_factory=list)  # cohort ids, in the order they came
    finished: list[CohortResult] = field(default_factory=list)

    @property
    def rating(self) -> Rating:
        return Rating.of(result.average_rating for result in self.finished)

    @property
    def participants(self) -> int:
        return sum(result.participants for result in self.finished)

    @property
    def completed(self) -> int:
        return sum(result.completed for result in self.finished)


@dataclass
class Trainer:
    """One person's teaching record. Cohort facts may come before their course's publication
    (they travel on other partitions); the person counts as a trainer only once a course is published."""

    person_id: str
    debut: Debut | None = None
    courses: list[CourseGiven] = field(default_factory=list)

    # --- decisions --------------------------------------------------------------------------------

    @property
    def is_trainer(self) -> bool:
        return any(course.published for course in self.courses)

    def would_debut(self) -> bool:
        """True while no published course (and no debut) is known: this publication may be the first.

        Only a hint: two first courses published at once both see True. The store settles which one
        is the debut with a unique key, and `note_debut` takes whatever it settled.
        """
        return self.debut is None and not self.is_trainer

    def note_debut(self, debut: Debut) -> bool:
        if self.debut == debut:
            return False
        if self.debut is not None:
            raise ValueError(f"{self.person_id} already debuted with {self.debut.course_id}")
        self.debut = debut
        return True

    def give_course(
        self, course_id: str, *, title_en: str | None, title_ru: str | None, competencies: Iterable[str]
    ) -> bool:
        """Record a published course (a republication updates it); True if anything changed."""
        course = self._course(course_id)
        before = (course.published, course.title_en, course.title_ru, course.competencies)
        course.published = True
        course.title_en, course.title_ru = title_en, title_ru
        course.competencies = tuple(dict.fromkeys(competencies))
        return before != (course.published, course.title_en, course.title_ru, course.competencies)

    def schedule_cohort(self, course_id: str, cohort_id: str) -> bool:
        course = self._course(course_id)
        if cohort_id in course.scheduled:
            return False
        course.scheduled.append(cohort_id)
        return True

    def finish_cohort(self, course_id: str, result: CohortResult) -> bool:
        """Credit a finished cohort; a cohort finishes once, so a second report of it changes nothing."""
        if result.completed > result.participants:
            raise ValueError("more completions than participants")
        if result.average_rating is not None and not 1 <= result.average_rating <= 5:
            raise ValueError("a rating is between 1 and 5")
        if any(r.cohort_id == result.cohort_id for c in self.courses for r in c.finished):
            return False
        self._course(course_id).finished.append(result)
        return True

    def _course(self, course_id: str) -> CourseGiven:
        for course in self.courses:
            if course.course_id == course_id:
                return course
        course = CourseGiven(course_id)
        self.courses.append(course)
        return course

    def erase_person(self, person_id: str, replacement: str) -> bool:
        """Make this the profile of a former employee; False if it is not the person's (erased already).

        A profile names nobody but its own person (the rest is course and cohort ids, titles and
        numbers), so the courses given, the cohorts, the debut and every rating stay as they were:
        the same counts and averages, now the stand-in's. No event is recorded.
        """
        if self.person_id != person_id:
            return False
        if replacement == person_id:
            raise ValueError("the replacement id is the person's own")
        self.person_id = replacement
        return True

    # --- what the profile shows -----------------------------------------------------------------

    @property
    def courses_given(self) -> list[CourseGiven]:
        return [course for course in self.courses if course.published]

    @property
    def competencies(self) -> list[str]:
        """The union of the competencies of the courses given, in the order they first appeared."""
        return list(dict.fromkeys(code for course in self.courses_given for code in course.competencies))

    @property
    def rating(self) -> Rating:
        return Rating.of(result.average_rating for course in self.courses for result in course.finished)

    @property
    def cohorts_given(self) -> int:
        return sum(len(course.finished) for course in self.courses)

    @property
    def cohorts_scheduled(self) -> int:
        return sum(len(course.scheduled) for course in self.courses)

    @property
    def participants_taught(self) -> int:
        return sum(course.participants for course in self.courses)

    @property
    def completed(self) -> int:
        return sum(course.completed for course in self.courses)

    # --- storage form (plain data; lists, not maps, so no id ever becomes a field name) ---------

    def to_state(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "debut": None if self.debut is None else {"course_id": self.debut.course_id, "at": self.debut.at},
            "courses": [
                {
                    "course_id": c.course_id,
                    "published": c.published,
                    "title_en": c.title_en,
                    "title_ru": c.title_ru,
                    "competencies": list(c.competencies),
                    "scheduled": list(c.scheduled),
                    "finished": [
                        {
                            "cohort_id": r.cohort_id,
                            "participants": r.participants,
                            "completed": r.completed,
                            "average_rating": r.average_rating,
                        }
                        for r in c.finished
                    ],
                    # Derived, for people reading the database; never read back.
                    "rating_sum": c.rating.total,
                    "rating_count": c.rating.count,
                }
                for c in self.courses
            ],
            "rating_sum": self.rating.total,
            "rating_count": self.rating.count,
        }

    @classmethod
    def from_state(cls, person_id: str, state: dict[str, Any]) -> "Trainer":
        debut = state.get("debut")
        return cls(
            person_id=person_id,
            debut=None if debut is None else Debut(course_id=debut["course_id"], at=debut["at"]),
            courses=[
                CourseGiven(
                    course_id=c["course_id"],
                    published=c["published"],
                    title_en=c.get("title_en"),
                    title_ru=c.get("title_ru"),
                    competencies=tuple(c.get("competencies", ())),
                    scheduled=list(c.get("scheduled", ())),
                    finished=[
                        CohortResult(
                            cohort_id=r["cohort_id"],
                            participants=r["participants"],
                            completed=r["completed"],
                            average_rating=r.get("average_rating"),
                        )
                        for r in c.get("finished", ())
                    ],
                )
                for c in state.get("courses", ())
            ],
        )
