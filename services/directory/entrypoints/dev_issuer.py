"""The development sign-in: an OIDC issuer for `make run` that signs tokens for directory people.

Only in dev mode (settings refuse it otherwise). It publishes the discovery document and JWKS every
service verifies against, exactly as a company's identity provider does, and hands out an access
token for any active person by userName, so a new user can try every endpoint with curl.
"""

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

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


def dev_issuer_router(signer: TokenSigner, people: People, audience: str) -> APIRouter:
    router = APIRouter(prefix="/dev-oidc", tags=["development sign-in"])

    @router.get("/.well-known/openid-configuration", summary="OIDC discovery")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": signer.issuer,
            "jwks_uri": f"{signer.issuer}/jwks",
            "token_endpoint": f"{signer.issuer}/token",
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
        }

    @router.get("/jwks", summary="The keys tokens are signed with")
    async def jwks() -> dict[str, Any]:
        return signer.jwks()

    @router.post("/token", response_model=TokenResponse, summary="Sign in as a directory person (dev only)")
    async def token(request: TokenRequest) -> TokenResponse:
        person = await handlers.find_by_user_name(request.user_name, people)
        if person is None:
            raise HTTPException(400, f"user_name: nobody called {request.user_name!r} is in the directory")
        if not person.active:
            raise HTTPException(400, f"user_name: {request.user_name!r} is deactivated and cannot sign in")
        roles = request.roles if request.roles is not None else DEMO_ROLES.get(person.user_name, ())
        access_token = signer.sign(person.id, roles, audience=audience, lifetime_seconds=TOKEN_LIFETIME_SECONDS)
        return TokenResponse(access_token=access_token, expires_in=TOKEN_LIFETIME_SECONDS, person_id=person.id)

    return router
