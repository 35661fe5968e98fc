"""The portal against answering fakes of the issuer and the services: sign-in, pages, refusals kept by field."""

import base64
import contextlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio

from portal.adapters.oidc import challenge_of
from portal.bootstrap import bootstrap
from portal.config import PortalSettings
from portal.entrypoints.csrf import HEADER as CSRF_HEADER
from portal.entrypoints.http import create_app
from shared.auth.signing import TokenSigner

ISSUER = "http://issuer.test/dev-oidc"
SIGNER = TokenSigner.generate(ISSUER)
COURSE = {
    "id": "c1", "trainer_id": "demo-tom", "status": "approved", "catalogue_status": "waitlist_only",
    "title": "Автотесты", "title_en": "Test automation", "title_ru": "Автотесты", "description": "",
    "competencies": ["1C"], "language": "ru", "sessions": 3, "weekly_effort_hours": 2.0, "prerequisites": "",
    "rules": {}, "rehearsal_at": None, "reviews": [], "waitlist_length": 1, "open_stream_proposal_id": None,
    "cohorts": [{"id": "k1", "number": 1, "trainer_id": "demo-tom", "capacity": 2, "enrolled": 2, "weekday": 2,
                 "local_time": "15:00", "time_zone": "Europe/Moscow", "session_starts": ["2030-01-02T12:00:00Z"]}],
}  # fmt: skip
MY_APPLICATIONS = [
    {"application_id": "a2", "course_id": "c2", "course_title": "Kafka", "course_title_en": "Kafka",
     "course_title_ru": None, "status": "waitlisted", "cohort_id": None, "cohort_session_starts": [],
     "waitlist_position": 3, "offer_expires_at": None, "applied_at": "2029-12-20T10:00:00Z"},
    {"application_id": "a1", "course_id": "c1", "course_title": "Автотесты", "course_title_en": "Test automation",
     "course_title_ru": "Автотесты", "status": "enrolled", "cohort_id": "k1",
     "cohort_session_starts": ["2020-01-01T12:00:00Z", "2030-01-02T12:00:00Z"], "waitlist_position": None,
     "offer_expires_at": None, "applied_at": "2029-12-01T10:00:00Z"},
]  # fmt: skip


class Fakes:
    """The issuer and the services, answering what the pages ask."""

    def __init__(self) -> None:
        self.challenge: str | None = None
        self.applied: list[dict[str, Any]] = []
        self.unread = 2
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        host, path = request.url.host, request.url.path
        if host == "issuer.test":
            return self.issuer(request, path)
        assert request.headers["authorization"].startswith("Bearer ")
        if host == "directory.test":
            person = path.rsplit("/", 1)[-1]
            person = "demo-anna" if person == "me" else person
            return httpx.Response(200, json={"id": person, "display_name": f"Name of {person}", "locale": "en"})
        if host == "enrolment.test":
            self.asked.append(path)
            if path == "/people/demo-anna/applications":
                return httpx.Response(200, json={"person_id": "demo-anna", "items": MY_APPLICATIONS})
            if path == "/courses":
                return httpx.Response(200, json={"total": 1, "items": [{**COURSE, "status": "approved"}]})
            if path == "/courses/c1":
                return httpx.Response(200, json=COURSE)
            if path == "/courses/c1/applications/demo-anna":
                return httpx.Response(404, json={"detail": "not applied"})
            if path == "/courses/c1/applications":
                self.applied.append(json.loads(request.content))
                return httpx.Response(422, json={"detail": "motivation is too short", "field": "motivation"})
        if host == "notifications.test":
            return httpx.Response(
                200, json={"person_id": "demo-anna", "locale": "en", "unread": self.unread, "messages": []}
            )
        return httpx.Response(404, json={"detail": f"no fake for {request.url}"})

    def issuer(self, request: httpx.Request, path: str) -> httpx.Response:
        if path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(
                200,
                json={
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                },
            )
        if path.endswith("/jwks"):
            return httpx.Response(200, json=SIGNER.jwks())
        form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
        if form.get("code") != "the-code" or challenge_of(form["code_verifier"]) != self.challenge:
            return httpx.Response(400, json={"error": "invalid_grant"})
        return httpx.Response(200, json={"access_token": SIGNER.sign("demo-anna", ["trainer"]), "id_token": None})


@pytest.fixture
def fakes() -> Fakes:
    return Fakes()


@contextlib.asynccontextmanager
async def portal_over(fakes: Fakes) -> AsyncIterator[httpx.AsyncClient]:
    """The portal, as a browser reaches it, over fake services (every one at http://<name>.test)."""
    settings = PortalSettings(
        mode="dev",
        public_url="http://portal.test",
        oidc_issuer=ISSUER,
        enrolment_url="http://enrolment.test",
        mentoring_url="http://mentoring.test",
        gamification_url="http://gamification.test",
        notifications_url="http://notifications.test",
        directory_url="http://directory.test",
    )
    app = create_app(bootstrap(settings, transport=httpx.MockTransport(fakes)))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal.test") as client,
    ):
        yield client


@pytest_asyncio.fixture
async def browser(fakes: Fakes) -> AsyncIterator[httpx.AsyncClient]:
    async with portal_over(fakes) as client:
        yield client


async def sign_in(browser: httpx.AsyncClient, fakes: Fakes, next_path: str = "/catalogue") -> httpx.Response:
    started = await browser.get(f"/login?next={next_path}")
    assert started.status_code == 303
    target = urlsplit(started.headers["location"])
    query = {key: values[0] for key, values in parse_qs(target.query).items()}
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{ISSUER}/authorize"
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "http://portal.test/callback"
    fakes.challenge = query["code_challenge"]
    back = await browser.get("/callback", params={"code": "the-code", "state": query["state"]})
    if back.status_code == 303:  # signed in: later posts carry the session's token, as the pages' forms do
        browser.headers[CSRF_HEADER] = csrf_token_of(browser)
    return back


