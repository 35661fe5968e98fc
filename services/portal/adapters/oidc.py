"""The portal as an OIDC client: authorisation code flow with PKCE (S256), no client secret.

The browser goes to the issuer's authorization_endpoint itself; the code comes back to /callback and
the portal exchanges it at the token_endpoint server to server. Both addresses come from discovery.

The access token is verified (`verify`) before anything in it is believed, at sign-in and on every page:
its signature against the issuer's JWKS (the `jwks_uri` of discovery, cached and fetched again when a
token names an unknown `kid`: key rotation), its issuer, its audience when one is configured, its expiry.
The session cookie is signed too, but a leaked session secret must not be enough to show someone the
menus of roles they do not hold.
"""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from shared.auth.tokens import InvalidToken, KeySet

ALGORITHMS = ("RS256",)
LEEWAY_SECONDS = 30.0


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
    def __init__(
        self,
        issuer: str,
        client_id: str,
        http: httpx.AsyncClient,
        browser_issuer: str | None = None,
        audience: str | None = None,
        min_key_refresh_seconds: float = 30.0,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        """The `aud` access tokens must carry; None: not checked (some providers name the API, not the portal)."""
        self.keys = KeySet(self._fetch_keys, min_refresh_seconds=min_key_refresh_seconds)
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

    async def _fetch_keys(self) -> dict[str, Any]:
        answer = await self.http.get(str((await self.discovery())["jwks_uri"]))
        answer.raise_for_status()
        return dict(answer.json())

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims once its signature, issuer, audience (if configured) and expiry are checked.

        Raises `InvalidToken` otherwise. The algorithm is pinned here, never taken from the token.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(f"malformed token: {error}") from error
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token names no signing key (kid)")
        key = await self.keys.key(kid)  # InvalidToken when the issuer does not know it either
        required = ["exp", "iss", *(["aud"] if self.audience else [])]
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=list(ALGORITHMS),
                issuer=self.issuer,
                audience=self.audience,
                leeway=LEEWAY_SECONDS,
                options={"require": required, "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(f"invalid token: {error}") from error
        return claims


def roles_of(claims: dict[str, Any], claim: str, role_map: dict[str, str]) -> list[str]:
    """The Owlery roles a verified token grants (IdP group names mapped through `role_map`)."""
    given = claims.get(claim) or []
    names = [given] if isinstance(given, str) else [str(name) for name in given]
    return sorted({role_map.get(name, name) for name in names})
