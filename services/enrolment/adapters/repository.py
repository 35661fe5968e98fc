"""Courses in MongoDB: a versioned store whose commits are also the outbox, a catalogue and offer deadlines.

Beside each commit the repository keeps two small caches, written after it and repaired by the next
save: a catalogue card per published course (what search reads, instead of the whole course with
every application), and the course's next seat-offer deadline (what the expiry job scans).
"""

import asyncio
import builtins
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from enrolment.domain import events as ev
from enrolment.domain.model import CohortWindow, Course, catalogue_status
from shared.contracts import enrolment as contracts
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.erasures import replace_value
from shared.persistence.mongo import Document, insert_once
from shared.persistence.versioned import VersionedStore, commit_id

logger = logging.getLogger(__name__)

SOURCE = "/owlery/enrolment"
CATALOGUE = "catalogue"
OFFER_DEADLINES = "offer_deadlines"


def to_integration_event(event: ev.DomainEvent) -> IntegrationEvent:
    match event:
        case ev.CourseProposed():
            return contracts.CourseProposedV1(
                course_id=event.course_id,
                trainer_id=event.trainer_id,
                title_en=event.title_en,
                title_ru=event.title_ru,
                language=_locale(event.language),
                competencies=list(event.competencies),
                sessions=event.sessions,
                weekly_effort_hours=event.weekly_effort_hours,
                resubmission=event.resubmission,
            )
        case ev.CourseReviewed():
            return contracts.CourseReviewedV1(
                course_id=event.course_id,
                trainer_id=event.trainer_id,
                curator_id=event.curator_id,
                verdict=event.verdict,
                comment=event.comment,
                status=event.status,
            )
        case ev.RehearsalScheduled():
            return contracts.RehearsalScheduledV1(
                course_id=event.course_id,
                trainer_id=event.trainer_id,
                curator_id=event.curator_id,
                starts_at=event.starts_at,
            )
        case ev.CoursePublished():
            return contracts.CoursePublishedV1(
                course_id=event.course_id,
                trainer_id=event.trainer_id,
                title_en=event.title_en,
                title_ru=event.title_ru,
                language=_locale(event.language),
                competencies=list(event.competencies),
                sessions=event.sessions,
                trains_trainers=event.trains_trainers,
            )
        case ev.CohortScheduled():
            return contracts.CohortScheduledV1(
                course_id=event.course_id,
                cohort_id=event.cohort_id,
                number=event.number,
                trainer_id=event.trainer_id,
                capacity=event.capacity,
                time_zone=event.time_zone,
                session_starts=list(event.session_starts),
            )
        case ev.ApplicantAwaitingManager():
            return contracts.ApplicationAwaitingManagerV1(
                application_id=event.application_id,
                course_id=event.course_id,
                course_title=event.course_title,
                person_id=event.person_id,
                manager_id=event.manager_id,
                locale=_locale(event.locale),
            )
        case ev.ApplicantDeclinedByManager():
            return contracts.ApplicationDeclinedByManagerV1(
                application_id=event.application_id,
                course_id=event.course_id,
                course_title=event.course_title,
                person_id=event.person_id,
                manager_id=event.manager_id,
                locale=_locale(event.locale),
            )
        case ev.ApplicantEnrolled():
            return contracts.ApplicationEnrolledV1(
                application_id=event.application_id,
                course_id=event.course_id,
                course_title=event.course_title,
                cohort_id=event.cohort_id,
                person_id=event.person_id,
                locale=_locale(event.locale),
                promoted=event.promoted,
            )
        case ev.ApplicantWaitlisted():
            return contracts.ApplicationWaitlistedV1(
                application_id=event.application_id,
                course_id=event.course_id,
                course_title=event.course_title,
                person_id=event.person_id,
                locale=_locale(event.locale),
                position=event.position,
            )
        case ev.ApplicantWithdrew():
            return contracts.ApplicationWithdrawnV1(
                application_id=event.application_id,
                course_id=event.course_id,
                person_id=event.person_id,
                cohort_id=event.cohort_id,
            )
        case ev.SeatOffered():
            return contracts.SeatOfferedV1(
                offer_id=event.offer_id,
                application_id=event.application_id,
                course_id=event.course_id,
                course_title=event.course_title,
                cohort_id=event.cohort_id,
                person_id=event.person_id,
                locale=_locale(event.locale),
                expires_at=event.expires_at,
            )
        case ev.SeatOfferEnded():
            return contracts.SeatOfferEndedV1(
                offer_id=event.offer_id,
                application_id=event.application_id,
                course_id=event.course_id,
                cohort_id=event.cohort_id,
                person_id=event.person_id,
                outcome=event.outcome,
            )
        case ev.StreamProposed():
            return contracts.StreamProposedV1(
                course_id=event.course_id,
                proposal_id=event.proposal_id,
                member_ids=list(event.member_ids),
                weekday=event.weekday,
                local_time=event.local_time,
                time_zone=event.time_zone,
            )
        case ev.StreamProposalDecided():
            return contracts.StreamProposalDecidedV1(
                course_id=event.course_id,
                proposal_id=event.proposal_id,
                curator_id=event.curator_id,
                accepted=event.accepted,
                cohort_id=event.cohort_id,
            )


