# ruff: noqa: RUF001  (Russian text is what these people read)
"""Master classes, conferences and the curators' stream list in the portal (issue 13), in headless Chromium over
the whole platform on the real broker and store.

Irina approves Tom's master class when the company asks for approval. Tom proposes another (a duration out
of range is refused beside the field, nothing typed lost), Anna registers; Tom also speaks at Irina's
conference and Anna registers for his talk. Enrolment then runs a month ahead: Tom marks the master class
held with Anna attending and attaches its recording, Anna answers its one question; Tom marks Anna at his
talk (ticking nobody is refused beside the list) and attaches the recording and slides, and Anna rates the
talk once. The conference list, the proposal form, the pages of both roles and Irina's stream list are
walked in both languages for raw catalogue keys and unlabelled inputs. Screenshots go to the report folder.
"""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import Page, expect

from deploy.local.services import ServiceProcess
from tests.support.platform import Platform
from tests.support.portal import apply, call, page_problems, published_course, screenshot, sign_in

ANNA, TOM, IRINA = "demo-anna", "demo-tom", "demo-irina"
ANNA_NAME = "Анна Смирнова"


async def signed_in(page: Page, portal: ServiceProcess, user_name: str, path: str, lang: str) -> None:
    """Signed out first (leaving the page, so no poll in flight sets the old cookie again), then in, in `lang`."""
    await page.goto("about:blank")
    await page.context.clear_cookies()
    await sign_in(page, portal.url, user_name, path)
    await page.get_by_role("button", name={"ru": "Рус", "en": "Eng"}[lang]).click()
    await expect(page.locator("html")).to_have_attribute("lang", lang)


def conference_first_day() -> date:
    return (datetime.now(UTC) + timedelta(days=20)).date()


async def conference_with_a_talk(platform: Platform, run: str, publish: bool = True) -> tuple[str, str]:
    """Irina's conference (she chairs a committee of one) with Tom's talk placed on its first day: (id, talk id)."""
    enrolment = platform.url("enrolment")
    irina, tom = platform.headers(IRINA, "curator"), platform.headers(TOM)
    first = conference_first_day()
    plan = {
        "title": f"Дни качества {run}",
        "starts_on": first.isoformat(),
        "ends_on": (first + timedelta(days=1)).isoformat(),
        "time_zone": "Europe/Moscow",
        "tracks": ["Тестирование"],
        "rooms": [{"name": "Зал A", "capacity": 30}],
        "committee_ids": [IRINA],
        "chair_id": IRINA,
    }
    async with httpx.AsyncClient(timeout=30) as client:
        conference = await call(await client.post(f"{enrolment}/conferences", json=plan, headers=irina), 201)
        base = f"{enrolment}/conferences/{conference['id']}"
        idea = {"title": f"Контрактные тесты {run}", "abstract": "Из практики", "level": "intermediate"}
        proposal = await call(await client.post(f"{base}/proposals", json=idea, headers=tom), 201)
        if publish:
            talk = f"{base}/proposals/{proposal['id']}"
            decision = {"accept": True, "message": "Ждём!"}
            await call(await client.post(f"{talk}/decision", json=decision, headers=irina))
            slot = {
                "track": "Тестирование",
                "room": "Зал A",
                "starts_at": f"{first.isoformat()}T11:00:00+03:00",
                "duration_minutes": 45,
            }
            await call(await client.put(f"{talk}/slot", json=slot, headers=irina))
            await call(await client.post(f"{base}/programme", headers=irina))
        return conference["id"], proposal["id"]


async def enrolment_get(platform: Platform, path: str, person_id: str, *roles: str) -> Any:
    async with httpx.AsyncClient(timeout=30) as client:
        return await call(
            await client.get(f"{platform.url('enrolment')}{path}", headers=platform.headers(person_id, *roles))
        )


