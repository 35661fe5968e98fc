"""The mentoring, circle and moderation pages against answering fakes, and their view logic."""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from portal.domain.i18n import Catalogues
from portal.domain.mentoring import (
    health,
    my_solution,
    named_people,
    pair_people,
    role_in_pair,
    shown_author,
    words,
)
from portal.domain.views import navigation
from portal.tests.test_pages import Fakes, portal_over, sign_in

PAIR: dict[str, Any] = {
    "id": "p1", "programme_id": "g1", "programme_title": "Reverse mentoring: AI", "kind": "reverse",
    "mentor_id": "demo-tom", "mentee_ids": ["demo-anna"], "via": "matching", "status": "active",
    "started_at": None, "ended_at": None, "end_reason": None, "at_risk": [], "goals": [], "meetings": [],
    "experiments": [],
}  # fmt: skip
MY_PAIRS: list[dict[str, Any]] = [
    {"pair_id": "p2", "programme_id": "g2", "programme_title": "Classic mentoring: SQL", "kind": "classic",
     "role": "mentor", "other_ids": ["demo-max"], "status": "ended", "formed_at": "2030-02-01T09:00:00",
     "started_at": "2030-02-03T09:00:00", "ended_at": "2030-04-30T18:00:00"},
    {"pair_id": "p1", "programme_id": "g1", "programme_title": "Reverse mentoring: AI", "kind": "reverse",
     "role": "mentee", "other_ids": ["demo-tom"], "status": "preparing", "formed_at": "2030-01-01T09:00:00",
     "started_at": None, "ended_at": None},
]  # fmt: skip
ANONYMOUS: dict[str, Any] = {
    "id": "k1", "solution_id": "s1", "parent_id": None, "author": "owl-7f3a", "anonymous": True, "by_me": False,
    "text": "Try a pivot table", "moderation_note": None, "at": "2030-01-01T10:00:00", "helpful": 0,
    "marked_by_me": False, "hidden": False,
}  # fmt: skip
TASK: dict[str, Any] = {
    "id": "t1", "circle_id": "c1", "statement": "Automate a CRM report", "expected_outcome": "A script",
    "due": "2030-02-01", "check_instructions": "", "published_by": "demo-tom", "published_at": "2030-01-01T09:00:00",
    "status": "open", "my_check": None,
    "solutions": [{"id": "s1", "author_id": "demo-tom", "published": True, "published_at": "2030-01-01T09:30:00",
                   "hidden": False, "versions": [{"text": "My script", "links": [], "attachments": [],
                                                  "at": "2030-01-01T09:30:00", "note": None}],
                   "comments": [ANONYMOUS]}],
}  # fmt: skip


class MentoringFakes(Fakes):
    """The issuer, the directory and the mentoring service."""

    def __init__(self) -> None:
        super().__init__()
        self.posted: list[tuple[str, dict[str, Any]]] = []
        self.looked_up: list[str] = []
        self.my_pairs = MY_PAIRS

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "directory.test":
            self.looked_up.append(request.url.path.rsplit("/", 1)[-1])
        if request.url.host != "mentoring.test":
            return super().__call__(request)
        path, method = request.url.path, request.method
        body = json.loads(request.content) if request.content else {}
        if method != "GET":
            self.posted.append((path, body))
        if path == "/people/demo-anna/pairs" and method == "GET":
            return httpx.Response(200, json=self.my_pairs)
        if path == "/pairs/p1" and method == "GET":
            return httpx.Response(200, json=PAIR)
        if path == "/pairs/p1/goals/check":
            failure = {"letter": "M", "code": "not_measurable", "message": "Say how you will measure it"}
            return httpx.Response(200, json={"passed": False, "failures": [failure]})
        if path == "/pairs/p1/goals":
            if not body.get("confirm"):
                return httpx.Response(422, json={"detail": "the goal fails SMART: M", "field": "confirm"})
            return httpx.Response(201, json={})
        if path == "/pairs/p1/concerns":
            return httpx.Response(201, json={})
        if path == "/tasks/t1":
            return httpx.Response(200, json=TASK)
        if path == "/circles/c1":
            return httpx.Response(200, json={"id": "c1", "topic": "CRM automations", "my_role": "member"})
        return httpx.Response(404, json={"detail": f"no fake for {request.url}"})


@pytest.fixture
def fakes() -> MentoringFakes:
    return MentoringFakes()


@pytest_asyncio.fixture
async def browser(fakes: MentoringFakes) -> AsyncIterator[httpx.AsyncClient]:
    async with portal_over(fakes) as client:
        yield client


async def test_an_anonymous_comment_shows_its_pseudonym_and_no_author(
    browser: httpx.AsyncClient, fakes: MentoringFakes
) -> None:
    await sign_in(browser, fakes)
    page = await browser.get("/circles/tasks/t1")
    assert page.status_code == 200
    assert "Anonymous (owl-7f3a)" in page.text
    assert "Name of demo-tom" in page.text  # the solution's author, named
    assert "owl-7f3a" not in fakes.looked_up  # a pseudonym is never looked up in the directory
    assert '<label for="comment-s1-anonymous">Comment anonymously</label>' in page.text


