"""HTTP API of a cohort's run: the trainer runs the sessions, members hand in homework and rate sessions.

Who may do what (`COHORT_POLICY`, rules from `cohort_ownership_rules`):

* the cohort's trainer edits sessions, marks attendance, assigns and reviews homework. Curators and
  admins do not: those records are the trainer's own judgement (and carry the trainer's id), so
  anyone else gets 403, as the issue asks for attendance.
* curators and admins may see the trainer's view of any run and decide completion (a curator closes
  a cohort whose trainer is away); the trainer decides it too.
* members (the roster as the course has it now) hand in their own homework and rate sessions; with
  peer review on, they comment on each other's submissions.
* a certificate is its owner's; HR admins see any.
"""

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from enrolment.adapters.certificates import render_certificate_pdf
from enrolment.domain.cohort_run import Certificate, Submission
from enrolment.service import cohort_runs as use
from enrolment.service.cohort_runs import Clock, CohortRuns, People, Rosters, utc_now
from shared.auth.http import caller
from shared.auth.policy import Access, OwnershipRule, RequestFacts, allow
from shared.auth.tokens import EMPLOYEE, Principal
from shared.errors import Invalid

COHORT = "/courses/{course_id}/cohorts/{cohort_id}"

TRAINER = "trainer of this cohort"
MEMBER = "member of this cohort"
TRAINER_OR_MEMBER = "trainer or member of this cohort"
REVIEWER = "trainer or peer reviewer of this cohort"
CERTIFICATE_OWNER = "owner of this certificate"

ACT_AS_TRAINER = ("curator", "admin")
"""Roles that see a trainer's view and may decide completion for any cohort."""

COHORT_POLICY: dict[str, Access] = {
    f"GET {COHORT}/run": allow(EMPLOYEE, owner=TRAINER_OR_MEMBER, unless=ACT_AS_TRAINER),
    f"PATCH {COHORT}/sessions/{{number}}": allow(EMPLOYEE, owner=TRAINER),
    f"PUT {COHORT}/sessions/{{number}}/attendance/{{person_id}}": allow(EMPLOYEE, owner=TRAINER),
    f"POST {COHORT}/sessions/{{number}}/feedback": allow(EMPLOYEE, owner=MEMBER),
    f"POST {COHORT}/homework": allow(EMPLOYEE, owner=TRAINER),
    f"POST {COHORT}/homework/{{homework_id}}/submissions": allow(EMPLOYEE, owner=MEMBER),
    f"POST {COHORT}/homework/{{homework_id}}/submissions/{{person_id}}/comments": allow(EMPLOYEE, owner=REVIEWER),
    f"POST {COHORT}/homework/{{homework_id}}/submissions/{{person_id}}/review": allow(EMPLOYEE, owner=TRAINER),
    f"POST {COHORT}/completion": allow(EMPLOYEE, owner=TRAINER, unless=ACT_AS_TRAINER),
    "GET /certificates/{number}": allow(EMPLOYEE, owner=CERTIFICATE_OWNER, unless=["hr_admin"]),
    "GET /certificates/{number}.pdf": allow(EMPLOYEE, owner=CERTIFICATE_OWNER, unless=["hr_admin"]),
}


def cohort_ownership_rules(runs: CohortRuns, rosters: Rosters) -> dict[str, OwnershipRule]:
    """The rules COHORT_POLICY names; each raises NotFound for an unknown course, cohort or certificate."""

    async def trainer(principal: Principal, facts: RequestFacts) -> bool:
        roster = await rosters.roster(facts.path["course_id"], facts.path["cohort_id"])
        return principal.person_id == roster.trainer_id

    async def member(principal: Principal, facts: RequestFacts) -> bool:
        roster = await rosters.roster(facts.path["course_id"], facts.path["cohort_id"])
        return principal.person_id in roster.members

    async def trainer_or_member(principal: Principal, facts: RequestFacts) -> bool:
        roster = await rosters.roster(facts.path["course_id"], facts.path["cohort_id"])
        return principal.person_id == roster.trainer_id or principal.person_id in roster.members

    async def reviewer(principal: Principal, facts: RequestFacts) -> bool:
        roster = await rosters.roster(facts.path["course_id"], facts.path["cohort_id"])
        return principal.person_id == roster.trainer_id or (
            roster.peer_review and principal.person_id in roster.members
        )

    async def certificate_owner(principal: Principal, facts: RequestFacts) -> bool:
        found = await use.certificate(runs, facts.path["number"])
        return principal.person_id == found.person_id

    return {
        TRAINER: trainer,
        MEMBER: member,
        TRAINER_OR_MEMBER: trainer_or_member,
        REVIEWER: reviewer,
        CERTIFICATE_OWNER: certificate_owner,
    }


