"""The portal as an OIDC client: authorisation code flow with PKCE (S256), no client secret.

The browser goes to the issuer's authorization_endpoint itself; the code comes back to /callback and
the portal exchanges it at the token_endpoint server to server. Both addresses come from discovery.
"""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx


def new_verifier() -> str:
    """43-128 characters of [A-Za-z0-9-._~] (RFC 7636 4.1): 64 url-safe characters."""
    return secrets.token_urlsafe(48)


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class SignInFailed(Exception):
    pass


@dataclass
class Tokens:
    access_token: str
    id_token: str | None


class OidcClient:
    def __init__(self, issuer: str, client_id: str, http: httpx.AsyncClient, browser_issuer: str | None = None) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.http = http
        self.browser_issuer = browser_issuer.rstrip("/") if browser_issuer else None
        """Where browsers reach the issuer, when the portal reaches it by another address (a container network)."""
        self._discovery: dict[str, Any] | None = None

    async def discovery(self) -> dict[str, Any]:
        if self._discovery is None:
            answer = await self.http.get(f"{self.issuer}/.well-known/openid-configuration")
            answer.raise_for_status()
            self._discovery = dict(answer.json())
        return self._discovery

    async def reachable(self) -> bool:
        try:
            await self.discovery()
        except (httpx.HTTPError, ValueError):
            return False
        return True

    async def authorization_url(self, redirect_uri: str, state: str, verifier: str) -> str:
        endpoint = str((await self.discovery())["authorization_endpoint"])
        if self.browser_issuer and endpoint.startswith(self.issuer + "/"):
            endpoint = self.browser_issuer + endpoint.removeprefix(self.issuer)
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid",
            "state": state,
            "code_challenge": challenge_of(verifier),
            "code_challenge_method": "S256",
        }
        return f"{endpoint}?{urlencode(query)}"

    async def exchange(self, code: str, redirect_uri: str, verifier: str) -> Tokens:
        endpoint = (await self.discovery())["token_endpoint"]
        answer = await self.http.post(
            endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self.client_id,
                "code_verifier": verifier,
            },
        )
        if answer.status_code != 200:
            raise SignInFailed(answer.text[:300])
        body = answer.json()
        return Tokens(str(body["access_token"]), body.get("id_token"))
