# ruff: noqa: RUF001  (Russian text is what these people write)
"""An anonymous comment's author stays unknown everywhere but on the restricted topic, on the real platform.

A member with a distinctive name and email (provisioned through SCIM, so every service knows them)
writes anonymous comments in a circle: one is marked helpful, one flagged and hidden by a moderator,
one flagged and dismissed. Then everyone who is not a moderator - a member, an outsider, the
facilitator, the reviewer, the librarian, a curator, a trainer, an HR admin and an admin, in the
circle and outside it - reads every circles endpoint that could show the comments, HR exports the
other people, each person reads their own inbox and points; and the raw answers and every record of
the public mentoring topic (bodies and headers) are searched for the author's id, name and email.
The restricted topic must name the author (for gamification's credit): the search can fail.

The author is a member of the circle, and membership is not a secret: the roster shows the member
and MemberJoinedV1 announces the joining. Those two facts are taken out (after checking they are
exactly membership and nothing else) before the search, so what is searched is everything that could
tie the author to what they wrote.
"""

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.contracts import mentoring as contracts
from shared.persistence.mongo import connect
from tests.support.kafka import eventually, read_topic
from tests.support.platform import SCIM_TOKEN, Platform

SCIM = {"Authorization": f"Bearer {SCIM_TOKEN}"}
AUTHOR_NAME = "Евлампия Засекреченная-Инкогнитова"
QUESTION = "Боюсь спросить при всех: зачем нам вообще воронка продаж в CRM?"
REPLY = "А если менеджер забыл перевести сделку на следующий этап?"
RUDE = "Решение никуда не годится, автор ничего не понимает"


async def expect(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, f"{answer.request.method} {answer.request.url}: {answer.text}"
    return answer.json() if answer.content else None


def scim_user(name: str, person_id: str, email: str, department: str) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "externalId": person_id,
        "userName": email,
        "displayName": name,
        "name": {"formatted": name},
        "emails": [{"value": email, "type": "work", "primary": True}],
        "preferredLanguage": "ru-RU",
        "timezone": "Europe/Moscow",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": department},
    }


def leaks(text: str, secrets: Iterable[str]) -> list[str]:
    folded = text.casefold()
    return [secret for secret in secrets if secret.casefold() in folded]


def without_membership(body: str, author_id: str) -> str:
    """A circle's answer with the author's roster line taken out, once it is checked to be membership only."""
    try:
        document = json.loads(body)
    except ValueError:
        return body
    circles = document if isinstance(document, list) else [document]
    for circle in circles:
        if not isinstance(circle, dict) or not isinstance(circle.get("roster"), list):
            continue
        mine = [line for line in circle["roster"] if line.get("person_id") == author_id]
        assert all(set(line) == {"person_id", "role", "experience"} for line in mine), mine
        circle["roster"] = [line for line in circle["roster"] if line.get("person_id") != author_id]
    return json.dumps(document, ensure_ascii=False)


