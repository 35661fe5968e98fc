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

LOW_CONTRAST = """() => {
  const parse = text => {
    const found = text.match(/rgba?\\(([^)]+)\\)/);
    if (!found) return null;
    const parts = found[1].split(',').map(part => parseFloat(part));
    return {rgb: parts.slice(0, 3), alpha: parts.length > 3 ? parts[3] : 1};
  };
  const luminance = rgb => {
    const [r, g, b] = rgb.map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = element => {
    for (let e = element; e; e = e.parentElement) {
      const colour = parse(getComputedStyle(e).backgroundColor);
      if (colour && colour.alpha > 0.5) return colour.rgb;
    }
    return [255, 255, 255];
  };
  const low = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const element = walker.currentNode.parentElement;
    const text = walker.currentNode.textContent.trim();
    if (!element || !text || seen.has(element)) continue;
    seen.add(element);
    if (element.closest('.visually-hidden, .skip, script, style, noscript')) continue;
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    if (style.visibility === 'hidden' || box.width === 0 || box.height === 0) continue;
    const colour = parse(style.color);
    if (!colour) continue;
    const [light, dark] = [luminance(colour.rgb), luminance(background(element))].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (parseInt(style.fontWeight, 10) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) low.push(`"${text.slice(0, 40)}" ${ratio.toFixed(2)}:1`);
  }
  return low.slice(0, 10);
}"""
"""Text whose colour on its background falls below WCAG AA: 4.5:1, or 3:1 for large text."""

OFF_KEYBOARD = """() => [
  ...[...document.querySelectorAll('[tabindex]')].filter(e => parseInt(e.getAttribute('tabindex'), 10) > 0),
  ...[...document.querySelectorAll('[onclick]')]
    .filter(e => !e.matches('a[href], button, input, select, textarea, summary')),
].map(e => e.outerHTML.slice(0, 120))"""
"""What breaks keyboard order or cannot be reached by it: a positive tabindex, a click handler on a non-control."""

CATALOGUE_KEYS = set(Catalogues.load().words["en"])  # every catalogue file, areas included
_FAMILIES = {key.split(".")[0] for key in CATALOGUE_KEYS} - {"app"}


async def page_problems(page: Page, where: str, lang: str) -> list[str]:
    """What is wrong with the page shown: a wrong `lang`, catalogue keys shown raw, inputs without a label, text
    below WCAG AA contrast, controls off the keyboard."""
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
    low_contrast = await page.evaluate(LOW_CONTRAST)
    if low_contrast:
        problems.append(f"{where}: text below WCAG AA contrast {low_contrast}")
    off_keyboard = await page.evaluate(OFF_KEYBOARD)
    if off_keyboard:
        problems.append(f"{where}: off the keyboard {off_keyboard}")
    return problems
