"""What every service's HTTP API shares: correlation ids, error answers, health endpoints."""

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import Conflict, Invalid, NotFound, OwleryError
from shared.observability import bind_correlation_id

CORRELATION_HTTP_HEADER = "x-correlation-id"

_STATUS = {NotFound: 404, Conflict: 409, Invalid: 422}


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

        await self.app(scope, receive, send_with_id)


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


def prepare_app(app: FastAPI) -> FastAPI:
    app.add_middleware(CorrelationIdMiddleware)
    app.add_exception_handler(OwleryError, _owlery_error)
    return app
