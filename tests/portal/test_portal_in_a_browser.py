# ruff: noqa: RUF001  (Russian text is what these people read)
"""The portal in headless Chromium over the whole platform on the real broker and store (issue 13).

Anna signs in through the development issuer's login page and joins a full course's waitlist; her inbox
badge counts a new message without a reload; Irina approves a stream proposed from a waitlist; Tom marks
attendance and reviews homework (enrolment restarted with its clock a month ahead, so sessions have
happened). Every page is walked in both languages for raw catalogue keys and unlabelled inputs, at a
laptop's and a phone's width. Each test saves screenshots to the report folder (tests.support.portal).
"""

import re
import uuid
from datetime import datetime, timedelta

import httpx
from playwright.async_api import Page, expect

from deploy.local.services import ServiceProcess
from tests.support.platform import Platform
from tests.support.portal import apply, call, page_problems, published_course, screenshot, sign_in

ANNA, TOM, IRINA = "demo-anna", "demo-tom", "demo-irina"


async def test_an_employee_signs_in_and_joins_the_waitlist_of_a_full_course(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    course = await published_course(platform, f"Автотесты на 1С {run}")
    for person in (f"vera-{run}", f"clara-{run}"):
        assert (await apply(platform, course["id"], person))["status"] == "enrolled"

    await page.goto(f"{portal.url}/")
    await page.get_by_role("link", name="Войти").first.click()  # the browser's language (ru) before signing in
    await expect(page.get_by_role("heading", name="Sign in to Owlery (development)")).to_be_visible()
    await screenshot(page, "employee-01-login-page")
    await page.locator('button[name="user_name"][value="anna@owlery.dev"]').click()
    await page.wait_for_url(f"{portal.url}/catalogue*")

    await page.get_by_label("Поиск курсов").fill(run)
    await page.get_by_role("button", name="Найти").click()
    await page.get_by_role("link", name=f"Автотесты на 1С {run}").click()
    await expect(page.get_by_text("Мест нет")).to_be_visible()  # the one cohort is full
    await page.get_by_label("Почему вы хотите пройти этот курс?").fill("Тестирую 1С каждый день")
    await page.get_by_label("Ваш уровень").select_option("intermediate")
    await page.get_by_role("button", name="Встать в лист ожидания").click()
    await expect(page.get_by_test_id("waitlist-position")).to_have_text("Ваше место в листе ожидания: 1")
    await screenshot(page, "employee-02-waitlisted")

    await page.get_by_role("link", name="Моё обучение").click()
    await expect(page.get_by_text("Вы в листе ожидания · Ваше место в листе ожидания: 1")).to_be_visible()
    await screenshot(page, "employee-03-my-learning")


async def test_the_inbox_badge_counts_a_new_message_without_a_reload(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    course = await published_course(platform, f"Git для аналитиков {run}", capacity=5)
    await sign_in(page, portal.url, "anna@owlery.dev", "/inbox")
    if await page.get_by_role("button", name="Отметить все прочитанными").count():
        await page.get_by_role("button", name="Отметить все прочитанными").click()
    badge = page.locator("#inbox-badge [data-unread]")
    await expect(badge).to_have_attribute("data-unread", "0")
    await page.evaluate("window.stillTheSamePage = true")

    await apply(platform, course["id"], ANNA)  # enrolled: the notifications service writes to her inbox

    # Enrolment brings one message or more (the enrolment, the calendar invitation's note): any count but 0.
    await expect(badge).to_have_attribute("data-unread", re.compile(r"^[1-9][0-9]*$"), timeout=30_000)
    assert await page.evaluate("window.stillTheSamePage === true")  # no reload happened
    await screenshot(page, "inbox-01-badge-updated")
    await page.reload()
    await expect(page.get_by_text(f"Git для аналитиков {run}").first).to_be_visible()
    await screenshot(page, "inbox-02-message")


async def test_a_curator_approves_a_stream_proposed_from_the_waitlist(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    course = await published_course(platform, f"SQL для всех {run}")
    people = [f"p{number}-{run}" for number in range(4)]
    statuses = [(await apply(platform, course["id"], person))["status"] for person in people]
    assert statuses == ["enrolled", "enrolled", "waitlisted", "waitlisted"]

    await sign_in(page, portal.url, "irina@owlery.dev", "/curation")
    card = page.get_by_test_id("stream-proposal").filter(has_text=f"SQL для всех {run}")
    await expect(card).to_be_visible()
    await expect(card.get_by_text(people[2])).to_be_visible()
    await screenshot(page, "curator-01-stream-proposal")
    await card.get_by_role("button", name="Утвердить поток").click()
    await expect(page.get_by_text("Решение сохранено.")).to_be_visible()
    await expect(page.get_by_test_id("stream-proposal").filter(has_text=f"SQL для всех {run}")).to_have_count(0)
    await screenshot(page, "curator-02-stream-approved")
    async with httpx.AsyncClient(timeout=30) as client:
        after = await call(
            await client.get(
                f"{platform.url('enrolment')}/courses/{course['id']}", headers=platform.headers(IRINA, "curator")
            )
        )
    assert [cohort["enrolled"] for cohort in after["cohorts"]] == [2, 2]


async def test_every_page_in_both_languages_shows_no_raw_key_and_labels_every_input(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    course = await published_course(platform, f"Обход страниц {run}")
    await apply(platform, course["id"], ANNA)
    async with httpx.AsyncClient(timeout=30) as client:  # one course in the curator's approval queue
        proposal = {"title_en": f"Walk-through {run}", "sessions": 3, "weekly_effort_hours": 1}
        await call(
            await client.post(
                f"{platform.url('enrolment')}/courses", json=proposal, headers=platform.headers(TOM, "trainer")
            ),
            201,
        )
    problems: list[str] = []
    cohort = course["cohorts"][0]["id"]
    walks = {
        "anna@owlery.dev": ["/catalogue", f"/courses/{course['id']}", "/learning", "/inbox"],
        "tom@owlery.dev": ["/teaching", f"/teaching/{course['id']}/{cohort}"],
        "irina@owlery.dev": ["/curation"],
    }
    await page.goto(f"{portal.url}/")
    for lang in ("ru", "en"):
        await page.get_by_role("button", name={"ru": "Рус", "en": "Eng"}[lang]).click()
        problems += await page_problems(page, f"/ [{lang}]", lang)
        await screenshot(page, f"walk-{lang}-welcome")
    for user_name, paths in walks.items():
        await page.context.clear_cookies()
        await sign_in(page, portal.url, user_name, paths[0])
        for lang in ("ru", "en"):
            await page.get_by_role("button", name={"ru": "Рус", "en": "Eng"}[lang]).click()
            for number, path in enumerate(paths):
                await page.goto(f"{portal.url}{path}")
                problems += await page_problems(page, f"{path} [{lang}]", lang)
                await screenshot(page, f"walk-{lang}-{user_name.split('@')[0]}-{number}")
    await expect(page.get_by_role("link", name=f"Walk-through {run}")).to_be_visible()  # Irina's queue, in English
    # A phone's width: the course page fits without sideways scrolling.
    await page.set_viewport_size({"width": 375, "height": 800})
    await page.context.clear_cookies()
    await sign_in(page, portal.url, "anna@owlery.dev", f"/courses/{course['id']}")
    width = await page.evaluate("document.documentElement.scrollWidth")
    await screenshot(page, "walk-phone-course")
    assert width <= 375, f"the course page is {width}px wide on a 375px phone"
    assert problems == []


async def test_a_trainer_marks_attendance_and_reviews_homework(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    """Last in the module: enrolment restarts a month ahead, so the cohort's sessions have taken place."""
    run = uuid.uuid4().hex[:6]
    course = await published_course(platform, f"Ревью кода {run}", capacity=3)
    await apply(platform, course["id"], ANNA)
    await apply(platform, course["id"], f"boris-{run}")
    cohort = course["cohorts"][0]
    base = f"{platform.url('enrolment')}/courses/{course['id']}/cohorts/{cohort['id']}"
    first = datetime.fromisoformat(cohort["session_starts"][0])
    async with httpx.AsyncClient(timeout=30) as client:
        homework = {
            "session_number": 1,
            "text": "Review a pull request",
            "due_at": (first + timedelta(days=3)).isoformat(),
        }
        await call(await client.post(f"{base}/homework", json=homework, headers=platform.headers(TOM, "trainer")), 201)
        submission = {"text": "https://git.example.com/pr/1 reviewed"}
        await call(
            await client.post(f"{base}/homework/hw-1/submissions", json=submission, headers=platform.headers(ANNA)), 201
        )
    platform.restart("enrolment", OWLERY_ENROLMENT_CLOCK_SHIFT_HOURS=str(30 * 24)).wait_ready()

    await sign_in(page, portal.url, "tom@owlery.dev", "/teaching")  # Tom reads English
    await page.locator(f'a[href="/teaching/{course["id"]}/{cohort["id"]}"]').click()
    await page.wait_for_url(f"{portal.url}/teaching/{course['id']}/{cohort['id']}")
    session = page.locator("#session-1")
    await session.get_by_label("Анна Смирнова").select_option("present")
    await session.get_by_label(f"boris-{run}").select_option("absent")
    await session.get_by_role("button", name="Save attendance for session 1").click()
    await expect(page.locator("#session-1").get_by_label("Анна Смирнова")).to_have_value("present")
    await screenshot(page, "trainer-01-attendance")

    review = page.locator("#homework-hw-1")
    await review.get_by_label("Decision").select_option("returned")
    await review.get_by_role("button", name="Send review").click()  # returning needs a comment: refused
    await expect(page.locator("#homework-hw-1 .error")).to_contain_text("Please write a comment")
    await expect(page.locator("#homework-hw-1").get_by_label("Decision")).to_have_value("returned")
    await screenshot(page, "trainer-02-review-refused")
    await page.locator("#homework-hw-1").get_by_label("Decision").select_option("accepted")
    await page.locator("#homework-hw-1").get_by_label("Comment").fill("Good, thorough review")
    await page.locator("#homework-hw-1").get_by_role("button", name="Send review").click()
    await expect(page.locator("#homework-hw-1")).to_contain_text("Анна Смирнова: handed in · accepted")
    await screenshot(page, "trainer-03-review-accepted")

    async with httpx.AsyncClient(timeout=30) as client:
        view = await call(await client.get(f"{base}/run", headers=platform.headers(TOM, "trainer")))
    assert view["attendance"][ANNA]["1"] == "present"
    assert view["attendance"][f"boris-{run}"]["1"] == "absent"
