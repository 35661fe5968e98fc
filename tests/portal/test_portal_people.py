# ruff: noqa: RUF001  (Russian text is what these people read)
"""HR's import history, times on each person's own clock, and the portal's own check of the token (issue 13).

Olga (HR) imports a people file with one bad line and finds the run, and that line's problem, in the history;
Anna (Europe/Moscow) reads a session time on Moscow's clock while Tom (Europe/London) reads it on London's;
a session cookie carrying a token signed with someone else's key shows no menus and goes back to sign-in.
The new pages are walked in both languages for raw catalogue keys and unlabelled inputs.
"""

import base64
import json
import re
import time
import uuid

import jwt
from itsdangerous import TimestampSigner
from playwright.async_api import Page, expect

from deploy.local.services import ServiceProcess
from portal.config import PortalSettings
from shared.auth.signing import generate_private_key_pem
from tests.support.platform import Platform
from tests.support.portal import page_problems, published_course, screenshot, sign_in


def session_cookie(session: dict[str, object]) -> str:
    """The portal's session cookie as Starlette signs it: what anyone who learnt the session secret could make."""
    secret = PortalSettings(mode="dev").session_secret.get_secret_value()
    return TimestampSigner(secret).sign(base64.b64encode(json.dumps(session).encode())).decode()


async def test_hr_sees_a_refused_import_and_its_bad_line_in_the_history(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    people_file = (
        "user_name,display_name,email,locale,time_zone\n"
        f"good-{run}@corp.ru,Вера Хорошая,good-{run}@corp.ru,ru,Europe/Moscow\n"
        f"bad-{run}@corp.ru,Борис Плохой,not-an-email,ru,Europe/Moscow\n"
    )
    await sign_in(page, portal.url, "olga@owlery.dev", "/hr")
    await page.get_by_label("Текст CSV").fill(people_file)
    await page.get_by_role("button", name="Импортировать").click()
    await expect(page.get_by_test_id("import-rows")).to_contain_text("Строка 3, поле email")
    newest = page.get_by_test_id("import-run").first
    await expect(newest).to_contain_text("Отклонён, ничего не импортировано")
    await expect(newest).to_contain_text("Ольга Иванова")
    await expect(newest).to_contain_text("Файл CSV")
    await screenshot(page, "people-01-import-refused-in-history")

    await newest.get_by_role("link").click()
    await page.wait_for_url(re.compile(r".*/hr/imports/imp-.*"))
    bad_line = page.get_by_test_id("import-error")
    await expect(bad_line).to_have_count(1)
    await expect(bad_line).to_contain_text("3")
    await expect(bad_line).to_contain_text("email")
    await expect(bad_line).to_contain_text("not-an-email")
    await expect(page.get_by_test_id("import-run-summary")).to_contain_text(
        "новых 0, обновлено 0, без изменений 0, отклонено строк 1"
    )
    await screenshot(page, "people-02-import-run-errors")
    run_path = page.url.removeprefix(portal.url)

    problems: list[str] = []
    for lang in ("ru", "en"):
        await page.get_by_role("button", name={"ru": "Рус", "en": "Eng"}[lang]).click()
        for number, path in enumerate(("/hr", run_path)):
            await page.goto(f"{portal.url}{path}")
            problems += await page_problems(page, f"{path} [{lang}]", lang)
            await screenshot(page, f"people-walk-{lang}-{number}")
    await expect(page.get_by_test_id("import-outcome")).to_have_text("Refused, nothing imported")  # English now
    assert problems == []


async def test_a_session_time_is_shown_on_each_persons_clock(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    run = uuid.uuid4().hex[:6]
    course = await published_course(platform, f"Часовые пояса {run}")  # sessions at 15:00 Moscow time

    await sign_in(page, portal.url, "anna@owlery.dev", f"/courses/{course['id']}")  # Europe/Moscow, Russian
    first_session = page.locator("time").first
    await expect(first_session).to_have_text(re.compile(r"^\d\d\.\d\d\.\d{4} 15:00 \(UTC\+3\)$"))
    await expect(page.get_by_test_id("time-zone")).to_have_text(
        "Время на страницах указано по часовому поясу Europe/Moscow."
    )
    await screenshot(page, "people-03-moscow-time")

    await page.context.clear_cookies()
    await sign_in(page, portal.url, "tom@owlery.dev", f"/courses/{course['id']}")  # Europe/London, English
    london = re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4}, (12:00 PM \(UTC\+0\)|1:00 PM \(UTC\+1\))$")
    await expect(page.locator("time").first).to_have_text(london)
    await expect(page.get_by_test_id("time-zone")).to_contain_text("Europe/London")
    await screenshot(page, "people-04-london-time")


async def test_a_forged_token_in_the_cookie_shows_no_menus_and_goes_to_sign_in(
    platform: Platform, portal: ServiceProcess, page: Page
) -> None:
    issuer = platform.signer
    now = int(time.time())
    claims = {"iss": issuer.issuer, "sub": "demo-olga", "aud": "owlery", "iat": now, "exp": now + 3600}
    forger_key = generate_private_key_pem().encode()
    forged = jwt.encode({**claims, "roles": ["hr_admin", "admin"]}, forger_key, "RS256", headers={"kid": issuer.kid})
    who = {"person_id": "demo-olga", "name": "Ольга Иванова", "roles": ["hr_admin", "admin"], "token": forged}
    await page.context.add_cookies(
        [{"name": "owlery_portal", "value": session_cookie({"who": who, "lang": "ru"}), "url": portal.url}]
    )
    await page.goto(f"{portal.url}/hr")
    await expect(page.get_by_role("heading", name="Sign in to Owlery (development)")).to_be_visible()
    await screenshot(page, "people-05-forged-token-sent-to-sign-in")
    await page.goto(f"{portal.url}/")
    await expect(page.locator("header nav")).to_have_count(0)  # signed out: no menus at all
    await expect(page.get_by_role("link", name="Войти").first).to_be_visible()

    # A genuine token with roles added in the cookie: the menus follow the token, not the cookie.
    genuine = issuer.sign("demo-anna", [])
    boasting = {"person_id": "demo-anna", "name": "Анна", "roles": ["hr_admin", "curator"], "token": genuine}
    await page.context.clear_cookies()
    await page.context.add_cookies(
        [{"name": "owlery_portal", "value": session_cookie({"who": boasting, "lang": "ru"}), "url": portal.url}]
    )
    await page.goto(f"{portal.url}/catalogue")
    await expect(page.locator("header nav")).to_be_visible()
    await expect(page.locator('header nav a[href="/catalogue"]')).to_be_visible()
    await expect(page.locator('header nav a[href="/hr"]')).to_have_count(0)
    await expect(page.locator('header nav a[href="/curation"]')).to_have_count(0)
