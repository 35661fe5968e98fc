"""The development issuer's authorisation code flow with PKCE, as the portal drives it (issue 13)."""

import secrets
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest_asyncio

from directory.bootstrap import bootstrap
from directory.entrypoints.dev_issuer import pkce_challenge
from directory.entrypoints.http import create_app
from directory.tests.test_api_on_real_servers import settings_for
from shared.persistence.mongo import connect
from tests.support.infra import Servers

CALLBACK = "http://portal.test/callback"


@pytest_asyncio.fixture
async def issuer(servers: Servers) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(servers)
    app = create_app(bootstrap(settings))
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://directory") as client,
        ):
            yield client
    finally:
        cleanup = connect(settings.mongodb_url)
        await cleanup.drop_database(settings.mongodb_database)
        await cleanup.close()


def authorize_query(verifier: str, **overrides: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "owlery-portal",
        "redirect_uri": CALLBACK,
        "state": "state-123",
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
        **overrides,
    }


async def code_for(client: httpx.AsyncClient, verifier: str, user_name: str = "tom@owlery.dev") -> str:
    answer = await client.get("/dev-oidc/authorize", params={**authorize_query(verifier), "user_name": user_name})
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    given = parse_qs(back.query)
    assert given["state"] == ["state-123"]
    return given["code"][0]


def exchange(verifier: str, code: str, **overrides: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": "owlery-portal",
        "code_verifier": verifier,
        **overrides,
    }


async def test_discovery_names_the_code_flow_with_pkce(issuer: httpx.AsyncClient) -> None:
    document = (await issuer.get("/dev-oidc/.well-known/openid-configuration")).json()
    assert document["authorization_endpoint"].endswith("/dev-oidc/authorize")
    assert document["response_types_supported"] == ["code"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert "authorization_code" in document["grant_types_supported"]


async def test_the_login_page_lists_the_demo_people_and_carries_the_request(issuer: httpx.AsyncClient) -> None:
    page = await issuer.get("/dev-oidc/authorize", params=authorize_query(secrets.token_urlsafe(40)))
    assert page.status_code == 200
    for user_name in ("anna@owlery.dev", "tom@owlery.dev", "irina@owlery.dev"):
        assert f'name="user_name" value="{user_name}"' in page.text
    assert 'name="state" value="state-123"' in page.text


async def test_a_code_is_exchanged_once_for_tokens_of_the_chosen_person(issuer: httpx.AsyncClient) -> None:
    verifier = secrets.token_urlsafe(40)
    code = await code_for(issuer, verifier)
    answer = await issuer.post("/dev-oidc/token", data=exchange(verifier, code))
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["roles"], claims["aud"]) == ("demo-tom", ["trainer"], "owlery")
    identity = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert (identity["aud"], identity["name"]) == ("owlery-portal", "Tom Baker")
    again = await issuer.post("/dev-oidc/token", data=exchange(verifier, code))
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_a_wrong_verifier_or_redirect_is_refused_and_burns_the_code(issuer: httpx.AsyncClient) -> None:
    verifier = secrets.token_urlsafe(40)
    code = await code_for(issuer, verifier)
    wrong = await issuer.post("/dev-oidc/token", data=exchange(secrets.token_urlsafe(40), code))
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert (await issuer.post("/dev-oidc/token", data=exchange(verifier, code))).status_code == 400
    other = await code_for(issuer, verifier)
    elsewhere = await issuer.post("/dev-oidc/token", data=exchange(verifier, other, redirect_uri="http://evil.test/cb"))
    assert elsewhere.status_code == 400


async def test_plain_pkce_and_other_response_types_go_back_as_errors(issuer: httpx.AsyncClient) -> None:
    verifier = secrets.token_urlsafe(40)
    plain = await issuer.get("/dev-oidc/authorize", params=authorize_query(verifier, code_challenge_method="plain"))
    assert plain.status_code == 302
    assert parse_qs(urlsplit(plain.headers["location"]).query)["error"] == ["invalid_request"]
    implicit = await issuer.get("/dev-oidc/authorize", params=authorize_query(verifier, response_type="token"))
    assert parse_qs(urlsplit(implicit.headers["location"]).query)["error"] == ["unsupported_response_type"]


async def test_the_direct_json_sign_in_still_works_and_an_unknown_grant_is_refused(issuer: httpx.AsyncClient) -> None:
    direct = await issuer.post("/dev-oidc/token", json={"user_name": "anna@owlery.dev"})
    assert direct.status_code == 200
    assert direct.json()["person_id"] == "demo-anna"
    assert (await issuer.post("/dev-oidc/token", json={"nobody": 1})).status_code == 422
    password = await issuer.post("/dev-oidc/token", data={"grant_type": "password"})
    assert password.json()["error"] == "unsupported_grant_type"
