"""The mentoring HTTP API: translate requests to use cases and results to JSON."""

from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from mentoring.bootstrap import Mentoring, bootstrap
from mentoring.domain.model import Participant, Programme, Role
from mentoring.entrypoints.policy import GUARDRAILS
from mentoring.service import handlers
from shared.http import health_router, prepare_app, privacy_router

Kind = Literal["classic", "reverse", "peer"]
RoleName = Literal["mentor", "mentee"]


class ProgrammeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300, examples=["Reverse mentoring: AI tools for managers"])
    kind: Kind = Field(description="classic: senior mentors junior; reverse: junior mentors senior; peer: colleagues")


class ParticipantCounts(BaseModel):
    mentor: int
    mentee: int


class ProgrammeOut(BaseModel):
    id: str
    title: str
    kind: Kind
    participants: ParticipantCounts

    @classmethod
    def of(cls, programme: Programme) -> "ProgrammeOut":
        counts = programme.count_by_role()
        return cls(
            id=programme.id,
            title=programme.title,
            kind=programme.kind.value,
            participants=ParticipantCounts(mentor=counts[Role.MENTOR], mentee=counts[Role.MENTEE]),
        )


class ParticipantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: str = Field(min_length=1, max_length=200, description="Directory id of the employee")
    role: RoleName
    locale: Literal["ru", "en"] = Field("en", description="Language the employee reads Owlery in")


class ParticipantOut(BaseModel):
    programme_id: str
    person_id: str
    role: RoleName
    locale: Literal["ru", "en"]

    @classmethod
    def of(cls, participant: Participant, programme: Programme) -> "ParticipantOut":
        return cls(
            programme_id=programme.id,
            person_id=participant.person_id,
            role=participant.role.value,
            locale=participant.locale,
        )


def create_app(service: Mentoring | None = None) -> FastAPI:
    service = service or bootstrap()
    runtime = service.runtime
    gatekeeper = runtime.gatekeeper(GUARDRAILS, is_blocked=service.people.is_blocked)
    app = prepare_app(FastAPI(title="Owlery mentoring", version="0.1.0", lifespan=runtime.lifespan), gatekeeper)
    app.include_router(health_router({"database": runtime.database_ready, "broker": runtime.broker_ready}))

    async def export(person_id: str) -> dict[str, Any]:
        return await handlers.export_person(person_id, service.programmes, service.people)

    app.include_router(privacy_router("mentoring", export, runtime.audit))

    @app.post("/programmes", status_code=201, response_model=ProgrammeOut, tags=["programmes"])
    async def create_programme(body: ProgrammeIn) -> ProgrammeOut:
        programme = await handlers.create_programme(handlers.CreateProgramme(body.title, body.kind), service.programmes)
        return ProgrammeOut.of(programme)

    @app.get(
        "/programmes/{programme_id}",
        response_model=ProgrammeOut,
        tags=["programmes"],
        responses={404: {"description": "No such programme"}},
    )
    async def get_programme(programme_id: str) -> ProgrammeOut:
        programme, _ = await handlers.get_programme(programme_id, service.programmes)
        return ProgrammeOut.of(programme)

    @app.post(
        "/programmes/{programme_id}/participants",
        status_code=201,
        response_model=ParticipantOut,
        tags=["participants"],
        responses={404: {"description": "No such programme"}, 409: {"description": "Already registered"}},
    )
    async def register(programme_id: str, body: ParticipantIn) -> ParticipantOut:
        participant, programme = await handlers.register(
            handlers.Register(programme_id, body.person_id, body.role, body.locale),
            service.programmes,
            people=service.people,
        )
        return ParticipantOut.of(participant, programme)

    return app


def app() -> FastAPI:
    """Factory for `uvicorn --factory mentoring.entrypoints.http:app`."""
    return create_app()
