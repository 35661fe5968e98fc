"""The portal as a process over a test platform, and headless Chromium (Debian's) driven by Playwright.

Screenshots go to the test report folder: `.run/test-report/portal/` (OWLERY_TEST_REPORT_DIR to change it).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from deploy.local.services import ServiceProcess, portal_environment
from portal.domain.i18n import Catalogues
from tests.support.platform import LOG_DIR, Platform, free_port

CHROMIUM = "/usr/bin/chromium"
"""Debian's package (`make browser` installs it); Playwright's own browser downloads are never used."""

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The machine's network is closed: without these Chromium keeps dialling Google's hosts.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

REPORT_DIR = (
    Path(os.environ.get("OWLERY_TEST_REPORT_DIR", Path(__file__).resolve().parents[2] / ".run" / "test-report"))
    / "portal"
)


def start_portal(platform: Platform) -> ServiceProcess:
    """The portal on a free port, trusting the platform's development issuer and calling its services."""
    port = free_port()
    portal = ServiceProcess(
        name="portal",
        port=port,
        kafka_bootstrap=platform.servers.kafka_bootstrap,
        mongodb_url=platform.servers.mongodb_url,
        log_path=LOG_DIR / f"{platform.name}-portal.log",
        issuer=platform.signer.issuer,
        extra_env={**portal_environment(platform.ports, port), "OWLERY_PORTAL_INBOX_POLL_SECONDS": "1"},
    )
    portal.start()
    portal.wait_ready()
    return portal


@pytest.fixture(scope="module")
def portal(platform: Platform) -> Iterator[ServiceProcess]:
    running = start_portal(platform)
    try:
        yield running
    finally:
        running.stop()


@pytest_asyncio.fixture(scope="module")
async def chromium() -> AsyncIterator[Browser]:
    assert shutil.which(CHROMIUM), f"{CHROMIUM} is missing: `make browser` installs Debian's chromium package"
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture
async def page(chromium: Browser) -> AsyncIterator[Page]:
    """A fresh browser context (no cookies) at a laptop's width."""
    context = await chromium.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    opened = await context.new_page()
    opened.set_default_timeout(20_000)
    try:
        yield opened
    finally:
        await context.close()


async def screenshot(page: Page, name: str) -> Path:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = REPORT_DIR / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def sign_in(page: Page, portal_url: str, user_name: str, next_path: str = "/catalogue") -> None:
    """Through the login page, as a person would: the portal sends the browser to the issuer's page."""
    await page.goto(f"{portal_url}/login?next={next_path}")
    await page.locator(f'button[name="user_name"][value="{user_name}"]').click()
    await page.wait_for_url(f"{portal_url}{next_path}*")


# --- seeding through the services' public APIs, and the checks every page walk makes -------------------------

TOM, IRINA = "demo-tom", "demo-irina"


async def call(answer: httpx.Response, status: int = 200) -> Any:
    """The answer's JSON, after checking its status (the message names the request and what came back)."""
    assert answer.status_code == status, f"{answer.request.method} {answer.request.url}: {answer.text}"
    return answer.json() if answer.content else None


async def published_course(platform: Platform, title: str, capacity: int = 2) -> dict[str, Any]:
    """Tom's course, approved by Irina, with one cohort of `capacity` seats starting in two weeks."""
    enrolment = platform.url("enrolment")
    tom, irina = platform.headers(TOM, "trainer"), platform.headers(IRINA, "curator")
    body = {
        "title_ru": title,
        "title_en": f"{title} (en)",
        "sessions": 3,
        "weekly_effort_hours": 2,
        "availability": [{"weekday": 2, "local_time": "15:00", "time_zone": "Europe/Moscow"}],
        "rules": {"capacity": capacity},
    }
    async with httpx.AsyncClient(timeout=30) as client:
        course = await call(await client.post(f"{enrolment}/courses", json=body, headers=tom), 201)
        review = {"verdict": "approved"}
        await call(await client.post(f"{enrolment}/courses/{course['id']}/reviews", json=review, headers=irina))
        start = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
        slot = {"weekday": 2, "local_time": "15:00", "time_zone": "Europe/Moscow", "start_date": start}
        opened: dict[str, Any] = await call(
            await client.post(f"{enrolment}/courses/{course['id']}/cohorts", json=slot, headers=tom), 201
        )
        return opened


async def apply(platform: Platform, course_id: str, person_id: str, status: int = 201) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.post(
            f"{platform.url('enrolment')}/courses/{course_id}/applications",
            json={"person_id": person_id, "motivation": "Хочу учиться", "level": "intermediate"},
            headers=platform.headers(person_id),
        )
        applied: dict[str, Any] = await call(answer, status)
        return applied


RAW_KEY = re.compile(r"\b[a-z_]+(?:\.[a-z0-9_]+)+\b")
"""What a catalogue key looks like on a page, had it not been translated."""

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length))
  .filter(el => !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""

CATALOGUE_KEYS = set(Catalogues.load().words["en"])  # every catalogue file, areas included
_FAMILIES = {key.split(".")[0] for key in CATALOGUE_KEYS} - {"app"}


async def page_problems(page: Page, where: str, lang: str) -> list[str]:
    """What is wrong with the page shown: a wrong `lang`, catalogue keys shown raw, inputs without a label."""
    problems = []
    if await page.get_attribute("html", "lang") != lang:
        problems.append(f"{where}: html lang is not {lang}")
    text = await page.inner_text("body")
    raw = sorted(
        {found for found in RAW_KEY.findall(text) if found in CATALOGUE_KEYS or found.split(".")[0] in _FAMILIES}
    )
    if raw:
        problems.append(f"{where}: raw keys {raw}")
    unlabelled = await page.evaluate(UNLABELLED)
    if unlabelled:
        problems.append(f"{where}: inputs without a label {unlabelled}")
    return problems
