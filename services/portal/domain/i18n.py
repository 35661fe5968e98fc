"""The portal's words in Russian and English: JSON catalogues per language, keys shared.

`i18n/<lang>.json` holds the common words, `i18n/<area>.<lang>.json` an area's (mentoring, circles...):
one file per area keeps pages apart. A key in two files of a language is an error.

A key missing from a catalogue shows as the key itself, so a test can find it on a page; the catalogues
are loaded once and checked to hold the same keys.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

Language = Literal["ru", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "ru"

CATALOGUE_DIR = Path(__file__).resolve().parents[1] / "i18n"


@dataclass(frozen=True)
class Catalogues:
    words: Mapping[str, Mapping[str, str]]

    @classmethod
    def load(cls, directory: Path = CATALOGUE_DIR) -> "Catalogues":
        return cls(
            {
                lang: _merged([directory / f"{lang}.json", *sorted(directory.glob(f"*.{lang}.json"))])
                for lang in LANGUAGES
            }
        )

    def translate(self, lang: str, key: str, **values: object) -> str:
        text = self.words.get(lang, {}).get(key)
        if text is None:
            return key  # shown raw on purpose: the translation check looks for it
        return text.format(**values) if values else text

    def has(self, lang: str, key: str) -> bool:
        return key in self.words.get(lang, {})


def _merged(files: list[Path]) -> dict[str, str]:
    words: dict[str, str] = {}
    for file in files:
        found: dict[str, str] = json.loads(file.read_text("utf-8"))
        twice = sorted(words.keys() & found.keys())
        if twice:
            raise ValueError(f"{file.name} repeats keys of another catalogue: {', '.join(twice[:5])}")
        words.update(found)
    return words


def language_of(value: str | None) -> Language | None:
    """ru or en from a locale like "ru-RU", else None."""
    if not value:
        return None
    prefix = value.strip().lower()[:2]
    return next((lang for lang in LANGUAGES if lang == prefix), None)


def from_accept_language(header: str | None) -> Language | None:
    """The first of ru and en in the browser's preference order (q-values respected)."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag))
    for _, _, tag in sorted(ranked):
        lang = language_of(tag)
        if lang is not None:
            return lang
    return None