async def enrolment_post(platform: Platform, path: str, person_id: str, status: int = 201) -> Any:
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.post(f"{platform.url('enrolment')}{path}", headers=platform.headers(person_id))
        return await call(answer, status)


async def test_the_new_pages_in_both_languages_show_no_raw_key_and_label_every_input(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    course = await published_course(platform, f"Потоки {run}")
    for number in range(4):  # two seated, two waiting: a stream is proposed for Irina
        await apply(platform, course["id"], f"w{number}-{run}")
    published, talk_id = await conference_with_a_talk(platform, run)
    open_call, _ = await conference_with_a_talk(platform, f"{run}-call", publish=False)
    starts = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0).isoformat()
    body = {
        "title": f"Мастер-класс {run}",
        "language": "ru",
        "starts_at": starts,
        "duration_minutes": 60,
        "capacity": 5,
    }
    async with httpx.AsyncClient(timeout=30) as client:
        master_class = await call(
            await client.post(f"{platform.url('enrolment')}/master-classes", json=body, headers=platform.headers(TOM)),
            201,
        )
    await enrolment_post(platform, f"/master-classes/{master_class['id']}/registrations", ANNA)
    await enrolment_post(platform, f"/conferences/{published}/talks/{talk_id}/registrations", ANNA)

    walks = {
        "anna@owlery.dev": [
            "/formats",
            "/conferences",
            "/master-classes/new",
            f"/master-classes/{master_class['id']}",
            f"/conferences/{published}",
        ],
        "tom@owlery.dev": [f"/master-classes/{master_class['id']}", f"/conferences/{published}"],
        "irina@owlery.dev": ["/curation", "/conferences", f"/conferences/{published}", f"/conferences/{open_call}"],
    }
    problems: list[str] = []
    for user_name, paths in walks.items():
        for lang in ("ru", "en"):
            await signed_in(page, portal, user_name, paths[0], lang)
            for number, path in enumerate(paths):
                answer = await page.goto(f"{portal.url}{path}")
                assert answer is not None and answer.status == 200, f"{user_name} {path}: {answer and answer.status}"
                problems += await page_problems(page, f"{user_name} {path} [{lang}]", lang)
                await screenshot(page, f"walk-events-{lang}-{user_name.split('@')[0]}-{number}")

    # What those pages show: the conferences listed, Irina's stream from the one list call, Tom's roster.
    await signed_in(page, portal, "irina@owlery.dev", "/conferences", "ru")
    coming = page.get_by_test_id("conference")
    await expect(coming.filter(has_text=f"Дни качества {run}").first).to_contain_text("Программа опубликована")
    await expect(coming.filter(has_text=f"Дни качества {run}-call")).to_contain_text("Вы председатель комитета")
    await screenshot(page, "events-01-conference-list")
    await page.get_by_role("link", name=f"Дни качества {run}-call").click()
    await page.wait_for_url(f"{portal.url}/conferences/{open_call}")
    await page.goto(f"{portal.url}/curation")
    stream = page.get_by_test_id("stream-proposal").filter(has_text=f"Потоки {run}")
    await expect(stream).to_be_visible()
    await expect(stream.get_by_text(f"w2-{run}")).to_be_visible()
    await screenshot(page, "events-02-curator-streams")
    await signed_in(page, portal, "tom@owlery.dev", f"/master-classes/{master_class['id']}", "en")
    await expect(page.locator("#held").get_by_label(ANNA_NAME)).to_be_checked()
    assert problems == []


