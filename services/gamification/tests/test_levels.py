"""Levels by thresholds, in Russian and English."""

import pytest
from pydantic import ValidationError

from gamification.config import GamificationSettings
from gamification.domain.levels import DEFAULT_LEVELS, checked_levels, level_for
from shared.errors import Invalid


@pytest.mark.parametrize(
    ("balance", "number", "next_at"),
    [(-5, 1, 50), (0, 1, 50), (49, 1, 50), (50, 2, 150), (399, 3, 400), (1000, 5, None), (99999, 5, None)],
)
def test_a_balance_reaches_the_highest_level_whose_threshold_it_meets(
    balance: int, number: int, next_at: int | None
) -> None:
    reached, following = level_for(balance, DEFAULT_LEVELS)
    assert reached.number == number
    assert (following.points if following else None) == next_at


def test_levels_read_in_both_languages() -> None:
    assert [(level.name_ru, level.name_en) for level in DEFAULT_LEVELS[:2]] == [
        ("Совёнок", "Owlet"),
        ("Ученик", "Apprentice"),
    ]


@pytest.mark.parametrize(
    "thresholds",
    [
        [],
        [(10, "Первый", "First")],
        [(0, "Первый", "First"), (0, "Второй", "Second")],
        [(0, "Первый", "First"), (20, "", "Second")],
    ],
)
def test_a_company_level_table_is_checked(thresholds: list[tuple[int, str, str]]) -> None:
    with pytest.raises(Invalid) as refused:
        checked_levels(thresholds)
    assert refused.value.details["field"] == "levels"


def test_a_company_may_set_its_own_levels() -> None:
    levels = checked_levels([(0, "Новичок", "Newcomer"), (100, "Профи", "Pro")])
    assert [(level.number, level.points) for level in levels] == [(1, 0), (2, 100)]
    assert level_for(120, levels)[0].name_en == "Pro"


def test_settings_refuse_a_level_table_that_makes_no_sense() -> None:
    with pytest.raises(ValidationError, match="first level starts at 0"):
        GamificationSettings(levels=[(5, "Первый", "First")])
