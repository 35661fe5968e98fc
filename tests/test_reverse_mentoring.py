# ruff: noqa: RUF001  (Russian text is what these people write)
"""Reverse mentoring as the seeds describe it, on the real broker and store, through every service it touches.

HR pushes the people through SCIM (with their reporting lines); a curator sets up a reverse programme
where young digital experts mentor senior managers; a developer nominates herself, a colleague
recommends another who consents; managers register as mentees; matching keeps a manager's own
reporting line apart and explains every pair; kickoff and preparation start the pairs; goals get
SMART feedback in Russian; meetings keep their notes to the pair; a low check-in raises an at-risk
alert; a confidential concern ends in a rematch; final feedback and the programme report close it.
Nothing confidential ever reaches Kafka.
"""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.contracts import mentoring as contracts
from shared.persistence.mongo import connect
from tests.support.kafka import eventually, header, read_topic
from tests.support.platform import SCIM_TOKEN, Platform

SCIM = {"Authorization": f"Bearer {SCIM_TOKEN}"}
NOTES = "Иван боится ChatGPT: начнём с расшифровки совещаний"
CONCERN = "Ментор не слушает и читает лекции"
CHECK_IN_ANSWERS = "Мы постоянно переносим встречи"


async def expect(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, f"{answer.request.method} {answer.request.url}: {answer.text}"
    return answer.json() if answer.content else None


def employee(name: str, person_id: str, manager_id: str | None = None) -> dict[str, Any]:
    enterprise: dict[str, Any] = {"department": "Цифровая трансформация"}
    if manager_id is not None:
        enterprise["manager"] = {"value": manager_id}
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


def profile(role: str, grade: int, *topics: str, interests: tuple[str, ...] = (), capacity: int = 1) -> dict[str, Any]:
    level = 4 if role == "mentor" else 1
    return {
        "competencies": dict.fromkeys(topics, level),
        "topics": list(topics),
        "interests": list(interests),
        "languages": ["ru"],
        "time_zone": "Europe/Moscow",
        "grade": grade,
        "capacity": capacity,
    }


async def test_a_reverse_mentoring_programme_from_creation_to_report(platform: Platform) -> None:
    mentoring = platform.url("mentoring")
    run = uuid.uuid4().hex[:6]
    ivan, maria, lead = f"ivan-{run}", f"maria-{run}", f"lead-{run}"  # senior managers, and Anna's lead
    anna, boris, vera = f"anna-{run}", f"boris-{run}", f"vera-{run}"  # young digital experts
    curator_id = f"curator-{run}"
    curator = platform.headers(curator_id, "curator")

    def as_(person: str) -> dict[str, str]:
        return platform.headers(person)

    async with httpx.AsyncClient(timeout=30) as client:
        # --- HR pushes the people; Anna works under Ivan's direct report ------------------------------------
        people = [
            ("Иван Петров", ivan, None),
            ("Пётр Лидов", lead, ivan),
            ("Анна Смирнова", anna, lead),
            ("Мария Козлова", maria, None),
            ("Борис Орлов", boris, None),
            ("Вера Новикова", vera, None),
            ("Ольга Кураторова", curator_id, None),
        ]
        for name, person_id, manager_id in people:
            user = employee(name, person_id, manager_id)
            await expect(await client.post(f"{platform.url('directory')}/scim/v2/Users", json=user, headers=SCIM), 201)
        database = connect(platform.servers.mongodb_url)[platform.database("mentoring")]

        async def copies() -> int:
            return await database["people"].count_documents({"_id": {"$in": [p[1] for p in people]}})

        await eventually(copies, lambda count: count == len(people), timeout=30)

        # --- the curator sets up the programme ------------------------------------------------------------
        today = datetime.now(UTC).date()
        terms = {
            "format": "one_to_one",
            "topics": ["ai tools", "social media"],
            "enrolment_opens": today.isoformat(),
            "enrolment_closes": (today + timedelta(days=10)).isoformat(),
            "starts": today.isoformat(),
            "duration_weeks": 12,
            "cadence_days": 14,
            "rules_text": "Конфиденциальность, равный диалог, право на ошибку, развитие а не оценка",
            "preparation": "Как устроено обратное наставничество: прочитайте до первой встречи",
        }
        bad = await client.post(
            f"{mentoring}/programmes",
            json={"title": "Обратное наставничество", "kind": "reverse", "terms": {**terms, "cadence_days": 90}},
            headers=curator,
        )
        assert bad.status_code == 422 and bad.json()["field"] == "cadence_days"
        created = await expect(
            await client.post(
                f"{mentoring}/programmes",
                json={"title": "Обратное наставничество", "kind": "reverse", "terms": terms},
                headers=curator,
            ),
            201,
        )
        programme = f"{mentoring}/programmes/{created['id']}"
        assert created["stage"] == "draft"
        await expect(await client.post(f"{programme}/stage", json={"stage": "open"}, headers=curator))

        # --- mentors: a self-nomination, and a recommendation the colleague consents to -----------------------
        own = {
            "person_id": anna,
            "profile": profile("mentor", 7, "ai tools", interests=("чат-боты",)),
            "accept_rules": True,
        }
        anna_nomination = await expect(await client.post(f"{programme}/nominations", json=own, headers=as_(anna)), 201)
        again = await client.post(f"{programme}/nominations", json=own, headers=as_(anna))
        assert again.status_code == 409
        recommended = await expect(
            await client.post(
                f"{programme}/nominations",
                json={"person_id": boris, "reason": "Ведёт курс по нейросетям для отдела продаж"},
                headers=as_(anna),
            ),
            201,
        )
        assert recommended["status"] == "awaiting_consent"
        # Boris takes two mentees: the place a rematch needs once Vera is ruled out for Maria.
        consent = {"profile": profile("mentor", 8, "ai tools", "social media", capacity=2), "accept_rules": True}
        not_his = await client.post(
            f"{programme}/nominations/{recommended['id']}/consent", json=consent, headers=as_(maria)
        )
        assert not_his.status_code == 403
        await expect(
            await client.post(f"{programme}/nominations/{recommended['id']}/consent", json=consent, headers=as_(boris))
        )
        for nomination in (anna_nomination, recommended):
            decided = await expect(
                await client.post(
                    f"{programme}/nominations/{nomination['id']}/decision", json={"accept": True}, headers=curator
                )
            )
            assert decided["status"] == "accepted"
        # Vera joins later, added by the curator, as the spare mentor for rematches.
        spare = {"person_id": vera, "role": "mentor", "profile": profile("mentor", 6, "ai tools"), "accept_rules": True}
        await expect(await client.post(f"{programme}/participants", json=spare, headers=curator), 201)

        # --- mentees register themselves ---------------------------------------------------------------
        for manager, interests in ((ivan, ("чат-боты",)), (maria, ())):
            body = {
                "person_id": manager,
                "role": "mentee",
                "profile": profile("mentee", 15, "ai tools", interests=interests),
                "accept_rules": True,
            }
            await expect(await client.post(f"{programme}/participants", json=body, headers=as_(manager)), 201)
        counts = (await expect(await client.get(programme, headers=as_(ivan))))["participants"]
        assert counts == {"mentor": 3, "mentee": 2}

        # --- matching: the whole pool, reporting line kept apart, reasons for all -------------------------
        await expect(await client.post(f"{programme}/stage", json={"stage": "matching"}, headers=curator))
        forbid = {"mentee_id": maria, "mentor_id": vera, "rule": "forbid"}
        await expect(await client.post(f"{programme}/matching/rules", json=forbid, headers=curator), 204)
        proposal = await expect(await client.post(f"{programme}/matching", headers=curator), 201)
        paired = {pair["mentee_ids"][0]: pair["mentor_id"] for pair in proposal["pairs"]}
        assert paired[ivan] != anna  # Anna's manager's manager
        assert paired[maria] != vera  # forbidden by the curator
        for pair in proposal["pairs"]:
            reasons = pair["reasons"][0]
            assert reasons["matched_topics"] == ["ai tools"] and reasons["overlap_hours"] == 45
        assert {u["person_id"] for u in proposal["unmatched"]} == {anna, boris, vera} - set(paired.values())
        assert all(u["why"] and u["text"] for u in proposal["unmatched"])
        approval = f"{programme}/matching/{proposal['id']}/approval"
        planned = await expect(await client.post(approval, headers=curator))
        assert (await client.post(approval, headers=curator)).status_code == 409
        pair_of = {plan["mentee_ids"][0]: plan["pair_id"] for plan in planned}
        mentor_of = {plan["mentee_ids"][0]: plan["mentor_id"] for plan in planned}

        # --- kickoff and preparation start the pairs ---------------------------------------------------------
        await expect(await client.post(f"{programme}/stage", json={"stage": "running"}, headers=curator))
        kickoff = {"starts_at": (datetime.now(UTC) + timedelta(minutes=5)).isoformat()}
        await expect(await client.post(f"{programme}/kickoff", json=kickoff, headers=curator))
        await expect(await client.post(f"{programme}/kickoff/held", headers=curator))
        ivans_pair = f"{mentoring}/pairs/{pair_of[ivan]}"
        assert (await expect(await client.get(ivans_pair, headers=as_(ivan))))["status"] == "preparing"
        for person in (ivan, maria, anna, boris, vera):
            await expect(await client.post(f"{programme}/participants/{person}/preparation", headers=as_(person)))
        assert (await expect(await client.get(ivans_pair, headers=as_(ivan))))["status"] == "active"
        others = await client.get(ivans_pair, headers=as_(maria))
        assert others.status_code == 403  # a participant never reads another pair

        # --- goals with SMART feedback in Russian ------------------------------------------------------------
        vague = {"text": "Разобраться с ИИ", "due": None, "topics": ["ai tools"], "locale": "ru"}
        refused = await client.post(f"{ivans_pair}/goals", json=vague, headers=as_(ivan))
        assert refused.status_code == 422 and refused.json()["field"] == "due"
        draft = {**vague, "due": (today + timedelta(days=30)).isoformat()}
        hints = await expect(await client.post(f"{ivans_pair}/goals/check", json=draft, headers=as_(ivan)))
        assert not hints["passed"] and all(f["message"] for f in hints["failures"])
        assert any(f["letter"] == "S" for f in hints["failures"])
        assert (await client.post(f"{ivans_pair}/goals", json=draft, headers=as_(ivan))).json()["field"] == "confirm"
        smart = {
            "text": "Настроить 3 промпта для еженедельного отчёта по продажам в ChatGPT",
            "due": (today + timedelta(days=40)).isoformat(),
            "topics": ["ai tools"],
            "locale": "ru",
        }
        saved = await expect(await client.post(f"{ivans_pair}/goals", json=smart, headers=as_(ivan)), 201)
        assert saved["smart"]["passed"]

        # --- a meeting: its notes belong to the pair ----------------------------------------------------------
        meeting = {"held_on": today.isoformat(), "minutes": 60, "topics": ["ai tools"], "notes": NOTES}
        await expect(await client.put(f"{ivans_pair}/meetings/first", json=meeting, headers=as_(mentor_of[ivan])))
        seen_by_curator = await expect(await client.get(ivans_pair, headers=curator))
        assert [(m["held_on"], m["minutes"], m["topics"]) for m in seen_by_curator["meetings"]] == [
            (today.isoformat(), 60, None)
        ]
        assert (await client.get(f"{ivans_pair}/meetings/first/notes", headers=curator)).status_code == 403
        notes = await expect(await client.get(f"{ivans_pair}/meetings/first/notes", headers=as_(ivan)))
        assert notes["notes"] == NOTES
        progress = {"progress": 100, "status": "Все три промпта работают"}
        await expect(
            await client.put(f"{ivans_pair}/goals/{saved['goal']['id']}/progress", json=progress, headers=as_(ivan))
        )

        # --- a low check-in: the curator sees the pair at risk ------------------------------------------------
        marias_pair = f"{mentoring}/pairs/{pair_of[maria]}"
        check_in = {"score": 1, "answers": CHECK_IN_ANSWERS}
        await expect(await client.post(f"{marias_pair}/check-ins", json=check_in, headers=as_(maria)), 204)
        at_risk = await expect(await client.get(f"{programme}/pairs?at_risk=true", headers=curator))
        assert [(line["pair_id"], line["at_risk"]) for line in at_risk] == [(pair_of[maria], ["low_check_in"])]

        async def inbox(person: str) -> list[str]:
            url = f"{platform.url('notifications')}/people/{person}/inbox"
            return [m["text"] for m in (await expect(await client.get(url, headers=as_(person))))["messages"]]

        alerts = await eventually(lambda: inbox(curator_id), lambda texts: any("внимание" in t for t in texts))
        assert "Паре, которую вы курируете, нужно внимание: низкая оценка в ежемесячном опросе." in alerts
        assert any("У вас появился ментор" in text for text in await inbox(ivan))

        # --- a confidential concern, resolved with a rematch ---------------------------------------------------
        raised = await expect(
            await client.post(f"{marias_pair}/concerns", json={"text": CONCERN}, headers=as_(maria)), 201
        )
        concern = f"{mentoring}/concerns/{raised['id']}"
        assert (await client.get(concern, headers=as_(mentor_of[maria]))).status_code == 403
        assert (await expect(await client.get(concern, headers=curator)))["text"] == CONCERN
        talk = {"action": "talk", "note": "Поговорила с обоими"}
        await expect(await client.post(f"{concern}/actions", json=talk, headers=curator))
        await expect(await client.post(f"{concern}/actions", json={"action": "rematch"}, headers=curator))
        resolved = await expect(
            await client.post(f"{concern}/resolution", json={"outcome": "rematched"}, headers=curator)
        )
        assert resolved["status"] == "resolved"
        ended = await expect(await client.get(marias_pair, headers=as_(maria)))
        assert (ended["status"], ended["end_reason"]) == ("ended", "rematch")
        late = {"held_on": today.isoformat(), "minutes": 30}
        assert (await client.put(f"{marias_pair}/meetings/late", json=late, headers=as_(maria))).status_code == 409
        rematch = await expect(await client.get(f"{programme}/matching", headers=curator))
        new_mentors = {pair["mentee_ids"][0]: pair["mentor_id"] for pair in rematch["pairs"]}
        assert maria in new_mentors and new_mentors[maria] not in (mentor_of[maria], vera)
        replanned = await expect(await client.post(f"{programme}/matching/{rematch['id']}/approval", headers=curator))
        assert [(plan["via"], plan["mentee_ids"]) for plan in replanned] == [("rematch", [maria])]
        second = await expect(await client.get(f"{mentoring}/pairs/{replanned[0]['pair_id']}", headers=as_(maria)))
        assert second["status"] == "active"  # kickoff held and everyone prepared: it starts at once

        # --- closing: final feedback, then the report ----------------------------------------------------------
        await expect(await client.post(f"{programme}/stage", json={"stage": "closing"}, headers=curator))
        for pair_id, members in (
            (pair_of[ivan], (ivan, mentor_of[ivan])),
            (replanned[0]["pair_id"], (maria, replanned[0]["mentor_id"])),
        ):
            for person, rating in zip(members, (5, 4), strict=True):
                body = {"rating": rating, "worked": "Практика на своих задачах", "improve": "Чаще встречаться"}
                await expect(
                    await client.post(f"{mentoring}/pairs/{pair_id}/feedback", json=body, headers=as_(person)), 204
                )
        await expect(await client.post(f"{programme}/stage", json={"stage": "closed"}, headers=curator))
        report = await expect(await client.get(f"{programme}/report", headers=curator))
        assert report["participants"]["mentee"]["total"] == 2
        assert report["pairs"]["total"] == 3
        assert report["pairs"]["ended_by_reason"] == {"completed": 2, "rematch": 1}
        assert report["goals"]["achieved"] == 1
        assert report["feedback"]["responses"] == 4 and report["feedback"]["mean_rating"] == 4.5
        assert report["drop_outs"]["pairs_dropped"] == 1
        assert not any(person in json.dumps(report) for person in (ivan, maria, anna, boris, vera))

    # --- the story on Kafka: every step, nothing confidential ----------------------------------------------------
    wanted = {
        contracts.ProgrammeStageChangedV1.ce_type,
        contracts.NominationSubmittedV1.ce_type,
        contracts.NominationDecidedV1.ce_type,
        contracts.MatchingProposedV1.ce_type,
        contracts.PairFormedV1.ce_type,
        contracts.PairStartedV1.ce_type,
        contracts.GoalSetV1.ce_type,
        contracts.GoalAchievedV1.ce_type,
        contracts.MeetingLoggedV1.ce_type,
        contracts.CheckInRecordedV1.ce_type,
        contracts.PairAtRiskV1.ce_type,
        contracts.ConcernRaisedV1.ce_type,
        contracts.ConcernResolvedV1.ce_type,
        contracts.PairEndedV1.ce_type,
        contracts.FeedbackGivenV1.ce_type,
    }

    async def story() -> list[tuple[str, bytes]]:
        records = await read_topic(
            platform.servers.kafka_bootstrap, platform.topic_prefix + contracts.TOPIC, at_least=1, settle=1
        )
        ours = []
        for record in records:
            kind = header(record, "ce_type")
            if record.key is not None and record.key.decode() == created["id"] and kind is not None:
                ours.append((kind, record.value or b""))
        return ours

    events = await eventually(story, lambda found: wanted <= {kind for kind, _ in found}, timeout=30)
    payloads = b"".join(value for _, value in events).decode()
    for secret in (NOTES, CONCERN, CHECK_IN_ANSWERS, "Практика на своих задачах", "Все три промпта"):
        assert secret not in payloads
