"""Anonymous authorship and confidential notes, as their users see them (pure: no servers)."""

import base64
import os
import re
from datetime import UTC, datetime

import pytest

from shared.errors import Invalid
from shared.privacy import AuthorReveal, NoteCipher, NoteUnreadable, Pseudonymizer, generate_key, reveal

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
K1, K2 = os.urandom(32), os.urandom(32)
REASON = "Harassing replies reported by three members"


@pytest.fixture
def pseudonyms() -> Pseudonymizer:
    return Pseudonymizer(KEY)


# --- Anonymous authorship ---------------------------------------------------------------------


def test_a_person_keeps_one_readable_pseudonym_within_a_discussion(pseudonyms: Pseudonymizer) -> None:
    first = pseudonyms.pseudonym("person-42", "discussion-1")
    assert first == pseudonyms.pseudonym("person-42", "discussion-1")
    assert re.fullmatch(r"owl-[a-z2-7]{12}", first)


def test_another_discussion_gives_the_same_person_an_unlinkable_pseudonym(pseudonyms: Pseudonymizer) -> None:
    assert pseudonyms.pseudonym("person-42", "discussion-1") != pseudonyms.pseudonym("person-42", "discussion-2")


def test_different_people_in_one_discussion_get_different_pseudonyms(pseudonyms: Pseudonymizer) -> None:
    handles = {pseudonyms.pseudonym(f"person-{n}", "discussion-1") for n in range(500)}
    assert len(handles) == 500


def test_without_the_key_the_pseudonym_cannot_be_recomputed(pseudonyms: Pseudonymizer) -> None:
    assert Pseudonymizer(OTHER_KEY).pseudonym("person-42", "discussion-1") != pseudonyms.pseudonym(
        "person-42", "discussion-1"
    )


def test_the_pseudonym_never_shows_the_person_id(pseudonyms: Pseudonymizer) -> None:
    for person_id in ("alice", "bob", "e12345", "owl"):
        handle = pseudonyms.pseudonym(person_id, "discussion-1")
        assert person_id not in handle.removeprefix("owl-")
        assert person_id.lower() not in handle.removeprefix("owl-")


def test_person_and_discussion_ids_cannot_be_shifted_into_one_another(pseudonyms: Pseudonymizer) -> None:
    assert pseudonyms.pseudonym("ab", "c") != pseudonyms.pseudonym("a", "bc")
    assert pseudonyms.pseudonym("c", "ab") != pseudonyms.pseudonym("bc", "a")


def test_a_short_key_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="too short"):
        Pseudonymizer(b"k" * 31)


def test_the_key_never_appears_in_the_pseudonymizer_repr(pseudonyms: Pseudonymizer) -> None:
    assert "kkkk" not in repr(pseudonyms)


def reveal_of(pseudonyms: Pseudonymizer, author_id: str = "person-42", reason: str = REASON) -> AuthorReveal:
    return reveal(
        pseudonyms,
        discussion_id="discussion-1",
        item_id="reply-7",
        pseudonym=pseudonyms.pseudonym("person-42", "discussion-1"),
        author_id=author_id,
        moderator_id="moderator-1",
        reason=reason,
    )


def test_a_justified_reveal_names_the_author_moderator_and_reason(pseudonyms: Pseudonymizer) -> None:
    before = datetime.now(UTC)
    revealed = reveal_of(pseudonyms, reason=f"  {REASON}  ")
    assert revealed.author_id == "person-42"
    assert revealed.moderator_id == "moderator-1"
    assert revealed.pseudonym == pseudonyms.pseudonym("person-42", "discussion-1")
    assert revealed.reason == REASON
    assert (revealed.discussion_id, revealed.item_id) == ("discussion-1", "reply-7")
    assert before <= revealed.revealed_at <= datetime.now(UTC)
    with pytest.raises(AttributeError):
        revealed.author_id = "someone-else"  # type: ignore[misc]


@pytest.mark.parametrize("reason", ["", "   \n\t", "because", "  abuse    "])
def test_a_reveal_without_a_real_reason_is_refused(pseudonyms: Pseudonymizer, reason: str) -> None:
    with pytest.raises(Invalid, match="reason") as refused:
        reveal_of(pseudonyms, reason=reason)
    assert refused.value.details["field"] == "reason"


def test_a_moderator_cannot_pin_an_anonymous_item_on_someone_else(pseudonyms: Pseudonymizer) -> None:
    with pytest.raises(Invalid, match="not the author") as refused:
        reveal_of(pseudonyms, author_id="person-43")
    assert refused.value.details["field"] == "author_id"


def test_a_pseudonym_from_another_discussion_cannot_be_revealed_here(pseudonyms: Pseudonymizer) -> None:
    with pytest.raises(Invalid, match="not the author"):
        reveal(
            pseudonyms,
            discussion_id="discussion-1",
            item_id="reply-7",
            pseudonym=pseudonyms.pseudonym("person-42", "discussion-2"),
            author_id="person-42",
            moderator_id="moderator-1",
            reason=REASON,
        )


# --- Confidential notes -----------------------------------------------------------------------

CONTEXT = "pair-1/note-1"
NOTE = "Struggles with public speaking; wants to practise before the all-hands."