# --- bodies -------------------------------------------------------------------------------------------

Url = Annotated[str, Field(pattern=r"^https?://\S+$", max_length=2000, examples=["https://meet.example.com/owl-42"])]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionEdit(Body):
    starts_at: AwareDatetime | None = Field(None, description="New start (not in the past); only before it started")
    room_url: Url | None = Field(None, description="Link to the webinar room; null removes it")
    materials: list[Url] | None = Field(None, max_length=50, description="Links to slides, code, reading (replaces)")
    recording_url: Url | None = Field(None, description="Link to the recording, once the session started")


class AttendanceIn(Body):
    status: Literal["present", "absent", "excused"] = Field(description="How the member attended")


class HomeworkIn(Body):
    session_number: int = Field(ge=1, le=12, description="The session the homework follows (one homework each)")
    text: str = Field(min_length=1, max_length=20_000, description="The assignment")
    due_at: AwareDatetime = Field(description="Deadline, after the session's start; later submissions are late")


class SubmissionIn(Body):
    text: str = Field("", max_length=50_000, description="The answer (a text, links, or both)")
    links: list[Url] = Field(default_factory=list, max_length=20, description="Links to the work (repo, doc...)")


class CommentIn(Body):
    text: str = Field(min_length=1, max_length=10_000, description="The comment")


class ReviewIn(Body):
    outcome: Literal["accepted", "returned"] = Field(description="Accept, or return to be done again")
    comment: str | None = Field(None, max_length=10_000, description="Needed when returning: what to change")


class FeedbackIn(Body):
    rating: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")
    comment: str | None = Field(None, max_length=5_000, description="Optional words for the trainer")


def _plain(value: Any) -> dict[str, Any]:
    plain: dict[str, Any] = dataclasses.asdict(value)
    return plain


def _submission(homework_id: str, submission: Submission) -> dict[str, Any]:
    return {"homework_id": homework_id, **_plain(submission)}


def _certificate(certificate: Certificate, display_name: str | None) -> dict[str, Any]:
    return {**_plain(certificate), "display_name": display_name}


