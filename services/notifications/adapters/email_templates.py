"""Emails around notification texts: subject, HTML and plain text, in Russian or English.

Files, under `templates/email/`:
- `strings.<locale>.toml`: per category a `subject` (of an email with one notification) and a
  `title` (heading its part of an email), and `digest_subject`, a Jinja expression of `count`;
- `notification.<locale>.html` and `notification.<locale>.txt`: one notification, or a digest of
  several grouped by category. HTML is autoescaped: a notification text is shown as written, never
  read as markup; the plain text part carries it verbatim.

A missing translation (a file, or a category in the strings) is shown in English and logged once per
process; a category nobody wrote strings for is shown as `other`, also logged once.
"""

import logging
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, TemplateNotFound, select_autoescape
from markupsafe import Markup, escape

from notifications.adapters.templates import TEMPLATE_DIR, plural_ru
from notifications.domain.model import DEFAULT_LOCALE, LOCALES, Locale

logger = logging.getLogger(__name__)

OTHER = "other"
"""The category whose strings stand in for a category that has none."""


@dataclass(frozen=True)
class EmailContent:
    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class Group:
    """The part of an email about one category: its title and its notification texts, in order."""

    title: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class _Strings:
    digest_subject: str | None
    subjects: Mapping[str, str]
    titles: Mapping[str, str]


def paragraphs(text: str) -> Markup:
    """Plain text as HTML: escaped, blank lines separate paragraphs, single line breaks kept."""
    blocks = [block.strip() for block in text.strip().split("\n\n") if block.strip()]
    return Markup("").join(
        Markup('<p style="margin:0 0 12px;">{}</p>').format(Markup("<br>\n").join(escape(line) for line in lines))
        for lines in (block.split("\n") for block in blocks)
    )


class EmailRenderer:
    def __init__(self, directory: Path = TEMPLATE_DIR, *, preferences_url: str | None = None) -> None:
        """`preferences_url`: where a person changes their notification settings, linked from every email."""
        self.preferences_url = preferences_url
        self.environment = Environment(
            loader=FileSystemLoader(directory),
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html"], default_for_string=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.environment.filters["plural_ru"] = plural_ru
        self.environment.filters["paragraphs"] = paragraphs
        # Read at start: a broken strings file is found when the service starts, not at the first email.
        self._strings = {locale: _read_strings(directory / "email" / f"strings.{locale}.toml") for locale in LOCALES}
        default = self._strings[DEFAULT_LOCALE]
        if default is None:
            raise FileNotFoundError(directory / "email" / f"strings.{DEFAULT_LOCALE}.toml")
        if OTHER not in default.subjects or OTHER not in default.titles or default.digest_subject is None:
            raise ValueError(f"strings.{DEFAULT_LOCALE}.toml needs digest_subject and categories.{OTHER}")
        self._reported: set[tuple[str, str]] = set()

    def message(self, category: str, locale: Locale, text: str) -> EmailContent:
        """The email for one notification."""
        category = self._known(category)
        subject = self._string("subjects", category, locale)
        group = Group(self._string("titles", category, locale), (text,))
        return self._render(locale, subject, [group], digest=False)

    def digest(self, locale: Locale, items: Sequence[tuple[str, str]]) -> EmailContent:
        """One email for several notifications, (category, text) pairs, grouped by category in order of appearance."""
        if not items:
            raise ValueError("a digest needs at least one notification")
        texts: dict[str, list[str]] = {}
        for category, text in items:
            texts.setdefault(self._known(category), []).append(text)
        groups = [Group(self._string("titles", category, locale), tuple(group)) for category, group in texts.items()]
        subject = self._digest_subject(locale, len(items))
        return self._render(locale, subject, groups, digest=True)

    def _render(self, locale: Locale, subject: str, groups: list[Group], *, digest: bool) -> EmailContent:
        context: dict[str, Any] = {
            "subject": subject,
            "groups": groups,
            "count": sum(len(group.texts) for group in groups),
            "digest": digest,
            "preferences_url": self.preferences_url,
        }
        html = self._template("notification", "html", locale).render(context)
        text = self._template("notification", "txt", locale).render(context)
        return EmailContent(subject=subject, html=html.strip() + "\n", text=text.strip() + "\n")

    def _digest_subject(self, locale: Locale, count: int) -> str:
        strings = self._strings[locale]
        source = strings.digest_subject if strings is not None else None
        if source is None:
            self._report_missing(f"strings.{locale}.toml: digest_subject", locale)
            source = self._default_strings.digest_subject
        assert source is not None  # checked when constructed
        return " ".join(self.environment.from_string(source).render(count=count).split())

    def _known(self, category: str) -> str:
        """The category, or `other` if no language has strings for it."""
        if category in self._default_strings.subjects and category in self._default_strings.titles:
            return category
        if (category, "*") not in self._reported:
            self._reported.add((category, "*"))
            logger.warning(
                "no email strings for notification category %s; using those of %s",
                category,
                OTHER,
                extra={"fields": {"category": category}},
            )
        return OTHER

    def _string(self, kind: Literal["subjects", "titles"], category: str, locale: Locale) -> str:
        strings = self._strings[locale]
        found: Mapping[str, str] = getattr(strings, kind) if strings is not None else {}
        if category in found:
            return found[category]
        self._report_missing(f"strings.{locale}.toml: {kind} of {category}", locale)
        default: Mapping[str, str] = getattr(self._default_strings, kind)
        return default[category]

    def _template(self, name: str, extension: str, locale: Locale) -> Template:
        try:
            return self.environment.get_template(f"email/{name}.{locale}.{extension}")
        except TemplateNotFound:
            if locale == DEFAULT_LOCALE:
                raise
        self._report_missing(f"{name}.{locale}.{extension}", locale)
        return self.environment.get_template(f"email/{name}.{DEFAULT_LOCALE}.{extension}")

    @property
    def _default_strings(self) -> _Strings:
        strings = self._strings[DEFAULT_LOCALE]
        assert strings is not None  # checked when constructed
        return strings

    def _report_missing(self, what: str, locale: Locale) -> None:
        if (what, locale) in self._reported:  # once per process, not once per email
            return
        self._reported.add((what, locale))
        logger.warning(
            "no %s translation of email %s; showing it in %s",
            locale,
            what,
            DEFAULT_LOCALE,
            extra={"fields": {"template": what, "locale": locale}},
        )


def _read_strings(path: Path) -> _Strings | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: {error}") from error
    digest_subject = data.get("digest_subject")
    categories = data.get("categories", {})
    if not (digest_subject is None or isinstance(digest_subject, str)) or not isinstance(categories, dict):
        raise ValueError(f'{path}: expected digest_subject = "..." and [categories.<name>] tables')
    subjects: dict[str, str] = {}
    titles: dict[str, str] = {}
    for category, entry in categories.items():
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: categories.{category} is not a table")
        for key, target in (("subject", subjects), ("title", titles)):
            value = entry.get(key)
            if isinstance(value, str):
                target[category] = value
            elif value is not None:
                raise ValueError(f"{path}: categories.{category}.{key} is not text")
    return _Strings(digest_subject=digest_subject, subjects=subjects, titles=titles)
