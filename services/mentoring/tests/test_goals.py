# ruff: noqa: RUF001 - goals and messages in Russian: Cyrillic letters are meant
"""SMART goals of a mentoring pair, in plain Python: the check, saving with confirmation, progress."""

from datetime import date, timedelta

import pytest

from mentoring.domain.goals import (
    MAX_GOALS,
    MESSAGES,
    Goal,
    GoalDraft,
    Letter,
    Locale,
    ProgrammeFrame,
    SmartCheck,
    accept_goal,
    add_goal,
    check_goal,
    set_progress,
)
from shared.errors import Invalid

TODAY = date(2025, 2, 10)
FRAME = ProgrammeFrame(starts=date(2025, 2, 1), ends=date(2025, 5, 31), topics=("ai", "data analysis", "Автоматизация"))
DUE = date(2025, 3, 15)
GOOD_RU = "Подготовить и провести для отдела презентацию о 3 инструментах ИИ до 15 марта"
GOOD_EN = "Build a Slack bot that answers 20 common HR questions by March 15"


def check(
    text: str = GOOD_RU,
    due: date | None = DUE,
    topics: tuple[str, ...] = ("ai",),
    locale: Locale = "ru",
    frame: ProgrammeFrame = FRAME,
    today: date = TODAY,
) -> SmartCheck:
    return check_goal(GoalDraft(text, due, topics), frame, today, locale)


def letters(result: SmartCheck) -> set[Letter]:
    return set(result.letters)


def codes(result: SmartCheck) -> dict[Letter, str]:
    return {failure.letter: failure.code for failure in result.failures}


def message(result: SmartCheck, letter: Letter) -> str:
    return next(failure.message for failure in result.failures if failure.letter == letter)


def goal(goal_id: str = "g-1", text: str = GOOD_RU) -> Goal:
    return accept_goal(GoalDraft(text, DUE, ("ai",)), SmartCheck(), confirmed=False, goal_id=goal_id)


# --- the whole check ---------------------------------------------------------------------------


def test_a_good_russian_goal_passes_every_letter() -> None:
    result = check()

    assert result.passed
    assert result.failures == ()


def test_a_good_english_goal_passes_every_letter() -> None:
    assert check(GOOD_EN, topics=("ai",), locale="en").passed


@pytest.mark.parametrize("text", ["Стать лучше", "Разобраться в AI", "Прокачать навыки"])
def test_vague_russian_goals_fail_specific_and_measurable_in_russian(text: str) -> None:
    result = check(text)

    assert not result.passed
    assert {"S", "M"} <= letters(result)
    assert "глагол" in message(result, "S") or "общее действие" in message(result, "S")
    assert "измерить" in message(result, "M")


@pytest.mark.parametrize("text", ["Improve skills", "Learn more", "Become a better engineer"])
def test_vague_english_goals_fail_specific_and_measurable_in_english(text: str) -> None:
    result = check(text, locale="en")

    assert {"S", "M"} <= letters(result)
    assert "too vague" in message(result, "S")
    assert "cannot be measured" in message(result, "M")


def test_failures_come_in_smart_order_one_per_letter() -> None:
    result = check("Стать лучше", due=None, topics=())

    assert result.letters == ("S", "M", "R", "T")


def test_the_locale_chooses_the_language_not_the_verdict() -> None:
    ru, en = check("Improve skills", locale="ru"), check("Improve skills", locale="en")

    assert codes(ru) == codes(en)
    assert message(ru, "M") == MESSAGES["ru"]["not_measurable"]
    assert message(en, "M") == MESSAGES["en"]["not_measurable"]


def test_an_unknown_locale_is_refused() -> None:
    with pytest.raises(Invalid) as raised:
        check(locale="de")  # type: ignore[arg-type]
    assert raised.value.details["field"] == "locale"


def test_every_code_has_a_message_in_both_languages() -> None:
    assert MESSAGES["ru"].keys() == MESSAGES["en"].keys()


# --- S: specific -------------------------------------------------------------------------------


def test_empty_text_fails_specific_only_with_a_clear_message() -> None:
    result = check("   ", topics=())

    assert codes(result) == {"S": "empty"}
    assert message(result, "S").startswith("Цель пустая")


def test_a_vague_verb_is_named_in_the_message() -> None:
    result = check("Разобраться в AI")

    assert codes(result)["S"] == "vague_verb"
    assert "«разобраться»" in message(result, "S")


