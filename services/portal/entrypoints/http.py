"""The portal's web app: sign-in (OIDC code flow with PKCE), the language switch, health, and the pages.

It keeps nothing but a signed session cookie (HttpOnly, SameSite=Lax: another site's form cannot post
with it) holding the sign-in in progress, then the person's access token, id, name and roles.
"""

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from portal.adapters.api import ApiError, Unauthenticated
from portal.adapters.oidc import SignInFailed, new_verifier, roles_of
from portal.bootstrap import Portal, bootstrap
from portal.domain.i18n import language_of
from portal.domain.times import known_zone
from portal.entrypoints import (
    pages_achievements,
    pages_admin,
    pages_circles,
    pages_courses,
    pages_curator,
    pages_employee,
    pages_formats,
    pages_knowledge,
    pages_mentoring,
    pages_moderation,
    pages_trainer,
)
from portal.entrypoints.csrf import CsrfRefused, check_csrf, new_csrf_token
from portal.entrypoints.web import SignInNeeded, current_viewer, form_of, portal_of, render
from shared.auth.tokens import InvalidToken
from shared.http import CorrelationIdMiddleware, health_router

STATIC = Path(__file__).resolve().parents[1] / "static"


def _safe_next(path: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not path or not path.startswith("/") or path.startswith("//") or urlsplit(path).netloc:
        return "/catalogue"
    return path


def create_app(portal: Portal | None = None) -> FastAPI:
    portal = portal or bootstrap()
    settings = portal.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await portal.close()

    app = FastAPI(
        title="Owlery portal",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(check_csrf)],  # every form post carries the session's token
    )
    app.state.portal = portal
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret.get_secret_value(),
        session_cookie="owlery_portal",
        max_age=8 * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(CorrelationIdMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(health_router({"issuer": portal.oidc.reachable}))

    @app.exception_handler(SignInNeeded)
    async def sign_in_first(request: Request, error: Exception) -> Response:
        assert isinstance(error, SignInNeeded)
        if request.headers.get("hx-request"):
            return Response(status_code=204)  # a poll of a signed-out page: nothing to swap, no redirect chase
        return RedirectResponse(f"/login?{urlencode({'next': error.next_path})}", status_code=303)

    @app.exception_handler(Unauthenticated)
    async def token_refused(request: Request, error: Exception) -> Response:
        request.session.pop("who", None)  # expired or revoked: sign in again
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def forged_or_stale_form(request: Request, error: Exception) -> Response:
        return render(request, "error.html", status_code=403, error=None, message_key="error.csrf")

    @app.exception_handler(ApiError)
    async def refused(request: Request, error: Exception) -> Response:
        """A refusal no page handled itself (reading a page, not posting a form)."""
        assert isinstance(error, ApiError)
        return render(request, "error.html", status_code=error.status, error=error)

    def callback_url() -> str:
        return f"{settings.public_url.rstrip('/')}/callback"

    @app.get("/", include_in_schema=False)
    async def home(request: Request) -> Response:
        if current_viewer(request) is not None:
            return RedirectResponse("/catalogue", status_code=303)
        return render(request, "welcome.html")

    @app.get("/login", include_in_schema=False)
    async def login(request: Request, next: str | None = None) -> Response:
        verifier, state = new_verifier(), secrets.token_urlsafe(24)
        request.session["signin"] = {"state": state, "verifier": verifier, "next": _safe_next(next)}
        return RedirectResponse(await portal.oidc.authorization_url(callback_url(), state, verifier), status_code=303)

    @app.get("/callback", include_in_schema=False)
    async def callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
        pending = request.session.pop("signin", None)
        if error or not isinstance(pending, dict) or not code or not secrets.compare_digest(state, pending["state"]):
            return render(request, "signin_failed.html", status_code=400)
        try:
            tokens = await portal.oidc.exchange(code, callback_url(), pending["verifier"])
        except SignInFailed:
            return render(request, "signin_failed.html", status_code=400)
        # Verified before its id and roles are believed (and again on every page: web.viewer).
        try:
            claims = await portal.oidc.verify(tokens.access_token)
        except InvalidToken:
            return render(request, "signin_failed.html", status_code=400)
        person_id = str(claims.get(settings.oidc_person_claim) or "")
        if not person_id:
            return render(request, "signin_failed.html", status_code=400)
        me = await portal.apis.directory.get("/people/me", tokens.access_token)
        request.session["who"] = {
            "person_id": person_id,
            "name": me.get("display_name", person_id),
            "roles": roles_of(claims, settings.oidc_roles_claim, settings.oidc_role_map),
            "token": tokens.access_token,
            "time_zone": known_zone(me.get("time_zone")),
        }
        new_csrf_token(request)  # a token from before signing in is not carried into the signed-in session
        if "lang" not in request.session:  # a language chosen before signing in wins over the profile's
            request.session["lang"] = language_of(me.get("locale")) or "ru"
        return RedirectResponse(pending["next"], status_code=303)

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        lang = request.session.get("lang")
        request.session.clear()
        if lang:
            request.session["lang"] = lang
        return RedirectResponse("/", status_code=303)

    @app.post("/language", include_in_schema=False)
    async def choose_language(request: Request) -> Response:
        form = await form_of(request)
        chosen = language_of(form.get("lang"))
        if chosen:
            request.session["lang"] = chosen
        return RedirectResponse(_safe_next(form.get("next")), status_code=303)

    app.include_router(pages_employee.router())
    app.include_router(pages_trainer.router())
    app.include_router(pages_curator.router())
    app.include_router(pages_mentoring.router())
    app.include_router(pages_circles.router())
    app.include_router(pages_moderation.router())
    app.include_router(pages_knowledge.router())
    app.include_router(pages_formats.router())
    app.include_router(pages_achievements.router())
    app.include_router(pages_courses.router())
    app.include_router(pages_admin.router())
    return app


def app() -> FastAPI:
    return create_app()


__all__ = ["app", "create_app", "portal_of"]
