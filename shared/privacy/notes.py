"""Confidential notes: text only its owners read, sealed with AES-256-GCM before it is stored.

A token is `v1.<key_id>.<urlsafe-base64(nonce + ciphertext)>`: it names the key it was sealed
under, so keys can be rotated (add a new current key, reseal old notes, then drop the old key).
The record a note belongs to (`context`, e.g. pair id + note id) is bound as associated data, so a
ciphertext copied onto another record does not open. Any failure to open is a `NoteUnreadable`,
never garbage text.
Plain Python: domain code may use it.
"""

import base64
import binascii
import os
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_BODY = re.compile(r"[A-Za-z0-9_-]+")
_AAD_PREFIX = b"owlery.note.v1\x00"


class NoteUnreadable(Exception):
    """A note that cannot be opened: unknown key, tampered token, or sealed for another record."""


def generate_key() -> str:
    """A fresh key for the key ring, as base64 of 32 random bytes (for operators' settings)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def _check_key_id(key_id: str) -> None:
    if not isinstance(key_id, str) or _KEY_ID.fullmatch(key_id) is None:
        raise ValueError(f"key id {key_id!r} must be 1 to 32 characters of A-Z, a-z, 0-9, '_' or '-'")


def _decode_key(key_id: str, encoded: str) -> bytes:
    """Standard or urlsafe base64, padded or not; errors name the key id, never the key."""
    text = encoded.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"key {key_id!r} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"key {key_id!r} must decode to {KEY_BYTES} bytes, got {len(key)}")
    return key


def _associated_data(key_id: str, context: str) -> bytes:
    # key_id cannot contain NUL, and context comes last: the encoding is unambiguous.
    return _AAD_PREFIX + key_id.encode("ascii") + b"\x00" + context.encode("utf-8")


def _check_context(context: str) -> None:
    if not context:
        raise ValueError("context must name the record the note belongs to")


class NoteCipher:
    """Seals and opens notes with a key ring; new notes always use the current key."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        ring: dict[str, AESGCM] = {}
        for key_id, key in keys.items():
            _check_key_id(key_id)
            if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
                raise ValueError(f"key {key_id!r} must be {KEY_BYTES} bytes")
            ring[key_id] = AESGCM(bytes(key))
        if current not in ring:
            raise ValueError(f"current key {current!r} is not in the key ring")
        self._ring = ring
        self._current = current

    @classmethod
    def from_settings(cls, keys: Mapping[str, str], current: str) -> "NoteCipher":
        """Build from settings where each key is base64 (standard or urlsafe) of 32 bytes."""
        decoded: dict[str, bytes] = {}
        for key_id, encoded in keys.items():
            _check_key_id(key_id)
            decoded[key_id] = _decode_key(key_id, encoded)
        return cls(decoded, current)

    def __repr__(self) -> str:
        return f"NoteCipher(key_ids={sorted(self._ring)!r}, current={self._current!r})"

    @property
    def current_key_id(self) -> str:
        return self._current

    def seal(self, plaintext: str, context: str) -> str:
        """Encrypt `plaintext` for the record named by `context`, under the current key."""
        _check_context(context)
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ring[self._current].encrypt(
            nonce, plaintext.encode("utf-8"), _associated_data(self._current, context)
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
        return f"{VERSION}.{self._current}.{body}"

    def open(self, token: str, context: str) -> str:
        """Decrypt a token sealed for `context`; NoteUnreadable says why it cannot be read."""
        _check_context(context)
        key_id, blob = self._parse(token)
        cipher = self._ring.get(key_id)
        if cipher is None:
            raise NoteUnreadable(
                f"note is sealed under key {key_id!r}, which is not in the key ring "
                "(was the key removed before its notes were resealed?)"
            )
        nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
        try:
            plaintext = cipher.decrypt(nonce, sealed, _associated_data(key_id, context))
        except InvalidTag:
            raise NoteUnreadable(
                f"note failed authentication: it was altered, or it belongs to another record than context {context!r}"
            ) from None
        return plaintext.decode("utf-8")

    def needs_rotation(self, token: str) -> bool:
        """True if the note was sealed under a key other than the current one."""
        key_id, _ = self._parse(token)
        return key_id != self._current

    def reseal(self, token: str, context: str) -> str:
        """Re-encrypt a note under the current key (the step between adding a key and dropping the old)."""
        return self.seal(self.open(token, context), context)

    @staticmethod
    def _parse(token: str) -> tuple[str, bytes]:
        parts = token.split(".") if isinstance(token, str) else []
        if len(parts) != 3 or parts[0] != VERSION:
            raise NoteUnreadable(f"not a {VERSION} note token")
        _, key_id, body = parts
        if _KEY_ID.fullmatch(key_id) is None:
            raise NoteUnreadable("note token has a malformed key id")
        if _BODY.fullmatch(body) is None:
            raise NoteUnreadable("note token body is not urlsafe base64")
        try:
            blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise NoteUnreadable("note token body is not urlsafe base64") from None
        if len(blob) < NONCE_BYTES + _TAG_BYTES:
            raise NoteUnreadable("note token is truncated")
        return key_id, blob