def csrf_token_of(browser: httpx.AsyncClient) -> str:
    """The session's CSRF token, read from the session cookie (signed, not encrypted: base64 JSON first)."""
    cookie = browser.cookies["owlery_portal"]
    session = json.loads(base64.b64decode(cookie.split(".")[0] + "=="))
    return str(session["csrf"])


async def test_a_page_sends_a_stranger_to_sign_in_and_back(browser: httpx.AsyncClient, fakes: Fakes) -> None:
    page = await browser.get("/learning")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Flearning"
    searched = await browser.get("/catalogue?q=sql&status=open")
    assert searched.headers["location"] == "/login?next=%2Fcatalogue%3Fq%3Dsql%26status%3Dopen"
    assert (await browser.get("/inbox/badge", headers={"HX-Request": "true"})).status_code == 204
    back = await sign_in(browser, fakes, "/learning")
    assert (back.status_code, back.headers["location"]) == (303, "/learning")


async def test_a_callback_with_a_forged_state_signs_nobody_in(browser: httpx.AsyncClient, fakes: Fakes) -> None:
    await browser.get("/login")
    forged = await browser.get("/callback", params={"code": "the-code", "state": "forged"})
    assert forged.status_code == 400
    assert (await browser.get("/catalogue")).status_code == 303


async def test_the_catalogue_in_the_persons_language_with_nav_by_role(browser: httpx.AsyncClient, fakes: Fakes) -> None:
    await sign_in(browser, fakes)
    page = await browser.get("/catalogue")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text  # the directory says Anna reads English
    assert "Test automation" in page.text
    assert 'href="/teaching"' in page.text  # the token says trainer
    assert 'href="/curation"' not in page.text
    switched = await browser.post("/language", data={"lang": "ru", "next": "/catalogue"})
    assert switched.headers["location"] == "/catalogue"
    russian = await browser.get("/catalogue")
    assert '<html lang="ru">' in russian.text
    assert "Автотесты" in russian.text


async def test_a_refused_application_keeps_what_was_typed_and_names_the_field(
    browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    await sign_in(browser, fakes)
    answer = await browser.post("/courses/c1/apply", data={"motivation": "хочу <b>учиться</b>", "level": "advanced"})
    assert answer.status_code == 422
    assert fakes.applied == [{"person_id": "demo-anna", "motivation": "хочу <b>учиться</b>", "level": "advanced"}]
    assert "хочу &lt;b&gt;учиться&lt;/b&gt;</textarea>" in answer.text
    assert 'id="motivation-error"' in answer.text
    assert "Please check your motivation text (motivation is too short)" in answer.text
    assert '<option value="advanced" selected>' in answer.text


async def test_my_learning_asks_enrolment_once_for_the_persons_applications(
    browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    await sign_in(browser, fakes)
    fakes.asked.clear()
    page = await browser.get("/learning")
    assert page.status_code == 200
    assert fakes.asked == ["/people/demo-anna/applications"]  # not every catalogue course one by one
    kafka, automation = page.text.index('href="/courses/c2"'), page.text.index('href="/courses/c1"')
    assert kafka < automation  # newest first, as enrolment answers
    assert "Test automation" in page.text  # in the reader's language
    assert 'datetime="2030-01-02T12:00:00Z"' in page.text  # the cohort's next session, not a past one
    assert "2020-01-01" not in page.text
    assert page.text.count("<time") == 1  # waitlisted: no cohort, no session
    assert "Your place on the waitlist: 3" in page.text


async def test_the_inbox_badge_is_a_fragment_with_the_unread_count(browser: httpx.AsyncClient, fakes: Fakes) -> None:
    await sign_in(browser, fakes)
    assert 'data-unread="2"' in (await browser.get("/inbox/badge")).text
    fakes.unread = 0
    assert 'data-unread="0"' in (await browser.get("/inbox/badge")).text


async def test_health_and_sign_out(browser: httpx.AsyncClient, fakes: Fakes) -> None:
    assert (await browser.get("/health/ready")).json()["status"] == "ready"
    await sign_in(browser, fakes)
    assert (await browser.post("/logout")).status_code == 303
    assert (await browser.get("/catalogue")).status_code == 303


async def test_a_form_posted_without_the_sessions_token_does_nothing_and_says_why(
    browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    await sign_in(browser, fakes)
    page = await browser.get("/courses/c1")
    token = browser.headers.pop(CSRF_HEADER)
    assert f'name="_csrf" value="{token}"' in page.text  # the page's forms carry it

    forged = await browser.post("/courses/c1/apply", data={"motivation": "posted by another site"})
    wrong = await browser.post("/courses/c1/apply", data={"motivation": "an old token", "_csrf": "stale"})

    for refused in (forged, wrong):
        assert refused.status_code == 403
        assert "This form has expired, so nothing was done" in refused.text
    assert fakes.applied == []  # enrolment was never asked
    sent = await browser.post("/courses/c1/apply", data={"motivation": "from the page", "_csrf": token})
    assert sent.status_code == 422 and len(fakes.applied) == 1  # the page's own form goes through


def test_every_form_that_posts_carries_the_token() -> None:
    templates = Path(__file__).resolve().parents[1] / "templates"
    forms = [
        (path.name, match.group(0))
        for path in sorted(templates.glob("*.html"))
        for match in re.finditer(r"<form\b[^>]*>\s*(\{% include \"_csrf\.html\" %\})?", path.read_text(), re.S)
        if re.search(r'method="post"', match.group(0), re.I)
    ]
    assert len(forms) > 50
    assert [name for name, form in forms if "_csrf.html" not in form] == []
