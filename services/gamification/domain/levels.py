"""Levels: names for how far a person's points have taken them, by thresholds the company may change."""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from shared.errors import Invalid


@dataclass(frozen=True)
class Level:
    number: int
    points: int  # the balance from which this level holds
    name_ru: str
    name_en: str


DEFAULT_LEVELS: tuple[Level, ...] = (
    Level(1, 0, "Совёнок", "Owlet"),
    Level(2, 50, "Ученик", "Apprentice"),
    Level(3, 150, "Знаток", "Adept"),
    Level(4, 400, "Наставник", "Mentor"),
    Level(5, 1000, "Мудрая сова", "Wise owl"),
)


def checked_levels(thresholds: Sequence[tuple[int, str, str]]) -> tuple[Level, ...]:
    """Levels from (points, Russian name, English name), numbered in order; the first starts at 0 points."""
    if not thresholds:
        raise Invalid("at least one level is needed", field="levels")
    levels = tuple(
        Level(number, points, ru.strip(), en.strip()) for number, (points, ru, en) in enumerate(thresholds, 1)
    )
    if levels[0].points != 0:
        raise Invalid("the first level starts at 0 points", field="levels")
    for lower, higher in itertools.pairwise(levels):
        if higher.points <= lower.points:
            raise Invalid(f"level {higher.number} must need more points than level {lower.number}", field="levels")
    if any(not level.name_ru or not level.name_en for level in levels):
        raise Invalid("every level has a Russian and an English name", field="levels")
    return levels


def level_for(balance: int, levels: Sequence[Level]) -> tuple[Level, Level | None]:
    """The level the balance reaches (the first one for a negative balance) and the next one, if any."""
    reached = levels[0]
    for level in levels:
        if balance >= level.points:
            reached = level
    following = next((level for level in levels if level.points > reached.points), None)
    return reached, following