async def test_a_curator_approves_a_master_class_when_approval_is_asked(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    title = f"Мастер-класс на одобрение {run}"
    platform.restart("enrolment", OWLERY_ENROLMENT_MASTER_CLASS_APPROVAL="true").wait_ready()
    try:
        starts = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()
        body = {"title": title, "language": "ru", "starts_at": starts, "duration_minutes": 45, "capacity": 10}
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.post(
                f"{platform.url('enrolment')}/master-classes", json=body, headers=platform.headers(TOM)
            )
            proposed = await call(answer, 201)
        assert proposed["status"] == "proposed"

        await signed_in(page, portal, "irina@owlery.dev", "/formats", "ru")
        await page.get_by_test_id("awaiting-master-class").get_by_role("link", name=title).click()
        await page.wait_for_url(f"{portal.url}/master-classes/{proposed['id']}")
        await expect(page.get_by_test_id("master-class-status")).to_have_text("Ждёт одобрения")
        await screenshot(page, "events-10-master-class-awaiting")
        await page.get_by_role("button", name="Одобрить и опубликовать").click()
        await expect(page.get_by_text("Мастер-класс одобрен и опубликован.")).to_be_visible()
        await expect(page.get_by_test_id("master-class-status")).to_have_text("Открыта запись")
        await screenshot(page, "events-11-master-class-approved")
        # Anna could not see it before; now it is in everyone's list.
        master_classes = await enrolment_get(platform, "/master-classes", ANNA)
        assert title in [item["title"] for item in master_classes["items"]]
    finally:
        platform.restart("enrolment").wait_ready()


async def test_a_master_class_and_a_talk_from_proposal_to_feedback(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    """Last in the module: enrolment restarts a month ahead, so the master class and the talk have taken place."""
    run = uuid.uuid4().hex[:6]
    title = f"Pytest за час {run}"
    tomorrow = (datetime.now(ZoneInfo("Europe/Moscow")) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    # --- Tom proposes: a duration out of range is refused beside it, with what he typed kept -------------------
    await signed_in(page, portal, "tom@owlery.dev", "/master-classes/new", "en")
    await page.get_by_label("Title").fill(title)
    await page.get_by_label("What it is about").fill("Fixtures and the real servers")
    await page.get_by_label("Starts at").fill(tomorrow)
    await page.get_by_label("Duration, minutes").fill("20")
    await page.get_by_label("Seats").fill("5")
    await page.get_by_role("button", name="Propose", exact=True).click()
    await expect(page.locator("#mc-duration_minutes-error")).to_contain_text("A master class lasts from 30 to 120")
    await expect(page.get_by_label("Title")).to_have_value(title)
    await expect(page.get_by_label("Starts at")).to_have_value(tomorrow)
    await screenshot(page, "events-03-master-class-refused")
    await page.get_by_label("Duration, minutes").fill("60")
    await page.get_by_role("button", name="Propose", exact=True).click()
    await page.wait_for_url(f"{portal.url}/master-classes/mc-*")
    master_class_id = page.url.rsplit("/", 1)[-1]
    await expect(page.get_by_test_id("master-class-status")).to_have_text("Open for registration")
    await screenshot(page, "events-04-master-class-proposed")

    await enrolment_post(platform, f"/master-classes/{master_class_id}/registrations", ANNA)
    conference_id, talk_id = await conference_with_a_talk(platform, run)
    await enrolment_post(platform, f"/conferences/{conference_id}/talks/{talk_id}/registrations", ANNA)
    platform.restart("enrolment", OWLERY_ENROLMENT_CLOCK_SHIFT_HOURS=str(30 * 24)).wait_ready()

    # --- a month on: Tom marks it held with Anna, then attaches the recording and materials -------------------
    await page.reload()
    held = page.locator("#held")
    await expect(held.get_by_label(ANNA_NAME)).to_be_checked()
    await held.get_by_role("button", name="Mark held").click()
    await expect(page.get_by_text("The master class is marked held.")).to_be_visible()
    await expect(page.get_by_test_id("master-class-status")).to_have_text("Held")
    recording = page.locator("#recording")
    await recording.get_by_label("Link to the recording").fill("https://stream.example.com/pytest")
    await recording.get_by_label("Materials (one link a line)").fill("https://git.example.com/pytest-demo")
    await recording.get_by_role("button", name="Attach").click()
    await expect(page.get_by_text("The recording is attached.")).to_be_visible()
    await expect(page.get_by_test_id("materials").get_by_role("link", name="Recording")).to_have_attribute(
        "href", "https://stream.example.com/pytest"
    )
    await screenshot(page, "events-05-master-class-held")

    # --- Anna answers the one question, once --------------------------------------------------------------------
    await signed_in(page, portal, "anna@owlery.dev", f"/master-classes/{master_class_id}", "ru")
    feedback = page.locator("#feedback")
    await feedback.get_by_label("Насколько полезен был мастер-класс?").select_option("5")
    await feedback.get_by_label("Комментарий (необязательно)").fill("Сразу применю")
    await feedback.get_by_role("button", name="Отправить отзыв").click()
    await expect(page.get_by_test_id("feedback-given")).to_have_text("Вы оставили отзыв. Спасибо!")
    await expect(page.locator("#feedback form")).to_have_count(0)
    await screenshot(page, "events-06-master-class-feedback")

    # --- Tom marks who came to his talk (nobody ticked is refused beside the list), attaches the recording ------
    await signed_in(page, portal, "tom@owlery.dev", f"/conferences/{conference_id}", "en")
    talk = page.locator(f"#talk-{talk_id}")
    await talk.get_by_role("button", name="Save attendance").click()
    await expect(page.locator(f"#attendance-{talk_id}-person_ids-error")).to_contain_text(
        "Please tick at least one person who came"
    )
    await screenshot(page, "events-07-attendance-refused")
    talk = page.locator(f"#talk-{talk_id}")
    await talk.get_by_label(ANNA_NAME).check()
    await talk.get_by_role("button", name="Save attendance").click()
    await expect(page.get_by_text("Attendance is saved.")).to_be_visible()
    talk = page.locator(f"#talk-{talk_id}")
    await expect(talk.get_by_label(f"{ANNA_NAME} · marked")).to_be_disabled()
    await talk.get_by_label("Link to the recording").fill("https://stream.example.com/contracts")
    await talk.get_by_label("Link to the slides (optional)").fill("https://slides.example.com/contracts")
    await talk.get_by_role("button", name="Attach").click()
    await expect(page.get_by_text("The recording is attached.")).to_be_visible()
    await expect(page.locator(f"#talk-{talk_id}").get_by_role("link", name="Slides")).to_have_attribute(
        "href", "https://slides.example.com/contracts"
    )
    await screenshot(page, "events-08-talk-attended-and-recorded")

    # --- Anna rates the talk, once --------------------------------------------------------------------------------
    await signed_in(page, portal, "anna@owlery.dev", f"/conferences/{conference_id}", "ru")
    talk = page.locator(f"#talk-{talk_id}")
    await talk.get_by_label("Насколько полезен был доклад?").select_option("4")
    await talk.get_by_role("button", name="Оценить доклад").click()
    await expect(page.locator(f"#talk-{talk_id}").get_by_test_id("talk-rated")).to_have_text(
        "Вы оценили этот доклад. Спасибо!"
    )
    await expect(page.locator(f"#talk-{talk_id}").get_by_test_id("rate")).to_have_count(0)
    await screenshot(page, "events-09-talk-rated")

    master_class = await enrolment_get(platform, f"/master-classes/{master_class_id}", TOM)
    assert (master_class["status"], master_class["attendee_ids"], master_class["average_score"]) == ("held", [ANNA], 5)
    assert master_class["materials"] == ["https://git.example.com/pytest-demo"]
    conference = await enrolment_get(platform, f"/conferences/{conference_id}", ANNA)
    [rated] = [item for item in conference["programme"] if item["id"] == talk_id]
    assert (rated["attended"], rated["average_score"], rated["my_feedback_given"]) == (1, 4, True)
    assert rated["slides_url"] == "https://slides.example.com/contracts"
