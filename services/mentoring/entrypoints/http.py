"""The mentoring HTTP API: translate requests to use cases and results to JSON."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI

from mentoring.bootstrap import Mentoring, bootstrap
from mentoring.domain.goals import GoalDraft
from mentoring.domain.programme import Profile, Programme
from mentoring.entrypoints import schemas as s
from mentoring.entrypoints.brainstorms_http import brainstorms_router
from mentoring.entrypoints.circles_http import circles_router
from mentoring.entrypoints.internships_http import internships_router
from mentoring.entrypoints.knowledge_http import knowledge_router
from mentoring.entrypoints.policy import guardrails
from mentoring.entrypoints.reports_http import reports_router
from mentoring.service import adaptation, desk, handlers, pairs
from mentoring.service.ports import Ports
from shared.auth.http import caller
from shared.auth.tokens import Principal
from shared.errors import NotFound
from shared.http import health_router, prepare_app, privacy_router

Caller = Annotated[Principal, Depends(caller)]
P = "/programmes/{programme_id}"
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such programme"}}


def _profile(body: s.ProfileIn | None, role: str) -> Profile | None:
    return body.to_domain(role) if body is not None else None


def programmes_router(ports: Ports) -> APIRouter:
    router = APIRouter(tags=["programmes"])

    @router.post("/programmes", status_code=201, response_model=s.ProgrammeOut)
    async def create_programme(body: s.ProgrammeIn, who: Caller) -> s.ProgrammeOut:
        programme = await handlers.create_programme(
            ports,
            title=body.title,
            kind=body.kind,
            terms=body.terms.to_domain() if body.terms else None,
            curator_id=who.person_id,
            co_curators=body.co_curators,
        )
        return s.ProgrammeOut.of(programme)

    @router.get(P, response_model=s.ProgrammeOut, responses=NOT_FOUND)
    async def get_programme(programme_id: str) -> s.ProgrammeOut:
        return s.ProgrammeOut.of(await handlers.get_programme(ports, programme_id))

    @router.put(P, response_model=s.ProgrammeOut, responses=NOT_FOUND)
    async def edit_programme(programme_id: str, body: s.ProgrammeEdit, who: Caller) -> s.ProgrammeOut:
        terms = body.terms.to_domain()
        return s.ProgrammeOut.of(await handlers.edit_programme(ports, programme_id, who.person_id, terms, body.title))

    @router.post(f"{P}/stage", response_model=s.ProgrammeOut, responses=NOT_FOUND)
    async def advance(programme_id: str, body: s.StageIn, who: Caller) -> s.ProgrammeOut:
        """Next stage: draft -> open -> matching -> running -> closing (final feedback) -> closed."""
        return s.ProgrammeOut.of(await handlers.advance_programme(ports, programme_id, who.person_id, body.stage))

    @router.post(f"{P}/kickoff", response_model=s.ProgrammeOut, responses=NOT_FOUND)
    async def schedule_kickoff(programme_id: str, body: s.KickoffIn, who: Caller) -> s.ProgrammeOut:
        return s.ProgrammeOut.of(await handlers.schedule_kickoff(ports, programme_id, who.person_id, body.starts_at))

    @router.post(f"{P}/kickoff/held", response_model=s.ProgrammeOut, responses=NOT_FOUND)
    async def kickoff_held(programme_id: str, who: Caller) -> s.ProgrammeOut:
        """The kickoff took place: every pair whose people have prepared starts."""
        return s.ProgrammeOut.of(await handlers.hold_kickoff(ports, programme_id, who.person_id))

    return router


def people_router(ports: Ports) -> APIRouter:
    router = APIRouter(tags=["participants"])

    def participant_of(programme: Programme, person_id: str) -> s.ParticipantOut:
        participant = programme.participants.get(person_id)
        if participant is None:
            raise NotFound(f"{person_id} takes no part in this programme", person_id=person_id)
        return s.ParticipantOut.of(participant, programme)

    @router.post(
        f"{P}/participants",
        status_code=201,
        response_model=s.ParticipantOut,
        responses={**NOT_FOUND, 409: {"description": "Already registered"}},
    )
    async def register(programme_id: str, body: s.ParticipantIn, who: Caller) -> s.ParticipantOut:
        """A mentee joins; a curator of the programme may add anyone, mentors too."""
        programme = await handlers.get_programme(ports, programme_id)
        participant, programme = await handlers.register(
            ports,
            programme_id,
            body.person_id,
            body.role,
            locale=body.locale,
            profile=_profile(body.profile, body.role),
            accepted_rules=body.accept_rules,
            by_curator=programme.is_curator(who.person_id) or "admin" in who.roles,
        )
        return s.ParticipantOut.of(participant, programme)

    @router.get(f"{P}/participants/{{person_id}}", response_model=s.ParticipantOut, responses=NOT_FOUND)
    async def get_participant(programme_id: str, person_id: str) -> s.ParticipantOut:
        return participant_of(await handlers.get_programme(ports, programme_id), person_id)

    @router.put(f"{P}/participants/{{person_id}}/profile", response_model=s.ParticipantOut, responses=NOT_FOUND)
    async def update_profile(programme_id: str, person_id: str, body: s.ProfileIn) -> s.ParticipantOut:
        programme = await handlers.get_programme(ports, programme_id)
        role = participant_of(programme, person_id).role
        await handlers.update_profile(ports, programme_id, person_id, body.to_domain(role))
        return participant_of(await handlers.get_programme(ports, programme_id), person_id)

    @router.post(f"{P}/participants/{{person_id}}/preparation", response_model=s.ParticipantOut, responses=NOT_FOUND)
    async def acknowledge_preparation(programme_id: str, person_id: str) -> s.ParticipantOut:
        """I read the preparation module; my pair starts once everyone has and the kickoff took place."""
        return participant_of(await handlers.acknowledge_preparation(ports, programme_id, person_id), person_id)

    @router.post(f"{P}/participants/{{person_id}}/departure", response_model=s.ParticipantOut, responses=NOT_FOUND)
    async def leave(programme_id: str, person_id: str) -> s.ParticipantOut:
        """Leave the programme; your pairs end gracefully."""
        return participant_of(await handlers.leave(ports, programme_id, person_id), person_id)

    @router.post(f"{P}/participants/{{person_id}}/vetoes", status_code=204, responses=NOT_FOUND)
    async def veto(programme_id: str, person_id: str, body: s.VetoIn) -> None:
        """Never pair me with this person (private: they are not told)."""
        await handlers.veto(ports, programme_id, person_id, body.other_id)

    @router.post(f"{P}/nominations", status_code=201, response_model=s.NominationOut, responses=NOT_FOUND)
    async def nominate(programme_id: str, body: s.NominationIn, who: Caller) -> s.NominationOut:
        """Nominate yourself as a mentor (with your profile), or recommend a colleague (with a reason)."""
        nomination = await handlers.nominate(
            ports,
            programme_id,
            who.person_id,
            body.person_id,
            reason=body.reason,
            locale=body.locale,
            profile=_profile(body.profile, "mentor"),
            accepted_rules=body.accept_rules,
        )
        return s.NominationOut.of(nomination)

    @router.get(f"{P}/nominations", response_model=list[s.NominationOut], responses=NOT_FOUND)
    async def nominations(programme_id: str) -> list[s.NominationOut]:
        programme = await handlers.get_programme(ports, programme_id)
        return [s.NominationOut.of(n) for n in programme.nominations.values()]

    @router.post(f"{P}/nominations/{{nomination_id}}/consent", response_model=s.NominationOut, responses=NOT_FOUND)
    async def consent(programme_id: str, nomination_id: str, body: s.ConsentIn, who: Caller) -> s.NominationOut:
        """The recommended colleague agrees to mentor and gives their profile."""
        nomination = await handlers.consent(
            ports,
            programme_id,
            nomination_id,
            who.person_id,
            locale=body.locale,
            profile=body.profile.to_domain("mentor"),
            accepted_rules=body.accept_rules,
        )
        return s.NominationOut.of(nomination)

    @router.post(f"{P}/nominations/{{nomination_id}}/withdrawal", response_model=s.NominationOut, responses=NOT_FOUND)
    async def withdraw(programme_id: str, nomination_id: str, who: Caller) -> s.NominationOut:
        """The nominee declines to mentor, before or after consenting."""
        nomination = await handlers.withdraw_nomination(ports, programme_id, nomination_id, who.person_id)
        return s.NominationOut.of(nomination)

    @router.post(f"{P}/nominations/{{nomination_id}}/decision", response_model=s.NominationOut, responses=NOT_FOUND)
    async def decide(programme_id: str, nomination_id: str, body: s.DecisionIn, who: Caller) -> s.NominationOut:
        nomination = await handlers.decide_nomination(ports, programme_id, nomination_id, who.person_id, body.accept)
        return s.NominationOut.of(nomination)

    return router


def matching_router(ports: Ports) -> APIRouter:
    router = APIRouter(tags=["matching"])

    @router.post(f"{P}/matching/rules", status_code=204, responses=NOT_FOUND)
    async def matching_rule(programme_id: str, body: s.MatchingRuleIn, who: Caller) -> None:
        """Pin a pair (placed first), forbid one (never proposed), or unpin."""
        await handlers.set_matching_rule(ports, programme_id, who.person_id, body.mentee_id, body.mentor_id, body.rule)

    @router.post(f"{P}/matching", status_code=201, response_model=s.ProposalOut, responses=NOT_FOUND)
    async def run_matching(programme_id: str, who: Caller) -> s.ProposalOut:
        """Match the whole free pool: every proposed pair with its reasons, every unmatched person with why."""
        return s.ProposalOut.of(await handlers.propose_matching(ports, programme_id, who.person_id))

    @router.get(f"{P}/matching", response_model=s.ProposalOut, responses=NOT_FOUND)
    async def current_proposal(programme_id: str) -> s.ProposalOut:
        programme = await handlers.get_programme(ports, programme_id)
        if programme.proposal is None:
            raise NotFound("no matching has been run yet", programme_id=programme_id)
        return s.ProposalOut.of(programme.proposal)

    @router.post(
        f"{P}/matching/{{proposal_id}}/approval",
        response_model=list[s.PlannedOut],
        responses={**NOT_FOUND, 409: {"description": "Approved already, or not the current proposal"}},
    )
    async def approve(programme_id: str, proposal_id: str, who: Caller) -> list[s.PlannedOut]:
        planned = await handlers.approve_matching(ports, programme_id, who.person_id, proposal_id)
        return [
            s.PlannedOut(pair_id=p.pair_id, mentor_id=p.mentor_id, mentee_ids=list(p.mentee_ids), via=p.via)
            for p in planned
        ]

    @router.post(f"{P}/requests", status_code=201, responses=NOT_FOUND)
    async def request_mentor(programme_id: str, body: s.MentorRequestIn) -> dict[str, str]:
        """Ask a mentor directly; they accept or decline."""
        return {"request_id": await handlers.request_mentor(ports, programme_id, body.mentee_id, body.mentor_id)}

    @router.post(f"{P}/requests/{{request_id}}/answer", responses=NOT_FOUND)
    async def answer(programme_id: str, request_id: str, body: s.AnswerIn, who: Caller) -> dict[str, str | None]:
        planned = await handlers.answer_request(ports, programme_id, request_id, who.person_id, body.accept)
        return {"pair_id": planned.pair_id if planned else None}

    return router


def desk_router(ports: Ports) -> APIRouter:
    router = APIRouter(tags=["curator's desk"])

    @router.get(f"{P}/pairs", response_model=list[s.RosterOut], responses=NOT_FOUND)
    async def roster(programme_id: str, at_risk: bool = False) -> list[s.RosterOut]:
        """The programme's pairs with their health; a curator sees meetings' count and length, never notes."""
        programme = await handlers.get_programme(ports, programme_id)
        lines = []
        for pair in await pairs.pairs_of(ports, list(programme.roster)):
            if at_risk and not pair.at_risk:
                continue
            held = [m.held_on for m in pair.meetings if m.held_on is not None]
            lines.append(
                s.RosterOut(
                    pair_id=pair.id,
                    mentor_id=pair.mentor_id,
                    mentee_ids=list(pair.mentee_ids),
                    status=pair.status.value,
                    at_risk=[reason.value for reason in pair.at_risk],
                    meetings_held=pair.meetings_held,
                    minutes_held=pair.minutes_held,
                    last_meeting=max(held) if held else None,
                )
            )
        return lines

    @router.post(f"{P}/health-check", responses=NOT_FOUND)
    async def health_check(programme_id: str) -> dict[str, int]:
        """Re-assess the programme's pairs now (it also runs on its own every hour)."""
        programme = await handlers.get_programme(ports, programme_id)
        active = [pair_id for pair_id, line in programme.roster.items() if line.active]
        return {"changed": await pairs.check_health(ports, active)}

    @router.get(f"{P}/report", responses=NOT_FOUND)
    async def report(programme_id: str, who: Caller) -> dict[str, Any]:
        """Participants, pairs, meetings per pair, goals achieved, feedback averages (anonymous), drop-outs."""
        return (await desk.report(ports, programme_id, who.person_id)).to_dict()

    @router.get(f"{P}/concerns", response_model=list[s.ConcernOut], responses=NOT_FOUND)
    async def concerns(programme_id: str, who: Caller) -> list[s.ConcernOut]:
        return [s.ConcernOut.of(c) for c in await desk.concerns_of(ports, programme_id, who.person_id)]

    @router.get(f"{P}/experiments", response_model=list[s.ExperimentOut], responses=NOT_FOUND)
    async def experiments(programme_id: str) -> list[s.ExperimentOut]:
        """Idea experiments the programme's pairs chose to publish."""
        return [s.ExperimentOut.of(e) for e in await pairs.published_experiments(ports, programme_id)]

    @router.post(f"{P}/posts", status_code=201, response_model=s.PostOut, responses=NOT_FOUND)
    async def publish(programme_id: str, body: s.PostIn, who: Caller) -> s.PostOut:
        post = await desk.publish_post(ports, programme_id, who.person_id, body.kind, body.title, body.body)
        return s.PostOut.of(post, who.person_id)

    @router.get(f"{P}/posts", response_model=list[s.PostOut], responses=NOT_FOUND)
    async def channel(programme_id: str, who: Caller) -> list[s.PostOut]:
        return [s.PostOut.of(post, who.person_id) for post in await desk.posts_of(ports, programme_id)]

    @router.post(f"{P}/posts/{{post_id}}/reaction", response_model=s.PostOut, responses=NOT_FOUND)
    async def react(programme_id: str, post_id: str, body: s.ReactionIn, who: Caller) -> s.PostOut:
        post = await desk.react(ports, programme_id, post_id, who.person_id, body.reaction)
        return s.PostOut.of(post, who.person_id)

    @router.get("/concerns/{concern_id}", response_model=s.ConcernOut)
    async def concern(concern_id: str, who: Caller) -> s.ConcernOut:
        view = await desk.view_concern(ports, concern_id, who.person_id)
        return s.ConcernOut.of(view.concern, view.text, view.notes)

    @router.post("/concerns/{concern_id}/actions", response_model=s.ConcernOut)
    async def act(concern_id: str, body: s.ConcernActionIn, who: Caller) -> s.ConcernOut:
        """Record what you did: talk, note, close the pair, or rematch (ends the pair, matching runs again)."""
        await desk.act_on_concern(ports, concern_id, who.person_id, body.action, body.note)
        view = await desk.view_concern(ports, concern_id, who.person_id)
        return s.ConcernOut.of(view.concern, view.text, view.notes)

    @router.post("/concerns/{concern_id}/resolution", response_model=s.ConcernOut)
    async def resolve(concern_id: str, body: s.ResolutionIn, who: Caller) -> s.ConcernOut:
        await desk.resolve_concern(ports, concern_id, who.person_id, body.outcome)
        view = await desk.view_concern(ports, concern_id, who.person_id)
        return s.ConcernOut.of(view.concern, view.text, view.notes)

    return router


