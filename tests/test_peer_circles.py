# ruff: noqa: RUF001  (Russian text is what these people write)
"""A peer-learning circle from creation to a closed task, on the real broker and store, as the seed tells it.

HR pushes the people through SCIM; a beginner starts a circle on CRM automations and cannot set a task
until enough experienced colleagues join (the answer says how many); five tasks fill the week and a
sixth waits for the next free slot; a member drafts, edits and publishes a solution; others comment,
one anonymously under a pseudonym; helpful marks count once and never for oneself; a flag goes to a
moderator who hides the comment (still there for moderators); a reviewer records a practical check;
the task closes, a participant reflects, a librarian keeps the solution in the library, and the
library finds it by Russian words and by tag. The story is on Kafka: the anonymous comment under its
pseudonym on the public topic, the real author only on the restricted one.
"""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.contracts import mentoring as contracts
from shared.persistence.mongo import connect
from tests.support.kafka import caught_up, eventually, header, produce, read_topic
from tests.support.platform import SCIM_TOKEN, Platform

SCIM = {"Authorization": f"Bearer {SCIM_TOKEN}"}
STATEMENT = "Настроить автоматическое напоминание клиентам, которые платят с опозданием"
SOLUTION_DRAFT = "Черновик: фильтр по просрочке в CRM"
SOLUTION = (
    "## Напоминание о просрочке\n"
    "1. В CRM создать фильтр «счёт просрочен на 3 дня».\n"
    "2. Повесить на него автоматическое письмо клиенту и задачу менеджеру."
)
ANONYMOUS_QUESTION = "А что делать, если клиент платит частями? Стыдно спрашивать, но я не понял"
FALSE_CLAIM = "Напоминания в CRM нельзя автоматизировать, только вручную"
REFLECTION = "Понял, что напоминание — это фильтр плюс триггер, а не ручная рассылка"


async def expect(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, f"{answer.request.method} {answer.request.url}: {answer.text}"
    return answer.json() if answer.content else None


def scim_user(name: str, person_id: str, department: str) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "externalId": person_id,
        "userName": f"{person_id}@contoso.example",
        "displayName": name,
        "emails": [{"value": f"{person_id}@contoso.example", "type": "work", "primary": True}],
        "preferredLanguage": "ru-RU",
        "timezone": "Europe/Moscow",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": department},
    }