async def test_no_one_but_a_moderator_learns_who_wrote_an_anonymous_comment(platform: Platform) -> None:
    mentoring = platform.url("mentoring")
    run = uuid.uuid4().hex[:6]
    author = f"incognito-{run}"
    author_email = f"evlampia.zasekrechennaya.{run}@hidden-mail.example"
    secrets = (author, AUTHOR_NAME, author_email, author_email.split("@", 1)[0])
    facilitator, member, reviewer, librarian = f"fac-{run}", f"member-{run}", f"rev-{run}", f"lib-{run}"
    curator, trainer, hr, admin, outsider = f"cur-{run}", f"trainer-{run}", f"hr-{run}", f"adm-{run}", f"out-{run}"
    moderator = platform.headers(f"mod-{run}", "moderator")

    def as_(person: str, *roles: str) -> dict[str, str]:
        return platform.headers(person, *roles)

    people = {
        author: (AUTHOR_NAME, author_email, "Бухгалтерия"),
        facilitator: ("Фаина Ведущая", f"{facilitator}@contoso.example", "Продажи"),
        member: ("Марк Участников", f"{member}@contoso.example", "Продажи"),
        reviewer: ("Рита Проверкина", f"{reviewer}@contoso.example", "ИТ"),
        librarian: ("Лев Библиотекарев", f"{librarian}@contoso.example", "ИТ"),
        curator: ("Кира Кураторова", f"{curator}@contoso.example", "HR"),
        trainer: ("Тимур Тренеров", f"{trainer}@contoso.example", "Обучение"),
        hr: ("Хильда Кадрова", f"{hr}@contoso.example", "HR"),
        admin: ("Аркадий Админов", f"{admin}@contoso.example", "ИТ"),
        outsider: ("Оскар Посторонний", f"{outsider}@contoso.example", "Склад"),
    }
    async with httpx.AsyncClient(timeout=30) as client:
        for person_id, (name, email, department) in people.items():
            user = scim_user(name, person_id, email, department)
            await expect(await client.post(f"{platform.url('directory')}/scim/v2/Users", json=user, headers=SCIM), 201)
        database = connect(platform.servers.mongodb_url)[platform.database("mentoring")]

        async def copies() -> int:
            return await database["people"].count_documents({"_id": {"$in": list(people)}})

        await eventually(copies, lambda count: count == len(people), timeout=30)

        # --- a circle with every kind of member; the author among them -------------------------------------
        created = await expect(
            await client.post(f"{mentoring}/circles", json={"topic": "Воронка продаж в CRM"}, headers=as_(facilitator)),
            201,
        )
        circle_id = created["id"]
        circle = f"{mentoring}/circles/{circle_id}"
        for person_id in (author, member, reviewer, librarian, curator, trainer, hr, admin):
            body = {"person_id": person_id, "experience": "practitioner"}
            await expect(await client.post(f"{circle}/members", json=body, headers=as_(person_id)), 201)
        for person_id, role in ((reviewer, "reviewer"), (librarian, "librarian")):
            body = {"role": role}
            await expect(await client.put(f"{circle}/members/{person_id}/role", json=body, headers=as_(facilitator)))
        task_body = {
            "statement": "Настроить этапы воронки продаж для своего отдела",
            "expected_outcome": "Каждая сделка проходит этапы сама",
            "due": (datetime.now(UTC).date() + timedelta(days=10)).isoformat(),
        }
        task_id = (await expect(await client.post(f"{circle}/tasks", json=task_body, headers=as_(facilitator)), 201))[
            "id"
        ]
        task_url = f"{mentoring}/tasks/{task_id}"
        solution = f"{task_url}/solutions/sol-{run}"
        await expect(
            await client.put(solution, json={"text": "Пять этапов: лид, квалификация, ..."}, headers=as_(member))
        )
        await expect(await client.post(f"{solution}/publication", headers=as_(member)))

        # --- the author writes anonymously; others answer by name --------------------------------------------
        async def say(person: str, text: str, *, anonymous: bool, parent: str | None = None) -> dict[str, Any]:
            body = {"text": text, "anonymous": anonymous, "parent_id": parent}
            posted: dict[str, Any] = await expect(
                await client.post(f"{solution}/comments", json=body, headers=as_(person)), 201
            )
            return posted

        question = await say(author, QUESTION, anonymous=True)
        await say(member, "Чтобы видеть, где застревают сделки", anonymous=False, parent=question["id"])
        reply = await say(author, REPLY, anonymous=True, parent=question["id"])
        rude = await say(author, RUDE, anonymous=True)
        await say(reviewer, "Давайте по существу", anonymous=False)
        pseudonym = question["author"]
        assert reply["author"] == rude["author"] == pseudonym and not leaks(pseudonym, secrets)

        await expect(await client.post(f"{task_url}/comments/{question['id']}/helpful", headers=as_(member)), 204)
        await expect(await client.post(f"{task_url}/comments/{rude['id']}/helpful", headers=as_(trainer)), 204)
        flags = {}
        for item, reason in ((rude, "rudeness"), (reply, "dominance")):
            body = {"item_id": item["id"], "reason": reason, "text": "Посмотрите, пожалуйста"}
            flags[item["id"]] = (
                await expect(await client.post(f"{task_url}/flags", json=body, headers=as_(member)), 201)
            )["id"]
        for item_id, outcome in ((rude["id"], "hidden"), (reply["id"], "dismissed")):
            decision = {"outcome": outcome, "note": "Разобрано модератором"}
            url = f"{mentoring}/moderation/flags/{flags[item_id]}/decision"
            await expect(await client.post(url, json=decision, headers=moderator))
        check = {"person_id": member, "passed": True, "note": "Показал воронку"}
        await expect(await client.post(f"{task_url}/checks", json=check, headers=as_(reviewer)), 201)
        await expect(await client.post(f"{task_url}/closure", headers=as_(facilitator)))
        await expect(
            await client.post(f"{task_url}/reflections", json={"text": "Понял, зачем этапы"}, headers=as_(author)), 204
        )
        promotion = {"title": "Воронка из пяти этапов", "summary": "Этапы и переходы", "tags": ["crm"]}
        await expect(await client.post(f"{solution}/promotion", json=promotion, headers=as_(librarian)), 201)
        # Even a moderator's views show the pseudonym: only the audited reveal names the author.
        for item in (question, rude):
            record = await client.get(f"{task_url}/items/{item['id']}", headers=moderator)
            assert record.status_code == 200 and not leaks(record.text, secrets), record.text

        # --- everyone but a moderator reads everything that could show the comments ---------------------------
        viewers = [
            ("member", member, ()),
            ("non-member", outsider, ()),
            ("facilitator", facilitator, ()),
            ("reviewer", reviewer, ()),
            ("librarian", librarian, ()),
            ("curator", curator, ("curator",)),
            ("trainer", trainer, ("trainer",)),
            ("hr_admin", hr, ("hr_admin",)),
            ("admin", admin, ("admin",)),
            ("every other role, outside the circle", outsider, ("curator", "trainer", "hr_admin", "admin")),
        ]
        reads = [
            f"{mentoring}/circles",
            circle,
            f"{circle}/tasks",
            f"{circle}/coffee",
            task_url,
            f"{task_url}/dominance",
            f"{task_url}/reflections",
            f"{task_url}/items/{question['id']}",
            f"{task_url}/items/{rude['id']}",
            f"{mentoring}/moderation/flags",
            f"{mentoring}/library",
            f"{mentoring}/library?text=воронка&order=helpful",
        ]
        answered: dict[tuple[str, str], httpx.Response] = {}
        for label, person_id, roles in viewers:
            for url in reads:
                answer = await client.get(url, headers=as_(person_id, *roles))
                assert answer.status_code < 500, f"{label} GET {url}: {answer.status_code} {answer.text}"
                shown = (
                    without_membership(answer.text, author) if url in (circle, f"{mentoring}/circles") else answer.text
                )
                assert not leaks(shown, secrets), f"{label} GET {url} shows the author: {answer.text}"
                assert not leaks(str(answer.headers), secrets), f"{label} GET {url}: headers {answer.headers}"
                answered[label, url] = answer
            for url in (
                f"{platform.url('notifications')}/people/{person_id}/inbox",
                f"{platform.url('gamification')}/people/{person_id}/points",
            ):
                answer = await client.get(url, headers=as_(person_id, *roles))
                assert answer.status_code == 200, f"{label} GET {url}: {answer.text}"
                assert not leaks(answer.text, secrets), f"{label} GET {url} shows the author: {answer.text}"

        # The search saw the comments themselves, so it means something: the discussion, the dominance signal,
        # the roster (the author is a member), the library.
        discussion = answered["member", task_url].json()["solutions"][0]["comments"]
        assert [(c["author"], c["text"]) for c in discussion if c["anonymous"]] == [
            (pseudonym, QUESTION),
            (pseudonym, REPLY),
        ]
        assert QUESTION in answered["curator", task_url].text
        dominance = answered["facilitator", f"{task_url}/dominance"].json()
        assert [d["author"] for d in dominance["dominant"]] == [pseudonym]
        assert answered["facilitator", f"{task_url}/reflections"].json()["count"] == 1
        assert author in answered["member", circle].text  # membership is no secret...
        assert answered["member", f"{mentoring}/library"].json()[0]["helpful"] == 1
        for label, _, _ in viewers:  # ...but hidden content and the queue are the moderators'
            assert answered[label, f"{task_url}/items/{rude['id']}"].status_code == 403
            assert answered[label, f"{mentoring}/moderation/flags"].status_code == 403
            assert RUDE not in answered[label, task_url].text

        # --- HR exports and audits: everyone else's data ---------------------------------------------------
        hr_headers = as_(hr, "hr_admin")
        for person_id in people.keys() - {author}:
            for url in (
                f"{platform.url('directory')}/people/{person_id}/export",
                f"{mentoring}/privacy/people/{person_id}",
                f"{platform.url('gamification')}/privacy/people/{person_id}",
                f"{platform.url('notifications')}/privacy/people/{person_id}",
            ):
                answer = await client.get(url, headers=hr_headers)
                assert answer.status_code == 200, f"GET {url}: {answer.text}"
                assert not leaks(answer.text, secrets), f"the export of {person_id} shows the author: {answer.text}"
        member_export = await expect(await client.get(f"{mentoring}/privacy/people/{member}", headers=hr_headers))
        assert {c["kind"] for c in member_export["contributions"]} == {"solution", "comment"}
        # The moderators' actions, and what was done about everyone else, as HR reads them in the audit log.
        for query in ({"actor_id": f"mod-{run}"}, *({"subject_id": p} for p in people.keys() - {author})):
            audit = await client.get(f"{mentoring}/privacy/audit", params=query, headers=hr_headers)
            assert audit.status_code == 200 and not leaks(audit.text, secrets), audit.text

    # --- Kafka: nothing on the public topic names the author; the restricted topic does ----------------------
    bootstrap = platform.servers.kafka_bootstrap

    async def public_records() -> list[Any]:
        return await read_topic(bootstrap, platform.topic_prefix + contracts.TOPIC, at_least=1, settle=1)

    def of_circle(records: list[Any], ce_type: str) -> list[dict[str, Any]]:
        return [
            json.loads(r.value)
            for r in records
            if r.key == circle_id.encode() and (dict(r.headers).get("ce_type") or b"").decode() == ce_type
        ]

    public = await eventually(
        public_records,
        lambda records: (
            bool(of_circle(records, contracts.SolutionPromotedV1.ce_type))
            and bool(of_circle(records, contracts.FlagResolvedV1.ce_type))
        ),
        timeout=30,
    )
    assert {c["author"] for c in of_circle(public, contracts.CommentPostedV1.ce_type) if c["anonymous"]} == {pseudonym}
    membership = contracts.MemberJoinedV1.ce_type
    searched = 0
    for record in public:
        kind = (dict(record.headers).get("ce_type") or b"").decode()
        data = json.loads(record.value)
        if kind == membership and data.get("person_id") == author:
            assert set(data) == {"circle_id", "person_id", "role", "experience"}, data
            continue
        headers = " ".join(f"{key}={bytes(value).decode()}" for key, value in record.headers)
        text = f"{(record.key or b'').decode()} {record.value.decode()} {headers}"
        assert not leaks(text, secrets), f"a public {kind} names the anonymous author: {text}"
        searched += 1
    assert searched >= 20

    async def restricted_records() -> list[Any]:
        return await read_topic(bootstrap, platform.topic_prefix + contracts.RESTRICTED_TOPIC, at_least=1, settle=1)

    restricted = await eventually(
        restricted_records,
        lambda records: bool(of_circle(records, contracts.HelpfulCreditsRevokedV1.ce_type)),
        timeout=30,
    )
    credits = of_circle(restricted, contracts.HelpfulCommentCreditV1.ce_type)
    assert {(c["comment_id"], c["author_id"]) for c in credits} == {(question["id"], author), (rude["id"], author)}
    revoked = of_circle(restricted, contracts.HelpfulCreditsRevokedV1.ce_type)
    assert [(r["comment_id"], r["author_id"]) for r in revoked] == [(rude["id"], author)]
