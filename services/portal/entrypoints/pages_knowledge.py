"""The curator's articles for the knowledge base: write one, see the articles with what is due for review,
and vouch for one again. Searching the knowledge base stays on its own page (/knowledge).

The mentoring service decides who may write (curators) and who may review (the item's owner or a curator);
the page only offers the forms and shows the service's refusals beside the fields.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.adapters.api import ApiError
from portal.domain.mentoring import words
from portal.entrypoints.pages_mentoring import refusal
from portal.entrypoints.web import FormState, Viewer, form_of, language, portal_of, render, viewer

Who = Annotated[Viewer, Depends(viewer)]
ARTICLE_FIELDS = ("title", "summary", "body", "language", "category", "tags", "review_days")
LANGUAGES = ("ru", "en")
SHOWN = 50  # articles on the page, most recently reviewed first


def router() -> APIRouter:
    router = APIRouter(prefix="/knowledge/articles", include_in_schema=False)

    async def articles_page(
        request: Request, who: Viewer, form: FormState | None = None, status_code: int = 200
    ) -> HTMLResponse:
        page: dict[str, Any] = await portal_of(request).apis.mentoring.get(
            "/knowledge/items", who.token, type="article", limit=SHOWN
        )
        items = page.get("items", [])
        form = form or FormState()
        form.values.setdefault("article-language", language(request))
        return render(
            request,
            "knowledge_articles.html",
            status_code=status_code,
            articles=items,
            due=[item for item in items if item.get("stale")],
            languages=LANGUAGES,
            form=form,
        )

    @router.get("")
    async def articles(request: Request, who: Who) -> HTMLResponse:
        return await articles_page(request, who)

    @router.post("")
    async def write(request: Request, who: Who) -> Response:
        typed = await form_of(request)
        body: dict[str, Any] = {
            # A fresh id per form sent; the form carries it so a resend after a refusal makes no copy.
            "article_id": typed.get("article_id") or uuid.uuid4().hex[:16],
            "title": typed.get("title", "").strip(),
            "summary": typed.get("summary", ""),
            "body": typed.get("body", ""),
            "language": typed.get("language", ""),
            "category": typed.get("category", ""),
            "tags": words(typed.get("tags", "")),
            "review_days": typed.get("review_days") or None,
        }
        try:
            await portal_of(request).apis.mentoring.post("/knowledge/articles", who.token, body)
        except ApiError as error:
            kept = refusal(request, {**typed, "article_id": body["article_id"]}, error, ARTICLE_FIELDS)
            form = FormState(
                values={f"article-{key}": value for key, value in kept.values.items()},
                errors={(key if key == "_form" else f"article-{key}"): text for key, text in kept.errors.items()},
            )
            return await articles_page(request, who, form, status_code=error.status)
        return RedirectResponse("/knowledge/articles?done=article_written", status_code=303)

    @router.post("/{item_id}/review")
    async def review(request: Request, who: Who, item_id: str) -> Response:
        try:
            await portal_of(request).apis.mentoring.post(f"/knowledge/items/{item_id}/review", who.token)
        except ApiError as error:
            return await articles_page(request, who, refusal(request, {}, error, ()), status_code=error.status)
        return RedirectResponse("/knowledge/articles?done=article_reviewed", status_code=303)

    return router
