"""Cross-site request forgery: every form a page posts carries the session's token, and a post without it fails.

The session cookie is SameSite=Lax, which already keeps it off another site's cross-site posts, but not off
a post from a sibling subdomain (same site) nor from old browsers. So each session gets a random token,
every `<form method="post">` sends it as the hidden field `_csrf` (templates/_csrf.html, included by each
form), htmx sends it as the `X-CSRF-Token` header (base.html), and `check_csrf`, a dependency of every
route, refuses a post whose token is missing or another's.
"""

import secrets
from urllib.parse import parse_qs

from fastapi import Request

FIELD = "_csrf"
HEADER = "x-csrf-token"
SESSION_KEY = "csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CsrfRefused(Exception):
    """A post without this session's token: shown as a page asking to reload and try again, nothing done."""


def csrf_token(request: Request) -> str:
    """This session's token, made on first use (a page that shows a form makes it)."""
    token = request.session.get(SESSION_KEY)
    return token if isinstance(token, str) and token else new_csrf_token(request)


def new_csrf_token(request: Request) -> str:
    """A fresh token for this session (at sign-in)."""
    token = secrets.token_urlsafe(32)
    request.session[SESSION_KEY] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request whose token (form field or header) is not the session's."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get(HEADER)
    if sent is None and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        # The body is cached on the request: the page reading the form later gets it again.
        body = (await request.body()).decode("utf-8", "replace")
        sent = next(iter(parse_qs(body, keep_blank_values=True).get(FIELD, [])), None)
    if not isinstance(expected, str) or not sent or not secrets.compare_digest(sent, expected):
        raise CsrfRefused
