# ruff: noqa: RUF001 - Russian names and texts: Cyrillic letters are meant
"""Badges as data, awarded once each, and the progress toward the ones that need several deeds.

A `Badge` listens to one event type of the catalogue, holds when all its `Condition`s hold on the
event's data, and is for the person an event field names. A per-item badge (one per course) names
the field its item comes from (`scope_field`); a badge that takes several deeds counts distinct
values of one field (`Threshold`: ten distinct comments marked helpful). Until such a badge is
earned, a withdrawal (a hidden comment) takes its value out of the count and a restoration puts it
back; once earned, a badge stays.

An award's id derives from (badge, scope, person) only, so the same badge for the same item is
never awarded twice, however often and from however many events it is earned. What a restricted
deed earns (a deed naming the real author of an anonymous comment) keeps the day only: no time and
no causing event, so the badge cannot be matched to the comment that completed it.

Plain Python: stdlib, `shared.contracts` (to read the catalogue) and the domain's own modules only.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from gamification.domain.engine import (
    COMPLETION_DECIDED,
    ENTRY_ID_LENGTH,
    HELPFUL_COMMENT_CREDIT,
    HELPFUL_CREDITS_RESTORED,
    HELPFUL_CREDITS_REVOKED,
    INTERNSHIP_COMPLETED,
    MASTER_CLASS_HELD,
    SOLUTION_PUBLISHED,
    Condition,
)
from gamification.domain.ledger import FORMER_EMPLOYEE_PREFIX, Deed
from shared.contracts import contract_for

TRAINER_DEBUTED = "com.owlery.enrolment.trainer.debuted.v1"
PAIR_ENDED = "com.owlery.mentoring.pair.ended.v1"

Effect = Literal["award", "count", "withdraw"]


@dataclass(frozen=True)
class Threshold:
    """Earned at `count` distinct values of the event field `field`.

    Withdrawing and restoring events name the person in the badge's `credits` field and the value in
    `field`, like the event that counts.
    """

    field: str
    count: int
    withdrawn_by: tuple[str, ...] = ()
    restored_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Badge:
    id: str
    name_ru: str
    name_en: str
    description_ru: str
    description_en: str
    criteria_ru: str
    criteria_en: str
    event_type: str
    credits: str  # the event field naming who earns it
    conditions: tuple[Condition, ...] = ()
    not_own: str | None = None  # the event field naming the actor: never earned by acting on one's own content
    scope_field: str | None = None  # one badge per value of this field (per course)
    threshold: Threshold | None = None
    achievement_type: str = "Badge"  # Open Badges 3.0 achievementType

    def name(self, lang: str) -> str:
        return self.name_ru if lang == "ru" else self.name_en

    def description(self, lang: str) -> str:
        return self.description_ru if lang == "ru" else self.description_en

    def criteria(self, lang: str) -> str:
        return self.criteria_ru if lang == "ru" else self.criteria_en


CATALOGUE: tuple[Badge, ...] = (
    Badge(
        "owl",
        name_ru="Сова с книгой",
        name_en="Owl with a book",
        description_ru="Внутренний тренер компании: опубликован первый курс, который он ведёт.",
        description_en="An internal trainer of the company: the first course they give was published.",
        criteria_ru="Стать внутренним тренером: опубликовать свой первый курс в качестве тренера.",
        criteria_en="Become an internal trainer: have the first course you give published.",
        event_type=TRAINER_DEBUTED,
        credits="person_id",
    ),
    Badge(
        "first-solution",
        name_ru="Первое решение",
        name_en="First solution",
        description_ru="Опубликовано первое решение задачи в кругу взаимного обучения.",
        description_en="Published a first solution of a task in a peer-learning circle.",
        criteria_ru="Опубликовать решение задачи в кругу взаимного обучения.",
        criteria_en="Publish a solution of a task in a peer-learning circle.",
        event_type=SOLUTION_PUBLISHED,
        credits="author_id",
    ),
    Badge(
        "course-completed",
        name_ru="Курс пройден",
        name_en="Course completed",
        description_ru="Курс внутреннего обучения пройден по правилу его завершения.",
        description_en="Completed an internal training course under its completion rule.",
        criteria_ru="Выполнить правило завершения курса: посещаемость занятий и принятые домашние задания.",
        criteria_en="Meet the course's completion rule: attendance at its sessions and accepted homework.",
        event_type=COMPLETION_DECIDED,
        credits="person_id",
        conditions=(Condition("completed", "eq", True),),
        scope_field="course_id",
        achievement_type="CertificateOfCompletion",
    ),
    Badge(
        "mentor-finished-programme",
        name_ru="Наставник до конца программы",
        name_en="Mentor who finished a programme",
        description_ru="Пара наставничества, которую вёл этот ментор, завершила программу.",
        description_en="A mentoring pair this mentor led completed its programme.",
        criteria_ru="Быть ментором пары, завершившей программу наставничества.",
        criteria_en="Be the mentor of a pair that completed its mentoring programme.",
        event_type=PAIR_ENDED,
        credits="mentor_id",
        conditions=(Condition("reason", "eq", "completed"),),
    ),
    Badge(
        "helpful-10",
        name_ru="Полезный ×10",
        name_en="Helpful ×10",
        description_ru="Коллеги отметили полезными десять комментариев этого человека.",
        description_en="Colleagues marked ten of this person's comments helpful.",
        criteria_ru=(
            "Получить отметку «полезно» от коллег на десяти разных комментариях. Свои отметки не считаются,"
            " а скрытый модератором комментарий не считается, пока его не восстановят."
        ),
        criteria_en=(
            "Have ten different comments marked helpful by colleagues. Marking one's own comment does not"
            " count, nor does a comment a moderator hid, unless it is restored."
        ),
        event_type=HELPFUL_COMMENT_CREDIT,
        credits="author_id",
        not_own="marked_by",
        threshold=Threshold(
            "comment_id", 10, withdrawn_by=(HELPFUL_CREDITS_REVOKED,), restored_by=(HELPFUL_CREDITS_RESTORED,)
        ),
    ),
    Badge(
        "master-class-host",
        name_ru="Ведущий мастер-класса",
        name_en="Master-class host",
        description_ru="Провёл для коллег мастер-класс.",
        description_en="Ran a master class for colleagues.",
        criteria_ru="Провести мастер-класс: он должен состояться и быть отмечен как проведённый.",
        criteria_en="Run a master class: it must take place and be recorded as held.",
        event_type=MASTER_CLASS_HELD,
        credits="host_id",
    ),
    Badge(
        "exchange-host",
        name_ru="Принимающая сторона",
        name_en="Exchange host",
        description_ru="Принял коллегу на стажировку по обмену и довёл её до конца.",
        description_en="Hosted a colleague on an exchange internship through to its end.",
        criteria_ru="Принять стажёра по обмену: обе стороны дали итоговую обратную связь.",
        criteria_en="Host an exchange intern: both sides gave their final feedback.",
        event_type=INTERNSHIP_COMPLETED,
        credits="host_id",
        not_own="guest_id",
    ),
)
BADGES: Mapping[str, Badge] = {badge.id: badge for badge in CATALOGUE}


def validate_badge(badge: Badge) -> list[str]:
    """What is wrong with a badge against the event catalogue (empty when nothing is)."""
    problems: list[str] = []

    def require(event_type: str, names: Iterable[str | None]) -> None:
        contract = contract_for(event_type)
        if contract is None:
            problems.append(f"{badge.id}: no event {event_type!r} in the catalogue")
            return
        problems.extend(
            f"{badge.id}: {event_type} has no field {name!r}"
            for name in names
            if name is not None and name not in contract.model_fields
        )

    require(
        badge.event_type,
        [
            badge.credits,
            badge.not_own,
            badge.scope_field,
            *(c.field for c in badge.conditions),
            badge.threshold.field if badge.threshold else None,
        ],
    )
    if badge.threshold is not None:
        if badge.threshold.count < 1:
            problems.append(f"{badge.id}: a threshold counts at least one value")
        for event_type in (*badge.threshold.withdrawn_by, *badge.threshold.restored_by):
            require(event_type, [badge.credits, badge.threshold.field])
    return problems


# ------------------------------------------------------------------------------------ what a deed does


@dataclass(frozen=True)
class Step:
    """What one event means for one badge and one person: award it, or count or withdraw a value."""

    badge: Badge
    person_id: str
    scope_id: str | None
    effect: Effect
    value: str | None = None


def steps(event_type: str, data: Mapping[str, Any], badges: Iterable[Badge] = CATALOGUE) -> list[Step]:
    """Every step one event makes toward the badges: pure, so a replay takes the same steps."""
    found: list[Step] = []
    for badge in badges:
        person = _person(data, badge.credits)
        if person is None:
            continue
        threshold = badge.threshold
        if event_type == badge.event_type and all(c.holds(data) for c in badge.conditions):
            if badge.not_own is not None and data.get(badge.not_own) == person:
                continue
            scope = _text(data.get(badge.scope_field)) if badge.scope_field else None
            if badge.scope_field is not None and scope is None:
                continue  # a per-item badge without its item cannot be told apart from the others
            if threshold is None:
                found.append(Step(badge, person, scope, "award"))
            elif (value := _text(data.get(threshold.field))) is not None:
                found.append(Step(badge, person, scope, "count", value))
        elif threshold is not None and (value := _text(data.get(threshold.field))) is not None:
            if event_type in threshold.withdrawn_by:
                found.append(Step(badge, person, None, "withdraw", value))
            elif event_type in threshold.restored_by:
                found.append(Step(badge, person, None, "count", value))
    return found


def _person(data: Mapping[str, Any], field: str) -> str | None:
    """The person a field names; never a former employee (a badge is for someone who is still here)."""
    person = _text(data.get(field))
    return None if person is None or person.startswith(FORMER_EMPLOYEE_PREFIX) else person


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# ----------------------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class Progress:
    """The distinct values counted toward a threshold badge for one person (never more than needed)."""

    badge_id: str
    person_id: str
    needed: int
    counted: tuple[str, ...] = ()

    @property
    def earned(self) -> bool:
        return len(self.counted) >= self.needed

    def counting(self, value: str) -> "Progress":
        """With `value` counted; the same progress when it already was or the badge is earned."""
        if self.earned or value in self.counted:
            return self
        return replace(self, counted=(*self.counted, value))

    def withdrawing(self, value: str) -> "Progress":
        """Without `value`; an earned badge stays, so its progress no longer moves."""
        if self.earned or value not in self.counted:
            return self
        return replace(self, counted=tuple(v for v in self.counted if v != value))

    def to_state(self) -> dict[str, Any]:
        return {"badge_id": self.badge_id, "person_id": self.person_id, "counted": list(self.counted)}

    @classmethod
    def start(cls, badge: Badge, person_id: str) -> "Progress":
        if badge.threshold is None:
            raise ValueError(f"badge {badge.id!r} has no threshold to make progress toward")
        return cls(badge.id, person_id, badge.threshold.count)

    @classmethod
    def from_state(cls, badge: Badge, state: Mapping[str, Any]) -> "Progress":
        return replace(cls.start(badge, state["person_id"]), counted=tuple(state.get("counted", ())))


def progress_id(badge_id: str, person_id: str) -> str:
    """The progress document's id: opaque, so it does not show the person."""
    key = json.dumps(["badge-progress", badge_id, person_id])
    return hashlib.sha256(key.encode()).hexdigest()[:ENTRY_ID_LENGTH]


