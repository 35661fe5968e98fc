"""The gate in front of every endpoint: authenticate the caller, then apply the service's policy.

`Gatekeeper.install(app)` adds one dependency to every route the app defines after it, so no
endpoint can be born unprotected: a route missing from the policy is refused with 403 (and the
service's authorisation-matrix test names it). Authentication runs before the body is validated,
so an anonymous caller learns nothing about the request shape.
"""

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request

from shared.auth.policy import PUBLIC, Access, Guardrails, RequestFacts
from shared.auth.tokens import InvalidToken, Principal, TokenVerifier

logger = logging.getLogger(__name__)

BUILT_IN: Mapping[str, Access] = {
    "GET /health/live": PUBLIC,
    "GET /health/ready": PUBLIC,
    "GET /metrics": PUBLIC,
    "GET /asyncapi": PUBLIC,  # the event catalogue (shared.asyncapi): contracts, no data
    "GET /asyncapi.json": PUBLIC,
}

IsBlocked = Callable[[str], Awaitable[bool]]


def route_key(method: str, path: str) -> str:
    return f"{'GET' if method == 'HEAD' else method} {path}"


def route_keys(app: FastAPI) -> list[str]:
    """Every "METHOD /path" the app serves (not the docs pages), from its OpenAPI description.

    Read from the OpenAPI document rather than `app.routes`, which holds included routers as
    opaque entries: every route any router adds appears in the document.
    """
    methods = ("get", "put", "post", "patch", "delete")
    return sorted(
        route_key(method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method in methods
    )


def _unauthorized(description: str | None) -> HTTPException:
    challenge = 'Bearer realm="owlery"'
    if description is not None:
        challenge += f', error="invalid_token", error_description="{description}"'
    return HTTPException(
        401, description or "sign in: this endpoint needs a bearer token", {"WWW-Authenticate": challenge}
    )


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def _json_body(request: Request) -> Mapping[str, Any]:
    if "json" not in request.headers.get("content-type", ""):
        return {}
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class Gatekeeper:
    def __init__(
        self,
        guardrails: Guardrails,
        verifier: TokenVerifier,
        *,
        is_blocked: IsBlocked | None = None,
        provisioning_token: str | None = None,
        service: str = "unnamed",
    ) -> None:
        self.service = service
        """The service it guards, as its requests' metrics and spans name it."""
        self.policy: Mapping[str, Access] = {**BUILT_IN, **guardrails.policy}
        self.rules = guardrails.rules
        self.verifier = verifier
        self.is_blocked = is_blocked
        self._provisioning_token = provisioning_token

    def install(self, app: FastAPI) -> None:
        """Guard every route defined on `app` from now on."""
        app.router.dependencies.append(Depends(self.guard))

    async def guard(self, request: Request) -> None:
        route = request.scope.get("route")
        path = getattr(route, "path", request.url.path)
        access = self.policy.get(route_key(request.method, path))
        if access is None:
            logger.error("no access policy for %s %s: refused", request.method, path)
            raise HTTPException(403, "this endpoint has no access policy yet")
        if access.public:
            return
        if access.scheme == "provisioning":
            self._check_provisioning(request)
            return
        principal = await self.authenticate(request)
        if not access.admits_role(principal.roles):
            raise HTTPException(403, f"needs one of the roles: {', '.join(sorted(access.roles))}")
        if access.needs_ownership(principal.roles) and access.owner is not None:
            facts = RequestFacts(path=dict(request.path_params), body=await _json_body(request))
            if not await self.rules[access.owner](principal, facts):
                raise HTTPException(403, f"only allowed for the {access.owner}")
        request.state.principal = principal

    async def authenticate(self, request: Request) -> Principal:
        token = _bearer(request)
        if token is None:
            raise _unauthorized(None)
        try:
            principal = await self.verifier.verify(token)
        except InvalidToken as error:
            raise _unauthorized(str(error).replace('"', "'")) from error
        if self.is_blocked is not None and await self.is_blocked(principal.person_id):
            raise _unauthorized("the directory has deactivated this person")
        return principal

    def _check_provisioning(self, request: Request) -> None:
        token = _bearer(request)
        expected = self._provisioning_token
        if token is None or expected is None or not hmac.compare_digest(token.encode(), expected.encode()):
            raise _unauthorized(None if token is None else "not the provisioning token")


def caller(request: Request) -> Principal:
    """The signed-in caller, for handlers that act on their behalf (`Depends(caller)`)."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise HTTPException(401, "sign in: this endpoint needs a bearer token")
    return principal