def pairs_router(ports: Ports) -> APIRouter:
    router = APIRouter(prefix="/pairs/{pair_id}", tags=["pairs"])

    @router.get("", response_model=s.PairOut)
    async def get_pair(pair_id: str, who: Caller) -> s.PairOut:
        """The pair; its curators see goals and that meetings happened, never topics or notes."""
        view = await pairs.view_pair(ports, pair_id, who.person_id)
        return s.PairOut.of(view.pair, view.as_member)

    @router.post("/goals/check", response_model=s.SmartOut)
    async def check_goal(pair_id: str, body: s.GoalIn, who: Caller) -> s.SmartOut:
        """Which SMART letters a draft fails and why, in your language; nothing is saved."""
        draft = GoalDraft(body.text, body.due, tuple(body.topics))
        return s.SmartOut.of(await pairs.check_goal_draft(ports, pair_id, who.person_id, draft, body.locale))

    @router.post("/goals", status_code=201, response_model=s.GoalSaved)
    async def set_goal(pair_id: str, body: s.GoalIn, who: Caller) -> s.GoalSaved:
        """Save a goal (at most three); one the SMART check flags needs `confirm: true`."""
        draft = GoalDraft(body.text, body.due, tuple(body.topics))
        goal, check = await pairs.set_goal(ports, pair_id, who.person_id, draft, body.confirm, body.locale)
        return s.GoalSaved(goal=s.GoalOut.of(goal), smart=s.SmartOut.of(check))

    @router.put("/goals/{goal_id}/progress", response_model=s.GoalOut)
    async def progress(pair_id: str, goal_id: str, body: s.ProgressIn, who: Caller) -> s.GoalOut:
        return s.GoalOut.of(await pairs.update_goal(ports, pair_id, who.person_id, goal_id, body.progress, body.status))

    @router.post("/meetings", status_code=201, response_model=s.MeetingOut)
    async def schedule(pair_id: str, body: s.ScheduleIn, who: Caller) -> s.MeetingOut:
        meeting = await pairs.schedule_meeting(ports, pair_id, who.person_id, body.starts_at, body.minutes)
        return s.MeetingOut.of(meeting, as_member=True)

    @router.put("/meetings/{meeting_id}", response_model=s.MeetingOut)
    async def log_meeting(pair_id: str, meeting_id: str, body: s.MeetingLogIn, who: Caller) -> s.MeetingOut:
        """Log a held meeting (a scheduled one, or a new id); notes are sealed for the pair alone."""
        meeting = await pairs.log_meeting(
            ports,
            pair_id,
            who.person_id,
            meeting_id,
            held_on=body.held_on,
            minutes=body.minutes,
            topics=tuple(body.topics),
            notes=body.notes,
        )
        return s.MeetingOut.of(meeting, as_member=True)

    @router.get("/meetings/{meeting_id}/notes", response_model=s.NotesOut)
    async def notes(pair_id: str, meeting_id: str, who: Caller) -> s.NotesOut:
        text = await pairs.meeting_notes(ports, pair_id, who.person_id, meeting_id)
        return s.NotesOut(meeting_id=meeting_id, notes=text)

    @router.post("/check-ins", status_code=204)
    async def check_in(pair_id: str, body: s.CheckInIn, who: Caller) -> None:
        """The monthly check-in: a low score tells the curator the pair may need help (not your answers)."""
        await pairs.check_in(ports, pair_id, who.person_id, body.month, body.score, body.answers)

    @router.post("/feedback", status_code=204)
    async def feedback(pair_id: str, body: s.FeedbackIn, who: Caller) -> None:
        """Final feedback, once the programme is closing; reported only in aggregate."""
        text = "\n\n".join(part for part in (body.worked.strip(), body.improve.strip()) if part)
        await pairs.give_feedback(ports, pair_id, who.person_id, body.rating, text or None)

    @router.post("/experiments", status_code=201, response_model=s.ExperimentOut)
    async def log_experiment(pair_id: str, body: s.ExperimentIn, who: Caller) -> s.ExperimentOut:
        experiment = await pairs.log_experiment(
            ports, pair_id, who.person_id, hypothesis=body.hypothesis, test=body.test, result=body.result
        )
        return s.ExperimentOut.of(experiment)

    @router.post("/experiments/{experiment_id}/publication", response_model=s.ExperimentOut)
    async def publish_experiment(pair_id: str, experiment_id: str, who: Caller) -> s.ExperimentOut:
        return s.ExperimentOut.of(await pairs.publish_experiment(ports, pair_id, who.person_id, experiment_id))

    @router.post(
        "/mentees/{person_id}/adaptation",
        status_code=201,
        response_model=s.AdaptationOut,
        responses={409: {"description": "Recorded already, the pair has not started, or not classic mentoring"}},
    )
    async def adapted(pair_id: str, person_id: str, body: s.AdaptationIn, who: Caller) -> s.AdaptationOut:
        """A newcomer adapted: recorded once, by a curator of the programme or the mentee's manager."""
        recorded = await adaptation.record_adaptation(
            ports, pair_id, person_id, who.person_id, body.adapted_on, body.note
        )
        return s.AdaptationOut.of(pair_id, recorded)

    @router.post("/concerns", status_code=201, response_model=s.ConcernOut)
    async def raise_concern(pair_id: str, body: s.ConcernIn, who: Caller) -> s.ConcernOut:
        """A confidential concern to the curators; the other member is not told."""
        concern = await desk.raise_concern(ports, pair_id, who.person_id, body.text)
        return s.ConcernOut.of(concern, body.text)

    return router


