"""My achievements (points, level, badges with their Open Badges credential, leaderboards) and my
notification preferences (channels per category, quiet hours, digests)."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.adapters.api import ApiError, ServiceApi
from portal.entrypoints.web import (
    FormState,
    Viewer,
    form_of,
    language,
    portal_of,
    remember_time_zone,
    render,
    viewer,
)

Who = Annotated[Viewer, Depends(viewer)]
PERIODS = ("all", "month", "week")
CHANNELS = ("inapp", "email", "chat")
FREQUENCIES = ("immediate", "daily", "weekly")
PREFERENCE_FIELDS = ("time_zone", "quiet_start", "quiet_end")


def preference_field(api_field: str | None) -> str | None:
    """The form field beside which a refusal of the notifications service is shown."""
    if not api_field:
        return None
    if api_field in ("quiet_hours", "start"):
        return "quiet_start"
    if api_field == "end":
        return "quiet_end"
    if api_field.startswith("channels."):
        return "channels-" + api_field.removeprefix("channels.")
    return api_field


def preferences_form(preferences: dict[str, Any]) -> dict[str, str]:
    """The service's settings as the form's values (checkboxes as "on")."""
    quiet = preferences.get("quiet_hours", {})
    values = {
        "time_zone": str(preferences.get("time_zone", "")),
        "quiet_start": str(quiet.get("start", "21:00"))[:5],
        "quiet_end": str(quiet.get("end", "08:00"))[:5],
        "quiet_enabled": "on" if quiet.get("enabled", True) else "",
    }
    for category, channels in preferences.get("channels", {}).items():
        for channel in channels:
            values[f"channel-{category}-{channel}"] = "on"
    for category, digest in preferences.get("digests", {}).items():
        values[f"digest-{category}"] = str(digest.get("frequency", "immediate"))
    return values


def preferences_body(typed: dict[str, str], current: dict[str, Any]) -> dict[str, Any]:
    """The form as the service's body; a digest keeps the hour and weekday it had."""
    categories = list(current.get("channels", {}))
    old_digests = current.get("digests", {})
    return {
        "time_zone": typed.get("time_zone", "").strip(),
        "channels": {
            category: [channel for channel in CHANNELS if typed.get(f"channel-{category}-{channel}")]
            for category in categories
        },
        "quiet_hours": {
            "start": typed.get("quiet_start", ""),
            "end": typed.get("quiet_end", ""),
            "enabled": bool(typed.get("quiet_enabled")),
        },
        "digests": {
            category: {
                **old_digests.get(category, {}),
                "frequency": typed.get(f"digest-{category}", "immediate"),
            }
            for category in categories
        },
    }


async def own_rank(gamification: ServiceApi, who: Viewer, period: str) -> Any:
    """My place on the company board, or None before the boards count me."""
    try:
        return await gamification.get(f"/people/{who.person_id}/rank", who.token, period=period)
    except ApiError as error:
        if error.status in (404, 409, 422):
            return None
        raise


def router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/achievements")
    async def achievements(request: Request, who: Who, period: str = "all") -> HTMLResponse:
        period = period if period in PERIODS else "all"
        gamification = portal_of(request).apis.gamification
        account, badges, board, rank = await asyncio.gather(
            gamification.get(f"/people/{who.person_id}/points", who.token, limit=20),
            gamification.get(f"/people/{who.person_id}/badges", who.token),
            gamification.get("/leaderboards", who.token, period=period, limit=20),
            own_rank(gamification, who, period),
        )
        return render(
            request,
            "achievements_mine.html",
            account=account,
            badges=badges,
            board=board,
            rank=rank,
            period=period,
            periods=PERIODS,
        )

    @router.get("/achievements/badges/{award_id}/credential")
    async def credential(request: Request, who: Who, award_id: str) -> Response:
        """The signed Open Badges 3.0 credential (a compact JWS) as a file to keep or hand to a wallet."""
        lang = language(request)
        found = await portal_of(request).apis.gamification.get(
            f"/people/{who.person_id}/badges/{award_id}/credential", who.token, lang=lang
        )
        safe = "".join(char for char in award_id if char.isalnum() or char in "-_") or "badge"
        return Response(
            str(found["credential"]),
            media_type=str(found.get("media_type") or "application/vc+jwt"),
            headers={"Content-Disposition": f'attachment; filename="owlery-badge-{safe}.jwt"'},
        )

    @router.post("/achievements/visibility")
    async def visibility(request: Request, who: Who) -> Response:
        typed = await form_of(request)
        path = f"/people/{who.person_id}/leaderboard-visibility"
        await portal_of(request).apis.gamification.put(path, who.token, {"visible": typed.get("visible") == "yes"})
        return RedirectResponse("/achievements#leaderboard", status_code=303)

    async def preferences_page(
        request: Request, who: Viewer, form: FormState | None = None, status: int = 200, saved: bool = False
    ) -> HTMLResponse:
        current = await portal_of(request).apis.notifications.get(
            f"/people/{who.person_id}/notification-preferences", who.token
        )
        return render(
            request,
            "achievements_preferences.html",
            status_code=status,
            categories=list(current.get("channels", {})),
            critical=current.get("critical_categories", []),
            channels=CHANNELS,
            frequencies=FREQUENCIES,
            form=form or FormState(values=preferences_form(current)),
            saved=saved,
        )

    @router.get("/preferences")
    async def preferences(request: Request, who: Who, saved: str = "") -> HTMLResponse:
        return await preferences_page(request, who, saved=bool(saved))

    @router.post("/preferences")
    async def save_preferences(request: Request, who: Who) -> Response:
        typed = await form_of(request)
        notifications = portal_of(request).apis.notifications
        path = f"/people/{who.person_id}/notification-preferences"
        current = await notifications.get(path, who.token)
        body = preferences_body(typed, current)
        try:
            await notifications.put(path, who.token, body)
        except ApiError as error:
            named = preference_field(error.field)
            fields = (*PREFERENCE_FIELDS, *(f"channels-{category}" for category in current.get("channels", {})))
            form = FormState(values=typed).refused(request, ApiError(error.status, error.detail, named), fields)
            return await preferences_page(request, who, form, status=error.status)
        remember_time_zone(request, body["time_zone"])
        return RedirectResponse("/preferences?saved=1", status_code=303)

    return router
