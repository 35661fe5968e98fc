"""What every service's HTTP API shares: correlation ids, traces and metrics, error answers, health endpoints."""

import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from opentelemetry.trace import SpanKind, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.asyncapi import serve_asyncapi
from shared.audit import AuditLog
from shared.auth.http import Gatekeeper, caller
from shared.auth.policy import Access, allow
from shared.auth.tokens import Principal
from shared.errors import Conflict, Forbidden, Invalid, NotFound, OwleryError
from shared.metrics import CONTENT_TYPE_LATEST, HTTP_REQUEST_SECONDS, generate_latest
from shared.observability import bind_correlation_id
from shared.persistence.people import one_read_per_request
from shared.tracing import parent_from, tracer

CORRELATION_HTTP_HEADER = "x-correlation-id"

_STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 422}


class CorrelationIdMiddleware:
    """Takes the caller's X-Correlation-ID (or makes one) for the logs and events of this request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(CORRELATION_HTTP_HEADER.encode())
        correlation_id = bind_correlation_id(given.decode() if given else None)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((CORRELATION_HTTP_HEADER.encode(), correlation_id.encode()))
            await send(message)

        with one_read_per_request():
            await self.app(scope, receive, send_with_id)


class ObservedRequestsMiddleware:
    """A server span per request (continuing the caller's W3C traceparent) and its latency by route and status."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        traceparent = dict(scope["headers"]).get(b"traceparent")
        status = 500  # unless a response starts: an exception escaping the app is a server error
        started = time.perf_counter()

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with tracer(self.service).start_as_current_span(
            method, context=parent_from(traceparent.decode() if traceparent else None), kind=SpanKind.SERVER
        ) as span:
            try:
                await self.app(scope, receive, send_observed)
            finally:
                # The route template (not the path: ids would make a series per person) once routing found it.
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                span.update_name(f"{method} {route}")
                span.set_attribute("http.request.method", method)
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(StatusCode.ERROR)
                HTTP_REQUEST_SECONDS.labels(self.service, method, route, str(status)).observe(
                    time.perf_counter() - started
                )


async def metrics(request: Request) -> Response:
    """Prometheus text format; the service's runtime reads its outbox and lag gauges first."""
    refresh = getattr(request.app.state, "refresh_metrics", None)
    if refresh is not None:
        await refresh()
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


REFUSAL_SCHEMA: dict[str, Any] = {
    "title": "Refusal",
    "type": "object",
    "description": "Why the request was refused: a message, and the field it names when one is at fault",
    "properties": {"detail": {"type": "string"}, "field": {"type": "string"}},
    "required": ["detail"],
    "additionalProperties": True,
}


def _describe_refusals(app: FastAPI) -> None:
    """Describe the 422 the services answer (`Invalid`: a message naming the field) beside FastAPI's own.

    FastAPI documents only its request-validation 422 (`detail` a list); a domain rule refuses with
    `{"detail": "...", "field": "..."}`. Both are in the description, so clients and fuzzers can rely on it.
    """
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = original()
        document.setdefault("components", {}).setdefault("schemas", {})["Refusal"] = REFUSAL_SCHEMA
        refusal = {"$ref": "#/components/schemas/Refusal"}
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses") if isinstance(operation, dict) else None
                if not isinstance(responses, dict) or "422" not in responses:
                    continue  # no input, nothing to refuse
                content = responses["422"].setdefault("content", {}).setdefault("application/json", {})
                described = content.get("schema")
                content["schema"] = {"anyOf": [described, refusal]} if described else refusal
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


async def _owlery_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, OwleryError)
    status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), 400)
    return JSONResponse({"detail": error.message, **error.details}, status_code=status)


def health_router(ready_checks: dict[str, Callable[[], Awaitable[bool]]]) -> APIRouter:
    router = APIRouter(prefix="/health", tags=["health"])

    @router.get("/live", summary="The process is up")
    async def live() -> dict[str, str]:
        return {"status": "live"}

    @router.get("/ready", summary="The database answers and the broker is connected")
    async def ready() -> JSONResponse:
        results = {name: await check() for name, check in ready_checks.items()}
        status = 200 if all(results.values()) else 503
        return JSONResponse({"status": "ready" if status == 200 else "not ready", "checks": results}, status)

    return router


PRIVACY_POLICY: dict[str, Access] = {
    "GET /privacy/people/{person_id}": allow("hr_admin", "admin"),
    "GET /privacy/audit": allow("hr_admin", "admin"),
}
"""Who may use the privacy endpoints every service has; each service's policy includes it."""


def privacy_router(service: str, export: Callable[[str], Awaitable[dict[str, Any]]], audit: AuditLog) -> APIRouter:
    """What the service holds on one person (for an HR export), and its log of privileged actions."""
    router = APIRouter(prefix="/privacy", tags=["privacy"])

    @router.get("/people/{person_id}", summary="Everything this service holds on one person")
    async def export_person(person_id: str, who: Annotated[Principal, Depends(caller)]) -> dict[str, Any]:
        document = await export(person_id)
        await audit.record("person.exported", who.person_id, person_id)
        return {"service": service, "person_id": person_id, **document}

    @router.get("/audit", summary="Privileged actions, newest first, about one person or by one actor")
    async def audit_log(
        subject_id: str | None = None,
        actor_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        if (subject_id is None) == (actor_id is None):
            raise Invalid("give exactly one of subject_id and actor_id", field="subject_id")
        entries = await (audit.about(subject_id, limit) if subject_id else audit.by_actor(str(actor_id), limit))
        return [asdict(entry) for entry in entries]

    return router


def prepare_app(app: FastAPI, gatekeeper: Gatekeeper) -> FastAPI:
    """Correlation ids, traces and metrics, error answers, /metrics, /asyncapi, and the gate on every later route."""
    gatekeeper.install(app)
    app.state.gatekeeper = gatekeeper
    app.add_middleware(CorrelationIdMiddleware)
    app.add_middleware(ObservedRequestsMiddleware, service=gatekeeper.service)  # outermost: it times everything
    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    serve_asyncapi(app, gatekeeper.service)
    _describe_refusals(app)
    app.add_exception_handler(OwleryError, _owlery_error)
    return app
