"""Tokens, roles and policies as a caller meets them: who gets in, who gets 401, who gets 403."""

import time
from collections.abc import Mapping
from typing import Annotated, Any

import httpx
import jwt
import pytest
from fastapi import APIRouter, Depends, FastAPI
from pydantic import SecretStr, ValidationError

from shared.auth.http import Gatekeeper, caller
from shared.auth.policy import OWN_RECORD, SIGNED_IN, Guardrails, allow, own_record
from shared.auth.signing import TokenSigner
from shared.auth.testing import TestIssuer, authorization_matrix
from shared.auth.tokens import InvalidToken, KeySet, Principal, TokenRules, TokenVerifier, static_key_fetcher
from shared.settings import ServiceSettings

ISSUER = "https://login.example.com/tenant"


def verifier_for(*signers: TokenSigner, role_map: Mapping[str, str] | None = None) -> TokenVerifier:
    keys = {"keys": [key for signer in signers for key in signer.jwks()["keys"]]}
    rules = TokenRules(issuer=ISSUER, audience="owlery", role_map=role_map or {})
    return TokenVerifier(rules, KeySet(static_key_fetcher(keys)))


async def test_a_valid_token_names_the_person_and_roles_everyone_is_an_employee() -> None:
    signer = TokenSigner.generate(ISSUER)
    principal = await verifier_for(signer).verify(signer.sign("ann", ["trainer", "not-an-owlery-role"]))
    assert principal.person_id == "ann"
    assert principal.roles == {"employee", "trainer"}


async def test_idp_groups_map_to_owlery_roles() -> None:
    signer = TokenSigner.generate(ISSUER)
    verifier = verifier_for(signer, role_map={"Owlery-HR": "hr_admin"})
    principal = await verifier.verify(signer.sign("hr", ["Owlery-HR"]))
    assert principal.roles == {"employee", "hr_admin"}


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (lambda s: s.sign("ann", lifetime_seconds=-120), "expired"),
        (lambda s: s.sign("ann", audience="another-app"), "another audience"),
        (lambda s: TokenSigner(ISSUER + "/evil", s.private_key_pem).sign("ann"), "another issuer"),
        (lambda s: "not.a.jwt", "malformed"),
    ],
)
async def test_untrustworthy_tokens_are_refused_with_the_reason(forge: Any, reason: str) -> None:
    signer = TokenSigner.generate(ISSUER)
    with pytest.raises(InvalidToken, match=reason):
        await verifier_for(signer).verify(forge(signer))


async def test_a_token_signed_by_another_key_under_a_known_kid_is_refused() -> None:
    genuine, impostor = TokenSigner.generate(ISSUER), TokenSigner.generate(ISSUER)
    forged = jwt.encode(
        {"iss": ISSUER, "aud": "owlery", "sub": "ann", "iat": int(time.time()), "exp": int(time.time()) + 60},
        impostor._private_key,
        algorithm="RS256",
        headers={"kid": genuine.kid},
    )
    with pytest.raises(InvalidToken, match="invalid token"):
        await verifier_for(genuine).verify(forged)


async def test_the_algorithm_is_pinned_not_taken_from_the_token() -> None:
    signer = TokenSigner.generate(ISSUER)
    claims = {"iss": ISSUER, "aud": "owlery", "sub": "ann", "iat": int(time.time()), "exp": int(time.time()) + 60}
    unsigned = jwt.encode(claims, key=None, algorithm="none", headers={"kid": signer.kid})  # type: ignore[arg-type]
    with pytest.raises(InvalidToken, match="algorithm 'none'"):
        await verifier_for(signer).verify(unsigned)
    hmac_with_public_key = jwt.encode(claims, "x" * 32, algorithm="HS256", headers={"kid": signer.kid})
    with pytest.raises(InvalidToken, match="algorithm 'HS256'"):
        await verifier_for(signer).verify(hmac_with_public_key)


async def test_keys_are_fetched_again_when_the_issuer_rotates_to_a_new_kid() -> None:
    old, new = TokenSigner.generate(ISSUER), TokenSigner.generate(ISSUER)
    published = {"keys": old.jwks()["keys"]}
    fetches = 0

    async def fetch() -> Mapping[str, Any]:
        nonlocal fetches
        fetches += 1
        return published

    verifier = TokenVerifier(TokenRules(ISSUER, "owlery"), KeySet(fetch, min_refresh_seconds=0))
    assert (await verifier.verify(old.sign("ann"))).person_id == "ann"
    assert (await verifier.verify(old.sign("bob"))).person_id == "bob"
    assert fetches == 1  # cached

    published = {"keys": new.jwks()["keys"]}  # the issuer rotated its signing key
    assert (await verifier.verify(new.sign("cid"))).person_id == "cid"
    assert fetches == 2


async def test_made_up_key_ids_do_not_hammer_the_issuer() -> None:
    signer, stranger = TokenSigner.generate(ISSUER), TokenSigner.generate(ISSUER)
    fetches = 0

    async def fetch() -> Mapping[str, Any]:
        nonlocal fetches
        fetches += 1
        return signer.jwks()

    verifier = TokenVerifier(TokenRules(ISSUER, "owlery"), KeySet(fetch, min_refresh_seconds=60))
    for _ in range(5):
        with pytest.raises(InvalidToken, match="unknown key"):
            await verifier.verify(stranger.sign("ann"))
    assert fetches == 1


# --- the gate on a small app ------------------------------------------------------------------


