"""A whole cohort run over HTTP, on the real MongoDB-wire server: seven members, four weekly sessions.

The app has only the cohort router behind its own gate (tokens from a test issuer); the runs are a
real `MongoCohortRuns` built the way the service builds it, on a database of the test's own.
"""

import io
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pypdf
import pytest
from fastapi import FastAPI

from enrolment.adapters.cohort_runs import OUTBOX_COLLECTION, PUBLISHES, MongoCohortRuns, build
from enrolment.config import EnrolmentSettings
from enrolment.domain.cohort_run import Roster
from enrolment.entrypoints.cohorts_http import COHORT_POLICY, cohort_ownership_rules, cohort_router
from enrolment.tests.fakes import FakeRosters
from shared.auth.http import Gatekeeper
from shared.auth.policy import Guardrails
from shared.auth.testing import TestIssuer
from shared.auth.tokens import KeySet, TokenRules, TokenVerifier, static_key_fetcher
from shared.contracts import directory
from shared.contracts.base import contract_for
from shared.http import prepare_app
from shared.persistence.people import DirectoryCopy
from shared.persistence.versioned import PENDING
from shared.runtime import ServiceRuntime
from tests.support.infra import Servers, unique

pytestmark = pytest.mark.infra

NOW = datetime.now(UTC).replace(microsecond=0)
WEEK = timedelta(weeks=1)


@dataclass
class Cohort:
    client: httpx.AsyncClient
    issuer: TestIssuer
    runs: MongoCohortRuns
    rosters: FakeRosters
    people: DirectoryCopy
    runtime: ServiceRuntime
    roster: Roster

    @property
    def base(self) -> str:
        return f"/courses/{self.roster.course_id}/cohorts/{self.roster.cohort_id}"

    def as_(self, person_id: str, *roles: str) -> dict[str, str]:
        return self.issuer.headers(person_id, *roles)

    async def call(self, method: str, path: str, who: dict[str, str], json: Any = None) -> httpx.Response:
        return await self.client.request(method, self.base + path, headers=who, json=json)


@pytest.fixture
async def cohort(servers: Servers, unique_name: str) -> AsyncIterator[Cohort]:
    settings = EnrolmentSettings(
        kafka_bootstrap_servers=servers.kafka_bootstrap,
        mongodb_url=servers.mongodb_url,
        mongodb_database=f"owlery_cohorts_{unique_name}",
        topic_prefix=f"{unique_name}.",
        consumer_group=f"cohorts_{unique_name}",
    )
    # Never started: the relay stays asleep, so the outbox entries stay pending for the test to read.
    runtime = ServiceRuntime(settings, name="enrolment", publishes=PUBLISHES, outbox_collections=[OUTBOX_COLLECTION])
    runs = build(runtime)
    await runs.ensure_indexes()
    people = DirectoryCopy(runtime.database, fields=("display_name", "locale"))
    rosters = FakeRosters()
    roster = Roster(
        course_id=unique("course"),
        cohort_id=unique("cohort"),
        course_title="Python для аналитиков",
        trainer_id=unique("tina"),
        members=tuple(unique(f"m{n}") for n in range(1, 8)),
        session_starts=tuple(NOW - (4 - n) * WEEK - timedelta(hours=1) for n in range(4)),  # all four started
        peer_review=True,
        anonymous_feedback=True,
        min_attendance=0.8,
        min_homework=0.7,
        hours_per_session=2.0,
        trains_trainers=False,
    )
    rosters.put(roster)
    issuer = TestIssuer()
    verifier = TokenVerifier(
        TokenRules(issuer=issuer.signer.issuer, audience="owlery"), KeySet(static_key_fetcher(issuer.signer.jwks()))
    )
    gatekeeper = Gatekeeper(Guardrails(COHORT_POLICY, cohort_ownership_rules(runs, rosters)), verifier)
    app = prepare_app(FastAPI(), gatekeeper)
    app.include_router(cohort_router(runs, rosters, people))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://enrolment") as client:
            yield Cohort(client, issuer, runs, rosters, people, runtime, roster)
    finally:
        await runtime.client.drop_database(settings.mongodb_database)
        await runtime.client.close()


