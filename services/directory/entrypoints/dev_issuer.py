"""The development sign-in: an OIDC issuer for `make run` that signs tokens for directory people.

Only in dev mode (settings refuse it otherwise). It publishes the discovery document and JWKS every
service verifies against, exactly as a company's identity provider does, and hands out an access
token for any active person by userName, so a new user can try every endpoint with curl.

For the portal it also speaks the authorisation code flow with PKCE (RFC 7636, S256 only): `/authorize`
shows a page listing the demo people to sign in as, then sends the browser back with a one-time code that
`/token` exchanges (form-encoded, `grant_type=authorization_code`) for an access token and an id token.
Codes live in this process's memory for a minute: enough for a development issuer, which runs as one process.
"""

import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from directory.domain.model import ProfileDraft
from directory.service import handlers
from directory.service.ports import People
from shared.auth.signing import TokenSigner

Role = Literal["employee", "trainer", "curator", "moderator", "hr_admin", "admin"]

TOKEN_LIFETIME_SECONDS = 8 * 3600

# The demo company: one person per role, in both languages, so every page and rule can be tried.
DEMO_PEOPLE: list[tuple[ProfileDraft, tuple[str, ...]]] = [
    (ProfileDraft("anna@owlery.dev", "Анна Смирнова", "anna@owlery.dev", "demo-anna", "Аналитика",
                  None, "Аналитик", "ru", "Europe/Moscow"), ()),
    (ProfileDraft("tom@owlery.dev", "Tom Baker", "tom@owlery.dev", "demo-tom", "QA", None,
                  "Test lead, internal trainer", "en", "Europe/London"), ("trainer",)),
    (ProfileDraft("irina@owlery.dev", "Ирина Кузнецова", "irina@owlery.dev", "demo-irina", "HR", None,
                  "Куратор программ", "ru", "Europe/Moscow"), ("curator",)),
    (ProfileDraft("max@owlery.dev", "Max Weber", "max@owlery.dev", "demo-max", "Engineering", None,
                  "Community moderator", "en", "Europe/Berlin"), ("moderator",)),
    (ProfileDraft("olga@owlery.dev", "Ольга Иванова", "olga@owlery.dev", "demo-olga", "HR", None,
                  "HR-администратор", "ru", "Asia/Yekaterinburg"), ("hr_admin",)),
    (ProfileDraft("root@owlery.dev", "Platform Admin", "root@owlery.dev", "demo-root", "IT", None,
                  "Administrator", "en", "UTC"), ("admin",)),
]  # fmt: skip

DEMO_ROLES = {draft.user_name: roles for draft, roles in DEMO_PEOPLE}


async def seed_demo_people(people: People) -> None:
    for draft, _ in DEMO_PEOPLE:
        await handlers.upsert_person(draft, people)


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_name: str = Field(min_length=1, examples=["anna@owlery.dev"], description="userName of an active person")
    roles: list[Role] | None = Field(
        None, description="Roles to put in the token; default: the demo person's roles, or none beyond employee"
    )


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    person_id: str
    id_token: str | None = Field(None, description="Only for the authorisation code grant: who signed in")


CODE_LIFETIME_SECONDS = 60


@dataclass(frozen=True)
class _Grant:
    person_id: str
    roles: tuple[str, ...]
    display_name: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    expires_at: float


def pkce_challenge(verifier: str) -> str:
    """S256: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _oauth_error(error: str, description: str) -> JSONResponse:
    """RFC 6749 5.2: token endpoint errors are 400 with `error` and a description."""
    return JSONResponse({"error": error, "error_description": description}, status_code=400)


_TOKEN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": TokenRequest.model_json_schema()},
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type", "code", "redirect_uri", "client_id", "code_verifier"],
                    "properties": {
                        name: {"type": "string"}
                        for name in ("grant_type", "code", "redirect_uri", "client_id", "code_verifier")
                    },
                }
            },
        },
    }
}


def _login_page(query: dict[str, str], people: list[tuple[str, str, tuple[str, ...]]], error: str | None) -> str:
    """A plain form: one submit button per demo person, the request's parameters carried as hidden fields."""
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in query.items()
    )
    buttons = "".join(
        f'<li><button type="submit" name="user_name" value="{html.escape(user_name)}">'
        f"{html.escape(name)} <small>{html.escape(user_name)} · {html.escape(', '.join(roles) or 'employee')}</small>"
        "</button></li>"
        for user_name, name, roles in people
    )
    problem = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Owlery development sign-in</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}}