def test_a_goal_without_any_action_verb_asks_for_one() -> None:
    result = check("Презентация про 3 инструмента ИИ", locale="en")

    assert codes(result)["S"] == "no_action_verb"
    assert "start with a verb" in message(result, "S")


@pytest.mark.parametrize("text", ["Сделать что-то полезное", "Написать отчёт", "Write code"])
def test_a_verb_with_too_little_object_is_not_specific(text: str) -> None:
    assert codes(check(text))["S"] == "no_object"


def test_filler_words_are_no_object() -> None:
    assert codes(check("Сделать больше и лучше"))["S"] == "no_object"


def test_a_due_date_in_the_text_is_no_object() -> None:
    assert codes(check("Сделать отчёт до 15 марта 2025"))["S"] == "no_object"


@pytest.mark.parametrize(
    "text",
    [
        "Напиши инструкцию по работе с ChatGPT для новичков",  # imperative singular
        "Напишите инструкцию по работе с ChatGPT для новичков",  # imperative plural
        "Научитесь писать промпты для ChatGPT",  # reflexive plural imperative
        "Научиться писать промпты для ChatGPT",
        "Освоить Power BI и собрать дашборд продаж",
        "Автоматизировать сверку отчётов по продажам",
        "Выступить на митапе с докладом",
    ],
)
def test_russian_infinitives_and_imperatives_are_actions(text: str) -> None:
    assert "S" not in letters(check(text))


@pytest.mark.parametrize(
    "text",
    [
        "Learn to use Copilot for unit tests",
        "Learn how to write SQL window functions",
        "Set up a CI pipeline for the team",
        "Reduce onboarding time for new analysts",
        "Present the results at the town hall",
    ],
)
def test_english_actions_and_phrases_are_actions(text: str) -> None:
    assert "S" not in letters(check(text, locale="en"))


def test_learn_alone_is_vague_in_english() -> None:
    assert codes(check("Learn Python basics", locale="en"))["S"] == "vague_verb"


def test_letter_case_and_yo_do_not_matter() -> None:
    assert check("ПОДГОТОВИТЬ И ПРОВЕСТИ ДЛЯ ОТДЕЛА ПРЕЗЕНТАЦИЮ О 3 ИНСТРУМЕНТАХ ИИ").passed
    assert "M" not in letters(check("Написать отчёт по продажам для отдела"))


def test_a_long_text_is_checked_like_any_other() -> None:
    text = GOOD_RU + " " + "и подробно описать каждый шаг внедрения для коллег " * 12

    assert len(text) > 500
    assert check(text).passed


# --- M: measurable -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Сократить время ответа на заявки на 20%",
        "Написать две статьи про анализ данных",
        "Провести пять интервью с пользователями",
        "Написать 3 статьи для блога",
        "Сделать прототип бота для HR",
        "Increase test coverage of the billing service by 15 percent",
        "Write three articles about prompt engineering",
        "Open a pull request to the design system",
    ],
)
def test_a_number_or_a_named_deliverable_is_measurable(text: str) -> None:
    assert "M" not in letters(check(text))


@pytest.mark.parametrize(
    "text",
    [
        "Провести встречи с командой по ИИ до 15 марта",
        "Провести встречи с командой по ИИ 15.03.2025",
        "Organise meetings with the team about AI by March 15",
        "Organise meetings with the team about AI by 2025-03-15",
        "Organise meetings with the team about AI in Q1",
    ],
)
def test_a_calendar_date_is_not_a_measure(text: str) -> None:
    assert codes(check(text))["M"] == "not_measurable"


# --- A: achievable -----------------------------------------------------------------------------


def test_less_than_a_week_left_is_not_achievable() -> None:
    result = check(due=TODAY + timedelta(days=6))

    assert codes(result) == {"A": "too_soon"}
    assert "6 дн." in message(result, "A")
    assert "17.02.2025" in message(result, "A")


def test_exactly_a_week_left_is_achievable() -> None:
    assert check(due=TODAY + timedelta(days=7)).passed


def test_a_due_date_today_is_too_soon_but_in_time() -> None:
    assert codes(check(due=TODAY)) == {"A": "too_soon"}


def test_a_past_due_date_is_reported_by_time_bound_alone() -> None:
    result = check(due=TODAY - timedelta(days=1))

    assert codes(result) == {"T": "in_past"}


def test_the_achievable_message_is_english_in_english() -> None:
    result = check(GOOD_EN, due=TODAY + timedelta(days=3), locale="en")

    assert "Only 3 day(s) left" in message(result, "A")
    assert "2025-02-17" in message(result, "A")


