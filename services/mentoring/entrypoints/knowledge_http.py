"""The knowledge-base HTTP API: curators write articles, owners review items, every employee searches."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from mentoring.domain import knowledge as kb_domain
from mentoring.domain.knowledge import KnowledgeItem
from mentoring.service import knowledge as uc
from mentoring.service.knowledge import KnowledgeBase, Reader
from shared.auth.http import caller
from shared.auth.tokens import Principal

Who = Annotated[Principal, Depends(caller)]
ITEM = "/knowledge/items/{item_id}"
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such item"}}


def reader(who: Principal) -> Reader:
    return Reader(who.person_id, curator=bool({"curator", "admin"} & set(who.roles)))


class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    article_id: str = Field(min_length=1, max_length=200, description="Your id for the article: a retry makes no copy")
    title: str = Field(min_length=1, max_length=kb_domain.MAX_TITLE_LENGTH)
    summary: str = Field("", max_length=kb_domain.MAX_SUMMARY_LENGTH)
    body: str = Field("", max_length=kb_domain.MAX_BODY_LENGTH)
    language: str = Field(description="ru or en", examples=["ru"])
    category: str = Field("", max_length=kb_domain.MAX_CATEGORY_LENGTH)
    tags: list[str] = Field(default_factory=list, description="Competency tags")
    owner_id: str | None = Field(None, description="Who keeps the article reviewed (default: you)")
    review_days: int | None = Field(None, description="Review period in days (default: the company setting)")


class ItemOut(BaseModel):
    id: str
    type: str
    title: str
    summary: str
    body: str
    language: str
    category: str
    tags: list[str]
    owner_id: str
    source_service: str
    source_id: str
    links: list[str]
    created_at: datetime
    last_reviewed_at: datetime
    review_days: int
    stale: bool

    @classmethod
    def of(cls, item: KnowledgeItem) -> "ItemOut":
        return cls(
            id=item.id,
            type=item.type.value,
            title=item.title,
            summary=item.summary,
            body=item.body,
            language=item.language,
            category=item.category,
            tags=list(item.tags),
            owner_id=item.owner_id,
            source_service=item.source_service,
            source_id=item.source_id,
            links=list(item.links),
            created_at=item.created_at,
            last_reviewed_at=item.last_reviewed_at,
            review_days=item.review_days,
            stale=item.stale,
        )


class PageOut(BaseModel):
    items: list[ItemOut]
    total: int = Field(description="How many items match in all")
    limit: int
    offset: int


def knowledge_router(knowledge_base: KnowledgeBase) -> APIRouter:
    router = APIRouter(tags=["knowledge base"])

    @router.post("/knowledge/articles", status_code=201, response_model=ItemOut)
    async def write_article(body: ArticleIn, who: Who) -> ItemOut:
        """A curator writes an article for the knowledge base."""
        item = await uc.write_article(
            knowledge_base,
            reader(who),
            article_id=body.article_id,
            title=body.title,
            summary=body.summary,
            body=body.body,
            language=body.language,
            category=body.category,
            tags=body.tags,
            owner_id=body.owner_id,
            review_days=body.review_days,
        )
        return ItemOut.of(item)

    @router.get("/knowledge/items", response_model=PageOut)
    async def search(
        q: str = "",
        tag: Annotated[list[str] | None, Query()] = None,
        category: str | None = None,
        type: str | None = None,
        language: str | None = None,
        stale: bool | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> PageOut:
        """Every word of `q` begins a word of the title, summary or tags; all filters hold; newest-reviewed first."""
        query = kb_domain.Query.checked(
            text=q, tags=tag or (), category=category, item_type=type, language=language, stale=stale
        )
        page = await uc.find(knowledge_base, query, limit=limit, offset=offset)
        return PageOut(items=[ItemOut.of(item) for item in page.items], total=page.total, limit=limit, offset=offset)

    @router.get(ITEM, response_model=ItemOut, responses=NOT_FOUND)
    async def get_item(item_id: str) -> ItemOut:
        return ItemOut.of(await uc.get_item(knowledge_base, item_id))

    @router.post(f"{ITEM}/review", response_model=ItemOut, responses=NOT_FOUND)
    async def review(item_id: str, who: Who) -> ItemOut:
        """The owner (or a curator) vouches for the item again: reviewed today, no longer stale."""
        return ItemOut.of(await uc.review(knowledge_base, item_id, reader(who)))

    return router
