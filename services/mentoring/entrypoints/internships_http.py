"""Exchange internships through HTTP: partners, placements, applications, goals, log, feedback, report,
and each unit's reciprocity counts.

An internship is shown to its guest, its host and the guest's manager; the feedback's words stay with the
side that wrote them (the other side sees the rating only) and the manager's reason for a decline is the
guest's. Reciprocity shows counts per unit to anyone signed in: no names, no internships.
"""

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from mentoring.domain.goals import Goal, GoalDraft, SmartCheck
from mentoring.domain.internship import Internship, Partner, Placement
from mentoring.service import internships as uc
from mentoring.service.internships import Actor
from mentoring.service.knowledge import KnowledgeBase
from mentoring.service.ports import Ports
from shared.auth.http import caller
from shared.auth.tokens import Principal

Who = Annotated[Principal, Depends(caller)]
ONE = "/internships/{internship_id}"


def acting(who: Principal) -> Actor:
    return Actor(who.person_id, admin="admin" in who.roles, curator="curator" in who.roles)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartnerIn(_In):
    name: str = Field(max_length=200, description="The partner organisation's or training centre's name")
    kind: Literal["organisation", "training_centre"] = Field(description="An organisation or a training centre")


class PlacementIn(_In):
    title: str = Field(max_length=200, description="The placement's topic, e.g. 'Neural networks in QA'")
    starts_on: date
    ends_on: date = Field(description="On or after starts_on")
    seats: int = Field(description="How many guests at once, 1 to 100")
    guest_learns: str = Field(max_length=5000, description="What the guest will learn at the host")
    host_learns_back: str = Field("", max_length=5000, description="What the host hopes to learn from the guest")
    competencies: list[str] = Field(default_factory=list, max_length=20, description="Tags of what is learned")
    host_unit: str | None = Field(
        None,
        description="'department:<id>' or 'partner:<id>'; your own department if left out "
        "(another department's or a partner's: curators and admins only)",
    )
    host_id: str | None = Field(None, description="Who receives the guests; you if left out")


class ApplicationIn(_In):
    goals: str = Field(max_length=5000, description="What you want to learn at the placement")


class DecisionIn(_In):
    approve: bool = Field(description="True approves (takes a seat), false declines")
    reason: str = Field("", max_length=5000, description="Told to the guest only")


class GoalDraftIn(_In):
    text: str = Field(min_length=1, max_length=1000)
    due: date | None = Field(None, description="When the goal is to be reached, inside the placement's dates")
    topics: list[str] = Field(default_factory=list, max_length=10)


class GoalsCheckIn(_In):
    goals: list[GoalDraftIn] = Field(min_length=1, max_length=3)
    locale: Literal["ru", "en"] = "en"


class GoalsIn(GoalsCheckIn):
    confirm: bool = Field(False, description="Save even though the SMART check flags a goal")


class LogIn(_In):
    text: str = Field(max_length=1000, description="What you did or learnt; a few sentences")
    on: date | None = Field(None, description="The day the entry is about; today if left out")


class FeedbackIn(_In):
    rating: int = Field(description="1 to 5")
    words: str = Field("", max_length=5000, description="What worked and what not; the other side never sees it")


class ReportIn(_In):
    title: str = Field(max_length=200)
    summary: str = Field(max_length=5000, description="Shown in knowledge-base search results")
    body: str = Field("", max_length=50_000)
    tags: list[str] = Field(default_factory=list, max_length=20)
    language: Literal["ru", "en"] | None = Field(None, description="Guessed from the text if left out")


def partner_out(partner: Partner) -> dict[str, Any]:
    return {"id": partner.id, "unit": partner.unit, "name": partner.name, "kind": partner.kind.value}


def placement_out(placement: Placement) -> dict[str, Any]:
    return {
        "id": placement.id,
        "host_unit": placement.host_unit,
        "host_id": placement.host_id,
        "title": placement.title,
        "starts_on": placement.starts_on.isoformat(),
        "ends_on": placement.ends_on.isoformat(),
        "seats": placement.seats,
        "seats_left": placement.seats_left,
        "guest_learns": placement.guest_learns,
        "host_learns_back": placement.host_learns_back,
        "competencies": list(placement.competencies),
    }


