"""Confidential notes as the database sees them: ciphertext only, readable again after a key rotation."""

import uuid

import pytest
from bson import json_util

from shared.persistence.mongo import connect
from shared.privacy.notes import NoteCipher, NoteUnreadable, generate_key
from tests.support.infra import Servers

NOTE = "Боюсь выступать перед командой; tried twice, froze both times."


@pytest.mark.infra
async def test_the_database_holds_ciphertext_and_a_rotation_keeps_old_notes_readable(servers: Servers) -> None:
    client = connect(servers.mongodb_url)
    database = client[f"notes_{uuid.uuid4().hex[:12]}"]
    try:
        old_key = generate_key()
        before_rotation = NoteCipher.from_settings({"k1": old_key}, current="k1")
        context = "pair-7/meeting-3"
        await database["notes"].insert_one(
            {"_id": "meeting-3", "pair_id": "pair-7", "text": before_rotation.seal(NOTE, context)}
        )

        stored = await database["notes"].find_one({"_id": "meeting-3"})
        assert stored is not None
        raw = json_util.dumps(stored, ensure_ascii=False)
        assert "Боюсь" not in raw and "froze" not in raw  # what the pair wrote is not in the database
        assert before_rotation.open(stored["text"], context) == NOTE

        # Rotation: a new current key joins the ring; notes sealed before still open, and get resealed.
        after_rotation = NoteCipher.from_settings({"k1": old_key, "k2": generate_key()}, current="k2")
        assert after_rotation.open(stored["text"], context) == NOTE
        assert after_rotation.needs_rotation(stored["text"])
        resealed = after_rotation.reseal(stored["text"], context)
        await database["notes"].replace_one({"_id": "meeting-3"}, {**stored, "text": resealed})
        again = await database["notes"].find_one({"_id": "meeting-3"})
        assert again is not None and again["text"].startswith("v1.k2.")
        assert after_rotation.open(again["text"], context) == NOTE

        # A curator's copy of the ciphertext moved onto another record does not open.
        with pytest.raises(NoteUnreadable):
            after_rotation.open(again["text"], "pair-8/meeting-1")
    finally:
        await client.drop_database(database.name)
        await client.close()
