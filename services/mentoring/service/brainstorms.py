"""Collective-brainstorm use cases: open on a case, ideas (anonymous under a pseudonym), votes, decision.

Membership is decided here from the circle; the brainstorm guards its phases and vote limits. An
anonymous idea gets the same pseudonym rules as an anonymous comment: a keyed hash of the author and the
discussion (here the brainstorm), so one anonymous voice can be followed through it but not named.

The decision becomes a knowledge-base item (type brainstorm) under an id derived from the brainstorm,
saved at version 0: a retried decision finds it there. If the item was not written (a crash between the
two saves), asking to decide again writes it before saying the brainstorm is decided already.
"""

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from mentoring.domain.brainstorm import Brainstorm, Idea, Vote
from mentoring.domain.circle import Circle, CircleRole
from mentoring.domain.knowledge import (
    MAX_BODY_LENGTH,
    MAX_CATEGORY_LENGTH,
    ItemType,
    KnowledgeItem,
    clean_tags,
    guess_language,
)
from mentoring.domain.knowledge import item_id_for as knowledge_id_for
from mentoring.domain.library import LibraryEntry
from mentoring.service.circles import Caller, get_circle
from mentoring.service.handlers import change, load, new_id
from mentoring.service.knowledge import KnowledgeBase, add_from_source
from mentoring.service.ports import Ports, Repository
from shared.concurrency import ConcurrencyConflict
from shared.errors import Conflict, Forbidden, Invalid, NotFound

SOURCE = "mentoring.brainstorm"  # the knowledge base's source service of brainstorm summaries


def _repository(ports: Ports) -> Repository[Brainstorm]:
    if ports.brainstorms is None:
        raise RuntimeError("brainstorms are not wired in this service")
    return ports.brainstorms


def _require_member(circle: Circle, by: Caller, what: str) -> None:
    if not circle.is_member(by.person_id):
        raise Forbidden(f"only the circle's members {what}", circle_id=circle.id)


def facilitates(brainstorm: Brainstorm, circle: Circle, by: Caller) -> bool:
    """The member who opened it, a facilitator of the circle, or a moderator."""
    return (
        by.moderator
        or brainstorm.facilitator_id == by.person_id
        or circle.role_of(by.person_id) is CircleRole.FACILITATOR
    )


async def open_brainstorm(
    ports: Ports, circle_id: str, by: Caller, *, case: str, votes_per_member: int, title: str = ""
) -> Brainstorm:
    circle = await get_circle(ports, circle_id)
    _require_member(circle, by, "open a brainstorm")
    brainstorm = Brainstorm.open(
        new_id()[:12], circle.id, by.person_id, case, votes_per_member, ports.clock(), title=title
    )
    await _repository(ports).save(brainstorm, expected_version=0)
    return brainstorm


async def view(ports: Ports, circle_id: str, brainstorm_id: str, by: Caller) -> tuple[Brainstorm, Circle]:
    circle = await get_circle(ports, circle_id)
    if not (by.moderator or circle.is_member(by.person_id)):
        raise Forbidden("only the circle's members see its brainstorms", circle_id=circle.id)
    brainstorm, _ = await load(_repository(ports), brainstorm_id, "brainstorm")
    if brainstorm.circle_id != circle.id:
        raise NotFound(f"brainstorm {brainstorm_id} does not exist", brainstorm_id=brainstorm_id)
    return brainstorm, circle


async def brainstorms_of(ports: Ports, circle_id: str, by: Caller) -> list[Brainstorm]:
    circle = await get_circle(ports, circle_id)
    if not (by.moderator or circle.is_member(by.person_id)):
        raise Forbidden("only the circle's members see its brainstorms", circle_id=circle.id)
    repository = _repository(ports)
    found = []
    for brainstorm_id in await repository.all_ids(circle_id=circle_id):
        loaded = await repository.get(brainstorm_id)
        if loaded is not None:
            found.append(loaded[0])
    return sorted(found, key=lambda brainstorm: brainstorm.opened_at, reverse=True)


