"""The badge issuer's Ed25519 key: signs credentials as compact JWS (RFC 7515) and publishes the public key.

The JWS is written here with `cryptography` alone, so a verifier built on a JOSE library (the tests use
PyJWT) checks our output independently. The JOSE header is what OB 3.0's JSON Web Token proof allows:
`alg` ("EdDSA", RFC 8037), `kid` (a URL that dereferences to the JWK set holding the key, the key
picked by its id) and `typ` ("JWT"), nothing else.

The key is a setting (a PEM secret) or, when unset, generated once and kept in the service's database:
the first replica to insert it (a unique-key insert) wins, and any other reads the winner's, so every
replica signs with the same key and one JWK set verifies all of them. That stored key is as secret as
the database; set the key in production to keep it in the secret store instead.
"""

import asyncio
import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pymongo.asynchronous.database import AsyncDatabase

from shared.persistence.mongo import Document, insert_once

KEYS = "signing_keys"
ISSUER_KEY_ID = "badge-issuer"
ALGORITHM = "EdDSA"


def load_private_key(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the badge signing key must be an Ed25519 private key (PEM, PKCS#8)")
    return key


def private_key_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class IssuerKey:
    def __init__(self, database: AsyncDatabase[Document], jwks_url: str, configured_pem: str | None = None) -> None:
        self.database = database
        self.jwks_url = jwks_url
        # A configured key that is not Ed25519 fails the start, not the first export.
        self._key: Ed25519PrivateKey | None = load_private_key(configured_pem) if configured_pem else None
        self._loading = asyncio.Lock()

    async def sign(self, claims: dict[str, Any]) -> str:
        key = await self._private_key()
        header = {"alg": ALGORITHM, "kid": self._kid(key), "typ": "JWT"}
        signing_input = f"{_b64_json(header)}.{_b64_json(claims)}"
        signature = key.sign(signing_input.encode("ascii"))
        return f"{signing_input}.{_b64(signature)}"

    async def jwks(self) -> dict[str, Any]:
        key = await self._private_key()
        return {"keys": [{**_public_jwk(key), "kid": self._kid(key), "alg": ALGORITHM, "use": "sig"}]}

    def _kid(self, key: Ed25519PrivateKey) -> str:
        return f"{self.jwks_url}#{_thumbprint(key)}"

    async def _private_key(self) -> Ed25519PrivateKey:
        if self._key is not None:
            return self._key
        async with self._loading:
            if self._key is None:
                self._key = await self._stored_or_new()
        return self._key

    async def _stored_or_new(self) -> Ed25519PrivateKey:
        found = await self.database[KEYS].find_one({"_id": ISSUER_KEY_ID})
        if found is None:
            generated = Ed25519PrivateKey.generate()
            candidate = {
                "_id": ISSUER_KEY_ID,
                "algorithm": ALGORITHM,
                "private_key_pem": private_key_pem(generated),
                "created_at": datetime.now(UTC),
            }
            if await insert_once(self.database, KEYS, candidate):
                return generated
            found = await self.database[KEYS].find_one({"_id": ISSUER_KEY_ID})  # another replica won the race
            if found is None:
                raise RuntimeError("the badge issuer key is neither stored nor storable")
        return load_private_key(found["private_key_pem"])


def _public_jwk(key: Ed25519PrivateKey) -> dict[str, str]:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw)}


def _thumbprint(key: Ed25519PrivateKey) -> str:
    """RFC 7638: the SHA-256 of the required members in lexicographic order, without white space."""
    canonical = json.dumps(_public_jwk(key), sort_keys=True, separators=(",", ":"))
    return _b64(hashlib.sha256(canonical.encode()).digest())


def _b64_json(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
