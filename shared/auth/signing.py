"""Signing tokens the way an OIDC issuer does: for the development issuer and for tests.

Production tokens come from the company's identity provider; Owlery only verifies them.
"""

import base64
import functools
import hashlib
import time
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def generate_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode()


@dataclass(frozen=True)
class TokenSigner:
    """Signs RS256 access tokens for one issuer and publishes the matching JWKS."""

    issuer: str
    private_key_pem: str

    @classmethod
    def generate(cls, issuer: str) -> "TokenSigner":
        return cls(issuer, generate_private_key_pem())

    @property
    def _private_key(self) -> rsa.RSAPrivateKey:
        return _parsed(self.private_key_pem)

    @property
    def kid(self) -> str:
        """Derived from the public key, so a new key gets a new id and verifiers fetch it."""
        return _kid(self.private_key_pem)

    def jwks(self) -> dict[str, Any]:
        public_jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self._private_key.public_key(), as_dict=True)
        return {"keys": [{**public_jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def sign(
        self,
        person_id: str,
        roles: Collection[str] = (),
        *,
        audience: str = "owlery",
        lifetime_seconds: int = 3600,
        extra_claims: Mapping[str, Any] | None = None,
        issued_at: float | None = None,
    ) -> str:
        now = int(issued_at if issued_at is not None else time.time())
        claims = {
            "iss": self.issuer,
            "sub": person_id,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_seconds,
            "jti": uuid.uuid4().hex,
            "roles": sorted(roles),
            **(extra_claims or {}),
        }
        return jwt.encode(claims, self._private_key, algorithm="RS256", headers={"kid": self.kid})


# Parsing an RSA key costs tens of milliseconds of CPU (hundreds on a loaded machine): done once per key,
# not twice per token signed.
@functools.lru_cache(maxsize=16)
def _parsed(private_key_pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the signing key must be an RSA private key")
    return key


@functools.lru_cache(maxsize=16)
def _kid(private_key_pem: str) -> str:
    public = (
        _parsed(private_key_pem)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return base64.urlsafe_b64encode(hashlib.sha256(public).digest()[:12]).decode().rstrip("=")