async def test_a_cohort_runs_from_first_session_to_certificates(cohort: Cohort) -> None:
    roster = cohort.roster
    trainer = cohort.as_(roster.trainer_id)
    m1, m2, m3, m4, m5, m6, m7 = roster.members
    member = {person: cohort.as_(person) for person in roster.members}
    await cohort.people.apply_upsert(
        directory.PersonUpsertedV1(
            person_id=m1,
            user_name=m1,
            display_name="Алиса Лидделл",
            email="alice@example.com",
            department="Data",
            locale="ru",
            time_zone="Europe/Moscow",
            active=True,
            version=1,
        )
    )

    # --- the trainer edits a session; nobody else may ---------------------------------------------------
    edit = {"room_url": "https://meet.example.com/owl", "materials": ["https://slides.example.com/4"]}
    answer = await cohort.call("PATCH", "/sessions/4", trainer, edit)
    assert answer.status_code == 200, answer.text
    assert answer.json()["room_url"] == "https://meet.example.com/owl"
    answer = await cohort.call("PATCH", "/sessions/4", trainer, {"recording_url": "https://rec.example.com/4"})
    assert answer.status_code == 200, answer.text
    assert (await cohort.call("PATCH", "/sessions/4", member[m1], edit)).status_code == 403
    answer = await cohort.call("PATCH", "/sessions/4", trainer, {"room": "x"})
    assert answer.status_code == 422  # extra="forbid"
    answer = await cohort.call("PATCH", "/sessions/1", trainer, {"starts_at": (NOW + WEEK).isoformat()})
    assert answer.status_code == 409, answer.text  # it already took place
    unknown = await cohort.client.patch(
        f"/courses/{roster.course_id}/cohorts/nope/sessions/1", headers=trainer, json=edit
    )
    assert unknown.status_code == 404

    # --- attendance: only the trainer marks it ---------------------------------------------------------
    marks = {person: ["present"] * 4 for person in roster.members}
    marks[m6] = ["present", "excused", "present", "present"]  # 3 of 3 counted
    marks[m7] = ["present", "absent", "absent", "present"]  # 2 of 4: below 0.8
    for person, statuses in marks.items():
        for number, status in enumerate(statuses, start=1):
            answer = await cohort.call("PUT", f"/sessions/{number}/attendance/{person}", trainer, {"status": status})
            assert answer.status_code == 200, answer.text
    curator = cohort.as_(unique("curt"), "curator")
    assert (await cohort.call("PUT", f"/sessions/1/attendance/{m1}", curator, {"status": "absent"})).status_code == 403
    assert (
        await cohort.call("PUT", f"/sessions/1/attendance/{m1}", member[m2], {"status": "absent"})
    ).status_code == 403
    answer = await cohort.call("PUT", "/sessions/1/attendance/stranger", trainer, {"status": "present"})
    assert answer.status_code == 422 and answer.json()["field"] == "person_id"

    # --- homework: the first is long overdue, the other three are due next week ------------------------
    first_due = roster.session_starts[0] + timedelta(days=3)
    answer = await cohort.call(
        "POST", "/homework", trainer, {"session_number": 2, "text": "x", "due_at": roster.session_starts[0].isoformat()}
    )
    assert answer.status_code == 422 and answer.json()["field"] == "due_at"
    for number in range(1, 5):
        due_at = first_due if number == 1 else NOW + WEEK
        body = {"session_number": number, "text": f"Exercise {number}", "due_at": due_at.isoformat()}
        answer = await cohort.call("POST", "/homework", trainer, body)
        assert answer.status_code == 201, answer.text
        assert answer.json()["homework_id"] == f"hw-{number}"
    assert (await cohort.call("POST", "/homework", member[m1], body)).status_code == 403

    async def submit(person: str, homework_id: str, text: str = "done") -> httpx.Response:
        body = {"text": text, "links": [f"https://git.example.com/{person}"]}
        return await cohort.call("POST", f"/homework/{homework_id}/submissions", member[person], body)

    async def review(person: str, homework_id: str, outcome: str, comment: str | None = None) -> httpx.Response:
        path = f"/homework/{homework_id}/submissions/{person}/review"
        return await cohort.call("POST", path, trainer, {"outcome": outcome, "comment": comment})

    for person in roster.members:
        for number in range(1, 5):
            if person == m6 and number > 2:
                continue  # m6 hands in two of four: a homework rate of 0.5
            answer = await submit(person, f"hw-{number}")
            assert answer.status_code == 201, answer.text
            assert answer.json()["late"] is (number == 1)
            outcome = "returned" if (person, number) == (m5, 2) else "accepted"
            answer = await review(person, f"hw-{number}", outcome, "Add a test" if outcome == "returned" else None)
            assert answer.status_code == 200, answer.text
    again = await submit(m5, "hw-2", "done, with a test")
    assert again.status_code == 201 and again.json()["attempt"] == 2
    assert (await review(m5, "hw-2", "accepted")).status_code == 200
    assert (await submit(m1, "hw-1")).status_code == 409  # already accepted
    assert (await review(m1, "hw-1", "accepted")).status_code == 409

    # peer review is on: members comment on each other's work, strangers may not
    comments = f"/homework/hw-1/submissions/{m1}/comments"
    assert (await cohort.call("POST", comments, member[m2], {"text": "Neat idea"})).status_code == 201
    assert (await cohort.call("POST", comments, trainer, {"text": "Agreed"})).status_code == 201
    assert (await cohort.call("POST", comments, cohort.as_(unique("x")), {"text": "Hi"})).status_code == 403

    # --- feedback: once per member and session; anonymous to the trainer -------------------------------
    for rating, person in zip((5, 4, 5, 3, 4, 5, 2), roster.members, strict=True):
        body = {"rating": rating, "comment": "Слишком быстро" if person == m7 else None}
        answer = await cohort.call("POST", "/sessions/1/feedback", member[person], body)
        assert answer.status_code == 201, answer.text
    assert (await cohort.call("POST", "/sessions/1/feedback", member[m1], {"rating": 1})).status_code == 409
    answer = await cohort.call("POST", "/sessions/2/feedback", member[m1], {"rating": 9})
    assert answer.status_code == 422

    view = (await cohort.call("GET", "/run", trainer)).json()
    assert view["view"] == "trainer"
    assert view["attendance"][m7] == {"1": "present", "2": "absent", "3": "absent", "4": "present"}
    hw1, hw3 = view["homework"][0], view["homework"][2]
    assert (hw1["late"], hw1["submitted"], hw1["missing"]) == (7, 0, 0)
    assert (hw3["submitted"], hw3["missing"]) == (6, 1)
    first = view["feedback"][0]
    assert first["responses"] == 7 and first["average"] == pytest.approx(28 / 7)
    assert first["comments"] == [{"rating": 2, "comment": "Слишком быстро", "author_id": None}]
    assert (await cohort.call("GET", "/run", curator)).json()["view"] == "trainer"
    assert (await cohort.call("GET", "/run", cohort.as_(unique("x")))).status_code == 403

    # --- completion: the trainer (or a curator) decides, once ------------------------------------------
    assert (await cohort.call("POST", "/completion", member[m1])).status_code == 403
    answer = await cohort.call("POST", "/completion", trainer)
    assert answer.status_code == 200, answer.text
    decisions = {d["person_id"]: d for d in answer.json()["decisions"]}
    assert {p for p, d in decisions.items() if d["completed"]} == {m1, m2, m3, m4, m5}
    assert (decisions[m6]["homework_rate"], decisions[m7]["attendance_rate"]) == (0.5, 0.5)
    _, version = await cohort.runs.get(roster.cohort_id) or (None, 0)
    again = await cohort.call("POST", "/completion", curator)
    assert again.status_code == 200 and again.json() == answer.json()
    assert (await cohort.runs.get(roster.cohort_id) or (None, 0))[1] == version  # nothing new was written
    assert (await submit(m6, "hw-3")).status_code == 409  # the cohort has finished

    own = (await cohort.call("GET", "/run", member[m1])).json()
    assert own["view"] == "participant"
    number = own["certificate_number"]
    assert number == decisions[m1]["certificate_number"]

    # --- certificates: the owner's, or HR's --------------------------------------------------------------
    answer = await cohort.client.get(f"/certificates/{number}", headers=member[m1])
    assert answer.status_code == 200, answer.text
    certificate = answer.json()
    assert certificate["display_name"] == "Алиса Лидделл"
    assert (certificate["hours"], certificate["course_title"]) == (8.0, "Python для аналитиков")
    assert (await cohort.client.get(f"/certificates/{number}", headers=member[m2])).status_code == 403
    hr = cohort.as_(unique("hr"), "hr_admin")
    assert (await cohort.client.get(f"/certificates/{number}", headers=hr)).status_code == 200
    assert (await cohort.client.get("/certificates/OWL-2000-NOPE-0", headers=hr)).status_code == 404

    pdf = await cohort.client.get(f"/certificates/{number}.pdf", headers=member[m1])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert number in text and "Алиса Лидделл" in text and "Python для аналитиков" in text
    assert "Сертификат" in text and "8 ч." in text  # her locale is Russian
    english = await cohort.client.get(f"/certificates/{number}.pdf?locale=en", headers=member[m1])
    assert "Certificate No. " + number in pypdf.PdfReader(io.BytesIO(english.content)).pages[0].extract_text()
    assert (await cohort.client.get(f"/certificates/{number}.pdf", headers=member[m2])).status_code == 403

    # --- the commits are the outbox: every event there is a valid contract, pending for the relay -------
    commits = await cohort.runtime.database[OUTBOX_COLLECTION].find({"aggregate_id": roster.cohort_id}).to_list()
    events = [event for commit in commits for event in commit["events"]]
    assert all(commit["outbox_state"] == PENDING for commit in commits if commit["events"])
    for event in events:
        contract = contract_for(event["type"])
        assert contract is not None and contract in PUBLISHES
        contract.model_validate(event["data"])
        assert event["key"] == roster.cohort_id and event["source"] == "/owlery/enrolment"
    kinds = Counter(event["type"].removeprefix("com.owlery.enrolment.") for event in events)
    assert kinds == {
        "session.updated.v1": 3,
        "attendance.marked.v1": 28,
        "homework.assigned.v1": 4,
        "homework.submitted.v1": 27,
        "homework.reviewed.v1": 27,
        "session.feedback_given.v1": 7,
        "completion.decided.v1": 7,
        "cohort.finished.v1": 1,
    }
    finished = next(e["data"] for e in events if e["type"].endswith("cohort.finished.v1"))
    assert (finished["participants"], finished["completed"], finished["average_rating"]) == (7, 5, 4.0)
    feedback = [e["data"] for e in events if e["type"].endswith("feedback_given.v1")]
    assert all("rating" not in data for data in feedback)
