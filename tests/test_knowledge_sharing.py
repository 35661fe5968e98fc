# ruff: noqa: RUF001  (Russian text is what these people write)
"""Knowledge shared beyond courses, across the whole platform on the real broker and store (issue 10).

HR pushes the people through SCIM. Hana proposes a master class on pytest; Anna registers and is told in
Russian; hours later (the enrolment service restarted with its clock ahead) Hana marks it held and attaches
the recording, and Anna rates it. The recording arrives in mentoring's knowledge base by event and is found by
tag and by a Russian word; Hana earns the host's points and badge, Anna the feedback points. Olga's talk goes
through an internal conference (call for speakers, blind scoring, the chair's decision, a slot, the published
programme, a registration, attendance and feedback); its recording and slides are found in the knowledge base
too, and Olga earns the speaker's points. In a circle, Fay facilitates a brainstorm from ideas through votes
to a decision whose owner Anna is told; its summary is in the circle's library and the knowledge base, and Fay
earns points. A curator writes an article for Olga and vouches for it: Olga earns the points of a reviewed
item once. Anna spends a month with Hana's IT team on an exchange internship her manager approved: Hana earns
the host's points and badge, Anna's report is found in the knowledge base, and the IT team's reciprocity shows
one guest hosted from sales. Half a year on (mentoring restarted with its clock ahead), the review period has
passed: each owner is told in their inbox, and the items show as stale.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.persistence.mongo import connect
from tests.support.kafka import eventually
from tests.support.platform import SCIM_TOKEN, Platform

SCIM = {"Authorization": f"Bearer {SCIM_TOKEN}"}


async def expect(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, f"{answer.request.method} {answer.request.url}: {answer.text}"
    return answer.json() if answer.content else None


def scim_user(name: str, person_id: str, department: str, manager: str | None = None) -> dict[str, Any]:
    enterprise: dict[str, Any] = {"department": department}
    if manager is not None:
        enterprise["manager"] = {"value": manager}
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "externalId": person_id,
        "userName": f"{person_id}@contoso.example",
        "displayName": name,
        "emails": [{"value": f"{person_id}@contoso.example", "type": "work", "primary": True}],
        "preferredLanguage": "ru-RU",
        "timezone": "Europe/Moscow",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": enterprise,
    }


async def test_master_classes_brainstorms_and_articles_reach_one_knowledge_base_with_points_and_messages(
    platform: Platform,
) -> None:
    enrolment, mentoring = platform.url("enrolment"), platform.url("mentoring")
    gamification, notifications = platform.url("gamification"), platform.url("notifications")
    run = uuid.uuid4().hex[:6]
    hana, anna, boris, fay, olga, mila = (f"{name}-{run}" for name in ("hana", "anna", "boris", "fay", "olga", "mila"))
    curator = platform.headers(f"cura-{run}", "curator")

    def as_(person: str) -> dict[str, str]:
        return platform.headers(person)

    async with httpx.AsyncClient(timeout=30) as client:

        async def points(person: str) -> dict[str, Any]:
            return dict(await expect(await client.get(f"{gamification}/people/{person}/points", headers=as_(person))))

        async def rules_credited(person: str) -> list[str]:
            return sorted(entry["rule"] for entry in (await points(person))["ledger"])

        async def badges(person: str) -> list[str]:
            found = await expect(await client.get(f"{gamification}/people/{person}/badges", headers=as_(person)))
            return sorted(badge["badge_id"] for badge in found)

        async def inbox(person: str) -> list[str]:
            found = await expect(await client.get(f"{notifications}/people/{person}/inbox", headers=as_(person)))
            return [message["text"] for message in found["messages"]]

        async def search(query: str) -> list[dict[str, Any]]:
            page = await expect(await client.get(f"{mentoring}/knowledge/items?{query}", headers=as_(boris)))
            return list(page["items"])

        # --- HR pushes the people ---------------------------------------------------------------------------
        people = [
            ("Мила Руководителева", mila, "Продажи", None),
            ("Хана Хостова", hana, "ИТ", None),
            ("Анна Смирнова", anna, "Продажи", mila),
            ("Борис Орлов", boris, "Бухгалтерия", None),
            ("Фая Фасилитаторова", fay, "Продажи", None),
            ("Ольга Авторова", olga, "ИТ", None),
        ]
        for name, person_id, department, manager in people:
            user = scim_user(name, person_id, department, manager)
            await expect(await client.post(f"{platform.url('directory')}/scim/v2/Users", json=user, headers=SCIM), 201)
        for service in ("notifications", "mentoring"):
            database = connect(platform.servers.mongodb_url)[platform.database(service)]

            async def copies(database: Any = database) -> int:
                return int(await database["people"].count_documents({"_id": {"$in": [p[1] for p in people]}}))

            await eventually(copies, lambda count: count == len(people), timeout=30)

        # --- a master class from proposal to feedback ---------------------------------------------------------
        mc_tag = f"pytest-{run}"
        proposal = {
            "title": "Мастер-класс: pytest за час",
            "abstract": "Фикстуры, параметризация и настоящие серверы в тестах",
            "language": "ru",
            "competencies": [mc_tag, "python"],
            "starts_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
            "duration_minutes": 60,
            "capacity": 10,
            "room_url": "https://meet.example.com/pytest",
        }
        too_long = await client.post(
            f"{enrolment}/master-classes", json={**proposal, "duration_minutes": 150}, headers=as_(hana)
        )
        assert too_long.status_code == 422 and too_long.json()["field"] == "duration_minutes"
        created = await expect(await client.post(f"{enrolment}/master-classes", json=proposal, headers=as_(hana)), 201)
        assert created["status"] == "published"  # the company needs no curator's approval (the default)
        master_class = f"{enrolment}/master-classes/{created['id']}"
        registered = await expect(await client.post(f"{master_class}/registrations", headers=as_(anna)), 201)
        assert registered["my_status"] == "registered"
        told = await eventually(lambda: inbox(anna), lambda texts: any("мастер-класс" in t for t in texts), timeout=30)
        assert any("Вы записаны на мастер-класс «Мастер-класс: pytest за час»" in text for text in told)

        # --- an internal conference: call for speakers, blind scoring, a schedule, registrations ----------------
        conference_tag = f"outbox-{run}"
        committee, chair = f"kira-{run}", f"chair-{run}"
        today = datetime.now(UTC).date()
        talk_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
        conference_body = {
            "title": "Owlery Dev Days",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=1)).isoformat(),
            "time_zone": "UTC",
            "tracks": ["backend"],
            "rooms": [{"name": "Зал", "capacity": 50}],
            "committee_ids": [committee, chair],
            "chair_id": chair,
        }
        hr = platform.headers(f"hr-{run}", "hr_admin")
        conference = await expect(await client.post(f"{enrolment}/conferences", json=conference_body, headers=hr), 201)
        conf = f"{enrolment}/conferences/{conference['id']}"
        talk_proposal = {
            "title": "Outbox на FerretDB",
            "abstract": "Транзакционный outbox без транзакций",
            "level": "intermediate",
            "competencies": [conference_tag],
        }
        submitted = await expect(await client.post(f"{conf}/proposals", json=talk_proposal, headers=as_(olga)), 201)
        talk_id = submitted["id"]
        scores = {"scores": {"relevance": 5, "novelty": 4, "clarity": 4}}
        await expect(await client.post(f"{conf}/proposals/{talk_id}/scores", json=scores, headers=as_(committee)), 201)
        peek = await client.get(f"{conf}/proposals/{talk_id}/scores", headers=as_(chair))
        assert peek.status_code == 403  # blind until one has scored oneself
        decision = {"accept": True, "message": "Ждём вас"}
        await expect(await client.post(f"{conf}/proposals/{talk_id}/decision", json=decision, headers=as_(chair)))
        slot = {"track": "backend", "room": "Зал", "starts_at": talk_at.isoformat(), "duration_minutes": 45}
        await expect(await client.put(f"{conf}/proposals/{talk_id}/slot", json=slot, headers=as_(chair)))
        await expect(await client.post(f"{conf}/programme", headers=as_(chair)))
        talk = f"{conf}/talks/{talk_id}"
        await expect(await client.post(f"{talk}/registrations", headers=as_(boris)), 201)
        await eventually(lambda: rules_credited(olga), lambda rules: "conference-speaker" in rules, timeout=30)

        # Three hours later the master class and the talk have taken place.
        platform.restart("enrolment", OWLERY_ENROLMENT_CLOCK_SHIFT_HOURS="3").wait_ready()
        attended = await expect(
            await client.post(f"{talk}/attendance", json={"person_ids": [boris]}, headers=as_(olga))
        )
        assert attended["attended"] == 1
        await expect(await client.post(f"{talk}/feedback", json={"score": 5}, headers=as_(boris)), 201)
        slides = {"recording_url": "https://video.example.com/outbox", "slides_url": "https://slides.example.com/o"}
        await expect(await client.post(f"{talk}/recording", json=slides, headers=as_(olga)))
        talks = await eventually(lambda: search(f"tag={conference_tag}"), lambda items: len(items) == 1, timeout=30)
        assert (talks[0]["type"], talks[0]["owner_id"]) == ("conference_talk", olga)
        assert [item["id"] for item in await search("q=транзакционный+outbox")] == [talks[0]["id"]]
        held = await expect(await client.post(f"{master_class}/held", headers=as_(hana)))
        assert (held["status"], held["attendees"]) == ("held", 1)
        recording = {"recording_url": "https://video.example.com/pytest", "materials": ["https://slides.example.com/p"]}
        await expect(await client.post(f"{master_class}/recording", json=recording, headers=as_(hana)))
        await expect(await client.post(f"{master_class}/feedback", json={"score": 5}, headers=as_(anna)), 201)

        recorded = await eventually(lambda: search(f"tag={mc_tag}"), lambda items: len(items) == 1, timeout=30)
        [item] = recorded
        assert (item["type"], item["owner_id"], item["title"]) == ("master_class", hana, proposal["title"])
        assert "https://video.example.com/pytest" in item["links"]
        assert [found["id"] for found in await search("q=фикстуры+параметризация")] == [item["id"]]

        await eventually(lambda: rules_credited(hana), lambda rules: "master-class-held" in rules, timeout=30)
        assert await eventually(lambda: badges(hana), lambda found: "master-class-host" in found, timeout=30)
        await eventually(lambda: rules_credited(anna), lambda rules: "master-class-feedback" in rules, timeout=30)
        assert "master-class-held" not in await rules_credited(anna)

        # --- a brainstorm in a circle from ideas through votes to a decision in the knowledge base -------------
        circle = await expect(
            await client.post(
                f"{mentoring}/circles", json={"topic": "Оплаты", "experience": "practitioner"}, headers=as_(fay)
            ),
            201,
        )
        members = f"{mentoring}/circles/{circle['id']}/members"
        for person in (anna, boris):
            body = {"person_id": person, "experience": "beginner"}
            await expect(await client.post(members, json=body, headers=as_(person)), 201)
        case = {"case": "Клиенты забывают платить вовремя. Что делать?", "title": "Должники", "votes_per_member": 2}
        opened = await expect(
            await client.post(f"{mentoring}/circles/{circle['id']}/brainstorms", json=case, headers=as_(fay)), 201
        )
        brainstorm = f"{mentoring}/circles/{circle['id']}/brainstorms/{opened['id']}"
        ideas = []
        for person, text, anonymous in (
            (anna, "Напоминать за день до срока", False),
            (boris, "Предложить рассрочку", True),
            (boris, "Автоматизировать напоминание", True),
        ):
            idea: dict[str, Any] = {"text": text, "anonymous": anonymous}
            ideas.append(await expect(await client.post(f"{brainstorm}/ideas", json=idea, headers=as_(person)), 201))
        await expect(await client.post(f"{brainstorm}/voting", headers=as_(fay)))
        for person, idea in ((anna, ideas[2]), (boris, ideas[2]), (boris, ideas[0])):
            await expect(await client.post(f"{brainstorm}/ideas/{idea['id']}/votes", headers=as_(person)), 201)
        twice = await client.post(f"{brainstorm}/ideas/{ideas[2]['id']}/votes", headers=as_(anna))
        assert twice.status_code == 409
        bs_tag = f"payments-{run}"
        decision = {
            "themes": [{"title": "Напоминания", "idea_ids": [ideas[0]["id"], ideas[2]["id"]]}],
            "decision": "Автоматическое напоминание за день до срока оплаты",
            "owner_ids": [anna],
            "tags": [bs_tag],
        }
        decided = await expect(await client.post(f"{brainstorm}/decision", json=decision, headers=as_(fay)))
        found = await eventually(lambda: search(f"tag={bs_tag}&type=brainstorm"), lambda items: len(items) == 1)
        assert found[0]["id"] == decided["knowledge_item_id"]
        assert [item["id"] for item in await search(f"q=должники&tag={bs_tag}")] == [decided["knowledge_item_id"]]
        assert boris not in str(found)  # his ideas were anonymous
        shelf = await expect(await client.get(f"{mentoring}/library", params={"tag": bs_tag}, headers=as_(anna)))
        assert [(entry["kind"], entry["title"]) for entry in shelf] == [("brainstorm", "Должники")]
        await eventually(lambda: rules_credited(fay), lambda rules: "brainstorm-facilitated" in rules, timeout=30)
        owner_told = await eventually(lambda: inbox(anna), lambda texts: any("Мозговой штурм" in t for t in texts), 30)
        assert any("вы среди ответственных" in text for text in owner_told)

        # --- a curator writes an article for Olga and vouches for it: a reviewed item pays its owner once -------
        article = {
            "article_id": f"a-{run}",
            "title": "Как писать тест-кейсы",
            "summary": "Шаблон и примеры для QA",
            "language": "ru",
            "category": "QA",
            "tags": [f"qa-{run}"],
            "owner_id": olga,
        }
        written = await expect(await client.post(f"{mentoring}/knowledge/articles", json=article, headers=curator), 201)
        for _ in range(2):
            await expect(await client.post(f"{mentoring}/knowledge/items/{written['id']}/review", headers=curator))
        await eventually(lambda: rules_credited(olga), lambda rules: "knowledge-item-reviewed" in rules, timeout=30)
        assert (await rules_credited(olga)).count("knowledge-item-reviewed") == 1  # reviewed twice, paid once
        reviewed = await eventually(lambda: inbox(olga), lambda texts: any("впервые" in t for t in texts), 30)
        assert [text for text in reviewed if "впервые" in text] == [
            "Коллега впервые проверил ваш материал в базе знаний «Как писать тест-кейсы»:"
            " теперь он считается проверенным."
        ]  # told once, though it was reviewed twice

        # --- an exchange internship: Anna from sales spends a month with Hana's IT team -----------------------
        offer = {
            "title": "Автотесты на Python в ИТ",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(),
            "seats": 2,
            "guest_learns": "Писать автотесты к своим отчётам",
            "host_learns_back": "Как продажи объясняют продукт клиентам",
            "competencies": [f"autotests-{run}"],
        }
        backwards = await client.post(
            f"{mentoring}/placements",
            json={**offer, "ends_on": (today - timedelta(days=1)).isoformat()},
            headers=as_(hana),
        )
        assert backwards.status_code == 422 and "ends_on" in backwards.text
        placement = await expect(await client.post(f"{mentoring}/placements", json=offer, headers=as_(hana)), 201)
        assert placement["host_unit"] == "department:ИТ"
        applications = f"{mentoring}/placements/{placement['id']}/applications"
        applied = await expect(await client.post(applications, json={"goals": "Автотесты"}, headers=as_(anna)), 201)
        twice = await client.post(applications, json={"goals": "Ещё раз"}, headers=as_(anna))
        assert twice.status_code == 409
        asked = await eventually(lambda: inbox(mila), lambda texts: any("стажировку" in t for t in texts), 30)
        assert any(f"Заявка {anna} на стажировку по обмену ждёт вашего согласования" in text for text in asked)
        internship = f"{mentoring}/internships/{applied['id']}"
        assert (
            await client.post(f"{internship}/decision", json={"approve": True}, headers=as_(hana))
        ).status_code == 403
        await expect(await client.post(f"{internship}/decision", json={"approve": True}, headers=as_(mila)))
        goal = {
            "text": "Написать 3 автотеста на Python к отчёту о продажах",
            "due": (today + timedelta(days=25)).isoformat(),
        }
        await expect(
            await client.post(f"{internship}/goals", json={"goals": [goal], "confirm": True}, headers=as_(hana))
        )
        await expect(
            await client.post(f"{internship}/log", json={"text": "Первый тест зелёный"}, headers=as_(anna)), 201
        )
        for person in (anna, hana):
            await expect(await client.post(f"{internship}/feedback", json={"rating": 5}, headers=as_(person)))
        report = {
            "title": "Стажировка в ИТ: автотесты для продаж",
            "summary": "Как я научилась писать автотесты к отчётам",
            "body": "Три теста, один отчёт, ноль ручных проверок.",
            "tags": ["autotests"],
            "language": "ru",
        }
        await expect(await client.put(f"{internship}/report", json=report, headers=as_(anna)))
        published = await expect(await client.post(f"{internship}/report/publication", headers=as_(anna)))
        host_told = await eventually(
            lambda: inbox(hana), lambda texts: any("отчёт о стажировке" in t for t in texts), 30
        )
        assert any("«Стажировка в ИТ: автотесты для продаж»" in text for text in host_told)
        reports = await search(f"tag=autotests-{run}&type=internship_report")
        assert [found["id"] for found in reports] == [published["knowledge_item_id"]]
        assert [found["id"] for found in await search("q=стажировка+автотесты")] == [published["knowledge_item_id"]]
        counts = await expect(
            await client.get(f"{mentoring}/reciprocity", params={"unit": "department:ИТ"}, headers=as_(boris))
        )
        assert (counts["hosted"], counts["sent"]) == (1, 0)
        assert [(u["unit"], u["hosted"], u["sent"]) for u in counts["units"]] == [("department:Продажи", 1, 0)]
        await eventually(lambda: rules_credited(hana), lambda rules: "intern-hosted" in rules, timeout=30)
        assert "exchange-host" in await eventually(lambda: badges(hana), lambda found: "exchange-host" in found, 30)
        await eventually(lambda: rules_credited(anna), lambda rules: "internship-report-published" in rules, timeout=30)

        # --- half a year on, the items' review period (180 days) has passed: their owners are told -------------
        platform.restart(
            "mentoring",
            OWLERY_MENTORING_CLOCK_SHIFT_HOURS=str(24 * 200),
            OWLERY_MENTORING_KNOWLEDGE_REVIEW_CHECK_SECONDS="1",
        ).wait_ready()
        for owner, title in ((hana, proposal["title"]), (olga, article["title"])):

            async def owners_inbox(owner: str = owner) -> list[str]:
                return await inbox(owner)

            def told_stale(found: list[str], notice: str = f"Ваш материал в базе знаний «{title}»") -> bool:
                return any(notice in text for text in found)

            await eventually(owners_inbox, told_stale, 30)
        stale = await search(f"stale=true&tag={mc_tag}")
        assert [item["id"] for item in stale] == [item["id"]]