async def add_idea(ports: Ports, circle_id: str, brainstorm_id: str, by: Caller, text: str, anonymous: bool) -> Idea:
    _, circle = await view(ports, circle_id, brainstorm_id, by)
    _require_member(circle, by, "add ideas")
    # One pseudonym per person and brainstorm, as for anonymous comments (per person and task).
    pseudonym = ports.pseudonyms.pseudonym(by.person_id, brainstorm_id) if anonymous else None
    idea_id = new_id()[:12]
    idea, _ = await change(
        _repository(ports),
        brainstorm_id,
        "brainstorm",
        lambda b: b.add_idea(by.person_id, idea_id, text, anonymous, pseudonym, ports.clock()),
    )
    return idea


async def close_ideas(ports: Ports, circle_id: str, brainstorm_id: str, by: Caller) -> Brainstorm:
    _, circle = await view(ports, circle_id, brainstorm_id, by)
    _, brainstorm = await change(
        _repository(ports), brainstorm_id, "brainstorm", lambda b: b.close_ideas(facilitates(b, circle, by))
    )
    return brainstorm


async def vote(ports: Ports, circle_id: str, brainstorm_id: str, by: Caller, idea_id: str) -> Vote:
    _, circle = await view(ports, circle_id, brainstorm_id, by)
    _require_member(circle, by, "vote")
    cast, _ = await change(
        _repository(ports), brainstorm_id, "brainstorm", lambda b: b.vote(by.person_id, idea_id, ports.clock())
    )
    return cast


async def decide(
    ports: Ports,
    kb: KnowledgeBase,
    circle_id: str,
    brainstorm_id: str,
    by: Caller,
    *,
    themes: Sequence[Mapping[str, Any]],
    decision: str,
    owner_ids: Sequence[str],
    tags: Sequence[str] = (),
) -> Brainstorm:
    """Record themes, decision and owners; the summary goes to the circle's library and the knowledge base."""
    current, circle = await view(ports, circle_id, brainstorm_id, by)
    if current.knowledge_item_id is not None and facilitates(current, circle, by):
        await _keep_summary(ports, kb, current, circle)  # a retry after a crash: write it now
    strangers = sorted({owner for owner in owner_ids if not circle.is_member(owner)})
    if strangers:
        raise Invalid("the owners of a decision are members of the circle", field="owner_ids", person_ids=strangers)
    cleaned_tags = clean_tags(tags)  # refused before the decision is saved, not after
    item_id = knowledge_id_for(SOURCE, brainstorm_id)
    _, brainstorm = await change(
        _repository(ports),
        brainstorm_id,
        "brainstorm",
        lambda b: b.decide(
            facilitates(b, circle, by), themes, decision, owner_ids, item_id, ports.clock(), tags=cleaned_tags
        ),
    )
    await _keep_summary(ports, kb, brainstorm, circle)
    return brainstorm


async def _keep_summary(ports: Ports, kb: KnowledgeBase, brainstorm: Brainstorm, circle: Circle) -> None:
    """The decided brainstorm's summary in its circle's library and in the knowledge base, each once."""
    await add_from_source(kb, summary_item(brainstorm, circle, kb))
    entry = LibraryEntry.keep_brainstorm(
        f"brainstorm:{brainstorm.id}",
        circle.id,
        circle.topic,
        brainstorm.id,
        brainstorm.facilitator_id,
        brainstorm.title,
        brainstorm.decision,
        brainstorm.tags,
        brainstorm.summary(),
        brainstorm.decided_at or ports.clock(),
    )
    with contextlib.suppress(ConcurrencyConflict):  # kept already: a retry, or another replica's
        await ports.library.save(entry, expected_version=0)


def summary_item(brainstorm: Brainstorm, circle: Circle, kb: KnowledgeBase) -> KnowledgeItem:
    """The decided brainstorm as a knowledge-base item owned by its facilitator."""
    if brainstorm.decided_at is None:
        raise Conflict("the brainstorm is not decided yet", brainstorm_id=brainstorm.id)
    body = brainstorm.summary()[:MAX_BODY_LENGTH]
    return KnowledgeItem.create(
        item_type=ItemType.BRAINSTORM,
        title=brainstorm.title,
        summary=brainstorm.decision,
        body=body,
        language=guess_language(" ".join((brainstorm.title, brainstorm.case, brainstorm.decision))),
        category=circle.topic[:MAX_CATEGORY_LENGTH],
        tags=brainstorm.tags,
        owner_id=brainstorm.facilitator_id,
        source_service=SOURCE,
        source_id=brainstorm.id,
        review_days=kb.review_days,
        now=brainstorm.decided_at,
    )