def goal_out(goal: Goal) -> dict[str, Any]:
    return {
        "id": goal.id,
        "text": goal.text,
        "due": goal.due.isoformat(),
        "topics": list(goal.topics),
        "confirmed_despite": list(goal.confirmed_despite),
    }


def smart_out(check: SmartCheck) -> dict[str, Any]:
    return {
        "passed": check.passed,
        "failures": [{"letter": f.letter, "code": f.code, "message": f.message} for f in check.failures],
    }


def internship_out(internship: Internship, viewer: str) -> dict[str, Any]:
    side = internship.side_of(viewer)
    report = internship.report
    return {
        "id": internship.id,
        "placement_id": internship.placement_id,
        "guest_id": internship.guest_id,
        "guest_unit": internship.guest_unit,
        "host_id": internship.host_id,
        "host_unit": internship.host_unit,
        "manager_id": internship.manager_id,
        "status": internship.status.value,
        "goals_text": internship.goals_text,
        "decline_reason": (internship.decline_reason or None) if side == "guest" else None,
        "goals": [goal_out(goal) for goal in internship.goals],
        "log": [{"on": e.on.isoformat(), "text": e.text} for e in internship.log] if side else [],
        "feedback": {
            given: {"rating": f.rating, "words": f.words if given == side else None}
            for given, f in internship.feedback.items()
        },
        "report": None
        if report is None or side is None
        else {"title": report.title, "summary": report.summary, "body": report.body, "tags": list(report.tags)},
        "knowledge_item_id": internship.knowledge_item_id,
    }


def drafts_of(body: GoalsCheckIn) -> list[GoalDraft]:
    return [GoalDraft(goal.text, goal.due, tuple(goal.topics)) for goal in body.goals]


