"""The directory HTTP API: SCIM for HR systems, people for colleagues, erasure and export for HR."""

import asyncio
import logging
from datetime import datetime
from typing import Annotated, Any, Literal

import httpx
from fastapi import Body, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from directory.bootstrap import Directory, bootstrap
from directory.domain import scim
from directory.domain.imports import ImportRun, Outcome, Source
from directory.domain.model import Person
from directory.entrypoints.dev_issuer import dev_issuer_router
from directory.entrypoints.policy import GUARDRAILS
from directory.entrypoints.scim import scim_error, scim_router
from directory.service import handlers
from shared.auth.http import caller
from shared.auth.tokens import Principal
from shared.http import health_router, prepare_app, privacy_router

MAX_OFFSET = 1_000_000  # paging is bounded like every other list

logger = logging.getLogger(__name__)


class PersonOut(BaseModel):
    id: str
    user_name: str
    display_name: str
    email: str
    department: str | None
    manager_id: str | None
    job_title: str | None
    locale: Literal["ru", "en"]
    time_zone: str
    active: bool

    @classmethod
    def of(cls, person: Person) -> "PersonOut":
        return cls(
            id=person.id,
            user_name=person.user_name,
            display_name=person.display_name,
            email=person.email,
            department=person.department,
            manager_id=person.manager_id,
            job_title=person.job_title,
            locale=person.locale,
            time_zone=person.time_zone,
            active=person.active,
        )


class ErasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=10, max_length=1000, examples=["Erasure request HR-1234 (GDPR art. 17)"])


class ImportOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    import_id: str = Field(description="The run in the import history (GET /imports/{import_id})")


class RowErrorOut(BaseModel):
    line: int = Field(description="Line in the file; 1 is the header")
    field: str | None = Field(description="The column, when the problem is in one")
    message: str


class ImportRunSummary(BaseModel):
    id: str
    started_at: datetime
    finished_at: datetime
    started_by: str = Field(description='Person id of whoever uploaded the file, or "cli"')
    source: Source
    outcome: Outcome = Field(description="imported; rejected (bad rows, nothing written); failed (stopped midway)")
    created: int
    updated: int
    unchanged: int
    refused: int = Field(description="Rows refused because of a problem on them")
    errors_total: int = Field(description="Problems found (the run keeps the first 200)")

    @classmethod
    def fields_of(cls, run: ImportRun) -> dict[str, Any]:
        return {
            "id": run.id,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "started_by": run.started_by,
            "source": run.source,
            "outcome": run.outcome,
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "refused": run.refused,
            "errors_total": run.errors_total,
        }

    @classmethod
    def of(cls, run: ImportRun) -> "ImportRunSummary":
        return cls(**cls.fields_of(run))


class ImportRunOut(ImportRunSummary):
    errors: list[RowErrorOut] = Field(description="The problems, in line order, capped at 200")
    errors_truncated: bool = Field(description="True when more problems were found than are kept")
    failure: str | None = Field(description="For a failed run, what stopped it")

    @classmethod
    def of(cls, run: ImportRun) -> "ImportRunOut":
        errors = [RowErrorOut(line=e.line, field=e.field, message=e.message) for e in run.errors]
        return cls(**cls.fields_of(run), errors=errors, errors_truncated=run.errors_truncated, failure=run.failure)


class ImportRunPage(BaseModel):
    items: list[ImportRunSummary]
    total: int
    offset: int
    limit: int


