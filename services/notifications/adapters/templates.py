"""Message texts: one Jinja2 file per template and language, `templates/inapp/<template>.<locale>.txt`."""

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, TemplateNotFound, pass_context
from jinja2.runtime import Context

from notifications.domain import model
from notifications.domain.localtime import UnknownTimeZone, local_text
from notifications.domain.model import DEFAULT_LOCALE, Locale, Param

logger = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


def plural_ru(number: int, one: str, few: str, many: str) -> str:
    """The Russian noun form for a count: 1 балл, 2 балла, 5 баллов, 11 баллов, 21 балл."""
    n = abs(number) % 100
    if 11 <= n <= 14:
        return many
    if n % 10 == 1:
        return one
    if n % 10 in (2, 3, 4):
        return few
    return many


@pass_context
def local_time(context: Context, value: str | datetime) -> str:
    """A moment (ISO text or datetime) as the reader reads it: their zone and language (`zone`, `locale`)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return local_text(moment, context["zone"], context["locale"])
    except UnknownTimeZone:
        return local_text(moment, "UTC", context["locale"])


class JinjaRenderer:
    def __init__(self, directory: Path = TEMPLATE_DIR) -> None:
        # Plain text, never HTML: nothing to escape. A parameter a template lacks is an error, not a blank.
        self.environment = Environment(
            loader=FileSystemLoader(directory),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters["plural_ru"] = plural_ru
        self.environment.filters["local_time"] = local_time
        self._reported_missing: set[tuple[str, str]] = set()

    @staticmethod
    def path(template: model.Template, locale: Locale) -> str:
        return f"inapp/{template.value}.{locale}.txt"

    def render(self, template: model.Template, locale: Locale, params: Mapping[str, Param], zone: str = "UTC") -> str:
        return self._load(template, locale).render(**params, locale=locale, zone=zone).strip()

    def _load(self, template: model.Template, locale: Locale) -> Template:
        try:
            return self.environment.get_template(self.path(template, locale))
        except TemplateNotFound:
            if locale == DEFAULT_LOCALE:
                raise
        if (template.value, locale) not in self._reported_missing:  # once per process, not once per read
            self._reported_missing.add((template.value, locale))
            logger.warning(
                "no %s translation of message template %s; showing it in %s",
                locale,
                template.value,
                DEFAULT_LOCALE,
                extra={"fields": {"template": template.value, "locale": locale}},
            )
        return self.environment.get_template(self.path(template, DEFAULT_LOCALE))