ul{{list-style:none;padding:0}}button{{width:100%;text-align:left;padding:.75rem;margin:.25rem 0;font-size:1rem;
border:1px solid #555;border-radius:.4rem;background:#fff;cursor:pointer}}
button:focus,button:hover{{outline:3px solid #0b5cad}}
small{{display:block;color:#444}}[role=alert]{{color:#a00000}}</style></head>
<body><main><h1>Sign in to Owlery (development)</h1>
<p>Choose a demo person. Вход для разработки: выберите демо-пользователя.</p>{problem}
<form method="get" action="authorize">{hidden}<ul>{buttons}</ul></form></main></body></html>"""


def dev_issuer_router(signer: TokenSigner, people: People, audience: str) -> APIRouter:
    router = APIRouter(prefix="/dev-oidc", tags=["development sign-in"])

    grants: dict[str, _Grant] = {}

    @router.get("/.well-known/openid-configuration", summary="OIDC discovery")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": signer.issuer,
            "jwks_uri": f"{signer.issuer}/jwks",
            "authorization_endpoint": f"{signer.issuer}/authorize",
            "token_endpoint": f"{signer.issuer}/token",
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["openid"],
            "subject_types_supported": ["public"],
        }

    @router.get("/jwks", summary="The keys tokens are signed with")
    async def jwks() -> dict[str, Any]:
        return signer.jwks()

    @router.get("/authorize", response_class=HTMLResponse, summary="Sign-in page of the code flow (PKCE S256)")
    async def authorize(
        response_type: str,
        client_id: Annotated[str, Query(min_length=1, max_length=200)],
        redirect_uri: Annotated[str, Query(max_length=2000)],
        code_challenge: Annotated[str, Query(min_length=43, max_length=128)],
        state: Annotated[str, Query(max_length=500)] = "",
        code_challenge_method: str = "plain",
        scope: str = "openid",
        user_name: Annotated[str | None, Query(description="The person chosen on the page")] = None,
    ) -> Response:
        target = urlsplit(redirect_uri)
        if target.scheme not in ("http", "https") or not target.netloc:
            raise HTTPException(400, "redirect_uri: an absolute http(s) address is needed")
        # Errors about the request itself go back to the client, as RFC 6749 4.1.2.1 asks.
        if response_type != "code":
            return _back(redirect_uri, error="unsupported_response_type", state=state)
        if code_challenge_method != "S256":
            return _back(redirect_uri, error="invalid_request", state=state, description="PKCE S256 is required")
        query = {
            "response_type": response_type,
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": code_challenge_method,
            "scope": scope,
        }
        choices = [(draft.user_name, draft.display_name, roles) for draft, roles in DEMO_PEOPLE]
        if user_name is None:
            return HTMLResponse(_login_page(query, choices, None))
        person = await handlers.find_by_user_name(user_name, people)
        if person is None or not person.active:
            return HTMLResponse(_login_page(query, choices, f"{user_name} cannot sign in"), status_code=400)
        now = time.monotonic()
        for stale in [code for code, grant in grants.items() if grant.expires_at < now]:
            del grants[stale]
        code = secrets.token_urlsafe(32)
        grants[code] = _Grant(
            person.id,
            DEMO_ROLES.get(person.user_name, ()),
            person.display_name,
            client_id,
            redirect_uri,
            code_challenge,
            now + CODE_LIFETIME_SECONDS,
        )
        return _back(redirect_uri, code=code, state=state)

    @router.post(
        "/token",
        response_model=TokenResponse,
        summary="Sign in as a directory person (JSON, dev only), or exchange an authorisation code (form)",
        openapi_extra=_TOKEN_BODY,
    )
    async def token(request: Request) -> Any:
        body = await request.body()
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = {key: values[0] for key, values in parse_qs(body.decode("utf-8", "replace")).items()}
            return exchange_code(form)
        try:
            direct = TokenRequest.model_validate_json(body)
        except ValidationError as error:
            # The same answer FastAPI gives a body that fails its model.
            problems = error.errors(include_url=False, include_input=False, include_context=False)
            return JSONResponse({"detail": problems}, status_code=422)
        return await direct_token(direct)

    async def direct_token(request: TokenRequest) -> TokenResponse:
        person = await handlers.find_by_user_name(request.user_name, people)
        if person is None:
            raise HTTPException(400, f"user_name: nobody called {request.user_name!r} is in the directory")
        if not person.active:
            raise HTTPException(400, f"user_name: {request.user_name!r} is deactivated and cannot sign in")
        roles = request.roles if request.roles is not None else DEMO_ROLES.get(person.user_name, ())
        access_token = signer.sign(person.id, roles, audience=audience, lifetime_seconds=TOKEN_LIFETIME_SECONDS)
        return TokenResponse(access_token=access_token, expires_in=TOKEN_LIFETIME_SECONDS, person_id=person.id)

    def exchange_code(form: dict[str, str]) -> Response | TokenResponse:
        if form.get("grant_type") != "authorization_code":
            return _oauth_error("unsupported_grant_type", "only authorization_code is served as a form")
        grant = grants.pop(form.get("code", ""), None)  # one use only, even when the rest is wrong
        if grant is None or grant.expires_at < time.monotonic():
            return _oauth_error("invalid_grant", "the code is unknown, used or expired")
        if form.get("client_id") != grant.client_id or form.get("redirect_uri") != grant.redirect_uri:
            return _oauth_error("invalid_grant", "client_id or redirect_uri differ from the authorisation request")
        if pkce_challenge(form.get("code_verifier", "")) != grant.code_challenge:
            return _oauth_error("invalid_grant", "the code_verifier does not match the code_challenge")
        access_token = signer.sign(
            grant.person_id, grant.roles, audience=audience, lifetime_seconds=TOKEN_LIFETIME_SECONDS
        )
        id_token = signer.sign(
            grant.person_id,
            grant.roles,
            audience=grant.client_id,
            lifetime_seconds=TOKEN_LIFETIME_SECONDS,
            extra_claims={"name": grant.display_name},
        )
        return TokenResponse(
            access_token=access_token, expires_in=TOKEN_LIFETIME_SECONDS, person_id=grant.person_id, id_token=id_token
        )

    return router


def _back(redirect_uri: str, **parameters: str) -> RedirectResponse:
    given = {("error_description" if key == "description" else key): value for key, value in parameters.items()}
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(given)}", status_code=302)