def create_app(service: Directory | None = None) -> FastAPI:
    service = service or bootstrap()
    runtime, people, settings = service.runtime, service.people, service.settings
    import_runs = service.import_runs
    gatekeeper = runtime.gatekeeper(
        GUARDRAILS, is_blocked=_blocked(service), provisioning_token=settings.scim_token.get_secret_value()
    )
    app = prepare_app(FastAPI(title="Owlery directory", version="0.1.0", lifespan=runtime.lifespan), gatekeeper)
    app.add_exception_handler(scim.ScimError, scim_error)
    app.include_router(health_router({"database": runtime.database_ready, "broker": runtime.broker_ready}))
    app.include_router(scim_router(people, settings.public_url))
    if service.signer is not None:
        app.include_router(dev_issuer_router(service.signer, people, settings.oidc_audience))

    async def own_data(person_id: str) -> dict[str, Any]:
        person = await people.get(person_id)
        return {"person": None if person is None or person.erased else PersonOut.of(person).model_dump()}

    app.include_router(privacy_router("directory", own_data, runtime.audit))

    @app.get("/people/me", response_model=PersonOut, tags=["people"])
    async def me(who: Annotated[Principal, Depends(caller)]) -> PersonOut:
        return PersonOut.of(await handlers.get_person(who.person_id, people))

    @app.get("/people/{person_id}", response_model=PersonOut, tags=["people"])
    async def person(person_id: str) -> PersonOut:
        return PersonOut.of(await handlers.get_person(person_id, people))

    @app.post(
        "/people/import",
        response_model=ImportOut,
        tags=["people"],
        responses={422: {"description": "Bad rows, all listed with line numbers; nothing was imported"}},
        openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}},
    )
    async def import_people(request: Request, who: Annotated[Principal, Depends(caller)]) -> Any:
        """Import a CSV file of people for companies without SCIM: all rows are checked before any is written."""
        text = (await request.body()).decode("utf-8-sig", errors="replace")
        try:
            run = await handlers.import_and_record(text, people, import_runs, who.person_id, "csv")
        except handlers.ImportRejected as rejected:
            rows = [{"line": e.line, "field": e.field, "message": e.message} for e in rejected.errors]
            body = {"detail": str(rejected), "errors": rows, "import_id": rejected.run.id}
            return JSONResponse(body, status_code=422)
        counts = {"created": run.created, "updated": run.updated, "unchanged": run.unchanged}
        await runtime.audit.record(
            "people.imported", who.person_id, "directory", details={**counts, "import_id": run.id}
        )
        return ImportOut(**counts, import_id=run.id)

    @app.get("/imports", response_model=ImportRunPage, tags=["people"])
    async def import_history(
        limit: Annotated[int, Query(ge=1, le=100, description="Runs per page")] = 20,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Runs to skip, newest first")] = 0,
    ) -> ImportRunPage:
        """The people-file import runs (portal upload and command line), newest first."""
        runs, total = await import_runs.page(offset, limit)
        return ImportRunPage(items=[ImportRunSummary.of(run) for run in runs], total=total, offset=offset, limit=limit)

    @app.get("/imports/{import_id}", response_model=ImportRunOut, tags=["people"])
    async def import_run(import_id: str) -> ImportRunOut:
        """One import run with its per-line problems."""
        return ImportRunOut.of(await handlers.get_import_run(import_id, import_runs))

    @app.post("/people/{person_id}/erasure", status_code=202, tags=["privacy"])
    async def erase(
        person_id: str, body: Annotated[ErasureIn, Body()], who: Annotated[Principal, Depends(caller)]
    ) -> dict[str, str]:
        """Erase the person here and, through PersonErasedV1, in every service (contributions stay, anonymous)."""
        await handlers.erase_person(person_id, who.person_id, body.reason, people)
        await runtime.audit.record("person.erased", who.person_id, person_id, body.reason)
        return {"status": "erasure requested", "person_id": person_id}

    @app.get("/people/{person_id}/export", tags=["privacy"])
    async def export(person_id: str, request: Request, who: Annotated[Principal, Depends(caller)]) -> dict[str, Any]:
        """Everything Owlery holds on one person, gathered from every service's privacy endpoint."""
        authorization = request.headers["authorization"]
        gathered = await asyncio.gather(
            *(_export_from(name, url, person_id, authorization) for name, url in settings.export_sources.items())
        )
        services = {"directory": await own_data(person_id), **dict(gathered)}
        failed = sorted(name for name, part in services.items() if "error" in part)
        await runtime.audit.record("person.exported", who.person_id, person_id, details={"failed": failed})
        return {"person_id": person_id, "complete": not failed, "services": services}

    return app


async def _export_from(name: str, base_url: str, person_id: str, authorization: str) -> tuple[str, dict[str, Any]]:
    try:
        async with httpx.AsyncClient(timeout=10.0) as client:
            answer = await client.get(
                f"{base_url.rstrip('/')}/privacy/people/{person_id}", headers={"Authorization": authorization}
            )
        answer.raise_for_status()
        part: dict[str, Any] = answer.json()
        return name, part
    except (httpx.HTTPError, ValueError) as error:
        logger.warning("export of %s from %s failed: %s", person_id, name, error)
        return name, {"error": f"{name} did not answer: {error}"}


def _blocked(service: Directory) -> Any:
    async def is_blocked(person_id: str) -> bool:
        person = await service.people.get(person_id)
        return person is not None and (person.erased or not person.active)

    return is_blocked


def app() -> FastAPI:
    """Factory for `uvicorn --factory directory.entrypoints.http:app`."""
    return create_app()