def my_pairs_router(ports: Ports) -> APIRouter:
    router = APIRouter(tags=["pairs"])

    @router.get("/people/{person_id}/pairs", response_model=list[s.MyPairOut])
    async def my_pairs(person_id: str) -> list[s.MyPairOut]:
        """Your pairs, as mentor or mentee, newest first: who, which programme, since when; no confidential text."""
        return [s.MyPairOut.of(pair, person_id) for pair in await pairs.pairs_of_person(ports, person_id)]

    return router


def create_app(service: Mentoring | None = None) -> FastAPI:
    service = service or bootstrap()
    runtime, ports = service.runtime, service.ports
    gatekeeper = runtime.gatekeeper(guardrails(ports, service.knowledge), is_blocked=service.people.is_blocked)
    app = prepare_app(FastAPI(title="Owlery mentoring", version="0.2.0", lifespan=runtime.lifespan), gatekeeper)
    app.include_router(health_router({"database": runtime.database_ready, "broker": runtime.broker_ready}))

    async def export(person_id: str) -> dict[str, Any]:
        return await handlers.export_person(person_id, ports)

    app.include_router(privacy_router("mentoring", export, runtime.audit))
    for router in (
        programmes_router(ports),
        people_router(ports),
        matching_router(ports),
        desk_router(ports),
        pairs_router(ports),
        my_pairs_router(ports),
        circles_router(ports, service.settings.max_weekly_tasks),
        knowledge_router(service.knowledge),
        brainstorms_router(ports, service.knowledge),
        internships_router(ports, service.knowledge),
        reports_router(ports, service.reports),
    ):
        app.include_router(router)
    return app


def app() -> FastAPI:
    """Factory for `uvicorn --factory mentoring.entrypoints.http:app`."""
    return create_app()
