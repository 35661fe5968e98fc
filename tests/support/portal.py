"""The portal as a process over a test platform, and headless Chromium (Debian's) driven by Playwright.

Screenshots go to the test report folder: `.run/test-report/portal/` (OWLERY_TEST_REPORT_DIR to change it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from deploy.local.services import ServiceProcess, portal_environment
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