# ------------------------------------------------------------------------------------------- awards


@dataclass(frozen=True)
class BadgeAward:
    id: str
    badge_id: str
    person_id: str
    scope_id: str | None
    earned_on: date
    earned_at: datetime | None
    """None when earned by a restricted deed: the day only, nothing to match against a helpful mark's time."""
    restricted: bool
    cause_event_id: str | None
    """None when earned by a restricted deed: it would point at the anonymous comment."""
    cause_event_type: str

    @property
    def valid_from(self) -> datetime:
        """When the credential says it was earned: the time, or the start of the day when only the day is kept."""
        return self.earned_at or datetime.combine(self.earned_on, time(0), tzinfo=UTC)

    def attributed_to(self, person_id: str) -> "BadgeAward":
        """The same award for someone else (erasure), under the id it would have had for them."""
        return replace(self, id=award_id(self.badge_id, self.scope_id, person_id), person_id=person_id)


def award_id(badge_id: str, scope_id: str | None, person_id: str) -> str:
    """Stable and opaque: a badge (for an item) is the same award for the same person, whatever earned it."""
    key = json.dumps(["badge", badge_id, scope_id, person_id])
    return hashlib.sha256(key.encode()).hexdigest()[:ENTRY_ID_LENGTH]


def award_of(step: Step, deed: Deed) -> BadgeAward:
    at = deed.at.astimezone(UTC)
    return BadgeAward(
        id=award_id(step.badge.id, step.scope_id, step.person_id),
        badge_id=step.badge.id,
        person_id=step.person_id,
        scope_id=step.scope_id,
        earned_on=at.date(),
        earned_at=None if deed.restricted else at.replace(microsecond=0),
        restricted=deed.restricted,
        cause_event_id=None if deed.restricted else deed.event_id,
        cause_event_type=deed.event_type,
    )
