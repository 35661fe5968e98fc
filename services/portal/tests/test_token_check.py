"""The portal believes an access token only once verified: signature against the issuer's JWKS, issuer,
audience (when configured), expiry; a token that fails signs the person out. Keys are made here, no network."""

import base64
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from itsdangerous import TimestampSigner

from portal.adapters.oidc import OidcClient
from portal.tests.test_pages import SIGNER, Fakes, portal_over, sign_in
from shared.auth.signing import TokenSigner, _parsed
from shared.auth.tokens import InvalidToken

ISSUER = "http://issuer.test/dev-oidc"


class Issuer:
    """Discovery and a JWKS that can rotate, counting how often the keys are fetched."""

    def __init__(self, signer: TokenSigner) -> None:
        self.signer = signer
        self.key_fetches = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(200, json={"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks"})
        if request.url.path.endswith("/jwks"):
            self.key_fetches += 1
            return httpx.Response(200, json=self.signer.jwks())
        return httpx.Response(404)


def client_of(issuer: Issuer, audience: str | None = None, refresh: float = 30.0) -> OidcClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(issuer))
    return OidcClient(ISSUER, "owlery-portal", http, audience=audience, min_key_refresh_seconds=refresh)


def forged(claims: dict[str, Any], kid: str) -> str:
    """Signed with a key of our own, under the real key's id: what a forger can make."""
    other = TokenSigner.generate(ISSUER)
    return jwt.encode(claims, _parsed(other.private_key_pem), algorithm="RS256", headers={"kid": kid})


async def test_a_token_the_issuer_signed_is_believed_and_a_forged_one_is_not() -> None:
    signer = TokenSigner.generate(ISSUER)
    issuer = Issuer(signer)
    oidc = client_of(issuer)
    claims = await oidc.verify(signer.sign("demo-olga", ["hr_admin"]))
    assert (claims["sub"], claims["roles"]) == ("demo-olga", ["hr_admin"])

    genuine = jwt.decode(signer.sign("demo-anna"), options={"verify_signature": False})
    with pytest.raises(InvalidToken, match="invalid token"):
        await oidc.verify(forged({**genuine, "roles": ["admin"]}, signer.kid))
    with pytest.raises(InvalidToken, match="malformed"):
        await oidc.verify("not-a-token")
    unsigned = jwt.encode(genuine, key=None, algorithm="none")  # type: ignore[arg-type]
    with pytest.raises(InvalidToken, match="algorithm"):
        await oidc.verify(unsigned)
    assert issuer.key_fetches == 1  # cached: one fetch served every check


async def test_issuer_expiry_and_a_configured_audience_are_checked() -> None:
    signer = TokenSigner.generate(ISSUER)
    oidc = client_of(Issuer(signer))
    stranger = TokenSigner(f"{ISSUER}-other", signer.private_key_pem)  # the same key, another issuer
    with pytest.raises(InvalidToken, match="issuer"):
        await oidc.verify(stranger.sign("demo-anna"))
    with pytest.raises(InvalidToken, match="expired"):
        await oidc.verify(signer.sign("demo-anna", issued_at=time.time() - 7200, lifetime_seconds=3600))
    # No audience configured: any is accepted; configured: it must match.
    assert (await oidc.verify(signer.sign("demo-anna", audience="elsewhere")))["sub"] == "demo-anna"
    strict = client_of(Issuer(signer), audience="owlery")
    assert (await strict.verify(signer.sign("demo-anna", audience="owlery")))["sub"] == "demo-anna"
    with pytest.raises(InvalidToken, match=r"(?i)audience"):
        await strict.verify(signer.sign("demo-anna", audience="elsewhere"))


async def test_a_new_key_is_fetched_once_when_a_token_names_it() -> None:
    old, new = TokenSigner.generate(ISSUER), TokenSigner.generate(ISSUER)
    issuer = Issuer(old)
    oidc = client_of(issuer, refresh=0.0)
    await oidc.verify(old.sign("demo-anna"))
    issuer.signer = new  # the provider rotates its key
    assert (await oidc.verify(new.sign("demo-anna")))["sub"] == "demo-anna"
    assert issuer.key_fetches == 2
    await oidc.verify(new.sign("demo-tom"))
    assert issuer.key_fetches == 2  # the new key is now known
    rate_limited = client_of(Issuer(old))
    await rate_limited.verify(old.sign("demo-anna"))
    for _ in range(3):  # made-up key ids do not turn into a flood of requests to the issuer
        with pytest.raises(InvalidToken, match="unknown key"):
            await rate_limited.verify(forged({"iss": ISSUER, "sub": "x", "exp": time.time() + 60}, "made-up"))


def session_cookie(session: dict[str, Any], secret: str = "dev-only-portal-session") -> str:
    """A session cookie as Starlette's SessionMiddleware signs it: what anyone holding the secret can make."""
    data = base64.b64encode(json.dumps(session).encode())
    return TimestampSigner(secret).sign(data).decode()


async def test_a_forged_token_in_the_session_signs_the_person_out() -> None:
    fakes = Fakes()
    async with portal_over(fakes) as browser:
        genuine = jwt.decode(SIGNER.sign("demo-anna"), options={"verify_signature": False})
        token = forged({**genuine, "roles": ["hr_admin", "curator"]}, SIGNER.kid)
        who = {"person_id": "demo-anna", "name": "Anna", "roles": ["hr_admin", "curator"], "token": token}
        browser.cookies.set("owlery_portal", session_cookie({"who": who}), domain="portal.test")
        page = await browser.get("/hr")
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2Fhr"
        welcome = await browser.get("/")  # signed out: the welcome page, no menus
        assert welcome.status_code == 200
        assert 'href="/hr"' not in welcome.text and 'href="/curation"' not in welcome.text

        await sign_in(browser, fakes)  # a genuine sign-in: the token's roles (trainer), not the cookie's
        catalogue = await browser.get("/catalogue")
        assert catalogue.status_code == 200
        assert 'href="/teaching"' in catalogue.text
        assert 'href="/hr"' not in catalogue.text