def _locale(value: str) -> contracts.Locale:
    return "ru" if value == "ru" else "en"


def catalogue_card(course: Course) -> Document:
    """What search needs of a course, small enough to scan: no applications, no people."""
    p = course.proposal
    return {
        "_id": course.id,
        "trainer_id": course.trainer_id,
        "status": course.status.value,
        "title_en": p.title_en,
        "title_ru": p.title_ru,
        "description": p.description,
        "competencies": list(p.competencies),
        "language": p.language,
        "sessions": p.sessions,
        "weekly_effort_hours": p.weekly_effort_hours,
        "search_text": " ".join(filter(None, [p.title_en, p.title_ru, p.description, *p.competencies])).casefold(),
        "cohorts": [window.__dict__ for window in course.cohort_windows()],
        # Top level and indexed: the curators' list of streams to decide asks for this alone.
        "stream_proposal_open": course.stream_proposal is not None and course.stream_proposal.open,
    }


async def _best_effort(write: Callable[[], Awaitable[object]], what: str, attempts: int = 3) -> None:
    """Write a cache after the commit: retried briefly (SQLite may be busy), then logged and left."""
    for attempt in range(1, attempts + 1):
        try:
            await write()
            return
        except Exception:
            if attempt == attempts:
                logger.warning("could not write the %s; the course's next save writes it again", what)
                return
            await asyncio.sleep(0.05 * attempt)


def _same_card(stored: Document, card: Document) -> bool:
    return {k: v for k, v in stored.items() if k != "version"} == card


