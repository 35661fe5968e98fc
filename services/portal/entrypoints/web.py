"""What every page shares: who is signed in, their language, rendering a template, reading a form.

Who is signed in is believed only once their access token has been verified (`viewer`, on every page):
a token that fails (wrong signature, another issuer, expired) signs the person out and back to sign-in,
and the menus show only the roles of a verified token. Times are shown on the person's clock with the
`local_time` filter (portal.domain.times).

A new page is a route in one of the `pages_*` modules that takes a `Viewer` (`Depends(viewer)`) and
returns `render(request, "<template>.html", ...)`; its words go to both catalogues in `i18n/`.
"""

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from portal.adapters.api import ApiError
from portal.adapters.oidc import roles_of
from portal.bootstrap import Portal
from portal.domain.i18n import DEFAULT_LANGUAGE, from_accept_language, language_of
from portal.domain.times import DEFAULT_ZONE, known_zone, local_time
from portal.domain.views import course_title, navigation
from portal.entrypoints.csrf import csrf_token
from shared.auth.tokens import InvalidToken

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")


@pass_context
def _local_time(context: Context, value: object, date_only: bool = False) -> str:
    """`{{ moment | local_time }}`: on the reader's clock, in the page's language (portal.domain.times)."""
    return local_time(value, context.get("zone"), str(context.get("lang", "ru")), date_only)


TEMPLATES.env.filters["local_time"] = _local_time


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
    time_zone: str = DEFAULT_ZONE
    """IANA zone the person's times are shown in: their directory profile's, or the one of their preferences."""

    def has(self, role: str) -> bool:
        return role == "employee" or role in self.roles


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def current_viewer(request: Request) -> Viewer | None:
    """Who the session cookie says is signed in: NOT verified, so never a reason to show or allow anything."""
    who = request.session.get("who")
    if not isinstance(who, dict) or not who.get("token"):
        return None
    return Viewer(
        str(who.get("person_id", "")),
        str(who.get("name", "")),
        tuple(who.get("roles", ())),
        str(who["token"]),
        str(who.get("time_zone") or DEFAULT_ZONE),
    )


def verified_viewer(request: Request) -> Viewer | None:
    """The person whose token `viewer` verified for this request, if it did."""
    found = getattr(request.state, "viewer", None)
    return found if isinstance(found, Viewer) else None


async def viewer(request: Request) -> Viewer:
    """The signed-in person, their token verified; else signed out and redirected to sign in and come back."""
    found = current_viewer(request)
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if found is None:
        raise SignInNeeded(path)
    portal = portal_of(request)
    settings = portal.settings
    try:
        claims = await portal.oidc.verify(found.token)
    except InvalidToken:
        request.session.pop("who", None)
        raise SignInNeeded(path) from None
    person_id = str(claims.get(settings.oidc_person_claim) or "")
    if not person_id:
        request.session.pop("who", None)
        raise SignInNeeded(path)
    roles = tuple(roles_of(claims, settings.oidc_roles_claim, settings.oidc_role_map))
    # The id and roles are the token's, whatever the cookie says.
    verified = replace(found, person_id=person_id, roles=roles)
    request.state.viewer = verified
    return verified


def remember_time_zone(request: Request, zone: str) -> None:
    """The person chose a zone (notification preferences): their times are shown in it from now on."""
    who = request.session.get("who")
    if isinstance(who, dict):
        request.session["who"] = {**who, "time_zone": known_zone(zone)}


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
    who = verified_viewer(request)
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
            "zone": known_zone(who.time_zone) if who else DEFAULT_ZONE,
            "csrf_token": csrf_token(request),
            **context,
        },
        status_code=status_code,
    )
