"""Every service's event catalogue over HTTP: `GET /asyncapi.json` (AsyncAPI 3.0.0) and `GET /asyncapi` (HTML).

Public like /metrics (see `BUILT_IN` in shared.auth.http): it describes contracts, never data. What the
service consumes is read from its runtime's consumer, found through the app's lifespan (`runtime.lifespan`,
which every service hands to FastAPI), so no service's HTTP module has to pass it on.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

from shared.contracts.asyncapi import render_html, service_document
from shared.runtime import ServiceRuntime


def runtime_of(app: FastAPI) -> ServiceRuntime | None:
    """The runtime whose lifespan the app was built with; read before routers are included (they wrap it)."""
    owner = getattr(app.router.lifespan_context, "__self__", None)
    return owner if isinstance(owner, ServiceRuntime) else None


def document_for(service: str, version: str, runtime: ServiceRuntime | None) -> dict[str, Any]:
    if runtime is None:  # an app without a runtime (a test's): what it publishes only
        return service_document(service, (), version=version)
    return service_document(
        service,
        runtime.consumer.handled_types,
        version=version,
        bootstrap_servers=runtime.settings.kafka_bootstrap_servers,
        topic_prefix=runtime.settings.topic_prefix,
        consumer_group=runtime.consumer.name,
    )


def serve_asyncapi(app: FastAPI, service: str) -> None:
    """Add the two routes; the document is built at the first request, after bootstrap registered every handler."""
    runtime = runtime_of(app)
    built: dict[str, Any] = {}

    def document() -> dict[str, Any]:
        if not built:
            built["json"] = document_for(service, app.version, runtime)
            built["html"] = render_html(built["json"])
        return built

    async def asyncapi_json() -> JSONResponse:
        return JSONResponse(document()["json"])

    async def asyncapi_html() -> HTMLResponse:
        return HTMLResponse(document()["html"])

    app.add_api_route("/asyncapi.json", asyncapi_json, methods=["GET"], include_in_schema=False)
    app.add_api_route("/asyncapi", asyncapi_html, methods=["GET"], include_in_schema=False)
