# ruff: noqa: RUF001  (Russian text is what these people read)
"""The portal's mentoring, circle and moderation pages in headless Chromium over the whole platform (issue 13).

Irina approves a matching proposal on her desk; Anna raises a concern about her pair that Irina reads and
Tom, her mentor, never sees; Anna comments anonymously in a circle and Tom sees a pseudonym, not her name.
Every new page is walked in both languages for raw catalogue keys and unlabelled inputs, and one at a
phone's width. Data is seeded through the mentoring service's public API; screenshots go to the report folder.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.async_api import Page, expect

from deploy.local.services import ServiceProcess
from tests.support.platform import Platform
from tests.support.portal import call, page_problems, screenshot, sign_in
from tests.support.programmes import programme_terms

ANNA, TOM, IRINA, MAX = "demo-anna", "demo-tom", "demo-irina", "demo-max"


def profile(level: int, topic: str) -> dict[str, Any]:
    return {"competencies": {topic: level}, "topics": [topic], "languages": ["ru", "en"], "time_zone": "Europe/Moscow"}


async def programme_in_matching(platform: Platform, title: str, mentor: str, mentee: str) -> dict[str, Any]:
    """Irina's classic programme with one mentor and one mentee on one topic, at the matching stage."""
    url, irina = platform.url("mentoring"), platform.headers(IRINA, "curator")
    topic = f"1c testing {uuid.uuid4().hex[:4]}"
    async with httpx.AsyncClient(timeout=30) as client:
        body = {"title": title, "kind": "classic", "terms": programme_terms(topics=[topic])}
        programme: dict[str, Any] = await call(await client.post(f"{url}/programmes", json=body, headers=irina), 201)
        base = f"{url}/programmes/{programme['id']}"
        await call(await client.post(f"{base}/stage", json={"stage": "open"}, headers=irina))
        for person, role, level in ((mentor, "mentor", 5), (mentee, "mentee", 1)):
            joined = {"person_id": person, "role": role, "profile": profile(level, topic), "accept_rules": True}
            await call(await client.post(f"{base}/participants", json=joined, headers=irina), 201)
        await call(await client.post(f"{base}/stage", json={"stage": "matching"}, headers=irina))
    return programme


async def approved_pair(platform: Platform, title: str, mentor: str, mentee: str) -> tuple[dict[str, Any], str]:
    """The programme and the id of the pair Irina approved in it."""
    programme = await programme_in_matching(platform, title, mentor, mentee)
    url, irina = platform.url("mentoring"), platform.headers(IRINA, "curator")
    base = f"{url}/programmes/{programme['id']}"
    async with httpx.AsyncClient(timeout=30) as client:
        proposal = await call(await client.post(f"{base}/matching", headers=irina), 201)
        planned = await call(await client.post(f"{base}/matching/{proposal['id']}/approval", headers=irina))
    return programme, str(planned[0]["pair_id"])


