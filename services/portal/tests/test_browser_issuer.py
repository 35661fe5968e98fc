"""The issuer by two addresses (containers): the portal calls one, the browser is sent to the other."""

from urllib.parse import urlsplit

import httpx

from portal.adapters.oidc import OidcClient, new_verifier

INSIDE = "http://directory:8005/dev-oidc"
OUTSIDE = "http://127.0.0.1:8005/dev-oidc"


def issuer(request: httpx.Request) -> httpx.Response:
    assert request.url.host == "directory", "the portal reaches the issuer by its in-network address"
    return httpx.Response(
        200, json={"authorization_endpoint": f"{INSIDE}/authorize", "token_endpoint": f"{INSIDE}/token"}
    )


def client(browser_issuer: str | None) -> OidcClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(issuer))
    return OidcClient(INSIDE, "owlery-portal", http, browser_issuer=browser_issuer)


async def test_the_browser_is_sent_to_the_issuers_browser_address() -> None:
    oidc = client(OUTSIDE + "/")
    try:
        url = urlsplit(await oidc.authorization_url("http://127.0.0.1:8000/callback", "s", new_verifier()))
        assert f"{url.scheme}://{url.netloc}{url.path}" == f"{OUTSIDE}/authorize"
        assert (await oidc.discovery())["token_endpoint"] == f"{INSIDE}/token"  # exchanged server to server
    finally:
        await oidc.http.aclose()


async def test_without_a_browser_address_discovery_is_used_as_it_is() -> None:
    oidc = client(None)
    try:
        url = urlsplit(await oidc.authorization_url("http://127.0.0.1:8000/callback", "s", new_verifier()))
        assert f"{url.scheme}://{url.netloc}{url.path}" == f"{INSIDE}/authorize"
    finally:
        await oidc.http.aclose()
