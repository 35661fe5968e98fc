"""The internal-trainer practice of the seed, from proposal to certificates, on the real broker and store.

A trainer proposes, a curator asks for changes, rehearses and approves; 16 people apply for a
7-seat cohort and 9 wait; one enrolled person withdraws and the first waiting is promoted once;
the waitlist yields a second stream the curator accepts; the weeks pass (the enrolment process is
restarted with its dev-mode clock ahead), sessions run with attendance, homework and feedback;
completion is decided and certificates produced.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.contracts import enrolment as contracts
from tests.support.kafka import eventually, header, read_topic
from tests.support.platform import Platform

TRAINER, CURATOR = "tom-trainer", "irina-curator"
PEOPLE = [f"learner-{number:02d}" for number in range(1, 17)]


async def expect(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, f"{answer.request.method} {answer.request.url}: {answer.text}"
    return answer.json() if answer.headers.get("content-type", "").startswith("application/json") else answer


async def test_a_course_from_proposal_to_certificates(platform: Platform) -> None:
    enrolment = platform.url("enrolment")
    trainer, curator = platform.headers(TRAINER, "trainer"), platform.headers(CURATOR, "curator")
    async with httpx.AsyncClient(timeout=20) as client:
        # --- the trainer proposes; the curator asks for a change, rehearses, approves ---------------------
        description = "Теория и практика: сценарии, шаги, отчёты"
        proposal: dict[str, Any] = {
            "title_ru": "Автотесты: Vanessa Automation",
            "title_en": "Automated tests for 1C",
            "description": description,
            "competencies": ["1c", "testing"],
            "language": "ru",
            "sessions": 3,
            "weekly_effort_hours": 3,
            "availability": [{"weekday": 2, "local_time": "15:00", "time_zone": "Europe/Moscow"}],
            "rules": {"capacity": 7, "withdrawal_until_session": 1, "min_attendance": 0.6, "min_homework": 1.0},
        }
        course = await expect(await client.post(f"{enrolment}/courses", json=proposal, headers=trainer), 201)
        course_id = course["id"]
        assert course["status"] == "proposed"
        review = {"verdict": "changes_requested", "comment": "Добавьте практику в каждое занятие"}
        await expect(await client.post(f"{enrolment}/courses/{course_id}/reviews", json=review, headers=curator))
        too_early = await client.post(
            f"{enrolment}/courses/{course_id}/applications",
            json={"person_id": PEOPLE[0]},
            headers=platform.headers(PEOPLE[0]),
        )
        assert too_early.status_code == 409  # not published yet
        revised = {**proposal, "description": description + "; практика в каждом занятии"}
        await expect(await client.put(f"{enrolment}/courses/{course_id}", json=revised, headers=trainer))
        rehearsal = {"starts_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}
        await expect(await client.post(f"{enrolment}/courses/{course_id}/rehearsal", json=rehearsal, headers=curator))
        not_a_curator = await client.post(
            f"{enrolment}/courses/{course_id}/reviews", json={"verdict": "approved"}, headers=trainer
        )
        assert not_a_curator.status_code == 403
        approved = await expect(
            await client.post(f"{enrolment}/courses/{course_id}/reviews", json={"verdict": "approved"}, headers=curator)
        )
        assert approved["status"] == "approved"
        start = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
        slot = {"weekday": 2, "local_time": "15:00", "time_zone": "Europe/Moscow", "start_date": start}
        opened = await expect(
            await client.post(f"{enrolment}/courses/{course_id}/cohorts", json=slot, headers=trainer), 201
        )
        first_cohort = opened["cohorts"][0]["id"]

        # --- 16 apply for 7 seats: 7 enrolled, 9 wait, a second stream is proposed -------------------------
        statuses = {}
        for number, person in enumerate(PEOPLE):
            body = {
                "person_id": person,
                "motivation": "Хочу писать автотесты",
                "level": ["beginner", "intermediate", "advanced"][number % 3],
            }
            applied = await expect(
                await client.post(
                    f"{enrolment}/courses/{course_id}/applications", json=body, headers=platform.headers(person)
                ),
                201,
            )
            statuses[person] = (applied["status"], applied["waitlist_position"])
        assert [statuses[p] for p in PEOPLE[:7]] == [("enrolled", None)] * 7
        assert [statuses[p] for p in PEOPLE[7:]] == [("waitlisted", n) for n in range(1, 10)]
        catalogue = await expect(await client.get(f"{enrolment}/courses", params={"q": "vanessa"}, headers=trainer))
        assert [(c["id"], c["catalogue_status"]) for c in catalogue["items"]] == [(course_id, "waitlist_only")]

        # --- one withdraws; the first waiting is offered the seat, confirms, and is promoted once ------------
        leaver, first_waiting = PEOPLE[2], PEOPLE[7]
        await expect(
            await client.post(
                f"{enrolment}/courses/{course_id}/applications/{leaver}/withdrawal", headers=platform.headers(leaver)
            )
        )
        twice = await client.post(
            f"{enrolment}/courses/{course_id}/applications/{leaver}/withdrawal", headers=platform.headers(leaver)
        )
        assert twice.status_code == 409
        offered = await expect(
            await client.get(
                f"{enrolment}/courses/{course_id}/applications/{first_waiting}", headers=platform.headers(first_waiting)
            )
        )
        assert offered["status"] == "offered"
        confirm = f"{enrolment}/courses/{course_id}/applications/{first_waiting}/offer/confirmation"
        confirmed = await expect(await client.post(confirm, headers=platform.headers(first_waiting)))
        assert (confirmed["status"], confirmed["cohort_id"]) == ("enrolled", first_cohort)
        assert (await client.post(confirm, headers=platform.headers(first_waiting))).status_code == 409

        # --- the curator accepts the stream proposed from the waitlist --------------------------------------
        stream = await expect(await client.get(f"{enrolment}/courses/{course_id}/stream-proposal", headers=curator))
        assert stream["open"] and len(stream["member_ids"]) == 7
        assert first_waiting not in stream["member_ids"]  # promoted meanwhile: not proposed twice
        decided = await expect(
            await client.post(
                f"{enrolment}/courses/{course_id}/stream-proposals/{stream['proposal_id']}/decision",
                json={"accept": True},
                headers=curator,
            )
        )
        assert [c["enrolled"] for c in decided["cohorts"]] == [7, 7]
        assert decided["waitlist_length"] == 1
        members = [p for p in PEOPLE[:7] if p != leaver] + [first_waiting]

    # --- the weeks pass: the enrolment service's clock runs 30 days ahead ------------------------------------
    platform.restart("enrolment", OWLERY_ENROLMENT_CLOCK_SHIFT_HOURS=str(30 * 24)).wait_ready()
    cohort = f"{enrolment}/courses/{course_id}/cohorts/{first_cohort}"
    async with httpx.AsyncClient(timeout=20) as client:
        attendance = {person: ["present", "present", "absent"] for person in members}
        attendance[members[0]] = ["absent", "absent", "present"]  # 1 of 3: below the 60 % rule
        for person, marks in attendance.items():
            for number, status in enumerate(marks, start=1):
                await expect(
                    await client.put(
                        f"{cohort}/sessions/{number}/attendance/{person}", json={"status": status}, headers=trainer
                    )
                )
        outsider = await client.put(
            f"{cohort}/sessions/1/attendance/{members[1]}", json={"status": "absent"}, headers=curator
        )
        assert outsider.status_code == 403  # only the cohort's trainer marks attendance
        first_session = datetime.fromisoformat(decided["cohorts"][0]["session_starts"][0])
        homework = {
            "session_number": 1,
            "text": "Напишите сценарий",
            "due_at": (first_session + timedelta(days=6)).isoformat(),
        }
        assigned = await expect(await client.post(f"{cohort}/homework", json=homework, headers=trainer), 201)
        homework_path = f"{cohort}/homework/{assigned['homework_id']}"
        for person in members[:-1]:  # the last one never hands it in
            submission = {"text": "Сценарий готов", "links": ["https://git.example/tests"]}
            await expect(
                await client.post(f"{homework_path}/submissions", json=submission, headers=platform.headers(person)),
                201,
            )
            await expect(
                await client.post(
                    f"{homework_path}/submissions/{person}/review", json={"outcome": "accepted"}, headers=trainer
                )
            )
        for person in members[:4]:
            await expect(
                await client.post(
                    f"{cohort}/sessions/1/feedback", json={"rating": 5}, headers=platform.headers(person)
                ),
                201,
            )
        view = await expect(await client.get(f"{cohort}/run", headers=trainer))
        assert view["view"] == "trainer"

        decisions = (await expect(await client.post(f"{cohort}/completion", headers=trainer)))["decisions"]
        outcome = {d["person_id"]: d["completed"] for d in decisions}
        # members[0] attended too little, members[-1] missed the homework; everyone else completed.
        assert outcome == {person: person not in (members[0], members[-1]) for person in members}
        graduate = members[1]
        number = next(d["certificate_number"] for d in decisions if d["person_id"] == graduate)
        certificate = await expect(
            await client.get(f"{enrolment}/certificates/{number}", headers=platform.headers(graduate))
        )
        assert certificate["course_id"] == course_id
        pdf = await client.get(f"{enrolment}/certificates/{number}.pdf", headers=platform.headers(graduate))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        stranger = await client.get(f"{enrolment}/certificates/{number}.pdf", headers=platform.headers(members[2]))
        assert stranger.status_code == 403

    # --- everything above is in the event log other services read ---------------------------------------------
    def about_course(records: list[Any]) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for record in records:
            data = json.loads(record.value)
            if data.get("course_id") == course_id:
                found.append((str(header(record, "ce_type")), data))
        return found

    topic = platform.topic_prefix + contracts.TOPIC
    events = about_course(
        await eventually(
            lambda: read_topic(platform.servers.kafka_bootstrap, topic, at_least=1, settle=1),
            lambda records: any(header(r, "ce_type") == contracts.CohortFinishedV1.ce_type for r in records),
            timeout=30,
        )
    )
    types = [ce_type for ce_type, _ in events]
    assert types.count(contracts.CoursePublishedV1.ce_type) == 1
    assert types.count(contracts.SeatOfferedV1.ce_type) == 1
    promoted = [
        d for t, d in events if t == contracts.ApplicationEnrolledV1.ce_type and d["person_id"] == first_waiting
    ]
    assert len(promoted) == 1 and promoted[0]["promoted"] is True
    assert types.count(contracts.StreamProposedV1.ce_type) == 1
    assert types.count(contracts.CohortScheduledV1.ce_type) == 2
    assert types.count(contracts.CompletionDecidedV1.ce_type) == 7
    assert types.count(contracts.CohortFinishedV1.ce_type) == 1