async def circle_with_a_solution(platform: Platform, run: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Tom's circle (Anna joined), a task, and Tom's published solution: (circle, task, solution id)."""
    url, tom = platform.url("mentoring"), platform.headers(TOM)
    async with httpx.AsyncClient(timeout=30) as client:
        body = {"topic": f"CRM-автоматизации {run}", "experience": "expert"}
        circle: dict[str, Any] = await call(await client.post(f"{url}/circles", json=body, headers=tom), 201)
        join = {"person_id": ANNA, "experience": "beginner"}
        await call(
            await client.post(f"{url}/circles/{circle['id']}/members", json=join, headers=platform.headers(ANNA)), 201
        )
        due = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
        body = {"statement": f"Автоматизируйте отчёт {run}", "expected_outcome": "Скрипт", "due": due}
        task: dict[str, Any] = await call(
            await client.post(f"{url}/circles/{circle['id']}/tasks", json=body, headers=tom), 201
        )
        solution = f"sol-{run}"
        path = f"{url}/tasks/{task['id']}/solutions/{solution}"
        await call(await client.put(path, json={"text": f"Мой скрипт {run}"}, headers=tom))
        await call(await client.post(f"{path}/publication", headers=tom))
    return circle, task, solution


async def test_a_curator_approves_a_matching_proposal(platform: Platform, portal: ServiceProcess, page: Page) -> None:
    run = uuid.uuid4().hex[:6]
    programme = await programme_in_matching(platform, f"Наставничество {run}", TOM, ANNA)

    await sign_in(page, portal.url, "irina@owlery.dev", "/desk")
    await page.get_by_role("link", name=f"Наставничество {run}").click()
    await page.get_by_role("button", name="Запустить подбор").click()
    proposed = page.get_by_test_id("proposed-pair")
    await expect(proposed).to_have_count(1)
    await expect(proposed).to_contain_text("Tom Baker → Анна Смирнова")
    await expect(proposed).to_contain_text("Темы: 1c testing")  # the reasons of the pair
    await screenshot(page, "mentoring-01-matching-proposal")
    await page.get_by_role("button", name="Утвердить предложение").click()
    await expect(page.get_by_text("Предложение утверждено: участникам пар сообщили.")).to_be_visible()
    await expect(page.get_by_test_id("pair-health")).to_have_count(1)
    await screenshot(page, "mentoring-02-matching-approved")
    async with httpx.AsyncClient(timeout=30) as client:
        after = await call(
            await client.get(
                f"{platform.url('mentoring')}/programmes/{programme['id']}/matching",
                headers=platform.headers(IRINA, "curator"),
            )
        )
    assert after["approved"] is True


async def test_a_mentees_concern_is_seen_by_the_curator_only(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    programme, pair_id = await approved_pair(platform, f"Пара с проблемой {run}", TOM, ANNA)
    worry = f"Мы не встречаемся уже месяц {run}"

    await sign_in(page, portal.url, "anna@owlery.dev", f"/mentoring/pairs/{pair_id}")
    await page.get_by_label("Что вас беспокоит?").fill(worry)
    await page.get_by_role("button", name="Отправить кураторам").click()
    await expect(page.get_by_text("Ваше обращение отправлено кураторам.")).to_be_visible()
    await screenshot(page, "mentoring-03-concern-raised")
    await page.get_by_role("link", name="Моё наставничество").click()
    await expect(page.get_by_role("link", name=f"Пара с проблемой {run}")).to_be_visible()

    await page.context.clear_cookies()
    await sign_in(page, portal.url, "irina@owlery.dev", f"/desk/{programme['id']}")
    await page.get_by_test_id("concern").get_by_role("link").click()
    await expect(page.get_by_test_id("concern-text")).to_have_text(worry)
    await screenshot(page, "mentoring-04-concern-curator")

    await page.context.clear_cookies()
    await sign_in(page, portal.url, "tom@owlery.dev", f"/mentoring/pairs/{pair_id}")  # the mentor, in English
    await expect(page.get_by_role("heading", name=f"Пара с проблемой {run}")).to_be_visible()
    assert worry not in await page.inner_text("body")
    await page.goto(f"{portal.url}/desk/{programme['id']}")  # not his desk: the service refuses
    assert worry not in await page.inner_text("body")
    await screenshot(page, "mentoring-05-concern-hidden-from-mentor")


async def test_an_anonymous_comment_shows_no_author_to_another_member(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    circle, task, solution = await circle_with_a_solution(platform, run)

    await sign_in(page, portal.url, "anna@owlery.dev", "/circles")
    await page.get_by_role("link", name=circle["topic"]).click()
    await page.get_by_role("link", name=re.compile(f"Автоматизируйте отчёт {run}")).click()
    section = page.locator(f"#solution-{solution}")
    await section.get_by_label("Ваш комментарий").fill(f"Попробуйте сводную таблицу {run}")
    await section.get_by_label("Комментировать анонимно").check()
    await section.get_by_role("button", name="Отправить комментарий").click()
    await expect(page.get_by_text("Комментарий опубликован.")).to_be_visible()
    await expect(page.get_by_test_id("comment-author")).to_contain_text("Аноним (")
    await screenshot(page, "circle-01-anonymous-comment")

    await page.context.clear_cookies()
    await sign_in(page, portal.url, "tom@owlery.dev", f"/circles/tasks/{task['id']}")  # Tom reads English
    comment = page.get_by_test_id("comment").filter(has_text=f"Попробуйте сводную таблицу {run}")
    await expect(comment).to_be_visible()
    await expect(comment.get_by_test_id("comment-author")).to_have_text(re.compile(r"^Anonymous \(.+\)$"))
    text = await comment.inner_text()
    assert "Анна" not in text and ANNA not in text
    await comment.get_by_role("button", name="Helpful").click()
    await expect(page.get_by_text("Marked as helpful.")).to_be_visible()
    await screenshot(page, "circle-02-anonymous-to-another-member")


async def test_every_mentoring_page_in_both_languages_shows_no_raw_key_and_labels_every_input(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    programme, pair_id = await approved_pair(platform, f"Обход наставничества {run}", TOM, ANNA)
    circle, task, solution = await circle_with_a_solution(platform, run)
    url = platform.url("mentoring")
    async with httpx.AsyncClient(timeout=30) as client:  # a concern for Irina, an anonymous comment flagged for Max
        raised = await call(
            await client.post(
                f"{url}/pairs/{pair_id}/concerns", json={"text": "Обход"}, headers=platform.headers(ANNA)
            ),
            201,
        )
        comment = await call(
            await client.post(
                f"{url}/tasks/{task['id']}/solutions/{solution}/comments",
                json={"text": f"Грубость {run}", "anonymous": True},
                headers=platform.headers(TOM),
            ),
            201,
        )
        flag = {"item_id": comment["id"], "reason": "rudeness", "text": "Резко"}
        await call(await client.post(f"{url}/tasks/{task['id']}/flags", json=flag, headers=platform.headers(ANNA)), 201)
    walks = {
        "anna@owlery.dev": [
            f"/mentoring/pairs/{pair_id}", "/mentoring", "/circles", f"/circles/{circle['id']}",
            f"/circles/tasks/{task['id']}", "/circles/library?text=скрипт",
        ],
        "irina@owlery.dev": ["/desk", f"/desk/{programme['id']}", f"/desk/concerns/{raised['id']}"],
        "max@owlery.dev": ["/moderation"],
    }  # fmt: skip
    problems: list[str] = []
    for user_name, paths in walks.items():
        await page.context.clear_cookies()
        await sign_in(page, portal.url, user_name, paths[0])
        for lang in ("ru", "en"):
            await page.get_by_role("button", name={"ru": "Рус", "en": "Eng"}[lang]).click()
            for number, path in enumerate(paths):
                await page.goto(f"{portal.url}{path}")
                problems += await page_problems(page, f"{user_name} {path} [{lang}]", lang)
                await screenshot(page, f"walk-mentoring-{lang}-{user_name.split('@')[0]}-{number}")
    # The moderator reveals the anonymous author, giving the reason the service requires.
    card = page.get_by_test_id("flag").filter(has_text=f"Грубость {run}")
    await card.get_by_text("Reveal the author").click()
    await card.get_by_role("button", name="Reveal").click()  # no reason: refused, shown by the field
    await expect(page.locator(".error").first).to_be_visible()
    card = page.get_by_test_id("flag").filter(has_text=f"Грубость {run}")
    await card.get_by_label("Why the author must be known").fill("Repeated rudeness, escalated by HR")
    await card.get_by_role("button", name="Reveal").click()
    await expect(page.get_by_test_id("revealed")).to_have_text("Author: Tom Baker")
    await screenshot(page, "moderation-01-revealed")
    card = page.get_by_test_id("flag").filter(has_text=f"Грубость {run}")
    await card.get_by_label("Decision").select_option("hidden")
    await card.get_by_label("Note (required to hide or edit)").fill("Rude: hidden")
    await card.get_by_role("button", name="Save the decision").click()
    await expect(page.get_by_text("The decision is saved.")).to_be_visible()
    await expect(page.get_by_test_id("flag").filter(has_text=f"Грубость {run}")).to_have_count(0)
    await screenshot(page, "moderation-02-hidden")
    # A phone's width: the pair page fits without sideways scrolling.
    await page.set_viewport_size({"width": 375, "height": 800})
    await page.context.clear_cookies()
    await sign_in(page, portal.url, "anna@owlery.dev", f"/mentoring/pairs/{pair_id}")
    width = await page.evaluate("document.documentElement.scrollWidth")
    await screenshot(page, "walk-mentoring-phone-pair")
    assert width <= 375, f"the pair page is {width}px wide on a 375px phone"
    assert problems == []