def test_a_sealed_note_opens_to_the_same_text() -> None:
    notes = NoteCipher({"k1": K1}, "k1")
    token = notes.seal(NOTE, CONTEXT)
    assert notes.open(token, CONTEXT) == NOTE
    assert notes.open(notes.seal("", CONTEXT), CONTEXT) == ""
    assert notes.open(notes.seal("Ünïcødé 🦉", CONTEXT), CONTEXT) == "Ünïcødé 🦉"


def test_a_token_names_its_key_and_hides_the_text() -> None:
    notes = NoteCipher({"k1": K1}, "k1")
    token = notes.seal(NOTE, CONTEXT)
    version, key_id, body = token.split(".")
    assert (version, key_id) == ("v1", "k1")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", body)
    assert "public speaking" not in token
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    assert b"public speaking" not in raw
    assert NOTE.encode() not in raw


def test_sealing_the_same_note_twice_gives_different_tokens() -> None:
    notes = NoteCipher({"k1": K1}, "k1")
    assert notes.seal(NOTE, CONTEXT) != notes.seal(NOTE, CONTEXT)


def test_a_tampered_token_is_unreadable() -> None:
    notes = NoteCipher({"k1": K1}, "k1")
    token = notes.seal(NOTE, CONTEXT)
    prefix, body = token.rsplit(".", 1)
    flipped = body[:20] + ("A" if body[20] != "A" else "B") + body[21:]
    with pytest.raises(NoteUnreadable, match="altered"):
        notes.open(f"{prefix}.{flipped}", CONTEXT)
    with pytest.raises(NoteUnreadable, match="truncated"):
        notes.open(f"{prefix}.{body[:10]}", CONTEXT)
    with pytest.raises(NoteUnreadable, match="not a v1 note token"):
        notes.open("plain text", CONTEXT)


def test_a_note_moved_to_another_record_does_not_open() -> None:
    notes = NoteCipher({"k1": K1}, "k1")
    token = notes.seal(NOTE, CONTEXT)
    with pytest.raises(NoteUnreadable, match="another record"):
        notes.open(token, "pair-2/note-1")


def test_a_token_relabelled_with_another_key_id_does_not_open() -> None:
    notes = NoteCipher({"k1": K1, "k2": K1}, "k1")
    token = notes.seal(NOTE, CONTEXT)
    with pytest.raises(NoteUnreadable):
        notes.open(token.replace("v1.k1.", "v1.k2.", 1), CONTEXT)


def test_a_note_under_an_unknown_key_says_which_key_is_missing() -> None:
    token = NoteCipher({"k9": K1}, "k9").seal(NOTE, CONTEXT)
    with pytest.raises(NoteUnreadable, match=r"'k9'.*not in the key ring"):
        NoteCipher({"k1": K1}, "k1").open(token, CONTEXT)


def test_notes_stay_readable_through_a_key_rotation() -> None:
    old = NoteCipher({"k1": K1}, "k1")
    token = old.seal(NOTE, CONTEXT)
    assert not old.needs_rotation(token)

    rotated = NoteCipher({"k1": K1, "k2": K2}, "k2")
    assert rotated.open(token, CONTEXT) == NOTE
    assert rotated.needs_rotation(token)

    resealed = rotated.reseal(token, CONTEXT)
    assert resealed.startswith("v1.k2.")
    assert not rotated.needs_rotation(resealed)
    assert rotated.open(resealed, CONTEXT) == NOTE

    retired = NoteCipher({"k2": K2}, "k2")
    assert retired.open(resealed, CONTEXT) == NOTE
    with pytest.raises(NoteUnreadable, match=r"'k1'.*not in the key ring"):
        retired.open(token, CONTEXT)


def test_keys_come_from_settings_in_standard_or_urlsafe_base64() -> None:
    # 0xfb/0xff bytes make the two alphabets differ ('+/' against '-_').
    raw = bytes([0xFB, 0xFF] * 16)
    standard, urlsafe = base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()
    assert standard != urlsafe
    token = NoteCipher.from_settings({"std": standard}, "std").seal(NOTE, CONTEXT)
    assert NoteCipher.from_settings({"std": urlsafe.rstrip("=")}, "std").open(token, CONTEXT) == NOTE

    generated = generate_key()
    assert len(base64.b64decode(generated)) == 32
    assert generated != generate_key()
    notes = NoteCipher.from_settings({"2026-01": generated}, "2026-01")
    assert notes.open(notes.seal(NOTE, CONTEXT), CONTEXT) == NOTE


@pytest.mark.parametrize(
    ("keys", "current", "message"),
    [
        ({"short": base64.b64encode(b"x" * 16).decode()}, "short", "'short' must decode to 32 bytes"),
        ({"junk": "not base64 at all!"}, "junk", "'junk' is not valid base64"),
        ({"k1": base64.b64encode(b"x" * 32).decode()}, "k2", "current key 'k2' is not in the key ring"),
        ({"bad.id": base64.b64encode(b"x" * 32).decode()}, "bad.id", "'bad.id' must be 1 to 32 characters"),
        ({"x" * 33: base64.b64encode(b"x" * 32).decode()}, "x" * 33, "must be 1 to 32 characters"),
    ],
)
def test_misconfigured_keys_are_refused_naming_the_key(keys: dict[str, str], current: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as refused:
        NoteCipher.from_settings(keys, current)
    for value in keys.values():
        assert value not in str(refused.value)


def test_the_cipher_repr_shows_key_ids_but_never_keys() -> None:
    encoded = generate_key()
    shown = repr(NoteCipher.from_settings({"k1": encoded}, "k1"))
    assert "k1" in shown
    assert encoded not in shown
