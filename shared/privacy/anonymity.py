"""Anonymous authorship: public APIs and events name a pseudonym instead of the author.

A pseudonym is a keyed HMAC-SHA256 of the person id and the discussion id, so it is stable within
one discussion (readers can follow a conversation), unlinkable across discussions (nobody can
collect what one person wrote anonymously), and cannot be recomputed without the secret key
(a person id cannot be guessed by hashing every employee id).
Only a moderator with a stated reason may reveal who is behind a pseudonym; `reveal` builds the
record of that decision, which the owning service turns into an audit entry and an event the
author is told about.
Plain Python: domain code may use it.
"""

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.errors import Invalid

MIN_KEY_BYTES = 32
MIN_REASON_LENGTH = 10
PSEUDONYM_PREFIX = "owl-"
_PSEUDONYM_CHARS = 12  # 60 bits: collisions within one discussion are practically impossible.
_DOMAIN = b"owlery.pseudonym.v1"


def _framed(*parts: str) -> bytes:
    """Length-prefix every part so that ("ab", "c") and ("a", "bc") never hash alike."""
    out = bytearray()
    for part in parts:
        encoded = part.encode("utf-8")
        out += struct.pack(">I", len(encoded))
        out += encoded
    return bytes(out)


class Pseudonymizer:
    """Turns (person, discussion) into a stable, unlinkable handle with a secret key."""

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray):
            raise TypeError("pseudonym key must be bytes")
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"pseudonym key too short: {len(key)} bytes, at least {MIN_KEY_BYTES} are needed")
        self._key = bytes(key)

    def __repr__(self) -> str:
        # Never show the key in logs or tracebacks.
        return "Pseudonymizer(key=<hidden>)"

    def pseudonym(self, person_id: str, discussion_id: str) -> str:
        """The handle `person_id` shows under in `discussion_id`, e.g. `owl-k3j5x2m7q4ab`."""
        if not person_id:
            raise ValueError("person_id must not be empty")
        if not discussion_id:
            raise ValueError("discussion_id must not be empty")
        digest = hmac.new(self._key, _DOMAIN + _framed(discussion_id, person_id), hashlib.sha256).digest()
        return PSEUDONYM_PREFIX + base64.b32encode(digest).decode("ascii")[:_PSEUDONYM_CHARS].lower()

    def matches(self, pseudonym: str, person_id: str, discussion_id: str) -> bool:
        """True if `pseudonym` is the handle of `person_id` in `discussion_id` (constant-time compare)."""
        return hmac.compare_digest(pseudonym.encode("utf-8"), self.pseudonym(person_id, discussion_id).encode("utf-8"))


@dataclass(frozen=True)
class AuthorReveal:
    """A moderator's justified decision to unmask the author of one anonymous item."""

    discussion_id: str
    item_id: str
    pseudonym: str
    author_id: str
    moderator_id: str
    reason: str
    revealed_at: datetime


def reveal(
    pseudonymizer: Pseudonymizer,
    *,
    discussion_id: str,
    item_id: str,
    pseudonym: str,
    author_id: str,
    moderator_id: str,
    reason: str,
    revealed_at: datetime | None = None,
) -> AuthorReveal:
    """Build a reveal, refusing one without a real reason or naming someone who is not the author."""
    stated = reason.strip() if isinstance(reason, str) else ""
    if not stated:
        raise Invalid("reason: a reveal needs a stated reason", field="reason")
    if len(stated) < MIN_REASON_LENGTH:
        raise Invalid(
            f"reason: too short to justify a reveal (at least {MIN_REASON_LENGTH} characters)",
            field="reason",
            min_length=MIN_REASON_LENGTH,
        )
    for field, value in (("item_id", item_id), ("moderator_id", moderator_id)):
        if not value:
            raise Invalid(f"{field}: must not be empty", field=field)
    if not discussion_id or not author_id or not pseudonymizer.matches(pseudonym, author_id, discussion_id):
        raise Invalid(
            "author_id: this person is not the author behind the pseudonym in this discussion",
            field="author_id",
            pseudonym=pseudonym,
        )
    when = revealed_at if revealed_at is not None else datetime.now(UTC)
    if when.tzinfo is None:
        raise ValueError("revealed_at must be timezone-aware")
    return AuthorReveal(
        discussion_id=discussion_id,
        item_id=item_id,
        pseudonym=pseudonym,
        author_id=author_id,
        moderator_id=moderator_id,
        reason=stated,
        revealed_at=when,
    )