async def test_a_flagged_goal_comes_back_with_smart_hints_and_the_confirm_box(
    browser: httpx.AsyncClient, fakes: MentoringFakes
) -> None:
    await sign_in(browser, fakes)
    typed = {"text": "Get better at <AI>", "due": "2030-03-01", "topics": "ai, prompts", "action": "save"}
    refused = await browser.post("/mentoring/pairs/p1/goals", data=typed)
    assert refused.status_code == 422
    assert ("/pairs/p1/goals", {"text": "Get better at <AI>", "due": "2030-03-01", "topics": ["ai", "prompts"],
                                "locale": "en", "confirm": False}) in fakes.posted  # fmt: skip
    assert "Get better at &lt;AI&gt;</textarea>" in refused.text  # what was typed stays
    assert "Say how you will measure it" in refused.text
    assert 'id="goal-confirm"' in refused.text
    assert "The goal is not SMART yet" in refused.text
    saved = await browser.post("/mentoring/pairs/p1/goals", data={**typed, "confirm": "on"})
    assert (saved.status_code, saved.headers["location"]) == (303, "/mentoring/pairs/p1?done=goal#goals")


async def test_a_concern_goes_to_the_curators(browser: httpx.AsyncClient, fakes: MentoringFakes) -> None:
    await sign_in(browser, fakes)
    sent = await browser.post("/mentoring/pairs/p1/concerns", data={"text": "We never meet"})
    assert sent.status_code == 303
    assert ("/pairs/p1/concerns", {"text": "We never meet"}) in fakes.posted
    page = await browser.get(sent.headers["location"])
    assert "Only they can read it" in page.text


async def test_my_mentoring_lists_every_pair_of_mine_from_the_service(
    browser: httpx.AsyncClient, fakes: MentoringFakes
) -> None:
    await sign_in(browser, fakes)
    mine = await browser.get("/mentoring")
    assert mine.status_code == 200
    assert 'href="/mentoring"' in mine.text and 'href="/circles"' in mine.text
    cards = mine.text.split('data-testid="my-pair"')[1:]
    assert len(cards) == 2  # as the service orders them: the newest first
    assert 'href="/mentoring/pairs/p2"' in cards[0] and "Classic mentoring: SQL" in cards[0]
    assert "Mentor" in cards[0] and "Name of demo-max" in cards[0] and "ended Apr 30, 2030" in cards[0]
    assert 'href="/mentoring/pairs/p1"' in cards[1] and "Mentee" in cards[1] and "Name of demo-tom" in cards[1]
    assert "Preparing" in cards[1] and "started" not in cards[1]
    assert 'name="pair"' not in mine.text  # no pair code to type: the list is complete


async def test_my_mentoring_without_pairs_says_so(browser: httpx.AsyncClient, fakes: MentoringFakes) -> None:
    fakes.my_pairs = []
    await sign_in(browser, fakes)
    mine = await browser.get("/mentoring")
    assert mine.status_code == 200
    assert "You are in no mentoring pair yet." in mine.text


def test_view_logic() -> None:
    assert words(" SQL, 1C ,, tests ") == ["SQL", "1C", "tests"]
    assert words("a,b,c", limit=2) == ["a", "b"]
    assert role_in_pair(PAIR, "demo-tom") == "mentor"
    assert role_in_pair(PAIR, "demo-anna") == "mentee"
    assert role_in_pair(PAIR, "demo-irina") is None
    assert shown_author(ANONYMOUS, {"owl-7f3a": "must not be used"}) == (True, "owl-7f3a")
    assert shown_author({**ANONYMOUS, "anonymous": False, "author": "demo-tom"}, {"demo-tom": "Tom"}) == (False, "Tom")
    assert named_people(TASK) == {"demo-tom"}
    assert my_solution(TASK, "demo-tom") is TASK["solutions"][0]
    assert my_solution(TASK, "demo-anna") is None
    proposal = {"pairs": [{"mentor_id": "m", "mentee_ids": ["a", "b"]}], "unmatched": [{"person_id": "c"}]}
    assert pair_people(proposal) == {"m", "a", "b", "c"}
    assert [health({"status": s, "at_risk": r}) for s, r in (("active", []), ("active", ["x"]), ("ended", []))] == [
        "healthy",
        "at_risk",
        "ended",
    ]
    assert ("/moderation", "nav.moderation") in navigation(["moderator"])
    assert ("/desk", "nav.desk") not in navigation([])


def test_the_mentoring_catalogues_hold_the_same_keys_and_no_key_of_another_file() -> None:
    words_by_lang = Catalogues.load().words  # loading fails on a key in two files
    assert {key for key in words_by_lang["en"] if key.startswith(("mentoring.", "circle.", "moderation."))} == {
        key for key in words_by_lang["ru"] if key.startswith(("mentoring.", "circle.", "moderation."))
    }
