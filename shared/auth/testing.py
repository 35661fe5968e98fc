"""A stand-in identity provider for tests: signs tokens a service built in the test will trust."""

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from fastapi import FastAPI

from shared.auth.http import Gatekeeper, route_keys
from shared.auth.signing import TokenSigner
from shared.auth.tokens import EMPLOYEE, ROLES, KeySet, TokenVerifier, static_key_fetcher
from shared.runtime import ServiceRuntime

TEST_ISSUER = "https://issuer.test.owlery"


@dataclass
class TestIssuer:
    __test__ = False  # not a test class, whatever pytest thinks of the name

    signer: TokenSigner = field(default_factory=lambda: TokenSigner.generate(TEST_ISSUER))

    def trust(self, runtime: ServiceRuntime) -> None:
        """Make `runtime` verify tokens against this issuer's keys (before its app is created)."""
        runtime.token_verifier = TokenVerifier(
            replace(runtime.token_verifier.rules, issuer=self.signer.issuer),
            KeySet(static_key_fetcher(self.signer.jwks())),
        )

    def token(self, person_id: str, *roles: str, audience: str = "owlery", lifetime_seconds: int = 3600) -> str:
        return self.signer.sign(person_id, roles, audience=audience, lifetime_seconds=lifetime_seconds)

    def headers(self, person_id: str, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(person_id, *roles)}"}


@dataclass(frozen=True)
class Call:
    """One example request to an endpoint, about a record owned by `owner` (see `Example`)."""

    method: str
    path: str
    json: dict[str, Any] | None = None
    csv: str | None = None
    """A text/csv body instead of JSON."""
    owner_roles: tuple[str, ...] = (EMPLOYEE,)
    """Roles the owner signs in with when the matrix calls as the owner."""
    missing_path: str | None = None
    """The same request about something that does not exist: expected 404 for whoever may call it."""


Example = Callable[[str], Awaitable[Call]]
"""Builds a fresh request (creating what it needs) about a record owned by the given person id."""


def _ok(status: int) -> bool:
    return 200 <= status < 300


async def authorization_matrix(
    client: httpx.AsyncClient,
    app: FastAPI,
    issuer: TestIssuer,
    examples: Mapping[str, Example],
    *,
    provisioning_token: str | None = None,
) -> list[str]:
    """Call every route of `app` as nobody, as every role, as an outsider and as the owner; return mismatches.

    Each caller who is not the owner owns nothing, so a route with an ownership rule must refuse them
    unless their role lifts the rule. A route with no policy or no example is itself a mismatch.
    """
    gatekeeper: Gatekeeper = app.state.gatekeeper
    problems: list[str] = []

    async def expect(key: str, who: str, call: Call, headers: dict[str, str], wanted: str) -> None:
        if call.csv is not None:
            headers = {**headers, "content-type": "text/csv"}
        content = call.csv.encode() if call.csv is not None else None
        answer = await client.request(call.method, call.path, json=call.json, content=content, headers=headers)
        status = answer.status_code
        fine = {"2xx": _ok(status), "401": status == 401, "403": status == 403, "404": status == 404}[wanted]
        if not fine:
            problems.append(f"{key} as {who}: wanted {wanted}, got {status} {answer.text[:200]}")

    for key in route_keys(app):
        access = gatekeeper.policy.get(key)
        example = examples.get(key)
        if access is None:
            problems.append(f"{key}: no access policy")
            continue
        if example is None:
            problems.append(f"{key}: no example request in the authorisation matrix")
            continue
        if access.public:
            await expect(key, "anonymous", await example(_someone()), {}, "2xx")
            continue
        # One record serves every caller who must be refused: a refused request changes nothing.
        refused = await example(_someone())
        await expect(key, "anonymous", refused, {}, "401")
        if access.scheme == "provisioning":
            assert provisioning_token is not None, "the matrix needs the provisioning token"
            bearer = {"Authorization": f"Bearer {provisioning_token}"}
            await expect(key, "provisioning system", await example(_someone()), bearer, "2xx")
            await expect(key, "employee", refused, issuer.headers("matrix-employee"), "401")
            continue
        for role in (*ROLES, "outsider"):
            roles = (EMPLOYEE,) if role == "outsider" else (role,)
            caller = f"matrix-{role}-{_someone()}"
            if not access.admits_role({EMPLOYEE, *roles}) or access.needs_ownership({EMPLOYEE, *roles}):
                wanted = "403"
            else:
                wanted = "2xx"
            # Where ownership matters the record is someone else's; elsewhere it may as well be the caller's.
            call = refused if wanted == "403" else await example(_someone() if access.owner else caller)
            await expect(key, role, call, issuer.headers(caller, *roles), wanted)
        owner = f"matrix-owner-{_someone()}"
        call = await example(owner)
        owner_wanted = "2xx" if access.admits_role({EMPLOYEE, *call.owner_roles}) else "403"
        await expect(key, "owner", call, issuer.headers(owner, *call.owner_roles), owner_wanted)
        if call.missing_path is not None and owner_wanted == "2xx":
            missing = Call(call.method, call.missing_path, call.json, call.csv, call.owner_roles)
            await expect(key, "owner, missing record", missing, issuer.headers(owner, *call.owner_roles), "404")
    return problems


def _someone() -> str:
    return f"person-{uuid.uuid4().hex[:10]}"


def about(method: str, path: str, json: dict[str, Any] | None = None) -> Example:
    """An example whose request needs nothing created first; `{person}` in the path names the owner."""

    async def example(owner: str) -> Call:
        return Call(method, path.format(person=owner), json)

    return example