# --- R: relevant -------------------------------------------------------------------------------


def test_an_unrelated_topic_is_not_relevant() -> None:
    result = check("Написать 3 статьи про кулинарию для блога", topics=("cooking",))

    assert codes(result) == {"R": "not_relevant"}
    assert "ai, data analysis, Автоматизация" in message(result, "R")


def test_a_linked_programme_topic_is_relevant_whatever_its_case() -> None:
    assert check("Написать 3 статьи про кулинарию для блога", topics=(" AI ",)).passed


def test_a_topic_named_in_the_text_is_relevant_without_a_link() -> None:
    assert check("Run a data analysis of 200 support tickets", topics=(), locale="en").passed


def test_every_word_of_a_topic_must_be_named() -> None:
    result = check("Write an analysis of 200 support tickets", topics=(), locale="en")

    assert codes(result) == {"R": "not_relevant"}


def test_russian_topic_words_match_across_endings() -> None:
    assert check("Автоматизировать сверку 5 отчётов по продажам", topics=()).passed


def test_a_shared_first_syllable_is_not_a_match() -> None:
    result = check("Купить 2 автомобиля для отдела продаж", topics=())  # "автомобиль" is not "автоматизация"

    assert "R" in letters(result)


def test_a_short_topic_must_match_a_whole_word() -> None:
    result = check("Write 3 articles about Thai street food", topics=(), locale="en")  # "thai" is not "ai"

    assert "R" in letters(result)
    assert check("Write 3 articles about AI in street food", topics=(), locale="en").passed


def test_a_programme_without_topics_cannot_fail_relevance() -> None:
    frame = ProgrammeFrame(FRAME.starts, FRAME.ends)

    assert check("Написать 3 статьи про кулинарию", topics=("cooking",), frame=frame).passed


# --- T: time-bound -----------------------------------------------------------------------------


def test_no_due_date_fails_time_bound() -> None:
    result = check(due=None)

    assert codes(result) == {"T": "no_due_date"}
    assert "31.05.2025" in message(result, "T")


def test_a_due_date_after_the_programme_end_fails_time_bound_with_the_end_date() -> None:
    result = check(due=date(2025, 6, 15))

    assert codes(result) == {"T": "after_programme_end"}
    assert message(result, "T") == (
        "Срок 15.06.2025 позже окончания программы (31.05.2025): выберите дату не позже 31.05.2025."
    )


def test_the_time_bound_message_is_english_in_english() -> None:
    result = check(GOOD_EN, due=date(2025, 6, 15), locale="en")

    assert message(result, "T") == (
        "The due date 2025-06-15 is after the programme ends (2025-05-31): pick 2025-05-31 or earlier."
    )


def test_the_programme_end_itself_is_in_time() -> None:
    assert check(due=FRAME.ends).passed


def test_a_due_date_before_the_programme_starts_fails_time_bound() -> None:
    frame = ProgrammeFrame(date(2025, 3, 1), date(2025, 6, 30), ("ai",))

    result = check(due=date(2025, 2, 25), frame=frame)

    assert codes(result) == {"T": "before_programme_start"}
    assert "01.03.2025" in message(result, "T")


def test_a_programme_cannot_end_before_it_starts() -> None:
    with pytest.raises(Invalid) as raised:
        ProgrammeFrame(date(2025, 3, 1), date(2025, 2, 1))
    assert raised.value.details["field"] == "ends"


# --- saving a goal -----------------------------------------------------------------------------


def test_a_passing_goal_is_saved_without_confirmation() -> None:
    draft = GoalDraft(f"  {GOOD_RU} ", DUE, ("ai", " "))

    saved = accept_goal(draft, check_goal(draft, FRAME, TODAY, "ru"), confirmed=False, goal_id="g-1")

    assert saved == Goal("g-1", GOOD_RU, DUE, ("ai",))
    assert saved.confirmed_despite == ()
    assert saved.progress == 0
    assert not saved.achieved


def test_a_flagged_goal_is_refused_without_confirmation() -> None:
    draft = GoalDraft("Стать лучше", DUE, ("ai",))

    with pytest.raises(Invalid) as raised:
        accept_goal(draft, check_goal(draft, FRAME, TODAY, "ru"), confirmed=False)

    assert raised.value.details["field"] == "confirm"
    assert raised.value.details["letters"] == ["S", "M"]


