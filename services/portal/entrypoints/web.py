"""What every page shares: who is signed in, their language, rendering a template, reading a form.

A new page is a route in one of the `pages_*` modules that takes a `Viewer` (`Depends(viewer)`) and
returns `render(request, "<template>.html", ...)`; its words go to both catalogues in `i18n/`.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from portal.adapters.api import ApiError
from portal.bootstrap import Portal
from portal.domain.i18n import DEFAULT_LANGUAGE, from_accept_language, language_of
from portal.domain.views import course_title, navigation

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")


class SignInNeeded(Exception):
    """Raised by `viewer` when nobody is signed in: the page redirects to /login and back."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


@dataclass(frozen=True)
class Viewer:
    person_id: str
    name: str
    roles: tuple[str, ...]
    token: str

    def has(self, role: str) -> bool:
        return role == "employee" or role in self.roles


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def current_viewer(request: Request) -> Viewer | None:
    who = request.session.get("who")
    if not isinstance(who, dict) or not who.get("token"):
        return None
    return Viewer(str(who["person_id"]), str(who.get("name", "")), tuple(who.get("roles", ())), str(who["token"]))


async def viewer(request: Request) -> Viewer:
    """The signed-in person, or a redirect to sign in and come back here."""
    found = current_viewer(request)
    if found is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(path)
    return found


def language(request: Request) -> str:
    """Chosen in the header, else the person's locale (kept at sign-in), else the browser's, else Russian."""
    chosen = language_of(request.session.get("lang"))
    return chosen or from_accept_language(request.headers.get("accept-language")) or DEFAULT_LANGUAGE


def translator(request: Request) -> Any:
    words = portal_of(request).words
    lang = language(request)

    def t(key: str, **values: object) -> str:
        return words.translate(lang, key, **values)

    return t


@dataclass
class FormState:
    """What was typed and what the service said about it, so a failed form comes back as it was."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    """field (or "_form" for a refusal naming none) -> message in the reader's language."""

    def refused(self, request: Request, error: ApiError, fields: tuple[str, ...]) -> "FormState":
        t = translator(request)
        status_key = f"error.status.{error.status}"
        words = portal_of(request).words
        reason = t(status_key) if words.has(language(request), status_key) else t("error.status.other")
        named = error.field if error.field in fields else "_form"
        field_key = f"error.field.{error.field}"
        if error.field and words.has(language(request), field_key):
            reason = t(field_key)
        self.errors[named or "_form"] = f"{reason} ({error.detail})"
        return self


async def form_of(request: Request) -> dict[str, str]:
    """An urlencoded form body (the pages post nothing else), first value of each field."""
    body = (await request.body()).decode("utf-8", "replace")
    return {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    who = current_viewer(request)
    lang = language(request)
    portal = portal_of(request)
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "t": translator(request),
            "lang": lang,
            "who": who,
            "nav": navigation(who.roles) if who else [],
            "poll_seconds": portal.settings.inbox_poll_seconds,
            "title_of": lambda course: course_title(course, lang),
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
    )
