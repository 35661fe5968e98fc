"""Who may call which enrolment endpoint, checked route by route against the real servers."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from enrolment.bootstrap import bootstrap
from enrolment.config import EnrolmentSettings
from enrolment.entrypoints.http import create_app
from enrolment.service import trainers
from shared.auth.testing import Call, Example, TestIssuer, about, authorization_matrix
from shared.contracts.directory import PersonUpsertedV1
from shared.persistence.mongo import connect
from tests.support.infra import Servers, isolated

MISSING = "/courses/does-not-exist"


def course_body(capacity: int = 7, manager_approval: bool = False) -> dict[str, Any]:
    return {
        "title_ru": "Автотесты на 1С",  # noqa: RUF001
        "sessions": 3,
        "weekly_effort_hours": 2,
        "rules": {"capacity": capacity, "manager_approval": manager_approval},
    }


def cohort_body(now: datetime) -> dict[str, Any]:
    start = (now + timedelta(days=14)).date().isoformat()
    return {"weekday": 2, "local_time": "15:00", "time_zone": "Europe/Moscow", "start_date": start}


@pytest.mark.infra
async def test_authorisation_matrix(servers: Servers) -> None:
    settings = isolated(EnrolmentSettings, servers, "enrolment", master_class_approval=True)
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    # The service's clock, moved on by examples that need a cohort's sessions to have taken place.
    now = [datetime.now(UTC)]
    service.clock = lambda: now[0]
    app = create_app(service)
    curator, hr = issuer.headers("setup-curator", "curator"), issuer.headers("setup-hr", "hr_admin")

    async def call(method: str, path: str, headers: dict[str, str], json: Any = None) -> dict[str, Any]:
        answer = await client.request(method, path, json=json, headers=headers)
        assert answer.status_code in (200, 201), answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def proposed(trainer: str = "setup-trainer", **rules: Any) -> str:
        body = await call("POST", "/courses", issuer.headers(trainer, "trainer"), course_body(**rules))
        return str(body["id"])

    async def published(trainer: str = "setup-trainer", cohort: bool = True, **rules: Any) -> str:
        course_id = await proposed(trainer, **rules)
        await call("POST", f"/courses/{course_id}/reviews", curator, {"verdict": "approved"})
        if cohort:
            await call("POST", f"/courses/{course_id}/cohorts", curator, cohort_body(now[0]))
        return course_id

    async def apply(course_id: str, person: str) -> dict[str, Any]:
        return await call("POST", f"/courses/{course_id}/applications", hr, {"person_id": person})

    async def own_proposal(owner: str) -> Call:
        return Call("GET", f"/courses/{await proposed(owner)}", owner_roles=("trainer",), missing_path=MISSING)

    async def revise(owner: str) -> Call:
        path = f"/courses/{await proposed(owner)}"
        return Call("PUT", path, course_body(), owner_roles=("trainer",), missing_path=MISSING)

    async def review(owner: str) -> Call:
        body = {"verdict": "comment", "comment": "Add a practice session"}
        return Call("POST", f"/courses/{await proposed()}/reviews", body, missing_path=f"{MISSING}/reviews")

    async def rehearsal(owner: str) -> Call:
        body = {"starts_at": (now[0] + timedelta(days=3)).isoformat()}
        return Call("POST", f"/courses/{await proposed()}/rehearsal", body)

    async def add_cohort(owner: str) -> Call:
        path = f"/courses/{await published(owner, cohort=False)}/cohorts"
        return Call("POST", path, cohort_body(now[0]), owner_roles=("trainer",), missing_path=f"{MISSING}/cohorts")

    async def new_application(owner: str) -> Call:
        path = f"/courses/{await published()}/applications"
        return Call("POST", path, {"person_id": owner}, missing_path=f"{MISSING}/applications")

    async def see_application(owner: str) -> Call:
        course_id = await published()
        await apply(course_id, owner)
        return Call("GET", f"/courses/{course_id}/applications/{owner}", missing_path=f"{MISSING}/applications/{owner}")

    async def my_applications(owner: str) -> Call:
        await apply(await published(), owner)
        return Call("GET", f"/people/{owner}/applications")

    async def withdraw(owner: str) -> Call:
        course_id = await published()
        await apply(course_id, owner)
        return Call("POST", f"/courses/{course_id}/applications/{owner}/withdrawal")

    async def confirm(owner: str) -> Call:
        course_id = await published(capacity=2)
        for person in ("seated-1", "seated-2", owner):
            await apply(course_id, person)
        await call("POST", f"/courses/{course_id}/applications/seated-1/withdrawal", hr)  # owner is offered the seat
        return Call("POST", f"/courses/{course_id}/applications/{owner}/offer/confirmation")

    async def manager_decision(owner: str) -> Call:
        report = f"report-of-{owner}"
        await service.people.apply_upsert(
            PersonUpsertedV1(
                person_id=report,
                user_name=f"{report}@corp",
                display_name="Report",
                email=f"{report}@corp.test",
                manager_id=owner,
                locale="ru",
                time_zone="Europe/Moscow",
                active=True,
                version=1,
            )
        )
        course_id = await published(manager_approval=True)
        await apply(course_id, report)
        return Call("POST", f"/courses/{course_id}/applications/{report}/manager-decision", {"approve": True})

    async def with_proposal() -> tuple[str, str]:
        course_id = await published(capacity=2)
        for person in ("w-1", "w-2", "w-3", "w-4"):
            await apply(course_id, person)
        proposal = await call("GET", f"/courses/{course_id}/stream-proposal", curator)
        return course_id, str(proposal["proposal_id"])

    async def stream_proposal(owner: str) -> Call:
        course_id, _ = await with_proposal()
        return Call("GET", f"/courses/{course_id}/stream-proposal")

    async def decide_stream(owner: str) -> Call:
        course_id, proposal_id = await with_proposal()
        return Call("POST", f"/courses/{course_id}/stream-proposals/{proposal_id}/decision", {"accept": False})

    async def ran(trainer: str = "setup-trainer", members: tuple[str, ...] = ("m-1",)) -> tuple[str, datetime]:
        """A cohort whose three sessions have all taken place: the cohort's path and its first session."""
        course_id = await published(trainer, cohort=False)
        course = await call("POST", f"/courses/{course_id}/cohorts", curator, cohort_body(now[0]))
        cohort = course["cohorts"][-1]
        for member in members:
            await apply(course_id, member)
        now[0] += timedelta(days=40)
        return f"/courses/{course_id}/cohorts/{cohort['id']}", datetime.fromisoformat(cohort["session_starts"][0])

    def homework_body(first_session: datetime) -> dict[str, Any]:
        return {
            "session_number": 1,
            "text": "Write one test",
            "due_at": (first_session + timedelta(days=6)).isoformat(),
        }

    setup_trainer = issuer.headers("setup-trainer", "trainer")

    async def with_submission(owner: str, trainer: str = "setup-trainer") -> str:
        cohort, first = await ran(trainer)
        await call("POST", f"{cohort}/homework", issuer.headers(trainer, "trainer"), homework_body(first))
        await call("POST", f"{cohort}/homework/hw-1/submissions", issuer.headers("m-1"), {"text": "done"})
        return cohort

    async def run_view(owner: str) -> Call:
        cohort, _ = await ran(owner)
        return Call("GET", f"{cohort}/run", missing_path=f"{MISSING}/cohorts/none/run")

    async def edit_session(owner: str) -> Call:
        cohort, _ = await ran(owner)
        return Call("PATCH", f"{cohort}/sessions/1", {"recording_url": "https://video.example/1"})

    async def attendance(owner: str) -> Call:
        cohort, _ = await ran(owner)
        return Call("PUT", f"{cohort}/sessions/1/attendance/m-1", {"status": "present"})

    async def feedback(owner: str) -> Call:
        cohort, _ = await ran(members=(owner,))
        return Call("POST", f"{cohort}/sessions/1/feedback", {"rating": 5})

    async def assign(owner: str) -> Call:
        cohort, first = await ran(owner)
        return Call("POST", f"{cohort}/homework", homework_body(first))

    async def submit(owner: str) -> Call:
        cohort, first = await ran(members=(owner,))
        await call("POST", f"{cohort}/homework", setup_trainer, homework_body(first))
        return Call("POST", f"{cohort}/homework/hw-1/submissions", {"text": "my answer"})

    async def comment(owner: str) -> Call:
        cohort = await with_submission(owner, trainer=owner)
        return Call("POST", f"{cohort}/homework/hw-1/submissions/m-1/comments", {"text": "Good start"})

    async def review_homework(owner: str) -> Call:
        cohort = await with_submission(owner, trainer=owner)
        return Call("POST", f"{cohort}/homework/hw-1/submissions/m-1/review", {"outcome": "accepted"})

    async def completion(owner: str) -> Call:
        cohort, _ = await ran(owner)
        return Call("POST", f"{cohort}/completion")

    async def certificate_number(owner: str) -> str:
        cohort, _ = await ran(members=(owner,))
        for number in (1, 2, 3):
            await call("PUT", f"{cohort}/sessions/{number}/attendance/{owner}", setup_trainer, {"status": "present"})
        decided = await call("POST", f"{cohort}/completion", setup_trainer)
        return str(decided["decisions"][0]["certificate_number"])

    async def certificate(owner: str) -> Call:
        number = await certificate_number(owner)
        return Call("GET", f"/certificates/{number}", missing_path="/certificates/OWL-2026-none-none")

    async def certificate_pdf(owner: str) -> Call:
        number = await certificate_number(owner)
        return Call("GET", f"/certificates/{number}.pdf", missing_path="/certificates/OWL-2026-none-none.pdf")

    def master_class_body() -> dict[str, Any]:
        return {
            "title": "SQL window functions",
            "language": "en",
            "starts_at": (now[0] + timedelta(hours=1)).isoformat(),
            "duration_minutes": 60,
            "capacity": 5,
        }

    async def master_class(host: str = "setup-host", approved: bool = True, members: tuple[str, ...] = ()) -> str:
        """A master class hosted by `host` (published unless `approved` is False) with `members` registered."""
        created = await call("POST", "/master-classes", issuer.headers(host), master_class_body())
        path = f"/master-classes/{created['id']}"
        if approved:
            await call("POST", f"{path}/approval", curator)
        for member in members:
            await call("POST", f"{path}/registrations", issuer.headers(member))
        return path

    async def held_master_class(host: str = "setup-host", members: tuple[str, ...] = ("mc-member",)) -> str:
        path = await master_class(host, members=members)
        now[0] += timedelta(hours=2)  # the session took place
        await call("POST", f"{path}/held", issuer.headers(host))
        return path

    missing_master_class = "/master-classes/mc-none"

    async def propose_master_class(owner: str) -> Call:
        return Call("POST", "/master-classes", master_class_body())  # its start is an hour from the clock now

    async def see_master_class(owner: str) -> Call:
        return Call("GET", await master_class(owner, approved=False), missing_path=missing_master_class)

    async def approve_master_class(owner: str) -> Call:
        path = await master_class(approved=False)
        return Call("POST", f"{path}/approval", missing_path=f"{missing_master_class}/approval")

    async def register_master_class(owner: str) -> Call:
        path = await master_class()
        return Call("POST", f"{path}/registrations", missing_path=f"{missing_master_class}/registrations")

    async def withdraw_master_class(owner: str) -> Call:
        path = await master_class(members=(owner,))
        missing = f"{missing_master_class}/registrations/{owner}"
        return Call("DELETE", f"{path}/registrations/{owner}", missing_path=missing)

    async def mark_held(owner: str) -> Call:
        path = await master_class(owner, members=("mc-member",))
        now[0] += timedelta(hours=2)
        return Call("POST", f"{path}/held", missing_path=f"{missing_master_class}/held")

    async def attach_recording(owner: str) -> Call:
        path = await held_master_class(owner)
        body = {"recording_url": "https://video.example.com/sql", "materials": []}
        return Call("POST", f"{path}/recording", body, missing_path=f"{missing_master_class}/recording")

    async def master_class_feedback(owner: str) -> Call:
        path = await held_master_class(members=(owner,))
        return Call("POST", f"{path}/feedback", {"score": 5}, missing_path=f"{missing_master_class}/feedback")

    # --- conferences ---------------------------------------------------------------------------------------
    def conference_body(chair: str = "setup-chair", members: tuple[str, ...] = ()) -> dict[str, Any]:
        first = (now[0] + timedelta(days=5)).date()
        return {
            "title": "Dev Days",
            "starts_on": first.isoformat(),
            "ends_on": first.isoformat(),
            "time_zone": "UTC",
            "tracks": ["main"],
            "rooms": [{"name": "Hall", "capacity": 10}],
            "committee_ids": [chair, *members],
            "chair_id": chair,
        }

    talk_idea = {"title": "Outbox", "abstract": "Once", "level": "beginner", "competencies": ["kafka"]}
    scores = {"scores": {"relevance": 4, "novelty": 4, "clarity": 4}}
    missing_conference = "/conferences/conf-none"

    async def conference(
        stage: str, chair: str = "setup-chair", members: tuple[str, ...] = (), speaker: str = "setup-speaker"
    ) -> tuple[str, str]:
        """A conference brought to `stage` (proposed, accepted, scheduled, published, held): path, proposal id."""
        chairing = issuer.headers(chair)
        path = f"/conferences/{(await call('POST', '/conferences', curator, conference_body(chair, members)))['id']}"
        proposal = (await call("POST", f"{path}/proposals", issuer.headers(speaker), talk_idea))["id"]
        if stage == "proposed":
            return path, proposal
        await call("POST", f"{path}/proposals/{proposal}/decision", chairing, {"accept": True, "message": "ok"})
        if stage == "accepted":
            return path, proposal
        starts = datetime.fromisoformat(conference_body()["starts_on"]).replace(hour=10, tzinfo=UTC)
        slot = {"track": "main", "room": "Hall", "starts_at": starts.isoformat(), "duration_minutes": 45}
        await call("PUT", f"{path}/proposals/{proposal}/slot", chairing, slot)
        if stage == "scheduled":
            return path, proposal
        await call("POST", f"{path}/programme", chairing)
        return path, proposal

    async def held_talk(speaker: str = "setup-speaker", attendee: str = "att-1") -> str:
        path, talk = await conference("published", speaker=speaker)
        await call("POST", f"{path}/talks/{talk}/registrations", issuer.headers(attendee))
        now[0] += timedelta(days=10)
        await call("POST", f"{path}/talks/{talk}/attendance", issuer.headers("setup-chair"), {"person_ids": [attendee]})
        return f"{path}/talks/{talk}"

    async def see_conference(owner: str) -> Call:
        path, _ = await conference("proposed")
        return Call("GET", path, missing_path=missing_conference)

    async def propose_talk(owner: str) -> Call:
        path, _ = await conference("proposed")
        return Call("POST", f"{path}/proposals", talk_idea, missing_path=f"{missing_conference}/proposals")

    async def score_proposal(owner: str) -> Call:
        path, proposal = await conference("proposed", members=(owner,))
        missing = f"{missing_conference}/proposals/p-1/scores"
        return Call("POST", f"{path}/proposals/{proposal}/scores", scores, missing_path=missing)

    async def read_scores(owner: str) -> Call:
        path, proposal = await conference("proposed", members=(owner,))
        await call("POST", f"{path}/proposals/{proposal}/scores", issuer.headers(owner), scores)
        missing = f"{missing_conference}/proposals/p-1/scores"
        return Call("GET", f"{path}/proposals/{proposal}/scores", missing_path=missing)

    async def decide_proposal(owner: str) -> Call:
        path, proposal = await conference("proposed", chair=owner)
        body = {"accept": False, "message": "Not this year"}
        missing = f"{missing_conference}/proposals/p-1/decision"
        return Call("POST", f"{path}/proposals/{proposal}/decision", body, missing_path=missing)

    async def place_talk(owner: str) -> Call:
        path, proposal = await conference("accepted", chair=owner)
        starts = datetime.fromisoformat(conference_body()["starts_on"]).replace(hour=12, tzinfo=UTC)
        slot = {"track": "main", "room": "Hall", "starts_at": starts.isoformat(), "duration_minutes": 30}
        missing = f"{missing_conference}/proposals/p-1/slot"
        return Call("PUT", f"{path}/proposals/{proposal}/slot", slot, missing_path=missing)

    async def publish_programme(owner: str) -> Call:
        path, _ = await conference("scheduled", chair=owner)
        return Call("POST", f"{path}/programme", missing_path=f"{missing_conference}/programme")

    async def register_talk(owner: str) -> Call:
        path, talk = await conference("published")
        missing = f"{missing_conference}/talks/p-1/registrations"
        return Call("POST", f"{path}/talks/{talk}/registrations", missing_path=missing)

    async def talk_attendance(owner: str) -> Call:
        path, talk = await conference("published", speaker=owner)
        await call("POST", f"{path}/talks/{talk}/registrations", issuer.headers("att-1"))
        now[0] += timedelta(days=10)
        missing = f"{missing_conference}/talks/p-1/attendance"
        return Call("POST", f"{path}/talks/{talk}/attendance", {"person_ids": ["att-1"]}, missing_path=missing)

    async def talk_feedback(owner: str) -> Call:
        talk = await held_talk(attendee=owner)
        return Call("POST", f"{talk}/feedback", {"score": 5}, missing_path=f"{missing_conference}/talks/p-1/feedback")

    async def talk_recording(owner: str) -> Call:
        talk = await held_talk(speaker=owner)
        body = {"recording_url": "https://video.example/t", "slides_url": "https://slides.example/t"}
        return Call("POST", f"{talk}/recording", body, missing_path=f"{missing_conference}/talks/p-1/recording")

    async def course_report(owner: str) -> Call:
        path = f"/reports/courses/{await published(owner)}"
        return Call("GET", path, owner_roles=("trainer",), missing_path="/reports/courses/does-not-exist")

    async def course_chart(owner: str) -> Call:
        path = f"/reports/courses/{await published(owner)}/charts/participation.png"
        missing = "/reports/courses/does-not-exist/charts/participation.png"
        return Call("GET", path, owner_roles=("trainer",), missing_path=missing)

    cohort_path = "/courses/{course_id}/cohorts/{cohort_id}"
    await trainers.course_published(
        trainers.CoursePublished("known-trainer", "c-1", "Excel", None, ("sql",), datetime.now(UTC), "setup"),
        service.trainers,
    )
    examples: dict[str, Example] = {
        "POST /courses": about("POST", "/courses", course_body()),
        "GET /courses": about("GET", "/courses?q=1c"),
        "GET /courses/proposals": about("GET", "/courses/proposals"),
        "GET /courses/{course_id}": own_proposal,
        "PUT /courses/{course_id}": revise,
        "POST /courses/{course_id}/reviews": review,
        "POST /courses/{course_id}/rehearsal": rehearsal,
        "POST /courses/{course_id}/cohorts": add_cohort,
        "POST /courses/{course_id}/applications": new_application,
        "GET /courses/{course_id}/applications/{person_id}": see_application,
        "POST /courses/{course_id}/applications/{person_id}/withdrawal": withdraw,
        "POST /courses/{course_id}/applications/{person_id}/offer/confirmation": confirm,
        "POST /courses/{course_id}/applications/{person_id}/manager-decision": manager_decision,
        "GET /people/{person_id}/applications": my_applications,
        "GET /courses/{course_id}/stream-proposal": stream_proposal,
        "GET /courses/stream-proposals": about("GET", "/courses/stream-proposals"),
        "POST /courses/{course_id}/stream-proposals/{proposal_id}/decision": decide_stream,
        "GET /trainers/{person_id}": about("GET", "/trainers/known-trainer"),
        f"GET {cohort_path}/run": run_view,
        f"PATCH {cohort_path}/sessions/{{number}}": edit_session,
        f"PUT {cohort_path}/sessions/{{number}}/attendance/{{person_id}}": attendance,
        f"POST {cohort_path}/sessions/{{number}}/feedback": feedback,
        f"POST {cohort_path}/homework": assign,
        f"POST {cohort_path}/homework/{{homework_id}}/submissions": submit,
        f"POST {cohort_path}/homework/{{homework_id}}/submissions/{{person_id}}/comments": comment,
        f"POST {cohort_path}/homework/{{homework_id}}/submissions/{{person_id}}/review": review_homework,
        f"POST {cohort_path}/completion": completion,
        "GET /certificates/{number}": certificate,
        "GET /certificates/{number}.pdf": certificate_pdf,
        "POST /master-classes": propose_master_class,
        "GET /master-classes": about("GET", "/master-classes"),
        "GET /master-classes/{master_class_id}": see_master_class,
        "POST /master-classes/{master_class_id}/approval": approve_master_class,
        "POST /master-classes/{master_class_id}/registrations": register_master_class,
        "DELETE /master-classes/{master_class_id}/registrations/{person_id}": withdraw_master_class,
        "POST /master-classes/{master_class_id}/held": mark_held,
        "POST /master-classes/{master_class_id}/recording": attach_recording,
        "POST /master-classes/{master_class_id}/feedback": master_class_feedback,
        "POST /conferences": about("POST", "/conferences", conference_body()),
        "GET /conferences": about("GET", "/conferences"),
        "GET /conferences/{conference_id}": see_conference,
        "POST /conferences/{conference_id}/proposals": propose_talk,
        "POST /conferences/{conference_id}/proposals/{proposal_id}/scores": score_proposal,
        "GET /conferences/{conference_id}/proposals/{proposal_id}/scores": read_scores,
        "POST /conferences/{conference_id}/proposals/{proposal_id}/decision": decide_proposal,
        "PUT /conferences/{conference_id}/proposals/{proposal_id}/slot": place_talk,
        "POST /conferences/{conference_id}/programme": publish_programme,
        "POST /conferences/{conference_id}/talks/{talk_id}/registrations": register_talk,
        "POST /conferences/{conference_id}/talks/{talk_id}/attendance": talk_attendance,
        "POST /conferences/{conference_id}/talks/{talk_id}/feedback": talk_feedback,
        "POST /conferences/{conference_id}/talks/{talk_id}/recording": talk_recording,
        "GET /reports/courses": about("GET", "/reports/courses"),
        "GET /reports/courses/{course_id}": course_report,
        "GET /reports/courses/{course_id}/charts/{chart}.{fmt}": course_chart,
        "GET /privacy/people/{person_id}": about("GET", "/privacy/people/{person}"),
        "GET /privacy/audit": about("GET", "/privacy/audit?subject_id={person}"),
        "GET /health/live": about("GET", "/health/live"),
        "GET /health/ready": about("GET", "/health/ready"),
    }
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://enrolment") as client,
        ):
            problems = await authorization_matrix(client, app, issuer, examples)
    finally:
        cleanup = connect(settings.mongodb_url)
        await cleanup.drop_database(settings.mongodb_database)
        await cleanup.close()
    assert problems == []
