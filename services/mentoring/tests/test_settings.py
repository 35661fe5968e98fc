"""Mentoring refuses to start in production with the development keys for pseudonyms and notes."""

import pytest
from pydantic import SecretStr, ValidationError

from mentoring.config import MentoringSettings
from shared.privacy.notes import generate_key

ISSUER = "https://login.example.com/tenant"


def test_production_refuses_the_development_pseudonym_and_notes_keys() -> None:
    with pytest.raises(ValidationError, match="pseudonym_key, notes_keys"):
        MentoringSettings(mode="production", oidc_issuer=ISSUER)


def test_production_starts_with_keys_of_its_own() -> None:
    settings = MentoringSettings(
        mode="production",
        oidc_issuer=ISSUER,
        pseudonym_key=SecretStr("a-company-secret-of-at-least-32-bytes!"),
        notes_keys={"2026-11": SecretStr(generate_key())},
        notes_current_key="2026-11",
    )
    assert settings.notes_current_key == "2026-11"
