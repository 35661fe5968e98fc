# ruff: noqa: RUF001  (Russian text is what these people read)
"""The portal's pages for the other formats, achievements, preferences, course management and reports (issue 13),
in headless Chromium over the whole platform on the real broker and store.

Anna registers for a conference talk from the programme; Irina, the programme committee's chair, scores a
proposal blind, accepts and places it, and sees a clash refused beside the form; Tom proposes a course, sees a
field error, then succeeds; Anna's points after an enrolment and Tom's owl badge (with its Open Badges
credential to download) show on "my achievements"; a wrong time zone in the notification settings is refused
beside the field, nothing typed lost; Olga (HR) sees a course report's chart image load. Every page is walked
in both languages for raw catalogue keys and unlabelled inputs. Screenshots go to the report folder.
"""

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from deploy.local.services import ServiceProcess
from tests.support.platform import Platform
from tests.support.portal import apply, call, page_problems, published_course, screenshot, sign_in

ANNA, TOM, IRINA, OLGA = "demo-anna", "demo-tom", "demo-irina", "demo-olga"


def conference_days() -> tuple[date, date]:
    first = (datetime.now(UTC) + timedelta(days=20)).date()
    return first, first + timedelta(days=1)


async def conference_with_talks(platform: Platform, run: str, titles: list[str]) -> tuple[str, list[str]]:
    """A conference chaired by Irina (her committee of one), and Tom's proposals for it: (id, proposal ids)."""
    enrolment = platform.url("enrolment")
    first, last = conference_days()
    plan = {
        "title": f"ИТ-конференция {run}",
        "starts_on": first.isoformat(),
        "ends_on": last.isoformat(),
        "time_zone": "Europe/Moscow",
        "tracks": ["Тестирование", "Аналитика"],
        "rooms": [{"name": "Зал A", "capacity": 30}, {"name": "Зал B", "capacity": 30}],
        "committee_ids": [IRINA],
        "chair_id": IRINA,
    }
    async with httpx.AsyncClient(timeout=30) as client:
        created = await call(
            await client.post(f"{enrolment}/conferences", json=plan, headers=platform.headers(IRINA, "curator")), 201
        )
        ids = []
        for title in titles:
            idea = {"title": title, "abstract": "О практике", "level": "intermediate", "language": "ru"}
            proposal = await call(
                await client.post(
                    f"{enrolment}/conferences/{created['id']}/proposals", json=idea, headers=platform.headers(TOM)
                ),
                201,
            )
            ids.append(proposal["id"])
        return created["id"], ids


async def accept_and_place(platform: Platform, conference_id: str, proposal_id: str, at: str, room: str) -> None:
    base = f"{platform.url('enrolment')}/conferences/{conference_id}/proposals/{proposal_id}"
    irina = platform.headers(IRINA, "curator")
    async with httpx.AsyncClient(timeout=30) as client:
        await call(await client.post(f"{base}/decision", json={"accept": True, "message": "Ждём!"}, headers=irina))
        slot = {"track": "Тестирование", "room": room, "starts_at": at, "duration_minutes": 45}
        await call(await client.put(f"{base}/slot", json=slot, headers=irina))


async def signed_out(page: Page) -> None:
    """Leave the page first: a poll still in flight (the inbox badge) could set the old session cookie again."""
    await page.goto("about:blank")
    await page.context.clear_cookies()


async def until(page: Page, holds: Callable[[], Awaitable[bool]], seconds: int = 40) -> None:
    """Reload until the page shows what an event (through the broker) brings, or fail after `seconds`."""
    for _ in range(seconds):
        if await holds():
            return
        await page.wait_for_timeout(1000)
        await page.reload()
    assert await holds(), f"{page.url} never showed what was awaited"


