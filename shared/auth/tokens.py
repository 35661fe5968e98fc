"""OIDC bearer access tokens: who is calling, and in which roles.

A token is a JWT signed by the company's identity provider. We check its signature against the
issuer's published keys (JWKS, cached, fetched again when a token names a key we do not know:
that is how a provider's key rotation reaches us), then issuer, audience, expiry and the
algorithm, which is pinned by configuration and never taken from the token itself.
"""

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

logger = logging.getLogger(__name__)

ROLES = ("employee", "trainer", "curator", "moderator", "hr_admin", "admin")
"""Owlery's roles. Every signed-in person is an `employee`; the others come from the token."""

EMPLOYEE = "employee"


class InvalidToken(Exception):
    """The token cannot be trusted (missing, malformed, wrongly signed, expired, wrong audience...)."""


@dataclass(frozen=True)
class Principal:
    """The person behind a verified token."""

    person_id: str
    roles: frozenset[str]
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def has_any(self, roles: Collection[str]) -> bool:
        return not self.roles.isdisjoint(roles)


KeyFetcher = Callable[[], Awaitable[Mapping[str, Any]]]
"""Returns the issuer's current JWKS document ({"keys": [...]})."""


def http_key_fetcher(issuer: str, jwks_url: str | None = None, timeout: float = 5.0) -> KeyFetcher:
    """Fetch the JWKS from `jwks_url`, or from the `jwks_uri` the issuer's discovery document names."""

    async def fetch() -> Mapping[str, Any]:
        async with httpx.AsyncClient(timeout=timeout) as client:
            url = jwks_url
            if url is None:
                discovery = await client.get(issuer.rstrip("/") + "/.well-known/openid-configuration")
                discovery.raise_for_status()
                url = str(discovery.json()["jwks_uri"])
            answer = await client.get(url)
            answer.raise_for_status()
            document: Mapping[str, Any] = answer.json()
            return document

    return fetch


class KeySet:
    """The issuer's signing keys by `kid`, refreshed on an unknown `kid` at most once per `min_refresh_seconds`.

    The rate limit keeps a flood of tokens with made-up key ids from turning into a flood of
    requests to the identity provider.
    """

    def __init__(self, fetch: KeyFetcher, min_refresh_seconds: float = 30.0) -> None:
        self._fetch = fetch
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._min_refresh = min_refresh_seconds
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> jwt.PyJWK:
        if kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            recently = self._fetched_at is not None and time.monotonic() - self._fetched_at < self._min_refresh
            if kid not in self._keys and not recently:
                await self._refresh()
        if kid not in self._keys:
            raise InvalidToken(f"token signed with unknown key {kid!r}")
        return self._keys[kid]

    async def _refresh(self) -> None:
        self._fetched_at = time.monotonic()
        try:
            document = await self._fetch()
        except (httpx.HTTPError, KeyError, ValueError) as error:
            logger.warning("could not fetch the issuer's keys: %s", error)
            return
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document.get("keys", []):
            kid = entry.get("kid")
            if not kid or entry.get("use", "sig") != "sig":
                continue
            try:
                keys[kid] = jwt.PyJWK(entry)
            except jwt.PyJWTError as error:
                logger.warning("ignoring unusable key %s: %s", kid, error)
        self._keys = keys
        logger.info("issuer keys refreshed: %s", sorted(keys))


@dataclass(frozen=True)
class TokenRules:
    issuer: str
    audience: str
    algorithms: tuple[str, ...] = ("RS256",)
    person_claim: str = "sub"
    roles_claim: str = "roles"
    role_map: Mapping[str, str] = field(default_factory=dict)
    """Value in the roles claim (an IdP group or app role) → Owlery role; Owlery role names map to themselves."""
    leeway_seconds: float = 30.0


class TokenVerifier:
    def __init__(self, rules: TokenRules, keys: KeySet) -> None:
        self.rules = rules
        self.keys = keys

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(f"malformed token: {error}") from error
        algorithm = header.get("alg")
        if algorithm not in self.rules.algorithms:
            raise InvalidToken(f"algorithm {algorithm!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token names no signing key (kid)")
        key = await self.keys.key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=list(self.rules.algorithms),
                audience=self.rules.audience,
                issuer=self.rules.issuer,
                leeway=self.rules.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", self.rules.person_claim]},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("token expired") from error
        except jwt.InvalidAudienceError as error:
            raise InvalidToken("token is for another audience") from error
        except jwt.InvalidIssuerError as error:
            raise InvalidToken("token from another issuer") from error
        except jwt.PyJWTError as error:
            raise InvalidToken(f"invalid token: {error}") from error
        return Principal(str(claims[self.rules.person_claim]), self._roles(claims), claims)

    def _roles(self, claims: Mapping[str, Any]) -> frozenset[str]:
        given = claims.get(self.rules.roles_claim, [])
        if isinstance(given, str):
            given = given.split()
        mapped = {self.rules.role_map.get(str(value), str(value)) for value in given if isinstance(value, str)}
        return frozenset({EMPLOYEE} | (mapped & set(ROLES)))


def static_key_fetcher(jwks: Mapping[str, Any]) -> KeyFetcher:
    """Keys known in advance (tests, or an issuer whose JWKS is configured inline)."""
    frozen = json.loads(json.dumps(jwks))

    async def fetch() -> Mapping[str, Any]:
        return frozen  # type: ignore[no-any-return]

    return fetch