def internships_router(ports: Ports, knowledge_base: KnowledgeBase) -> APIRouter:
    router = APIRouter(tags=["internships"])

    @router.post("/partners", status_code=201)
    async def register_partner(body: PartnerIn, who: Who) -> dict[str, Any]:
        """Register a partner organisation or outside training centre (admins): it can then host placements."""
        return partner_out(await uc.register_partner(ports, acting(who), name=body.name, kind=body.kind))

    @router.get("/partners")
    async def list_partners(who: Who) -> list[dict[str, Any]]:
        return [partner_out(partner) for partner in await uc.partners(ports)]

    @router.post("/placements", status_code=201)
    async def offer_placement(body: PlacementIn, who: Who) -> dict[str, Any]:
        """Offer exchange placements in your unit (or, as a curator or admin, in any unit or a partner)."""
        placement = await uc.offer_placement(
            ports,
            acting(who),
            host_unit=body.host_unit,
            host_id=body.host_id,
            title=body.title,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            seats=body.seats,
            guest_learns=body.guest_learns,
            host_learns_back=body.host_learns_back,
            competencies=body.competencies,
        )
        return placement_out(placement)

    @router.get("/placements")
    async def list_placements(who: Who) -> list[dict[str, Any]]:
        """Placements not yet over, soonest first."""
        return [placement_out(placement) for placement in await uc.open_placements(ports)]

    @router.get("/placements/{placement_id}")
    async def get_placement(placement_id: str, who: Who) -> dict[str, Any]:
        return placement_out(await uc.get_placement(ports, placement_id))

    @router.post("/placements/{placement_id}/applications", status_code=201)
    async def apply(placement_id: str, body: ApplicationIn, who: Who) -> dict[str, Any]:
        """Apply with your goals; your manager approves. Applying twice is refused (409) unless declined."""
        internship = await uc.apply(ports, placement_id, acting(who), goals=body.goals)
        return internship_out(internship, who.person_id)

    @router.get("/internships")
    async def my_internships(who: Who) -> list[dict[str, Any]]:
        """Internships where you are the guest, the host or the approving manager."""
        return [internship_out(i, who.person_id) for i in await uc.internships_of(ports, acting(who))]

    @router.get("/reciprocity")
    async def unit_reciprocity(
        who: Who, unit: Annotated[str, Query(max_length=200, description="'department:<id>' or 'partner:<id>'")]
    ) -> dict[str, Any]:
        """Per other unit, how many guests this unit hosted from it and how many people it sent (counts only)."""
        exchanges = await uc.reciprocity_of(ports, unit)
        return {
            "unit": unit.strip(),
            "hosted": sum(e.exchange.hosted for e in exchanges),
            "sent": sum(e.exchange.sent for e in exchanges),
            "units": [
                {"unit": e.exchange.unit, "name": e.name, "hosted": e.exchange.hosted, "sent": e.exchange.sent}
                for e in exchanges
            ],
        }

    @router.get(ONE)
    async def get_internship(internship_id: str, who: Who) -> dict[str, Any]:
        return internship_out(await uc.view(ports, internship_id, acting(who)), who.person_id)

    @router.post(f"{ONE}/decision")
    async def decide(internship_id: str, body: DecisionIn, who: Who) -> dict[str, Any]:
        """The guest's manager approves (a seat is taken; a full placement: 409) or declines."""
        internship = await uc.decide(ports, internship_id, acting(who), approve=body.approve, reason=body.reason)
        return internship_out(internship, who.person_id)

    @router.post(f"{ONE}/goals/check")
    async def check_goals(internship_id: str, body: GoalsCheckIn, who: Who) -> list[dict[str, Any]]:
        """Which SMART letters each draft fails and why, in your language; nothing is saved."""
        checks = await uc.check_goals(ports, internship_id, acting(who), drafts_of(body), body.locale)
        return [smart_out(check) for check in checks]

    @router.post(f"{ONE}/goals")
    async def agree_goals(internship_id: str, body: GoalsIn, who: Who) -> dict[str, Any]:
        """The host records the goals agreed with the guest (1-3); a flagged goal needs `confirm: true`."""
        goals, checks = await uc.agree_goals(
            ports, internship_id, acting(who), drafts_of(body), confirm=body.confirm, locale=body.locale
        )
        return {"goals": [goal_out(goal) for goal in goals], "smart": [smart_out(check) for check in checks]}

    @router.post(f"{ONE}/log", status_code=201)
    async def add_log(internship_id: str, body: LogIn, who: Who) -> dict[str, Any]:
        """A short entry in your internship log (the guest, while it runs)."""
        entry = await uc.log(ports, internship_id, acting(who), text=body.text, on=body.on)
        return {"on": entry.on.isoformat(), "text": entry.text}

    @router.post(f"{ONE}/feedback")
    async def give_feedback(internship_id: str, body: FeedbackIn, who: Who) -> dict[str, Any]:
        """Your final feedback as guest or host; once both sides gave it, the internship is completed."""
        internship = await uc.give_feedback(ports, internship_id, acting(who), rating=body.rating, words=body.words)
        return internship_out(internship, who.person_id)

    @router.put(f"{ONE}/report")
    async def write_report(internship_id: str, body: ReportIn, who: Who) -> dict[str, Any]:
        """Write or rewrite your report (the guest) until it is published."""
        report = await uc.write_report(
            ports,
            internship_id,
            acting(who),
            title=body.title,
            summary=body.summary,
            body=body.body,
            tags=body.tags,
            language=body.language,
        )
        return {"title": report.title, "summary": report.summary, "body": report.body, "tags": list(report.tags)}

    @router.post(f"{ONE}/report/publication")
    async def publish_report(internship_id: str, who: Who) -> dict[str, Any]:
        """Publish the completed internship's report to the knowledge base (the guest)."""
        internship = await uc.publish_report(ports, knowledge_base, internship_id, acting(who))
        return internship_out(internship, who.person_id)

    return router
