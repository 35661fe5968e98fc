"""Knowledge-base use cases: curators' articles, items from events, reviews, the staleness job, search.

Mentoring owns the read model; other services' items arrive only as events (see entrypoints/consumers.py).
An item from an event is saved at version 0 under an id derived from its source, so a redelivery or a
second replica finds it there and changes nothing.
"""

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from mentoring.domain.knowledge import ItemType, KnowledgeItem, Page, Query, guess_language, search
from mentoring.domain.library import LibraryEntry
from mentoring.service.handlers import change, load
from mentoring.service.ports import Repository
from shared.concurrency import ConcurrencyConflict
from shared.contracts.enrolment import ConferenceTalkRecordingAttachedV1, MasterClassRecordingAttachedV1
from shared.errors import Conflict, Forbidden

ARTICLES = "knowledge"  # the source service of articles written in the knowledge base itself
ENROLMENT_MASTER_CLASSES = "enrolment.master_class"
ENROLMENT_CONFERENCE_TALKS = "enrolment.conference_talk"
CIRCLE_LIBRARY = "mentoring.library"


@dataclass
class KnowledgeBase:
    """What the knowledge-base use cases need, injected by the bootstrap."""

    items: Repository[KnowledgeItem]
    clock: Callable[[], datetime]
    review_days: int  # the default review period of new items


@dataclass(frozen=True)
class Reader:
    person_id: str
    curator: bool = False


async def write_article(
    kb: KnowledgeBase,
    by: Reader,
    *,
    article_id: str,
    title: str,
    summary: str,
    body: str,
    language: str,
    category: str,
    tags: Sequence[str],
    owner_id: str | None = None,
    review_days: int | None = None,
) -> KnowledgeItem:
    """A curator writes an article; its owner (who reviews it) is the curator unless another person is named."""
    item = KnowledgeItem.create(
        item_type=ItemType.ARTICLE,
        title=title,
        summary=summary,
        body=body,
        language=language,
        category=category,
        tags=tags,
        owner_id=owner_id or by.person_id,
        source_service=ARTICLES,
        source_id=article_id,
        review_days=review_days or kb.review_days,
        now=kb.clock(),
    )
    try:
        await kb.items.save(item, expected_version=0)
    except ConcurrencyConflict:
        raise Conflict("an article with this id exists already", article_id=article_id) from None
    return item


async def add_from_source(kb: KnowledgeBase, item: KnowledgeItem) -> bool:
    """Keep an item that arrived from another service; False if it is there already (a redelivery)."""
    with contextlib.suppress(ConcurrencyConflict):
        await kb.items.save(item, expected_version=0)
        return True
    return False


async def master_class_recorded(kb: KnowledgeBase, event: MasterClassRecordingAttachedV1) -> bool:
    """A held master class's recording becomes an item owned by its host."""
    item = KnowledgeItem.create(
        item_type=ItemType.MASTER_CLASS,
        title=event.title,
        summary=event.abstract,
        language=event.language,
        tags=event.competencies,
        owner_id=event.host_id,
        source_service=ENROLMENT_MASTER_CLASSES,
        source_id=event.master_class_id,
        review_days=kb.review_days,
        now=kb.clock(),
        links=[event.recording_url, *event.materials],
    )
    return await add_from_source(kb, item)


async def conference_talk_recorded(kb: KnowledgeBase, event: ConferenceTalkRecordingAttachedV1) -> bool:
    """A conference talk's recording and slides become an item owned by its speaker."""
    item = KnowledgeItem.create(
        item_type=ItemType.CONFERENCE_TALK,
        title=event.title,
        summary=event.abstract,
        language=event.language,
        tags=event.competencies,
        owner_id=event.speaker_id,
        source_service=ENROLMENT_CONFERENCE_TALKS,
        source_id=event.talk_id,
        review_days=kb.review_days,
        now=kb.clock(),
        links=[event.recording_url, *([event.slides_url] if event.slides_url else [])],
    )
    return await add_from_source(kb, item)


async def solution_promoted(kb: KnowledgeBase, entry: LibraryEntry) -> bool:
    """A solution promoted to an open circle's library becomes an item owned by its author."""
    item = KnowledgeItem.create(
        item_type=ItemType.SOLUTION,
        title=entry.title,
        summary=entry.summary,
        body=entry.text,
        language=guess_language(" ".join((entry.title, entry.summary, entry.text))),
        category=entry.circle_topic,
        tags=entry.tags,
        owner_id=entry.author_id,
        source_service=CIRCLE_LIBRARY,
        source_id=entry.id,
        review_days=kb.review_days,
        now=kb.clock(),
    )
    return await add_from_source(kb, item)


async def get_item(kb: KnowledgeBase, item_id: str) -> KnowledgeItem:
    item, _ = await load(kb.items, item_id, "item")
    return item


async def review(kb: KnowledgeBase, item_id: str, by: Reader) -> KnowledgeItem:
    """The owner or a curator vouches for the item again: its review date moves to now, the stale flag goes."""
    item = await get_item(kb, item_id)
    if not by.curator and item.owner_id != by.person_id:
        raise Forbidden("only the item's owner or a curator reviews it", item_id=item_id)
    _, item = await change(kb.items, item_id, "item", lambda it: it.mark_reviewed(by.person_id, kb.clock()))
    return item


async def flag_stale(kb: KnowledgeBase) -> int:
    """Flag every item whose review is overdue, telling its owner; how many were flagged.

    Runs periodically on every replica: flagging is decided under the item's version, so a second
    replica finds it flagged already and says nothing more.
    """
    now = kb.clock()
    flagged = 0
    for item in await _all(kb):
        if item.stale or not item.is_due(now):
            continue
        was_flagged, _ = await change(kb.items, item.id, "item", lambda it: it.flag_if_due(now))
        flagged += was_flagged
    return flagged


async def find(kb: KnowledgeBase, query: Query, *, limit: int = 20, offset: int = 0) -> Page:
    """Search in Python over every item: FerretDB pushes down only `_id` filters and has no text index."""
    return search(await _all(kb), query, limit=limit, offset=offset)


async def _all(kb: KnowledgeBase) -> list[KnowledgeItem]:
    found = []
    for item_id in await kb.items.all_ids():
        loaded = await kb.items.get(item_id)
        if loaded is not None:
            found.append(loaded[0])
    return found