def test_a_flagged_goal_is_saved_once_confirmed_and_remembers_why() -> None:
    draft = GoalDraft("Стать лучше", DUE, ("ai",))

    saved = accept_goal(draft, check_goal(draft, FRAME, TODAY, "ru"), confirmed=True)

    assert saved.confirmed_despite == ("S", "M")
    assert saved.text == "Стать лучше"


def test_confirming_a_passing_goal_records_nothing() -> None:
    draft = GoalDraft(GOOD_RU, DUE, ("ai",))

    assert accept_goal(draft, check_goal(draft, FRAME, TODAY, "ru"), confirmed=True).confirmed_despite == ()


@pytest.mark.parametrize("confirmed", [False, True])
def test_a_goal_without_a_due_date_is_refused_even_when_confirmed(confirmed: bool) -> None:
    draft = GoalDraft(GOOD_RU, None, ("ai",))
    result = check_goal(draft, FRAME, TODAY, "ru")

    assert codes(result) == {"T": "no_due_date"}
    with pytest.raises(Invalid) as raised:
        accept_goal(draft, result, confirmed=confirmed)
    assert raised.value.details["field"] == "due"


@pytest.mark.parametrize("confirmed", [False, True])
def test_a_goal_with_blank_text_is_refused_even_when_confirmed(confirmed: bool) -> None:
    draft = GoalDraft("  ", DUE, ("ai",))

    with pytest.raises(Invalid) as raised:
        accept_goal(draft, check_goal(draft, FRAME, TODAY, "ru"), confirmed=confirmed)
    assert raised.value.details["field"] == "text"


def test_a_goal_after_the_programme_end_saves_only_when_confirmed() -> None:
    draft = GoalDraft(GOOD_RU, date(2025, 6, 15), ("ai",))
    result = check_goal(draft, FRAME, TODAY, "ru")

    with pytest.raises(Invalid):
        accept_goal(draft, result, confirmed=False)
    assert accept_goal(draft, result, confirmed=True).confirmed_despite == ("T",)


def test_saved_goals_get_distinct_ids_when_none_is_given() -> None:
    draft = GoalDraft(GOOD_RU, DUE, ("ai",))

    first, second = (accept_goal(draft, SmartCheck(), confirmed=False) for _ in range(2))

    assert first.id and second.id and first.id != second.id


# --- at most three goals -----------------------------------------------------------------------


def test_goals_are_added_in_order_up_to_three() -> None:
    goals: tuple[Goal, ...] = ()
    for number in range(1, MAX_GOALS + 1):
        goals = add_goal(goals, goal(f"g-{number}"))

    assert [g.id for g in goals] == ["g-1", "g-2", "g-3"]


def test_a_fourth_goal_is_refused() -> None:
    goals = (goal("g-1"), goal("g-2"), goal("g-3"))

    with pytest.raises(Invalid) as raised:
        add_goal(goals, goal("g-4"))
    assert raised.value.details["field"] == "goals"


def test_adding_a_goal_leaves_the_given_goals_alone() -> None:
    existing = [goal("g-1")]

    add_goal(existing, goal("g-2"))

    assert [g.id for g in existing] == ["g-1"]


# --- progress ----------------------------------------------------------------------------------


def test_progress_and_status_are_recorded_on_a_new_goal_value() -> None:
    original = goal()

    updated = set_progress(original, 40, "  провели 1 из 3 демо  ")

    assert (updated.progress, updated.status) == (40, "провели 1 из 3 демо")
    assert original.progress == 0
    assert not updated.achieved


def test_a_goal_at_100_percent_is_achieved() -> None:
    assert set_progress(goal(), 100, "готово").achieved


def test_progress_may_go_back_from_achieved() -> None:
    assert not set_progress(set_progress(goal(), 100), 90, "нашли ошибку").achieved


@pytest.mark.parametrize("percent", [0, 100])
def test_progress_bounds_are_allowed(percent: int) -> None:
    assert set_progress(goal(), percent).progress == percent


@pytest.mark.parametrize("percent", [-1, 101, 1000])
def test_progress_outside_0_to_100_is_refused(percent: int) -> None:
    with pytest.raises(Invalid) as raised:
        set_progress(goal(), percent)
    assert raised.value.details["field"] == "progress"


@pytest.mark.parametrize("percent", [True, 50.5, "50"])
def test_progress_is_a_whole_number(percent: object) -> None:
    with pytest.raises(Invalid) as raised:
        set_progress(goal(), percent)  # type: ignore[arg-type]
    assert raised.value.details["field"] == "progress"