class MongoCourseRepository:
    def __init__(self, store: VersionedStore, database: AsyncDatabase[Document]) -> None:
        self.store = store
        self.catalogue = database[CATALOGUE]
        self.deadlines = database[OFFER_DEADLINES]
        # Per course, the version as of which this process knows the stored card to be `card`: a save of
        # the next version with the same card (most applications) then needs no read at all.
        self._known_cards: dict[str, tuple[int, Document]] = {}

    async def ensure_indexes(self) -> None:
        await self.catalogue.create_index([("stream_proposal_open", ASCENDING)])
        # Cards written before the flag existed get it once, from their course: else an open proposal of
        # theirs would stay off the curators' list until the course was next saved.
        async for card in self.catalogue.find({"stream_proposal_open": {"$exists": False}}, {"_id": 1}):
            loaded = await self.get(card["_id"])
            if loaded is not None:
                flag = catalogue_card(loaded[0])["stream_proposal_open"]
                await self.catalogue.update_one({"_id": card["_id"]}, {"$set": {"stream_proposal_open": flag}})

    async def get(self, course_id: str) -> tuple[Course, int] | None:
        loaded = await self.store.load(course_id)
        if loaded is None:
            return None
        return Course.from_state(course_id, loaded.state), loaded.version

    async def save(self, course: Course, expected_version: int) -> None:
        correlation_id = current_correlation_id()
        outbox = [
            OutboxEvent.of(to_integration_event(event), source=SOURCE, correlation_id=correlation_id)
            for event in course.events
        ]
        await self.store.commit(course.id, expected_version, course.to_state(), outbox)
        course.events.clear()
        # Caches of the commit just made: the change is in, so a failure here is logged, not raised; a
        # crash here leaves them one save behind, and the next save of the course repairs them.
        await _best_effort(lambda: self._write_card(course, expected_version + 1), f"catalogue card of {course.id}")
        # One document per offer, inserted once and never rewritten: a slower replica saving an older
        # state cannot remove the deadline of an offer it never saw. Ended offers are dropped by the
        # expiry job once their deadline passes and the course no longer holds them. Every save inserts
        # the deadlines of all open offers again, so one lost here is back with the course's next change.
        for offer in course.offers.values():
            document = {"_id": offer.id, "course_id": course.id, "at": offer.expires_at}
            await _best_effort(
                functools.partial(insert_once, self.deadlines.database, OFFER_DEADLINES, document),
                f"deadline of offer {offer.id}",
            )

    async def _write_card(self, course: Course, version: int) -> None:
        """Replace the card when it changed, unless a newer version's is there (checked again after writing).

        Most saves (another applicant waitlisted, say) leave the card as it was: one read, no write; none
        when this process saved the version before with the same card (no other commit came between).
        """
        card = catalogue_card(course)
        known = self._known_cards.pop(course.id, None)
        if known is not None and known[0] == version - 1 and known[1] == card:
            self._known_cards[course.id] = (version, card)
            return
        for _ in range(3):
            stored = await self.catalogue.find_one({"_id": course.id})
            if stored is not None and stored.get("version", 0) >= version:
                return  # a newer version's card is there
            if stored is not None and _same_card(stored, card):
                self._known_cards[course.id] = (version, card)
                return
            await self.catalogue.replace_one({"_id": course.id}, {**card, "version": version}, upsert=True)
            stored = await self.catalogue.find_one({"_id": course.id}, {"version": 1})
            if stored is not None and stored.get("version", 0) >= version:
                if stored["version"] == version:
                    self._known_cards[course.id] = (version, card)
                return

    async def search(
        self, now: datetime, *, text: str | None = None, competency: str | None = None, language: str | None = None,
        status: str | None = None, statuses: tuple[str, ...] = ("approved",), limit: int = 50, offset: int = 0,
    ) -> tuple[builtins.list[Document], int]:  # fmt: skip
        """Catalogue cards matching every given filter, with their status at `now`; and how many match.

        The filters run here rather than in the query: FerretDB scans for any filter but _id anyway,
        and the cards are small (one per course, no applications).
        """
        wanted = text.casefold().split() if text else []
        found = []
        async for card in self.catalogue.find({}).sort("_id", 1):
            if card["status"] not in statuses:
                continue
            card["catalogue_status"] = catalogue_status([CohortWindow(**w) for w in card["cohorts"]], now)
            if (
                all(word in card["search_text"] for word in wanted)
                and (competency is None or competency in card["competencies"])
                and (language is None or card["language"] == language)
                and (status is None or card["catalogue_status"] == status)
            ):
                found.append(card)
        return found[offset : offset + limit], len(found)

    async def with_open_stream_proposal(self) -> builtins.list[Course]:
        """The courses whose stream proposal awaits a curator, rebuilt by the domain.

        An equality filter on the cards' top-level, indexed flag (never a nested field: FerretDB scans
        those), then one _id load per course found; the load is the truth, so a card one save behind
        (its course decided since) is dropped here.
        """
        found = self.catalogue.find({"stream_proposal_open": True}, {"_id": 1}).sort("_id", 1)
        course_ids = [card["_id"] async for card in found]
        loaded = await asyncio.gather(*(self.get(course_id) for course_id in course_ids))
        return [
            course
            for course, _ in filter(None, loaded)
            if course.stream_proposal is not None and course.stream_proposal.open
        ]

    async def with_offers_due(self, now: datetime) -> builtins.list[str]:
        """Courses with a seat offer past its deadline (a scan of one small document per offer)."""
        due = {doc["course_id"] async for doc in self.deadlines.find({"at": {"$lte": now}}, {"course_id": 1})}
        return sorted(due)

    async def forget_ended_offers(self, course: Course, now: datetime) -> None:
        """Drop the deadlines that have passed of offers the course no longer holds (confirmed, declined, lapsed)."""
        async for doc in self.deadlines.find({"course_id": course.id, "at": {"$lte": now}}, {"_id": 1}):
            if doc["_id"] not in {offer.id for offer in course.offers.values()}:
                await self.deadlines.delete_one({"_id": doc["_id"]})

    async def applied_to_by(self, person_id: str) -> builtins.list[Course]:
        """The courses whose head holds an application of the person, rebuilt by the domain.

        FerretDB looks up nothing but _id, so this scans the heads: fine for one person's own page, which
        is asked for one at a time and far less often than the catalogue; a hot path would need an index
        of applications by person instead.
        """
        found = self.store.heads.find({"applications.person_id": person_id}).sort("_id", 1)
        return [Course.from_state(head["_id"], head) async for head in found]

    async def involving(self, person_id: str) -> builtins.list[str]:
        # Two scans (FerretDB looks up nothing but _id): fine for rare privacy requests, kept off hot paths.
        # The commits are the truth; the heads are asked too in case a crash left one ahead of its commits.
        in_state = ("applications.person_id", "trainer_id", "cohorts.trainer_id", "reviews.curator_id")
        in_events = ("person_id", "trainer_id", "curator_id")
        heads = self.store.heads.find({"$or": [{field: person_id} for field in in_state]}, {"_id": 1})
        commits = self.store.commits.find(
            {
                "$or": [{f"state.{field}": person_id} for field in in_state]
                + [{f"events.data.{field}": person_id} for field in in_events]
            },
            {"aggregate_id": 1},
        )
        found = {head["_id"] async for head in heads} | {commit["aggregate_id"] async for commit in commits}
        return sorted(found)

    async def erase_from_history(self, course_id: str, person_id: str, replacement: str, through_version: int) -> int:
        """Rewrite the course's past commits, read and written by _id, as if a former employee had applied.

        Only `state` and `events` are set: the relay's outbox fields stay as they are, so a pending
        commit is still published (carrying the stand-in) and a published one is not sent again.
        """
        changed = 0
        for version in range(1, through_version + 1):
            commit = await self.store.commits.find_one({"_id": commit_id(course_id, version)})
            if commit is None:
                continue
            course = Course.from_state(course_id, commit["state"])
            state = course.to_state() if course.erase_person(person_id, replacement) else commit["state"]
            state = replace_value(state, person_id, replacement)  # and anything the domain does not know of
            events = replace_value(commit["events"], person_id, replacement)
            if state == commit["state"] and events == commit["events"]:
                continue
            await self.store.commits.update_one({"_id": commit["_id"]}, {"$set": {"state": state, "events": events}})
            changed += 1
        return changed