async def test_a_circle_from_creation_to_a_closed_task_in_the_library(platform: Platform) -> None:
    mentoring = platform.url("mentoring")
    run = uuid.uuid4().hex[:6]
    fedor, anna, boris, vera = f"fedor-{run}", f"anna-{run}", f"boris-{run}", f"vera-{run}"
    olga, pavel, moderator_id = f"olga-{run}", f"pavel-{run}", f"mod-{run}"  # two experts, a moderator
    moderator = platform.headers(moderator_id, "moderator")

    def as_(person: str) -> dict[str, str]:
        return platform.headers(person)

    async with httpx.AsyncClient(timeout=30) as client:
        # --- HR pushes the people -----------------------------------------------------------------------
        people = [
            ("Фёдор Фасилитаторов", fedor, "Продажи"),
            ("Анна Смирнова", anna, "Продажи"),
            ("Борис Орлов", boris, "Бухгалтерия"),
            ("Вера Новикова", vera, "Поддержка"),
            ("Ольга Экспертова", olga, "ИТ"),
            ("Павел Практиков", pavel, "ИТ"),
            ("Мила Модераторова", moderator_id, "HR"),
        ]
        for name, person_id, department in people:
            user = scim_user(name, person_id, department)
            await expect(await client.post(f"{platform.url('directory')}/scim/v2/Users", json=user, headers=SCIM), 201)
        database = connect(platform.servers.mongodb_url)[platform.database("mentoring")]

        async def copies() -> int:
            return await database["people"].count_documents({"_id": {"$in": [p[1] for p in people]}})

        await eventually(copies, lambda count: count == len(people), timeout=30)

        # --- a beginner starts a circle; beginners join; no task until enough experienced people are in ------
        created = await expect(
            await client.post(
                f"{mentoring}/circles",
                json={
                    "topic": "Автоматизации в CRM",
                    "description": "Учимся настраивать CRM на живых задачах",
                    "experienced_threshold": 0.25,
                    "experience": "beginner",
                },
                headers=as_(fedor),
            ),
            201,
        )
        circle_id = created["id"]
        circle = f"{mentoring}/circles/{circle_id}"
        assert created["my_role"] == "facilitator" and created["weekly_task_limit"] == 5
        for person in (anna, boris, vera):
            joined = await expect(
                await client.post(
                    f"{circle}/members", json={"person_id": person, "experience": "beginner"}, headers=as_(person)
                ),
                201,
            )
            assert joined == {"status": "member"}
        someone_else = await client.post(
            f"{circle}/members", json={"person_id": vera, "experience": "expert"}, headers=as_(anna)
        )
        assert someone_else.status_code == 403  # one joins as oneself
        shown = await expect(await client.get(circle, headers=as_(anna)))
        assert (shown["members"], shown["experienced_share"], shown["experienced_needed"]) == (4, 0.0, 2)

        today = datetime.now(UTC).date()
        task_body = {
            "statement": STATEMENT,
            "expected_outcome": "Напоминание уходит само на третий день просрочки",
            "due": (today + timedelta(days=14)).isoformat(),
            "check_instructions": "Покажите на тестовом клиенте, как сработает напоминание",
        }
        too_few = await client.post(f"{circle}/tasks", json=task_body, headers=as_(fedor))
        assert too_few.status_code == 409, too_few.text
        assert too_few.json()["needed"] == 2 and "2 more" in too_few.json()["detail"]

        for person, experience in ((olga, "expert"), (pavel, "practitioner")):
            body = {"person_id": person, "experience": experience}
            await expect(await client.post(f"{circle}/members", json=body, headers=as_(person)), 201)
        for person, role in ((olga, "reviewer"), (pavel, "librarian")):
            await expect(await client.put(f"{circle}/members/{person}/role", json={"role": role}, headers=as_(fedor)))
        shown = await expect(await client.get(circle, headers=as_(fedor)))
        assert shown["experienced_needed"] == 0 and shown["experienced_share"] == round(2 / 6, 4)
        roles = {member["person_id"]: member["role"] for member in shown["roster"]}
        assert roles == {
            fedor: "facilitator",
            anna: "member",
            boris: "member",
            vera: "member",
            olga: "reviewer",
            pavel: "librarian",
        }

        # --- bad tasks, a member's task, then the real one -----------------------------------------------
        empty = await client.post(f"{circle}/tasks", json={**task_body, "statement": "  "}, headers=as_(fedor))
        assert empty.status_code == 422 and empty.json()["field"] == "statement"
        past = {**task_body, "due": (today - timedelta(days=1)).isoformat()}
        late = await client.post(f"{circle}/tasks", json=past, headers=as_(fedor))
        assert late.status_code == 422 and late.json()["field"] == "due"
        assert (await client.post(f"{circle}/tasks", json=task_body, headers=as_(anna))).status_code == 403
        task = await expect(await client.post(f"{circle}/tasks", json=task_body, headers=as_(fedor)), 201)
        task_id = task["id"]
        task_url = f"{mentoring}/tasks/{task_id}"
        assert task["status"] == "open" and task["solutions"] == []

        # --- the weekly cap: five tasks go out, a sixth waits for the next free slot -----------------------
        first_published = datetime.fromisoformat(task["published_at"])
        for number in range(2, 6):
            more = {**task_body, "statement": f"Задача {number}: настроить автоматизацию №{number} в CRM"}
            await expect(await client.post(f"{circle}/tasks", json=more, headers=as_(fedor)), 201)
        sixth = await client.post(f"{circle}/tasks", json={**task_body, "statement": "Шестая"}, headers=as_(fedor))
        assert sixth.status_code == 409, sixth.text
        refusal = sixth.json()
        assert refusal["limit"] == 5
        assert datetime.fromisoformat(refusal["next_slot"]) == first_published + timedelta(days=7)
        assert refusal["next_slot"] in refusal["detail"]
        listed = await expect(await client.get(f"{circle}/tasks", headers=as_(boris)))
        assert len(listed) == 5 and task_id in {t["id"] for t in listed}
        assert (await client.get(f"{circle}/tasks", headers=as_(moderator_id))).status_code == 403  # not a member

        # --- a solution: a private draft, edited, published; its history kept ------------------------------
        solution = f"{task_url}/solutions/sol-{anna}"
        draft = {"text": SOLUTION_DRAFT, "links": ["https://wiki.contoso.example/crm"], "attachments": ["upl-42"]}
        await expect(await client.put(solution, json=draft, headers=as_(anna)))
        edited = await expect(await client.put(solution, json={**draft, "text": SOLUTION}, headers=as_(anna)))
        assert [v["text"] for v in edited["versions"]] == [SOLUTION_DRAFT, SOLUTION] and not edited["published"]
        assert (await expect(await client.get(task_url, headers=as_(boris))))["solutions"] == []  # a draft
        assert (await client.put(solution, json={"text": "Моё!"}, headers=as_(boris))).status_code == 403
        published = await expect(await client.post(f"{solution}/publication", headers=as_(anna)))
        assert published["published"]
        assert (await client.post(f"{solution}/publication", headers=as_(anna))).status_code == 409
        seen = (await expect(await client.get(task_url, headers=as_(boris))))["solutions"]
        assert [(s["id"], s["author_id"], len(s["versions"])) for s in seen] == [(f"sol-{anna}", anna, 2)]
        assert seen[0]["versions"][-1]["links"] == ["https://wiki.contoso.example/crm"]

        # --- comments: one anonymous (a pseudonym, stable in the task), others named ------------------------
        comments = f"{solution}/comments"
        question = await expect(
            await client.post(comments, json={"text": ANONYMOUS_QUESTION, "anonymous": True}, headers=as_(boris)),
            201,
        )
        pseudonym = question["author"]
        assert question["anonymous"] and question["by_me"] and pseudonym != boris and boris not in pseudonym
        answer = await expect(
            await client.post(
                comments,
                json={"text": "Делайте напоминание на каждый неоплаченный остаток", "parent_id": question["id"]},
                headers=as_(anna),
            ),
            201,
        )
        assert (answer["author"], answer["anonymous"], answer["parent_id"]) == (anna, False, question["id"])
        follow_up = await expect(
            await client.post(
                comments,
                json={"text": "Спасибо, а шаблон письма где взять?", "parent_id": answer["id"], "anonymous": True},
                headers=as_(boris),
            ),
            201,
        )
        assert follow_up["author"] == pseudonym  # the same anonymous voice through the discussion
        wrong = await expect(await client.post(comments, json={"text": FALSE_CLAIM}, headers=as_(vera)), 201)
        assert wrong["author"] == vera
        stray = {"text": "Ответ не туда", "parent_id": "no-such-comment"}
        assert (await client.post(comments, json=stray, headers=as_(vera))).json()["field"] == "parent_id"
        as_vera = (await expect(await client.get(task_url, headers=as_(vera))))["solutions"][0]["comments"]
        assert [(c["author"], c["by_me"]) for c in as_vera] == [
            (pseudonym, False),
            (anna, False),
            (pseudonym, False),
            (vera, True),
        ]

        # --- helpful marks: once each, never one's own -----------------------------------------------------
        helpful = f"{task_url}/comments/{question['id']}/helpful"
        await expect(await client.post(helpful, headers=as_(anna)), 204)
        assert (await client.post(helpful, headers=as_(anna))).status_code == 409
        assert (await client.post(helpful, headers=as_(boris))).status_code == 409  # his own, though anonymous
        await expect(await client.post(helpful, headers=as_(olga)), 204)
        await expect(await client.post(f"{task_url}/comments/{wrong['id']}/helpful", headers=as_(boris)), 204)
        as_anna = (await expect(await client.get(task_url, headers=as_(anna))))["solutions"][0]["comments"]
        assert [(c["id"], c["helpful"], c["marked_by_me"]) for c in as_anna] == [
            (question["id"], 2, True),
            (answer["id"], 0, False),
            (follow_up["id"], 0, False),
            (wrong["id"], 1, False),
        ]

        # --- a flag: the moderator hides the false claim; it stays stored, for moderators only ---------------
        raised = await expect(
            await client.post(
                f"{task_url}/flags",
                json={"item_id": wrong["id"], "reason": "false_information", "text": "Это можно автоматизировать"},
                headers=as_(olga),
            ),
            201,
        )
        assert (raised["item_kind"], raised["status"]) == ("comment", "open")
        assert (await client.get(f"{mentoring}/moderation/flags", headers=as_(fedor))).status_code == 403
        queue = await expect(await client.get(f"{mentoring}/moderation/flags", headers=moderator))
        assert raised["id"] in {flag["id"] for flag in queue}
        decision = {"outcome": "hidden", "note": "Неверная информация: напоминания автоматизируются"}
        handled = await expect(
            await client.post(f"{mentoring}/moderation/flags/{raised['id']}/decision", json=decision, headers=moderator)
        )
        assert handled["status"] != "open" and handled["outcome"] == "hidden"
        queue = await expect(await client.get(f"{mentoring}/moderation/flags", headers=moderator))
        assert raised["id"] not in {flag["id"] for flag in queue}
        after = (await expect(await client.get(task_url, headers=as_(anna))))["solutions"][0]["comments"]
        assert wrong["id"] not in {c["id"] for c in after} and FALSE_CLAIM not in json.dumps(after)
        item = f"{task_url}/items/{wrong['id']}"
        for person in (vera, fedor, anna):  # the author and the facilitator too
            assert (await client.get(item, headers=as_(person))).status_code == 403
        stored = await expect(await client.get(item, headers=moderator))
        assert stored["hidden"] and stored["versions"][-1]["text"] == FALSE_CLAIM
        assert stored["moderation_note"] == decision["note"]
        mark_hidden = await client.post(f"{task_url}/comments/{wrong['id']}/helpful", headers=as_(olga))
        assert mark_hidden.status_code == 409

        # --- a practical check: "show how you would do it now" ----------------------------------------------
        check = {"person_id": anna, "passed": True, "note": "Показала напоминание на тестовом клиенте"}
        assert (await client.post(f"{task_url}/checks", json=check, headers=as_(vera))).status_code == 403
        await expect(await client.post(f"{task_url}/checks", json=check, headers=as_(olga)), 201)
        mine = await expect(await client.get(task_url, headers=as_(anna)))
        assert mine["my_check"] == {"passed": True, "note": check["note"]}

        # --- closing; nothing more is published; a reflection for the facilitator ----------------------------
        vera_solution = f"{task_url}/solutions/sol-{vera}"
        await expect(await client.put(vera_solution, json={"text": "Мой черновик, не успела"}, headers=as_(vera)))
        assert (await client.post(f"{task_url}/closure", headers=as_(anna))).status_code == 403
        closed = await expect(await client.post(f"{task_url}/closure", headers=as_(fedor)))
        assert closed["status"] == "closed"
        assert (await client.post(f"{task_url}/closure", headers=as_(fedor))).status_code == 409
        assert (await client.post(f"{vera_solution}/publication", headers=as_(vera))).status_code == 409
        assert (await client.put(vera_solution, json={"text": "Поздно"}, headers=as_(vera))).status_code == 409
        late_comment = await client.post(comments, json={"text": "Ещё вопрос"}, headers=as_(vera))
        assert late_comment.status_code == 409
        await expect(await client.post(f"{task_url}/reflections", json={"text": REFLECTION}, headers=as_(anna)), 204)
        again = await client.post(f"{task_url}/reflections", json={"text": REFLECTION}, headers=as_(anna))
        assert again.status_code == 409
        assert (await client.get(f"{task_url}/reflections", headers=as_(anna))).status_code == 403
        summary = await expect(await client.get(f"{task_url}/reflections", headers=as_(fedor)))
        assert summary["count"] == 1 and summary["answers"] == [REFLECTION]
        assert {"word": "напоминание", "count": 1} in summary["top_words"]

        # --- the librarian keeps the solution in the library; the library finds it --------------------------
        promotion = {
            "title": "Автонапоминание о просрочке оплаты",
            "summary": "Фильтр просроченных счетов плюс автоматическое письмо",
            "tags": ["crm", "Напоминания"],
        }
        promote = f"{solution}/promotion"
        assert (await client.post(promote, json=promotion, headers=as_(boris))).status_code == 403
        entry = await expect(await client.post(promote, json=promotion, headers=as_(pavel)), 201)
        assert (entry["author_id"], entry["circle_id"], entry["text"]) == (anna, circle_id, SOLUTION)
        assert entry["helpful"] == 2  # the hidden comment's mark does not count
        assert (await client.post(promote, json=promotion, headers=as_(pavel))).status_code == 409

        async def library(person: str, **query: Any) -> list[str]:
            found = await expect(await client.get(f"{mentoring}/library", params=query, headers=as_(person)))
            return [e["id"] for e in found]

        outsider = f"outsider-{run}"  # the circle is open: its library is everyone's
        assert entry["id"] in await library(outsider, text="напоминание о просрочке")
        assert entry["id"] in await library(outsider, text="ПРОСРОЧ")  # the beginning of a word, any case
        assert entry["id"] in await library(vera, tag="crm")
        assert entry["id"] in await library(vera, tag="напоминания", text="фильтр", order="helpful")
        assert entry["id"] not in await library(vera, text="ёлка")
        assert entry["id"] not in await library(vera, tag="crm", text="бухгалтерия")
        assert (
            await client.get(f"{mentoring}/library", params={"order": "oldest"}, headers=as_(vera))
        ).status_code == 422

    # --- the story on Kafka: public events under the pseudonym; the real author only on the restricted topic ---
    async def ours(topic: str, wanted: set[str]) -> list[tuple[str, dict[str, Any]]]:
        async def probe() -> list[tuple[str, dict[str, Any]]]:
            records = await read_topic(
                platform.servers.kafka_bootstrap, platform.topic_prefix + topic, at_least=1, settle=1
            )
            return [
                (header(record, "ce_type") or "", json.loads(record.value or b"{}"))
                for record in records
                if record.key is not None and record.key.decode() == circle_id
            ]

        return await eventually(probe, lambda found: wanted <= {kind for kind, _ in found}, timeout=30)

    public = await ours(
        contracts.TOPIC,
        {
            contract.ce_type
            for contract in (
                contracts.CircleCreatedV1,
                contracts.MemberJoinedV1,
                contracts.MemberRoleChangedV1,
                contracts.TaskPublishedV1,
                contracts.SolutionPublishedV1,
                contracts.CommentPostedV1,
                contracts.CommentMarkedHelpfulV1,
                contracts.FlagRaisedV1,
                contracts.FlagResolvedV1,
                contracts.ItemHiddenV1,
                contracts.PracticalCheckRecordedV1,
                contracts.TaskClosedV1,
                contracts.SolutionPromotedV1,
            )
        },
    )
    posted = {data["comment_id"]: data for kind, data in public if kind == contracts.CommentPostedV1.ce_type}
    assert (posted[question["id"]]["author"], posted[question["id"]]["anonymous"]) == (pseudonym, True)
    assert (posted[wrong["id"]]["author"], posted[wrong["id"]]["anonymous"]) == (vera, False)
    tasks_published = [data for kind, data in public if kind == contracts.TaskPublishedV1.ce_type]
    assert len(tasks_published) == 5  # the refused ones never went out
    closed_event = next(data for kind, data in public if kind == contracts.TaskClosedV1.ce_type)
    assert boris not in closed_event["participant_ids"] and anna in closed_event["participant_ids"]
    marks = [data for kind, data in public if kind == contracts.CommentMarkedHelpfulV1.ce_type]
    assert {(m["comment_id"], m["author"]) for m in marks} == {(question["id"], pseudonym), (wrong["id"], vera)}
    public_text = json.dumps(public, ensure_ascii=False)
    for secret in (ANONYMOUS_QUESTION, FALSE_CLAIM, SOLUTION, REFLECTION, str(check["note"]), decision["note"]):
        assert secret not in public_text

    restricted = await ours(
        contracts.RESTRICTED_TOPIC,
        {contracts.HelpfulCommentCreditV1.ce_type, contracts.HelpfulCreditsRevokedV1.ce_type},
    )
    credits = [data for kind, data in restricted if kind == contracts.HelpfulCommentCreditV1.ce_type]
    assert sorted((c["comment_id"], c["author_id"], c["marked_by"]) for c in credits) == sorted(
        [(question["id"], boris, anna), (question["id"], boris, olga), (wrong["id"], vera, boris)]
    )
    revoked = [data for kind, data in restricted if kind == contracts.HelpfulCreditsRevokedV1.ce_type]
    assert [(r["comment_id"], r["author_id"], r["marks"]) for r in revoked] == [(wrong["id"], vera, 1)]

    # --- gamification: the real author is credited, a hidden comment's points go back, redelivery changes nothing
    async with httpx.AsyncClient(timeout=30) as client:

        async def helpful_points(person: str) -> list[tuple[str, int, str | None]]:
            url = f"{platform.url('gamification')}/people/{person}/points"
            ledger = (await expect(await client.get(url, headers=platform.headers(person))))["ledger"]
            return sorted((e["rule"], e["points"], e["cause_event_id"]) for e in ledger if "helpful" in e["rule"])

        boris_points = await eventually(lambda: helpful_points(boris), lambda found: len(found) == 2, timeout=30)
        # Credited for his anonymous question, with nothing in the entry to match it to the public mark.
        assert boris_points == [("helpful-comment", 5, None), ("helpful-comment", 5, None)]
        vera_points = await eventually(lambda: helpful_points(vera), lambda found: len(found) == 2, timeout=30)
        assert sorted(points for _, points, _ in vera_points) == [-5, 5]  # hidden: taken back

        async def everyone() -> dict[str, list[dict[str, Any]]]:
            books = {}
            for person in (anna, boris, vera, olga, pavel):
                url = f"{platform.url('gamification')}/people/{person}/points"
                books[person] = (await expect(await client.get(url, headers=platform.headers(person))))["ledger"]
            return books

        before = await everyone()
        for topic in (contracts.TOPIC, contracts.RESTRICTED_TOPIC):
            name = platform.topic_prefix + topic
            records = await read_topic(platform.servers.kafka_bootstrap, name, at_least=1, settle=1)
            repeated = [(r.key, r.value or b"", {k: bytes(v).decode() for k, v in r.headers or ()}) for r in records]
            await produce(platform.servers.kafka_bootstrap, name, repeated)  # every event delivered once more
        topics = [platform.topic_prefix + topic for topic in (contracts.TOPIC, contracts.RESTRICTED_TOPIC)]
        group = f"{platform.name}-gamification"
        await eventually(lambda: caught_up(platform.servers.kafka_bootstrap, group, topics), bool, timeout=60)
        assert await everyone() == before