def cohort_router(runs: CohortRuns, rosters: Rosters, people: People, clock: Clock = utc_now) -> APIRouter:
    """The routes of COHORT_POLICY; `clock` is the service's (a dev service may run ahead of time)."""
    router = APIRouter(tags=["cohort runs"])
    Caller = Annotated[Principal, Depends(caller)]

    @router.get(f"{COHORT}/run", summary="The run: the trainer's view for the trainer, one's own for a member")
    async def run_view(course_id: str, cohort_id: str, who: Caller) -> dict[str, Any]:
        roster = await rosters.roster(course_id, cohort_id)
        is_member = who.person_id in roster.members
        if who.person_id == roster.trainer_id or (not is_member and who.has_any(ACT_AS_TRAINER)):
            return {"view": "trainer", **_plain(await use.trainer_view(runs, rosters, course_id, cohort_id))}
        view = await use.participant_view(runs, rosters, course_id, cohort_id, who.person_id)
        return {"view": "participant", **_plain(view)}

    @router.patch(f"{COHORT}/sessions/{{number}}", summary="Reschedule a session, set its room, materials, recording")
    async def edit_session(course_id: str, cohort_id: str, number: int, body: SessionEdit) -> dict[str, Any]:
        given = body.model_fields_set
        if not given:
            raise Invalid("say what to change", field="starts_at")
        if "starts_at" in given and body.starts_at is None:
            raise Invalid("a session needs a start", field="starts_at")
        view = await use.edit_session(
            runs,
            rosters,
            course_id,
            cohort_id,
            number,
            starts_at=body.starts_at,
            room_url=body.room_url,
            materials=body.materials,
            recording_url=body.recording_url,
            clear=frozenset(
                name for name in ("room_url", "recording_url") if name in given and getattr(body, name) is None
            ),
            clock=clock,
        )
        return _plain(view)

    @router.put(f"{COHORT}/sessions/{{number}}/attendance/{{person_id}}", summary="Mark one member's attendance")
    async def mark_attendance(
        course_id: str, cohort_id: str, number: int, person_id: str, body: AttendanceIn
    ) -> dict[str, Any]:
        await use.mark_attendance(runs, rosters, course_id, cohort_id, number, person_id, body.status, clock=clock)
        return {"session_number": number, "person_id": person_id, "status": body.status}

    @router.post(f"{COHORT}/sessions/{{number}}/feedback", status_code=201, summary="Rate a session (once)")
    async def give_feedback(
        course_id: str, cohort_id: str, number: int, body: FeedbackIn, who: Caller
    ) -> dict[str, Any]:
        await use.give_feedback(
            runs, rosters, course_id, cohort_id, number, who.person_id, body.rating, body.comment, clock=clock
        )
        return {"session_number": number, "person_id": who.person_id}

    @router.post(f"{COHORT}/homework", status_code=201, summary="Assign the homework after a session")
    async def assign_homework(course_id: str, cohort_id: str, body: HomeworkIn) -> dict[str, Any]:
        homework = await use.assign_homework(
            runs, rosters, course_id, cohort_id, body.session_number, body.text, body.due_at
        )
        return {
            "homework_id": homework.id,
            "session_number": homework.session_number,
            "text": homework.text,
            "due_at": homework.due_at,
        }

    @router.post(
        f"{COHORT}/homework/{{homework_id}}/submissions", status_code=201, summary="Hand in one's own homework"
    )
    async def submit_homework(
        course_id: str, cohort_id: str, homework_id: str, body: SubmissionIn, who: Caller
    ) -> dict[str, Any]:
        submission = await use.submit_homework(
            runs, rosters, course_id, cohort_id, homework_id, who.person_id, body.text, body.links, clock=clock
        )
        return _submission(homework_id, submission)

    @router.post(
        f"{COHORT}/homework/{{homework_id}}/submissions/{{person_id}}/comments",
        status_code=201,
        summary="Comment on a submission (the trainer; members too with peer review)",
    )
    async def comment_submission(
        course_id: str, cohort_id: str, homework_id: str, person_id: str, body: CommentIn, who: Caller
    ) -> dict[str, Any]:
        comment = await use.comment_submission(
            runs, rosters, course_id, cohort_id, homework_id, person_id, who.person_id, body.text, clock=clock
        )
        return _plain(comment)

    @router.post(
        f"{COHORT}/homework/{{homework_id}}/submissions/{{person_id}}/review",
        summary="Accept a submission, or return it with comments",
    )
    async def review_homework(
        course_id: str, cohort_id: str, homework_id: str, person_id: str, body: ReviewIn
    ) -> dict[str, Any]:
        submission = await use.review_homework(
            runs, rosters, course_id, cohort_id, homework_id, person_id, body.outcome, body.comment, clock=clock
        )
        return _submission(homework_id, submission)

    @router.post(f"{COHORT}/completion", summary="Decide completion for every member (after the last session)")
    async def decide_completion(course_id: str, cohort_id: str, who: Caller) -> dict[str, Any]:
        decisions = await use.decide_completion(runs, rosters, course_id, cohort_id, who.person_id, clock=clock)
        return {"decisions": [_plain(decision) for decision in decisions]}

    # The .pdf route first: "/certificates/{number}" would also match "X.pdf".
    @router.get(
        "/certificates/{number}.pdf",
        summary="A certificate as PDF",
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}}},
    )
    async def certificate_pdf(
        number: str,
        locale: Annotated[Literal["ru", "en"] | None, Query(description="Language; the owner's by default")] = None,
    ) -> Response:
        found = await use.certificate(runs, number)
        name = await use.display_name(people, found.person_id)
        language = await use.locale_of(people, found.person_id, locale)
        content = render_certificate_pdf(found, language, name)
        headers = {"Content-Disposition": f'attachment; filename="{number}.pdf"'}
        return Response(content, media_type="application/pdf", headers=headers)

    @router.get("/certificates/{number}", summary="A certificate: number, person, course, hours, date")
    async def certificate(number: str) -> dict[str, Any]:
        found = await use.certificate(runs, number)
        return _certificate(found, await use.display_name(people, found.person_id))

    return router
