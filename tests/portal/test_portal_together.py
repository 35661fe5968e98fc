# ruff: noqa: RUF001  (Russian text is what these people read)
"""The portal's pages for working together, in headless Chromium over the whole platform (issue 13).

A pair plans a meeting, logs it with notes only the pair reads, and the mentee gives final feedback; a
moderator restores a hidden anonymous comment from the hidden list (no author shown) and another member
sees it again; a facilitator sets a task, keeps a solution in the library, checks a skill in practice and
reads the reflections once the task is closed; a curator writes an article that then turns up in the
knowledge search. The new pages are walked in Russian and English for raw catalogue keys and unlabelled
inputs. Data is seeded through the services' public APIs.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.async_api import Page, expect

from deploy.local.services import ServiceProcess
from tests.portal.test_portal_mentoring import approved_pair, circle_with_a_solution
from tests.support.platform import Platform
from tests.support.portal import call, page_problems, screenshot, sign_in

ANNA, TOM, IRINA, MAX = "demo-anna", "demo-tom", "demo-irina", "demo-max"


async def started_pair(platform: Platform, title: str) -> tuple[dict[str, Any], str]:
    """Tom mentors Anna in Irina's programme; the kickoff is held and both are prepared, so the pair is active."""
    programme, pair_id = await approved_pair(platform, title, TOM, ANNA)
    url, irina = platform.url("mentoring"), platform.headers(IRINA, "curator")
    base = f"{url}/programmes/{programme['id']}"
    async with httpx.AsyncClient(timeout=30) as client:
        kickoff = {"starts_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
        await call(await client.post(f"{base}/kickoff", json=kickoff, headers=irina))
        await call(await client.post(f"{base}/kickoff/held", headers=irina))
        for person in (ANNA, TOM):
            await call(await client.post(f"{base}/participants/{person}/preparation", headers=platform.headers(person)))
    return programme, pair_id


async def stage(platform: Platform, programme_id: str, *stages: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        for next_stage in stages:
            await call(
                await client.post(
                    f"{platform.url('mentoring')}/programmes/{programme_id}/stage",
                    json={"stage": next_stage},
                    headers=platform.headers(IRINA, "curator"),
                )
            )


async def walk(page: Page, portal_url: str, user_name: str, paths: list[str], name: str) -> list[str]:
    """Each page in Russian, then in English: raw keys, unlabelled inputs, the wrong `lang`."""
    problems: list[str] = []
    await page.context.clear_cookies()
    await sign_in(page, portal_url, user_name, paths[0])
    for lang in ("ru", "en"):
        await page.get_by_role("button", name={"ru": "Рус", "en": "Eng"}[lang]).click()
        for number, path in enumerate(paths):
            await page.goto(f"{portal_url}{path}")
            problems += await page_problems(page, f"{user_name} {path} [{lang}]", lang)
            await screenshot(page, f"walk-together-{lang}-{name}-{number}")
    return problems


async def test_a_pair_plans_and_logs_a_meeting_with_notes_and_the_mentee_gives_final_feedback(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    programme, pair_id = await started_pair(platform, f"Встречи пары {run}")
    pair_path = f"/mentoring/pairs/{pair_id}"
    when = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT15:00")

    await sign_in(page, portal.url, "anna@owlery.dev", pair_path)
    await page.get_by_label("Дата и время").fill(when)
    await page.get_by_label("Часовой пояс").fill("Марс/Олимп")
    await page.get_by_role("button", name="Запланировать", exact=True).click()
    await expect(page.locator("#schedule-time_zone-error")).to_contain_text("Укажите часовой пояс")
    await expect(page.get_by_label("Дата и время")).to_have_value(when)  # what was typed stays
    await screenshot(page, "together-01-schedule-refused")
    await page.get_by_label("Часовой пояс").fill("Europe/Moscow")
    await page.get_by_role("button", name="Запланировать", exact=True).click()
    await expect(page.get_by_text("Встреча запланирована")).to_be_visible()
    planned = page.get_by_test_id("meeting").filter(has_text="Запланирована")
    await expect(planned).to_have_count(1)

    notes = f"Разобрали индексы и планы запросов {run}"
    await planned.get_by_text("Отметить встречу как проведённую").click()
    await planned.get_by_label("Дата встречи").fill(datetime.now(UTC).date().isoformat())
    await planned.get_by_label("Заметки (их видит только ваша пара)").fill(notes)
    await planned.get_by_role("button", name="Сохранить встречу и заметки").click()
    await expect(page.get_by_text("Встреча записана.")).to_be_visible()
    held = page.get_by_test_id("meeting").filter(has=page.get_by_test_id("meeting-notes"))
    await held.get_by_text("Заметки встречи").click()
    await expect(held.get_by_test_id("meeting-notes")).to_contain_text(notes)
    await screenshot(page, "together-02-meeting-notes")

    # The mentor reads the notes; the programme's curator sees that the meeting happened, not what was said.
    await page.context.clear_cookies()
    await sign_in(page, portal.url, "tom@owlery.dev", pair_path)
    await expect(page.get_by_test_id("meeting-notes")).to_contain_text(notes)
    await page.context.clear_cookies()
    await sign_in(page, portal.url, "irina@owlery.dev", pair_path)
    await expect(page.get_by_test_id("meeting")).to_have_count(1)
    assert notes not in await page.inner_text("body")
    await screenshot(page, "together-03-curator-sees-no-notes")

    # The programme comes to its end: the mentee gives final feedback (a rating is required).
    await stage(platform, programme["id"], "running", "closing")
    await page.context.clear_cookies()
    await sign_in(page, portal.url, "anna@owlery.dev", pair_path)
    await page.get_by_label("Что получилось").fill(f"Регулярные встречи {run}")
    await page.get_by_role("button", name="Отправить отзыв").click()
    await expect(page.locator("#feedback-rating-error")).to_contain_text("Выберите оценку")
    await expect(page.get_by_label("Что получилось")).to_have_value(f"Регулярные встречи {run}")
    await page.get_by_label("Как в целом прошло наставничество?").select_option("5")
    await page.get_by_role("button", name="Отправить отзыв").click()
    await expect(page.get_by_text("Спасибо: отзыв сохранён.")).to_be_visible()
    await screenshot(page, "together-04-final-feedback")
    await page.get_by_label("Как в целом прошло наставничество?").select_option("4")
    await page.get_by_role("button", name="Отправить отзыв").click()  # once only: the service refuses a second
    await expect(page.locator(".error").first).to_be_visible()

    problems = await walk(page, portal.url, "anna@owlery.dev", [pair_path], "pair")
    assert problems == []


async def test_a_moderator_restores_a_hidden_comment_and_a_member_sees_it_again(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    _, task, solution = await circle_with_a_solution(platform, run)
    url, text = platform.url("mentoring"), f"Это решение никуда не годится {run}"
    async with httpx.AsyncClient(timeout=30) as client:
        comment = await call(
            await client.post(
                f"{url}/tasks/{task['id']}/solutions/{solution}/comments",
                json={"text": text, "anonymous": True},
                headers=platform.headers(ANNA),
            ),
            201,
        )
        flag = {"item_id": comment["id"], "reason": "rudeness", "text": "Грубо"}
        flagged = await call(
            await client.post(f"{url}/tasks/{task['id']}/flags", json=flag, headers=platform.headers(TOM)), 201
        )
        decision = {"outcome": "hidden", "note": f"Резкий тон {run}"}
        await call(
            await client.post(
                f"{url}/moderation/flags/{flagged['id']}/decision",
                json=decision,
                headers=platform.headers(MAX, "moderator"),
            )
        )
    task_path = f"/circles/tasks/{task['id']}"
    await sign_in(page, portal.url, "tom@owlery.dev", task_path)
    await expect(page.get_by_role("heading", name="Task", exact=True)).to_be_visible()  # Tom reads English
    assert text not in await page.inner_text("body")

    await page.context.clear_cookies()
    await sign_in(page, portal.url, "max@owlery.dev", "/moderation")
    await page.get_by_role("link", name="Hidden items").click()  # Max reads English
    card = page.get_by_test_id("hidden-item").filter(has_text=text)
    await expect(card).to_contain_text(f"Резкий тон {run}")  # why it was hidden
    await expect(card.get_by_test_id("hidden-author")).to_have_text(re.compile(r"^Anonymous \(.+\)$"))
    shown = await card.inner_text()
    assert "Анна" not in shown and ANNA not in shown  # the anonymous author is not named
    await screenshot(page, "together-05-hidden-list")
    await card.get_by_label("Why it is shown again (optional)").fill("Blunt, but to the point")
    await card.get_by_role("button", name="Show it again").click()
    await expect(page.get_by_text("The item is shown again.")).to_be_visible()
    await expect(page.get_by_test_id("hidden-item").filter(has_text=text)).to_have_count(0)
    await screenshot(page, "together-06-restored")
    problems = await walk(page, portal.url, "max@owlery.dev", ["/moderation/hidden", "/moderation"], "moderator")

    await page.context.clear_cookies()
    await sign_in(page, portal.url, "tom@owlery.dev", task_path)
    restored = page.get_by_test_id("comment").filter(has_text=text)
    await expect(restored).to_be_visible()
    await expect(restored.get_by_test_id("comment-author")).to_have_text(re.compile(r"^Anonymous \(.+\)$"))
    await screenshot(page, "together-07-member-sees-it-again")
    assert problems == []


async def test_a_facilitator_sets_a_task_and_keeps_a_solution_in_the_library(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    circle, task, _ = await circle_with_a_solution(platform, run)
    url = platform.url("mentoring")
    async with httpx.AsyncClient(timeout=30) as client:  # Anna publishes a solution Tom will keep
        path = f"{url}/tasks/{task['id']}/solutions/anna-{run}"
        await call(await client.put(path, json={"text": f"Сводная таблица {run}"}, headers=platform.headers(ANNA)))
        await call(await client.post(f"{path}/publication", headers=platform.headers(ANNA)))

    await sign_in(page, portal.url, "tom@owlery.dev", f"/circles/{circle['id']}")
    statement = f"Постройте дашборд продаж {run}"
    await page.get_by_label("What to do").fill(statement)  # Tom reads English
    await page.get_by_role("button", name="Publish the task").click()  # no expected outcome, no date
    await expect(page.locator("#task-expected_outcome-error, #task-due-error").first).to_be_visible()
    await expect(page.get_by_label("What to do")).to_have_value(statement)
    await screenshot(page, "together-08-task-refused")
    await page.get_by_label("What a good outcome looks like").fill("Дашборд в BI")
    await page.get_by_label("Due date").fill((datetime.now(UTC) + timedelta(days=10)).date().isoformat())
    await page.get_by_role("button", name="Publish the task").click()
    await expect(page.get_by_text("The task is published.")).to_be_visible()
    await expect(page.get_by_test_id("task").filter(has_text=statement)).to_have_count(1)
    await screenshot(page, "together-09-task-published")

    await page.goto(f"{portal.url}/circles/tasks/{task['id']}")
    section = page.locator(f"#solution-anna-{run}")
    await section.get_by_text("Keep in the library").click()
    await section.get_by_label("Title in the library").fill(f"Отчёт сводной таблицей {run}")
    await section.get_by_label("Summary").fill("Без скриптов, за десять минут")
    await section.get_by_label("Tags (comma-separated)").fill("crm, отчёты")
    await section.get_by_role("button", name="Add to the library").click()
    await expect(page.get_by_text("The solution is in the library.")).to_be_visible()
    await page.goto(f"{portal.url}/circles/library?text={run}")
    await expect(page.get_by_text(f"Отчёт сводной таблицей {run}")).to_be_visible()
    await screenshot(page, "together-10-promoted-in-library")

    # Tom checks Anna's skill in practice and closes the task; Anna reflects, and Tom reads it without her name.
    await page.goto(f"{portal.url}/circles/tasks/{task['id']}")
    await page.get_by_label("Member who showed the skill").select_option(ANNA)
    await page.get_by_label("Result").select_option("yes")
    await page.get_by_label("Note for the member (optional)").fill("Показала отчёт вживую")
    await page.get_by_role("button", name="Record the check").click()
    await expect(page.get_by_text("The practical check is recorded.")).to_be_visible()
    await page.get_by_role("button", name="Close the task").click()
    await expect(page.get_by_text("The task is closed")).to_be_visible()
    await page.context.clear_cookies()
    await sign_in(page, portal.url, "anna@owlery.dev", f"/circles/tasks/{task['id']}")
    await expect(page.get_by_test_id("my-check")).to_contain_text("навык показан: Показала отчёт вживую")
    reflection = f"Сводные таблицы заменяют половину скриптов {run}"
    await page.get_by_label("Ваша рефлексия (ведущий прочитает её без имени)").fill(reflection)
    await page.get_by_role("button", name="Отправить рефлексию").click()
    await expect(page.get_by_text("Спасибо за рефлексию.")).to_be_visible()
    await page.context.clear_cookies()
    await sign_in(page, portal.url, "tom@owlery.dev", f"/circles/tasks/{task['id']}")
    await expect(page.get_by_test_id("reflections")).to_contain_text(reflection)
    assert "Анна" not in await page.get_by_test_id("reflections").inner_text()
    await screenshot(page, "together-11-reflections")
    problems = await walk(
        page, portal.url, "tom@owlery.dev", [f"/circles/{circle['id']}", f"/circles/tasks/{task['id']}"], "circle"
    )
    assert problems == []


async def test_a_curator_writes_an_article_that_then_appears_in_knowledge_search(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    title = f"Регламент ревью кода {run}"

    await sign_in(page, portal.url, "irina@owlery.dev", "/catalogue")
    await page.get_by_role("link", name="Статьи").click()
    await page.get_by_label("Краткое описание").fill("Как мы проверяем изменения")
    await page.get_by_role("button", name="Опубликовать статью").click()  # no title
    await expect(page.locator("#article-title-error")).to_be_visible()
    await expect(page.get_by_label("Краткое описание")).to_have_value("Как мы проверяем изменения")
    await screenshot(page, "together-12-article-refused")
    await page.get_by_label("Заголовок").fill(title)
    await page.get_by_label("Текст", exact=True).fill("Два ревьюера, один из другой команды.")
    await page.get_by_label("Категория").fill("Разработка")
    await page.get_by_label("Теги компетенций (через запятую)").fill("ревью, качество")
    await page.get_by_role("button", name="Опубликовать статью").click()
    await expect(page.get_by_text("Статья опубликована в базе знаний.")).to_be_visible()
    await expect(page.get_by_test_id("article").filter(has_text=title)).to_have_count(1)
    await screenshot(page, "together-13-article-written")

    await page.get_by_role("link", name="Поиск по базе знаний").click()
    await page.get_by_role("searchbox").fill(run)
    await page.get_by_role("searchbox").press("Enter")
    await expect(page.get_by_test_id("knowledge-item").filter(has_text=title)).to_have_count(1)
    await screenshot(page, "together-14-article-found")
    problems = await walk(page, portal.url, "irina@owlery.dev", ["/knowledge/articles"], "articles")
    assert problems == []