async def test_an_employee_registers_for_a_conference_talk_from_the_programme(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    title = f"Автотесты без боли {run}"
    conference_id, (talk_id,) = await conference_with_talks(platform, run, [title])
    first, _ = conference_days()
    await accept_and_place(platform, conference_id, talk_id, f"{first.isoformat()}T11:00:00+03:00", "Зал A")
    async with httpx.AsyncClient(timeout=30) as client:
        await call(
            await client.post(
                f"{platform.url('enrolment')}/conferences/{conference_id}/programme",
                headers=platform.headers(IRINA, "curator"),
            )
        )

    await sign_in(page, portal.url, "anna@owlery.dev", "/formats")
    await page.get_by_label("Код конференции").fill(conference_id)
    await page.get_by_role("button", name="Открыть программу").click()
    await page.wait_for_url(f"{portal.url}/conferences/{conference_id}")
    await expect(page.get_by_role("heading", name="Трек: Тестирование")).to_be_visible()
    talk = page.get_by_test_id("talk").filter(has_text=title)
    await expect(talk).to_contain_text("Свободных мест: 30")
    await screenshot(page, "formats-01-conference-programme")
    await talk.get_by_role("button", name="Записаться на доклад").click()
    await expect(page.get_by_test_id("talk").filter(has_text=title).get_by_test_id("registered")).to_have_text(
        "Вы записаны на этот доклад"
    )
    await expect(page.get_by_test_id("talk").filter(has_text=title)).to_contain_text("Свободных мест: 29")
    await screenshot(page, "formats-02-talk-registered")

    async with httpx.AsyncClient(timeout=30) as client:
        seen = await call(
            await client.get(f"{platform.url('enrolment')}/conferences/{conference_id}", headers=platform.headers(ANNA))
        )
    assert [talk["i_am_registered"] for talk in seen["programme"]] == [True]


async def test_the_committee_scores_blind_and_the_schedule_builder_shows_a_clash(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    first_title, second_title = f"Доклад первый {run}", f"Доклад второй {run}"
    conference_id, (first_id, second_id) = await conference_with_talks(platform, run, [first_title, second_title])
    day, _ = conference_days()
    await accept_and_place(platform, conference_id, second_id, f"{day.isoformat()}T10:00:00+03:00", "Зал B")
    async with httpx.AsyncClient(timeout=30) as client:
        tom = await call(await client.get(f"{platform.url('directory')}/people/{TOM}", headers=platform.headers(TOM)))

    await sign_in(page, portal.url, "irina@owlery.dev", f"/conferences/{conference_id}")
    proposal = page.locator(f"#proposal-{first_id}")
    await expect(proposal).to_contain_text(first_title)
    await expect(proposal).not_to_contain_text(tom["display_name"])  # blind: the speaker is not named
    await expect(proposal).not_to_contain_text(TOM)
    await proposal.get_by_label("Новизна").select_option("5")
    await proposal.get_by_role("button", name="Сохранить оценки").click()
    await expect(page.locator(f"#proposal-{first_id}")).to_contain_text("Вы оценили эту заявку.")
    await screenshot(page, "committee-01-scored-blind")

    proposal = page.locator(f"#proposal-{first_id}")
    await proposal.get_by_label("Сообщение докладчику").fill("Отличная тема")
    await proposal.get_by_role("button", name="Сохранить решение").click()
    proposal = page.locator(f"#proposal-{first_id}")
    await expect(proposal).to_contain_text("Принят")
    # Tom speaks at 10:00 in room B already: the same time in room A is a clash the service refuses.
    await proposal.get_by_label("Зал").select_option("Зал A")
    await proposal.get_by_label("Начало (время конференции)").fill(f"{day.isoformat()}T10:15")
    await proposal.get_by_role("button", name="Поставить в расписание").click()
    clash = page.locator(f"#proposal-{first_id} .error")
    await expect(clash.first).to_be_visible()
    await expect(page.locator(f"#proposal-{first_id}").get_by_label("Начало (время конференции)")).to_have_value(
        f"{day.isoformat()}T10:15"
    )  # what was typed stays
    await screenshot(page, "committee-02-clash-refused")

    await (
        page.locator(f"#proposal-{first_id}")
        .get_by_label("Начало (время конференции)")
        .fill(f"{day.isoformat()}T12:00")
    )
    await page.locator(f"#proposal-{first_id}").get_by_role("button", name="Поставить в расписание").click()
    await expect(page.locator(f"#proposal-{first_id}")).to_contain_text("В расписании")
    await page.get_by_role("button", name="Опубликовать программу").click()
    await expect(page.get_by_text("Программа опубликована")).to_be_visible()
    await expect(page.get_by_test_id("talk")).to_have_count(2)
    await screenshot(page, "committee-03-published")


async def test_a_trainer_proposes_a_course_sees_a_field_error_then_succeeds(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    title = f"Property-based testing {run}"
    await sign_in(page, portal.url, "tom@owlery.dev", "/teaching")  # Tom reads English
    await page.get_by_role("link", name="Propose a course").click()
    await page.get_by_label("Title in English").fill(title)
    await page.get_by_label("Description").fill("Hypothesis for everyday tests")
    await page.get_by_label("Number of sessions").fill("1")
    await page.get_by_role("button", name="Send for review").click()
    await expect(page.locator("#sessions-error")).to_contain_text("A course has from 3 to 12 sessions")
    await expect(page.get_by_label("Number of sessions")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Title in English")).to_have_value(title)  # nothing typed is lost
    await expect(page.get_by_label("Description")).to_have_value("Hypothesis for everyday tests")
    await screenshot(page, "trainer-propose-01-field-error")

    await page.get_by_label("Number of sessions").fill("4")
    await page.get_by_role("button", name="Send for review").click()
    await expect(page.get_by_test_id("proposed")).to_have_text("Your course is sent for review.")
    await expect(page.get_by_test_id("course-status")).to_have_text("Waiting for review")
    await expect(page.get_by_role("heading", name=title)).to_be_visible()
    await screenshot(page, "trainer-propose-02-sent")
    course_id = page.url.split("/courses/")[1].split("/")[0]
    async with httpx.AsyncClient(timeout=30) as client:
        course = await call(
            await client.get(
                f"{platform.url('enrolment')}/courses/{course_id}", headers=platform.headers(TOM, "trainer")
            )
        )
    assert (course["title_en"], course["sessions"], course["status"]) == (title, 4, "proposed")


async def test_points_and_a_badge_show_on_my_achievements_after_a_deed(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(timeout=30) as client:
        before = await call(
            await client.get(f"{platform.url('gamification')}/people/{ANNA}/points", headers=platform.headers(ANNA))
        )
    course = await published_course(platform, f"Геймификация {run}")  # Tom's debut, if his first course
    await apply(platform, course["id"], ANNA)  # enrolled: 10 points, through the broker

    await sign_in(page, portal.url, "anna@owlery.dev", "/achievements")
    balance = page.get_by_test_id("balance")

    async def credited() -> bool:
        found = re.search(r"\d+", await balance.inner_text())
        return found is not None and int(found.group()) >= before["balance"] + 10

    await until(page, credited)
    await expect(page.get_by_test_id("ledger")).to_contain_text("Зачисление на курс")
    await expect(page.get_by_test_id("level")).to_contain_text("Уровень")
    await screenshot(page, "achievements-01-points")

    await signed_out(page)
    await sign_in(page, portal.url, "tom@owlery.dev", "/achievements")
    owl = page.get_by_test_id("badge").filter(has_text="Owl with a book")

    async def awarded() -> bool:
        return await owl.count() == 1

    await until(page, awarded)
    await screenshot(page, "achievements-02-badge")
    async with page.expect_download() as download_info:
        await owl.get_by_role("link", name="Download the credential").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".jwt")
    saved = Path(await download.path())
    credential = await asyncio.to_thread(saved.read_text, "utf-8")
    assert credential.count(".") == 2, "a compact JWS: header.payload.signature"


async def test_notification_settings_refuse_a_bad_time_zone_beside_the_field(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    await sign_in(page, portal.url, "anna@owlery.dev", "/preferences")
    await page.get_by_label("Тишина с").fill("22:30")
    await page.get_by_label("Часовой пояс").fill("Mars/Olympus")
    await page.get_by_role("button", name="Сохранить настройки").click()
    await expect(page.locator("#time_zone-error")).to_contain_text("Укажите существующий часовой пояс")
    await expect(page.get_by_label("Часовой пояс")).to_have_value("Mars/Olympus")
    await expect(page.get_by_label("Тишина с")).to_have_value("22:30")  # the rest stays as typed
    await screenshot(page, "preferences-01-refused")
    await page.get_by_label("Часовой пояс").fill("Europe/Moscow")
    await page.get_by_role("button", name="Сохранить настройки").click()
    await expect(page.get_by_text("Настройки сохранены.")).to_be_visible()
    await expect(page.get_by_label("Тишина с")).to_have_value("22:30")
    await screenshot(page, "preferences-02-saved")


async def test_hr_sees_a_course_report_with_its_chart(platform: Platform, portal: ServiceProcess, page: Page) -> None:
    run = uuid.uuid4().hex[:6]
    title = f"Отчётный курс {run}"
    course = await published_course(platform, title)
    await apply(platform, course["id"], ANNA)

    await sign_in(page, portal.url, "olga@owlery.dev", "/hr")
    await page.get_by_role("link", name="Отчёты по всем программам").click()
    report = page.get_by_test_id("course-report").filter(has_text=title)
    await expect(report).to_be_visible()
    chart = report.get_by_role("img", name=f"Участие и завершение: {title}")
    await chart.scroll_into_view_if_needed()
    await expect(chart).to_be_visible()
    await page.wait_for_function(
        "img => img.complete && img.naturalWidth > 100", arg=await chart.element_handle(), timeout=30_000
    )
    source = await chart.get_attribute("src")
    assert source
    image = await page.request.get(f"{portal.url}{source}")
    assert image.status == 200 and image.headers["content-type"] == "image/png"
    assert (await image.body())[:8] == b"\x89PNG\r\n\x1a\n"
    await screenshot(page, "reports-01-chart")


RAW_KEY = re.compile(r"\b[a-z_]+(?:\.[a-z0-9_]+)+\b")
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length))
  .filter(el => !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""


async def test_every_new_page_in_both_languages_shows_no_raw_key_and_labels_every_input(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    course = await published_course(platform, f"Обход форматов {run}")
    await apply(platform, course["id"], ANNA)
    open_call, _ = await conference_with_talks(platform, run, [f"Заявка {run}"])
    starts = (datetime.now(UTC) + timedelta(days=9)).replace(microsecond=0).isoformat()
    async with httpx.AsyncClient(timeout=30) as client:
        master_class = await call(
            await client.post(
                f"{platform.url('enrolment')}/master-classes",
                json={
                    "title": f"Мастер-класс {run}",
                    "language": "ru",
                    "starts_at": starts,
                    "duration_minutes": 60,
                    "capacity": 10,
                },
                headers=platform.headers(TOM),
            ),
            201,
        )
        placement = {
            "title": f"Стажировка {run}",
            "starts_on": (datetime.now(UTC) + timedelta(days=30)).date().isoformat(),
            "ends_on": (datetime.now(UTC) + timedelta(days=40)).date().isoformat(),
            "seats": 2,
            "guest_learns": "Как мы тестируем",
        }
        # A placement needs the host's department in the directory: the page is walked either way.
        await client.post(f"{platform.url('mentoring')}/placements", json=placement, headers=platform.headers(TOM))
    walks = {
        "anna@owlery.dev": [
            "/formats",
            f"/master-classes/{master_class['id']}",
            f"/conferences/{open_call}",
            "/internships",
            "/knowledge",
            "/knowledge?q=test&category=x",
            "/achievements?period=week",
            "/preferences",
        ],
        "tom@owlery.dev": ["/teaching/propose", f"/courses/{course['id']}/manage"],
        "irina@owlery.dev": [f"/conferences/{open_call}", "/reports"],
        "olga@owlery.dev": ["/hr", "/reports"],
    }
    problems: list[str] = []
    for user_name, paths in walks.items():
        await signed_out(page)
        await sign_in(page, portal.url, user_name, paths[0])
        for lang in ("ru", "en"):
            await page.get_by_role("button", name={"ru": "Рус", "en": "Eng"}[lang]).click()
            for number, path in enumerate(paths):
                answer = await page.goto(f"{portal.url}{path}")
                assert answer is not None and answer.status == 200, f"{user_name} {path}: {answer and answer.status}"
                problems += await page_problems(page, f"{user_name} {path} [{lang}]", lang)
                await screenshot(page, f"walk-formats-{lang}-{user_name.split('@')[0]}-{number}")
    # A phone's width: the new pages fit without sideways scrolling.
    await page.set_viewport_size({"width": 375, "height": 800})
    await signed_out(page)
    await sign_in(page, portal.url, "anna@owlery.dev", "/achievements")
    for path in ("/achievements", f"/conferences/{open_call}", "/preferences", "/formats"):
        await page.goto(f"{portal.url}{path}")
        width = await page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            problems.append(f"{path} is {width}px wide on a 375px phone")
    await screenshot(page, "walk-formats-phone-formats")
    assert problems == []