def small_app(issuer: TestIssuer, blocked: frozenset[str] = frozenset()) -> FastAPI:
    async def is_blocked(person_id: str) -> bool:
        return person_id in blocked

    rules = TokenRules(issuer=issuer.signer.issuer, audience="owlery")
    verifier = TokenVerifier(rules, KeySet(static_key_fetcher(issuer.signer.jwks())))
    guardrails = Guardrails(
        policy={
            "GET /catalogue": SIGNED_IN,
            "POST /courses": allow("trainer", "admin"),
            "GET /people/{person_id}/points": allow("employee", owner=OWN_RECORD, unless=["hr_admin"]),
            "POST /applications": allow("employee", owner=OWN_RECORD, unless=["hr_admin"]),
        },
        rules={OWN_RECORD: own_record("person_id")},
    )
    gatekeeper = Gatekeeper(guardrails, verifier, is_blocked=is_blocked)
    app = FastAPI()
    gatekeeper.install(app)
    app.state.gatekeeper = gatekeeper

    @app.get("/catalogue")
    async def catalogue(who: Annotated[Principal, Depends(caller)]) -> dict[str, str]:
        return {"reader": who.person_id}

    @app.post("/courses", status_code=201)
    async def create_course() -> dict[str, str]:
        return {"id": "c1"}

    @app.get("/people/{person_id}/points")
    async def points(person_id: str) -> dict[str, int]:
        return {"points": 0}

    @app.post("/applications", status_code=201)
    async def apply(body: dict[str, str]) -> dict[str, str]:
        return body

    @app.get("/forgotten")
    async def forgotten() -> dict[str, str]:
        return {"secret": "everyone"}

    included = APIRouter(prefix="/included")

    @included.get("/forgotten")
    async def forgotten_in_a_router() -> dict[str, str]:
        return {"secret": "everyone"}

    app.include_router(included)

    return app


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app")


async def test_no_token_gets_401_with_a_bearer_challenge() -> None:
    async with client_for(small_app(TestIssuer())) as client:
        answer = await client.get("/catalogue")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer realm="owlery"'


async def test_a_bad_token_gets_401_that_says_why() -> None:
    issuer = TestIssuer()
    expired = issuer.token("ann", lifetime_seconds=-300)
    async with client_for(small_app(issuer)) as client:
        answer = await client.get("/catalogue", headers={"Authorization": f"Bearer {expired}"})
        foreign = await client.get("/catalogue", headers=TestIssuer().headers("ann"))
    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]
    assert "expired" in answer.headers["www-authenticate"]
    assert foreign.status_code == 401


async def test_roles_and_ownership_decide_between_2xx_and_403() -> None:
    issuer = TestIssuer()
    async with client_for(small_app(issuer)) as client:
        assert (await client.get("/catalogue", headers=issuer.headers("ann"))).json() == {"reader": "ann"}
        refused = await client.post("/courses", headers=issuer.headers("ann"))
        assert refused.status_code == 403
        assert "trainer" in refused.json()["detail"]
        assert (await client.post("/courses", headers=issuer.headers("tom", "trainer"))).status_code == 201
        assert (await client.get("/people/ann/points", headers=issuer.headers("ann"))).status_code == 200
        assert (await client.get("/people/bob/points", headers=issuer.headers("ann"))).status_code == 403
        assert (await client.get("/people/bob/points", headers=issuer.headers("hr", "hr_admin"))).status_code == 200


async def test_ownership_in_the_body_cannot_be_claimed_for_someone_else() -> None:
    issuer = TestIssuer()
    async with client_for(small_app(issuer)) as client:
        own = await client.post("/applications", json={"person_id": "ann"}, headers=issuer.headers("ann"))
        other = await client.post("/applications", json={"person_id": "bob"}, headers=issuer.headers("ann"))
    assert own.status_code == 201
    assert other.status_code == 403


async def test_an_endpoint_without_a_policy_is_refused_and_the_matrix_names_it() -> None:
    issuer = TestIssuer()
    app = small_app(issuer)
    async with client_for(app) as client:
        assert (await client.get("/forgotten", headers=issuer.headers("root", "admin"))).status_code == 403
        assert (await client.get("/included/forgotten", headers=issuer.headers("root", "admin"))).status_code == 403
        problems = await authorization_matrix(client, app, issuer, examples={})
    assert "GET /forgotten: no access policy" in problems
    assert "GET /included/forgotten: no access policy" in problems
    assert "GET /catalogue: no example request in the authorisation matrix" in problems


async def test_a_deactivated_person_cannot_use_a_token_they_still_hold() -> None:
    issuer = TestIssuer()
    async with client_for(small_app(issuer, blocked=frozenset({"gone"}))) as client:
        answer = await client.get("/catalogue", headers=issuer.headers("gone"))
    assert answer.status_code == 401
    assert "deactivated" in answer.headers["www-authenticate"]


def test_production_refuses_the_development_issuer_and_default_secrets() -> None:
    class Settings(ServiceSettings):
        mongodb_database: str = "x"
        consumer_group: str = "x"
        http_port: int = 1
        scim_token: SecretStr = SecretStr("dev-only-scim-token")

    with pytest.raises(ValidationError, match="development issuer"):
        Settings(mode="production")
    with pytest.raises(ValidationError, match="scim_token"):
        Settings(mode="production", oidc_issuer=ISSUER)
    assert Settings(mode="production", oidc_issuer=ISSUER, scim_token=SecretStr("s3cr3t")).mode == "production"
    assert Settings(mode="dev").mode == "dev"
