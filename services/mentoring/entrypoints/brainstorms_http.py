"""Collective brainstorms in a circle through HTTP: a case, ideas, votes, themes and a decision.

Every view of an idea is built from `Idea.shown_author`: an anonymous idea shows its pseudonym to
everyone, and `by_me` tells its author which ideas are theirs. Vote counts are shown once the brainstorm
is decided, so early votes do not herd the later ones; each member sees their own votes and what is left.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from mentoring.domain.brainstorm import Brainstorm, Phase
from mentoring.service import brainstorms as uc
from mentoring.service.circles import Caller
from mentoring.service.knowledge import KnowledgeBase
from mentoring.service.ports import Ports
from shared.auth.http import caller
from shared.auth.tokens import Principal

Who = Annotated[Principal, Depends(caller)]
B = "/circles/{circle_id}/brainstorms"
ONE = B + "/{brainstorm_id}"


def acting(who: Principal) -> Caller:
    return Caller(who.person_id, moderator="moderator" in who.roles)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BrainstormIn(_In):
    case: str = Field(max_length=5000, description="The real case the circle thinks about")
    title: str = Field("", max_length=200, description="Short name; the case's first line if left out")
    votes_per_member: int = Field(description="Votes each member casts after the idea phase, 1 to 10")


class IdeaIn(_In):
    text: str = Field(max_length=2000)
    anonymous: bool = Field(False, description="Shown under your pseudonym in this brainstorm")


class ThemeIn(_In):
    title: str = Field(max_length=200)
    idea_ids: list[str] = Field(default_factory=list, max_length=200)


class DecisionIn(_In):
    themes: list[ThemeIn] = Field(default_factory=list, max_length=30)
    decision: str = Field(max_length=5000)
    owner_ids: list[str] = Field(max_length=20, description="Members who carry the decision out")
    tags: list[str] = Field(default_factory=list, max_length=20)


def brainstorm_out(brainstorm: Brainstorm, viewer: Caller) -> dict[str, Any]:
    decided = brainstorm.phase is Phase.DECIDED
    tally = brainstorm.tally()
    return {
        "id": brainstorm.id,
        "circle_id": brainstorm.circle_id,
        "title": brainstorm.title,
        "case": brainstorm.case,
        "phase": brainstorm.phase.value,
        "facilitator_id": brainstorm.facilitator_id,
        "votes_per_member": brainstorm.votes_per_member,
        "votes_left": brainstorm.votes_left(viewer.person_id) if brainstorm.phase is Phase.VOTING else 0,
        "my_votes": brainstorm.my_votes(viewer.person_id),
        "ideas": [
            {
                "id": idea.id,
                "author": idea.shown_author,
                "anonymous": idea.anonymous,
                "by_me": idea.author_id == viewer.person_id,
                "text": idea.text,
                "at": idea.at.isoformat(),
                "votes": tally[idea.id] if decided else None,
            }
            for idea in brainstorm.ideas.values()
        ],
        "themes": [{"title": theme.title, "idea_ids": list(theme.idea_ids)} for theme in brainstorm.themes],
        "decision": brainstorm.decision or None,
        "owner_ids": list(brainstorm.owner_ids),
        "top_ideas": [{"id": idea.id, "votes": votes} for idea, votes in brainstorm.top_ideas()] if decided else [],
        "knowledge_item_id": brainstorm.knowledge_item_id,
    }


def brainstorms_router(ports: Ports, knowledge_base: KnowledgeBase) -> APIRouter:
    router = APIRouter(tags=["brainstorms"])

    @router.post(B, status_code=201)
    async def open_brainstorm(circle_id: str, body: BrainstormIn, who: Who) -> dict[str, Any]:
        """Put a real case to the circle; you facilitate the brainstorm."""
        brainstorm = await uc.open_brainstorm(
            ports, circle_id, acting(who), case=body.case, votes_per_member=body.votes_per_member, title=body.title
        )
        return brainstorm_out(brainstorm, acting(who))

    @router.get(B)
    async def list_brainstorms(circle_id: str, who: Who) -> list[dict[str, Any]]:
        return [brainstorm_out(b, acting(who)) for b in await uc.brainstorms_of(ports, circle_id, acting(who))]

    @router.get(ONE)
    async def get_brainstorm(circle_id: str, brainstorm_id: str, who: Who) -> dict[str, Any]:
        brainstorm, _ = await uc.view(ports, circle_id, brainstorm_id, acting(who))
        return brainstorm_out(brainstorm, acting(who))

    @router.post(f"{ONE}/ideas", status_code=201)
    async def add_idea(circle_id: str, brainstorm_id: str, body: IdeaIn, who: Who) -> dict[str, Any]:
        idea = await uc.add_idea(ports, circle_id, brainstorm_id, acting(who), body.text, body.anonymous)
        return {"id": idea.id, "author": idea.shown_author, "anonymous": idea.anonymous, "text": idea.text}

    @router.post(f"{ONE}/voting")
    async def start_voting(circle_id: str, brainstorm_id: str, who: Who) -> dict[str, Any]:
        """Close the idea phase (the facilitator): members may now vote."""
        return brainstorm_out(await uc.close_ideas(ports, circle_id, brainstorm_id, acting(who)), acting(who))

    @router.post(f"{ONE}/ideas/{{idea_id}}/votes", status_code=201)
    async def vote(circle_id: str, brainstorm_id: str, idea_id: str, who: Who) -> dict[str, Any]:
        """One of your votes for this idea: at most one per idea, at most the brainstorm's number in all."""
        cast = await uc.vote(ports, circle_id, brainstorm_id, acting(who), idea_id)
        return {"idea_id": cast.idea_id, "at": cast.at.isoformat()}

    @router.post(f"{ONE}/decision")
    async def decide(circle_id: str, brainstorm_id: str, body: DecisionIn, who: Who) -> dict[str, Any]:
        """Group the ideas into themes, record the decision and its owners (the facilitator); to the knowledge base."""
        brainstorm = await uc.decide(
            ports,
            knowledge_base,
            circle_id,
            brainstorm_id,
            acting(who),
            themes=[theme.model_dump() for theme in body.themes],
            decision=body.decision,
            owner_ids=body.owner_ids,
            tags=body.tags,
        )
        return brainstorm_out(brainstorm, acting(who))

    return router
