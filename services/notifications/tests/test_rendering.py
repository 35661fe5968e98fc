"""Message texts in Russian and English, and English when a translation is missing."""

import logging
from pathlib import Path

import pytest
from jinja2 import TemplateNotFound

from notifications.adapters.templates import TEMPLATE_DIR, JinjaRenderer, plural_ru
from notifications.domain import model
from notifications.domain.model import LOCALES, Locale, Notice, Template


def render(notice: Notice, locale: Locale) -> str:
    return JinjaRenderer().render(notice.template, locale, notice.params)


@pytest.mark.parametrize(
    ("notice", "english", "russian"),
    [
        (
            model.enrolled("p1", "Python для аналитиков"),
            "You are enrolled in «Python для аналитиков».",
            "Вы зачислены на курс «Python для аналитиков».",
        ),
        (
            model.waitlisted("p1", "Data Mesh", 3),
            "The course «Data Mesh» is full: you are number 3 on its waitlist.",
            "На курсе «Data Mesh» нет свободных мест: вы в листе ожидания под номером 3.",  # noqa: RUF001 (Russian)
        ),
        (
            model.points_awarded("p1", 10, "enrolment.enrolled"),
            "You earned 10 points for enrolling in a course.",
            "Вы получили 10 баллов за зачисление на курс.",
        ),
        (
            model.points_awarded("p1", 1, "mentoring.mentee_registered"),
            "You earned 1 point for joining a mentoring programme.",
            "Вы получили 1 балл за участие в программе менторства в роли подопечного.",
        ),
        (
            model.points_awarded("p1", -5, "mentoring.mentor_registered"),
            "Points correction: -5 for becoming a mentor.",
            "Корректировка баллов: -5 за участие в программе менторства в роли ментора.",
        ),
        (
            model.points_awarded("p1", 5, "helpful-comment"),
            "You earned 5 points for a comment others found helpful.",
            "Вы получили 5 баллов за комментарий, который признали полезным.",
        ),
        (
            model.points_awarded("p1", -5, "helpful-comment-revoked"),
            "Points correction: -5 for a comment a moderator hid.",
            "Корректировка баллов: -5 за комментарий, скрытый модератором.",
        ),
        (
            model.mentoring_registered("p1", "Reverse mentoring 2026", "mentor"),
            "You are registered in the «Reverse mentoring 2026» mentoring programme as a mentor.",
            "Вы зарегистрированы в программе менторства «Reverse mentoring 2026» в роли ментора.",
        ),
        (
            model.mentoring_registered("p1", "Onboarding", "mentee"),
            "You are registered in the «Onboarding» mentoring programme as a mentee.",
            "Вы зарегистрированы в программе менторства «Onboarding» в роли подопечного.",
        ),
        (
            model.pair_formed("p1", "Reverse mentoring 2026", "mentor", 2),
            "You are now a mentor in «Reverse mentoring 2026»: 2 mentees are waiting to meet you.",
            "Вы стали ментором в программе «Reverse mentoring 2026»: 2 подопечных ждут встречи с вами.",  # noqa: RUF001 (Russian)
        ),
        (
            model.pair_formed("p1", "Onboarding", "mentee", 1),
            "You have a mentor in «Onboarding». Read the preparation material and set your first meeting.",
            "У вас появился ментор в программе «Onboarding». Прочитайте подготовительные материалы и назначьте"  # noqa: RUF001
            " первую встречу.",
        ),
        (
            model.pair_at_risk("c1", ["no_recent_meeting", "low_check_in"]),
            "A mentoring pair you curate needs attention: no meeting for too long, a low check-in score.",
            "Паре, которую вы курируете, нужно внимание: давно не было встреч, низкая оценка в ежемесячном опросе.",
        ),
        (
            model.concern_raised("c1"),
            "A participant of a programme you curate raised a confidential concern. Open your curator's desk to"
            " read it.",
            "Участник программы, которую вы курируете, сообщил о конфиденциальной проблеме. Откройте кабинет"  # noqa: RUF001 (Russian)
            " куратора, чтобы прочитать обращение.",
        ),
    ],
)
def test_every_message_reads_well_in_english_and_russian(notice: Notice, english: str, russian: str) -> None:
    assert render(notice, "en") == english
    assert render(notice, "ru") == russian


def test_an_unknown_points_rule_is_shown_by_its_id() -> None:
    notice = model.points_awarded("p1", 22, "gamification.streak_week")
    assert render(notice, "en") == "You earned 22 points for gamification.streak_week."
    assert render(notice, "ru") == "Вы получили 22 балла за gamification.streak_week."


@pytest.mark.parametrize(
    ("number", "word"),
    [
        (0, "баллов"),
        (1, "балл"),
        (2, "балла"),
        (4, "балла"),
        (5, "баллов"),
        (11, "баллов"),
        (14, "баллов"),
        (21, "балл"),
        (22, "балла"),
        (101, "балл"),
        (111, "баллов"),
        (-3, "балла"),
    ],
)
def test_russian_plurals(number: int, word: str) -> None:
    assert plural_ru(number, "балл", "балла", "баллов") == word


@pytest.mark.parametrize("template", list(Template))
@pytest.mark.parametrize("locale", LOCALES)
def test_every_template_is_translated_into_every_language(template: Template, locale: Locale) -> None:
    assert (TEMPLATE_DIR / JinjaRenderer.path(template, locale)).is_file()


def test_a_missing_translation_falls_back_to_english_and_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "inapp").mkdir()
    (tmp_path / "inapp" / "enrolled.en.txt").write_text("You are enrolled in «{{ course_title }}».\n")
    renderer = JinjaRenderer(tmp_path)
    notice = model.enrolled("p1", "Kotlin")

    with caplog.at_level(logging.WARNING, logger="notifications.adapters.templates"):
        first = renderer.render(notice.template, "ru", notice.params)
        second = renderer.render(notice.template, "ru", notice.params)

    assert first == second == "You are enrolled in «Kotlin»."
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, "logged once per template and language, not on every read"
    assert "no ru translation of message template enrolled" in warnings[0].getMessage()


def test_a_template_missing_in_english_too_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateNotFound):
        JinjaRenderer(tmp_path).render(Template.ENROLLED, "ru", {"course_title": "Kotlin"})
